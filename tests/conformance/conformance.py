#!/usr/bin/env python3
"""Detection-parity generator: for each signature of .ldb/.ndb files it writes a file that
satisfies it, scans all files with clamscan (the oracle) and vigil-scan, and compares the names.

  conformance.py SIGFILE... [--vigil-scan PATH] [--sample N] [--seed S] [--jobs N] [--out DIR]
                 [--report FILE] [--min-agreement PCT] [--no-extra] [--skip-missing]

A file clamscan does not detect as intended is a generator bug (listed in the report), not a
data point; agreement is measured over the files clamscan does detect. See README.md.
"""

import argparse
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean when run from ctest
sys.path.insert(0, HERE)

import report  # noqa: E402
import scanners  # noqa: E402
import sigparse  # noqa: E402
import synth  # noqa: E402

SKIP = 77


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sigfiles", nargs="+", metavar="SIGFILE", help=".ldb/.ndb file, maybe .gz")
    p.add_argument("--vigil-scan", help="vigil-scan binary (default: ../../build/scanner-cli/"
                   "vigil-scan next to this script, else from PATH)")
    p.add_argument("--sample", type=int, help="at most N signatures from each SIGFILE (seeded)")
    p.add_argument("--seed", type=int, default=1, help="seed for sampling and filler (1)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="generator processes")
    p.add_argument("--out", help="keep generated files, database and report here")
    p.add_argument("--report", help="write the detailed report here")
    p.add_argument("--min-agreement", type=float, help="fail below this agreement percentage")
    p.add_argument("--no-extra", action="store_true", help="fail on any Vigil-extra detection")
    p.add_argument("--skip-missing", action="store_true",
                   help="exit 77 (skipped) when a SIGFILE or clamscan is absent")
    args = p.parse_args(argv)
    if args.sample is not None and args.sample < 1:
        p.error("--sample must be at least 1")
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def select(args):
    """Reads every SIGFILE; returns [(fmt, line)] in file order, sampled per file."""
    chosen = []
    for path in args.sigfiles:
        lines = list(sigparse.read(path))
        if args.sample is not None and len(lines) > args.sample:
            picks = sorted(random.Random("%d/%s" % (args.seed, os.path.basename(path)))
                           .sample(range(len(lines)), args.sample))
            lines = [lines[i] for i in picks]
        chosen += lines
    return chosen


def _generate_one(task):
    index, fmt, line, seed, flevel, files_dir = task
    name = line.split(";" if fmt == "ldb" else ":", 1)[0]
    try:
        sig = sigparse.parse_line(fmt, line)
        synth.check_conditions(sig, flevel)
        generated = synth.Generator(sig, seed).generate()
    except sigparse.Unsupported as e:
        return index, name, fmt, line, None, str(e), e.detail
    except RecursionError:
        return index, name, fmt, line, None, "signature too deeply nested", ""
    file_name = "%06d" % index
    with open(os.path.join(files_dir, file_name), "wb") as f:
        f.write(generated.data)
    return index, sig.name, fmt, line, file_name, None, ""


def generate(lines, args, flevel, files_dir):
    tasks = [(i, fmt, line, args.seed, flevel, files_dir) for i, (fmt, line) in enumerate(lines)]
    if args.jobs == 1:
        return [_generate_one(t) for t in tasks]
    with multiprocessing.Pool(args.jobs) as pool:
        return sorted(pool.imap_unordered(_generate_one, tasks, chunksize=64))


def write_database(results, db_dir):
    by_fmt = {}
    for _, _, fmt, line, file_name, _, _ in results:
        if file_name is not None:
            by_fmt.setdefault(fmt, []).append(line)
    for fmt, lines in by_fmt.items():
        with open(os.path.join(db_dir, "conformance." + fmt), "w", encoding="latin-1") as f:
            f.write("".join(line + "\n" for line in lines))


def main(argv):
    args = parse_args(argv)
    missing = [p for p in args.sigfiles if not os.path.exists(p)]
    if not shutil.which("clamscan"):
        missing.append("clamscan")
    if missing:
        print("%s: %s not found" % ("SKIP" if args.skip_missing else "error",
                                   ", ".join(missing)))
        return SKIP if args.skip_missing else 2
    vigil = scanners.find_vigil(args.vigil_scan, HERE)
    if vigil is None:
        print("error: %s" % ("--vigil-scan %s: not an executable file" % args.vigil_scan
                             if args.vigil_scan else
                             "vigil-scan not found; pass --vigil-scan PATH"), file=sys.stderr)
        return 2
    out = args.out or tempfile.mkdtemp(prefix="vigil-conformance.")
    files_dir, db_dir = os.path.join(out, "files"), os.path.join(out, "db")
    for d in (files_dir, db_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    try:
        started = time.monotonic()
        lines = select(args)
        results = generate(lines, args, scanners.clamscan_flevel(), files_dir)
        write_database(results, db_dir)
        rejected, clam, vigil_run = {}, {}, ({}, 0, 0, "")
        if os.listdir(db_dir):  # with nothing generated there is nothing to scan
            rejected = {line: msg for line, msg in scanners.prune_database(db_dir)}
            for _, _, _, line, file_name, _, _ in results:
                if file_name is not None and line in rejected:
                    os.remove(os.path.join(files_dir, file_name))
            clam = scanners.run_clamscan(db_dir, files_dir)
            vigil_run = scanners.run_vigil(vigil, db_dir, files_dir)
        summary = report.Summary(args, results, rejected, clam, *vigil_run)
        text = summary.render(time.monotonic() - started)
        print(text, end="")
        report_path = args.report or (os.path.join(out, "report.txt") if args.out else None)
        if report_path:
            with open(report_path, "w", encoding="utf-8") as f:
                f.write(text + "\n" + summary.details())
        return summary.exit_status()
    except (RuntimeError, ValueError, OSError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
