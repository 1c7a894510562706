#!/usr/bin/env python3
"""Turn the logs of one compare.sh run into a verdict and a Markdown report.

Reads <workdir>/runs/<count>/<tool>.{load,scan}.{out,err,time,rc,wall_ns} as written by
compare.sh, parses each tool's detections, and checks them against <corpus>/planted.txt: every
planted positive must be found by every tool, and nothing else may be reported. Any difference
(a missed or extra detection, an error exit, a wrong signature or file count) is printed loudly
and makes the exit status 1. The table goes to stdout and, with --append, to RESULTS.md.
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys

TOOL_LABEL = {"vigil": "vigil-scan", "clamscan": "clamscan", "yara": "yara"}
MIB = 1024 * 1024

RESULTS_HEADER = """# Vigil benchmark results

Whole-program comparisons of `vigil-scan` against `clamscan` (ClamAV) and `yara`, made by
`bench/compare.sh` (see bench/README.md). Each section below was appended by one run and
records the exact command, the machine and the tool versions.

Method, in short:
- Corpus: copies of the machine's own files from /usr/bin, /usr/lib and /usr/share in a fixed
  pseudo-random order (so the bytes depend on the machine's installed packages), plus
  `planted/` files that each embed one generated signature, in random data or inside a copy
  of a real file (ELF, gzip, PNG, zip, PDF, text), with gaps at their minimum, maximum or a
  random length.
- Signatures: N generated body signatures (70% plain 12-32 random bytes, 20% with `??`
  wildcards, 10% with `{n-m}` gaps), as ClamAV `.ndb` for vigil-scan and clamscan and as the
  equivalent YARA hex strings (one rule per signature) for yara.
- Every tool single-threaded (`vigil-scan -j 1`, `yara -p 1`; clamscan is single-threaded),
  clamscan with archive/format parsers, heuristics and bytecode off and size and depth
  limits lifted, so that all three do the same job: raw body-signature matching. clamscan
  gets a tmpfs `--tempdir`: it makes and removes a temporary directory per scanned file, and
  on this machine's disk-backed /tmp that alone cost it 5-10x in wall time.
- Load = wall time on an empty file (parse + compile). Scan = wall time on the corpus minus
  load. Throughput = corpus bytes / scan time (MiB/s). The same from user+system CPU time
  ("MiB per CPU-s") is also given: on a shared machine it is the steadier of the two. Peak
  RSS = "Maximum resident set size" of the corpus run. Warm page cache. Ratios are
  vigil / peer: above 1 is better for throughput, below 1 for load time and RSS.
- The run fails unless all three tools report exactly the planted positives.
"""


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def corpus_stats(corpus):
    files = size = 0
    for dirpath, _, names in os.walk(os.path.join(corpus, "files")):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def rel(path, corpus):
    """A reported path relative to the scanned directory <corpus>/files."""
    root = os.path.join(corpus, "files")
    path = os.path.normpath(path)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else path


def parse_found(text, corpus):
    """'PATH: NAME FOUND' lines (vigil-scan and clamscan) -> {(file, name)}."""
    found = set()
    for line in text.splitlines():
        if line.endswith(" FOUND") and ": " in line:
            path, name = line[: -len(" FOUND")].rsplit(": ", 1)
            name = name.removesuffix(".UNOFFICIAL")
            found.add((rel(path, corpus), name))
    return found


def parse_yara(text, corpus):
    """'RULE PATH' lines -> {(file, name)}; rule Bench_Sig_7 is signature Bench.Sig.7."""
    found = set()
    for line in text.splitlines():
        if " " in line:
            rule, path = line.split(" ", 1)
            found.add((rel(path, corpus), rule.replace("_", ".")))
    return found


def summary_field(text, label):
    m = re.search(r"^%s:\s*([0-9.]+)" % re.escape(label), text, re.M)
    return m.group(1) if m else None


def max_rss_kib(time_text):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_text)
    return int(m.group(1)) if m else None


def cpu_seconds(time_text):
    """User + system CPU time from /usr/bin/time -v; robust where wall time is not."""
    user = re.search(r"User time \(seconds\): ([0-9.]+)", time_text)
    system = re.search(r"System time \(seconds\): ([0-9.]+)", time_text)
    return float(user.group(1)) + float(system.group(1)) if user and system else None


def noise_floor(total):
    """Smallest total-minus-load difference taken as a measurement: 5% of the total, 50 ms."""
    return max(0.05, 0.05 * total)


class Run:
    """One tool at one signature count."""

    def __init__(self, run_dir, tool, corpus):
        self.tool = tool

        def part(kind, ext):
            return read(os.path.join(run_dir, f"{tool}.{kind}.{ext}"))

        self.load_rc = int(part("load", "rc") or -1)
        self.scan_rc = int(part("scan", "rc") or -1)
        self.load_out, self.scan_out = part("load", "out"), part("scan", "out")
        self.load_s = int(part("load", "wall_ns") or 0) / 1e9
        self.total_s = int(part("scan", "wall_ns") or 0) / 1e9
        self.scan_s = self.total_s - self.load_s
        self.scan_mark = ""
        self.rss_kib = max_rss_kib(part("scan", "time"))
        load_cpu, total_cpu = cpu_seconds(part("load", "time")), cpu_seconds(part("scan", "time"))
        self.scan_cpu = None if load_cpu is None or total_cpu is None else total_cpu - load_cpu
        # A difference within the run-to-run noise of the load is no measurement. For
        # vigil-scan its own summary's scan time stands in (marked); otherwise n/a.
        if self.scan_s < noise_floor(self.total_s):
            own = summary_field(self.scan_out, "Scan time") if tool == "vigil" else None
            self.scan_s, self.scan_mark = (float(own), " †") if own else (None, "")
        if self.scan_cpu is not None and self.scan_cpu < noise_floor(total_cpu):
            self.scan_cpu = None
        self.cpu_share = total_cpu / self.total_s if total_cpu and self.total_s > 0 else None
        self.scan_err = part("scan", "err") + part("load", "err")
        parse = parse_yara if tool == "yara" else parse_found
        self.found = parse(self.scan_out, corpus)


def check(run, n, expected, corpus_files):
    """Problems with one run, as human-readable strings."""
    issues = []
    label = TOOL_LABEL[run.tool]
    ok_rc = {"vigil": (0, 1), "clamscan": (0, 1), "yara": (0,)}[run.tool]
    if run.load_rc not in (0,):
        issues.append(f"{label} load-only run exited {run.load_rc}")
    if run.scan_rc not in ok_rc:
        issues.append(f"{label} corpus run exited {run.scan_rc}")
    if run.scan_err.strip():
        lines = run.scan_err.strip().splitlines()
        issues.append(f"{label} wrote {len(lines)} line(s) to stderr, first: {lines[0]!r}")
    for f, s in sorted(expected - run.found):
        issues.append(f"{label} MISSED planted {s} in {f}")
    for f, s in sorted(run.found - expected):
        issues.append(f"{label} reported {s} in {f}, which is not a planted positive")
    loaded_label = {"vigil": "Signatures loaded", "clamscan": "Known viruses"}.get(run.tool)
    if loaded_label:
        loaded = summary_field(run.load_out, loaded_label)
        if loaded is None:
            issues.append(f"{label} printed no '{loaded_label}' line")
        elif int(loaded) != n:
            issues.append(f"{label} loaded {loaded} signatures, expected {n}")
        scanned = summary_field(run.scan_out, "Scanned files")
        if scanned is not None and int(scanned) != corpus_files:
            issues.append(f"{label} scanned {scanned} files, corpus has {corpus_files}")
    return issues


def fmt(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if out.returncode == 0 and text else "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def cpu_pressure(path):
    """'avg60' of the 'some' line of a saved /proc/pressure/cpu: the share of the last minute
    in which some runnable task waited for a CPU (PSI)."""
    m = re.search(r"^some avg10=\S+ avg60=([0-9.]+)", read(path), re.M)
    return f"{m.group(1)}%" if m else "?"


def machine_lines(runs_dir, vigil_scan, tools, loadavg, pressure):
    cpu = re.search(r"^model name\s*:\s*(.*)$", read("/proc/cpuinfo"), re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)", read("/proc/meminfo"), re.M)
    commit = read(os.path.join(runs_dir, "git-describe")).strip() or "unknown"
    versions = []
    if "vigil" in tools:
        try:
            built = datetime.datetime.fromtimestamp(os.path.getmtime(vigil_scan),
                                                    datetime.timezone.utc)
            built = built.strftime("%Y-%m-%d %H:%M UTC")
        except OSError:
            built = "?"
        versions.append(f"{tool_version([vigil_scan, '--version'])} (binary built {built}; "
                        f"tree at start of run: {commit})")
    if "clamscan" in tools:
        versions.append(tool_version(["clamscan", "--version"]))
    if "yara" in tools:
        versions.append("YARA " + tool_version(["yara", "--version"]))
    return [
        f"- Machine: {cpu.group(1) if cpu else 'unknown CPU'}, nproc {os.cpu_count()}, "
        f"{int(mem.group(1)) // 1024 // 1024 if mem else '?'} GiB RAM, "
        f"{platform.system()} {platform.release()}; load average at start: {loadavg}; "
        f"CPU pressure (PSI some avg60) at start/end: {pressure}",
        "- Tools: " + "; ".join(versions),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--sigs", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--vigil-scan", default="")
    ap.add_argument("--append", help="append the report to this RESULTS.md")
    args = ap.parse_args()

    corpus = os.path.normpath(os.path.abspath(args.corpus))
    counts = [int(c) for c in args.sigs.split(",")]
    tools = args.tools.split(",")
    expected = set()
    for line in read(os.path.join(corpus, "planted.txt")).splitlines():
        f, s = line.split()
        expected.add((f, s))
    corpus_files, corpus_bytes = corpus_stats(corpus)

    rows, ratio_rows, issues, all_runs, self_timed = [], [], [], [], []
    marked = False
    for n in counts:
        runs = {t: Run(os.path.join(args.workdir, "runs", str(n)), t, corpus) for t in tools}
        for t, r in runs.items():
            all_runs.append((n, t, r))
            issues += [f"{n} sigs: {msg}" for msg in check(r, n, expected, corpus_files)]
            mibs = corpus_bytes / MIB / r.scan_s if r.scan_s else None
            r.mibs = mibs
            r.cpu_mibs = corpus_bytes / MIB / r.scan_cpu if r.scan_cpu else None
            marked = marked or bool(r.scan_mark)
            rss = r.rss_kib / 1024 if r.rss_kib else None
            r.rss_mib = rss
            hits = len(r.found & expected)
            rows.append(f"| {n} | {TOOL_LABEL[t]} | {fmt(r.load_s)} | "
                        f"{fmt(r.scan_s)}{r.scan_mark} | {fmt(r.total_s)} | "
                        f"{fmt(mibs, 1)}{r.scan_mark} | {fmt(r.scan_cpu, 2)} | "
                        f"{fmt(r.cpu_mibs, 1)} | {fmt(rss, 0)} | "
                        f"{hits}/{len(expected)} | {len(r.found - expected)} |")
        if "vigil" in runs:
            v = runs["vigil"]
            own = [summary_field(v.scan_out, k) for k in ("Load time", "Scan time")]
            if None not in own:
                self_timed.append(f"{n} sigs: load {own[0]} s, scan {own[1]} s")
            for peer in (t for t in tools if t != "vigil"):
                p = runs[peer]
                ratio_rows.append(
                    f"| {n} | {TOOL_LABEL[peer]} | "
                    f"{fmt(ratio(v.mibs, p.mibs), 2)}{v.scan_mark or p.scan_mark} | "
                    f"{fmt(ratio(v.cpu_mibs, p.cpu_mibs), 2)} | "
                    f"{fmt(ratio(v.load_s, p.load_s), 2)} | "
                    f"{fmt(ratio(v.rss_mib, p.rss_mib), 2)} |")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    loadavg = " ".join(read(os.path.join(args.workdir, "runs", "loadavg")).split()[:3]) or "?"
    out = [f"## {stamp}", "", f"Command: `{args.command}`", ""]
    runs_dir = os.path.join(args.workdir, "runs")
    pressure = (f"{cpu_pressure(os.path.join(runs_dir, 'pressure-start'))} / "
                f"{cpu_pressure(os.path.join(runs_dir, 'pressure-end'))}")
    out += machine_lines(runs_dir, args.vigil_scan, tools, loadavg, pressure)
    out += [f"- Corpus: {corpus_files} files, {corpus_bytes / MIB:.1f} MiB "
            f"({read(os.path.join(corpus, '.stats')).strip()}); "
            f"{len(expected)} planted positives", ""]
    out += ["| sigs | tool | load s | scan s | total s | scan MiB/s | scan CPU s | "
            "MiB per CPU-s | peak RSS MiB | planted found | other reports |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"] + rows + [""]
    if marked:
        out += ["† Total minus load was within the noise of the load time (under 5% of the "
                "total), so vigil-scan's own summary \"Scan time\" is used: wall time from the "
                "start of the walk to the last verdict, in the same process. n/a in a CPU column "
                "means the same for CPU time.", ""]
    if ratio_rows:
        out += ["| sigs | vigil vs | throughput ratio, wall (>1 better) | "
                "throughput ratio, CPU (>1 better) | load-time ratio (<1 better) | "
                "peak-RSS ratio (<1 better) |", "|---:|---|---:|---:|---:|---:|"]
        out += ratio_rows + [""]
    if self_timed:
        out += ["vigil-scan's own summary of the corpus runs (a cross-check on the subtraction): "
                + "; ".join(self_timed) + ".", ""]
    starved = [f"{TOOL_LABEL[t]} at {n} sigs: {r.cpu_share:.0%}" for n, t, r in all_runs
               if r.cpu_share is not None and r.cpu_share < 0.8]
    if starved:
        out += ["Note: some corpus runs got well under one full CPU, so their wall times are "
                "inflated by contention (compare the CPU columns): " + "; ".join(starved) + ".",
                ""]
    if issues:
        out += [f"**DISAGREEMENT: {len(issues)} problem(s).**", ""]
        out += [f"- {msg}" for msg in issues] + [""]
    else:
        out += [f"Agreement: {', '.join(TOOL_LABEL[t] for t in tools)} each reported exactly "
                f"the {len(expected)} planted positives at every signature count.", ""]
    report = "\n".join(out)
    print(report)

    if args.append:
        new = not os.path.exists(args.append)
        with open(args.append, "a") as f:
            if new:
                f.write(RESULTS_HEADER)
            f.write("\n" + report)
    if issues:
        print(f"compare: DISAGREEMENT ({len(issues)} problem(s)):", file=sys.stderr)
        for msg in issues:
            print(f"compare:   {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
