#!/usr/bin/env bash
# real_sigs.sh [--corpus-mb 256] [--runs R] [--modes full,raw] [options]
#
# Vigil against clamscan on ClamAV's real signature set (/work/shared/sigdata/clamav-cvd-extract:
# main-dev.ldb, main.hdb, daily.hdb, daily.ndb, main.fp, daily.fp), all of it loaded at once:
#   1. Loading: clamscan on an empty file, vigil-scan from the sources, `vigil-dat compile` of
#      the same sources into an unsigned DAT (time, size), vigil-scan from that DAT. Wall time
#      and peak RSS; load-only runs are repeated max(R, 3) times and the fastest is kept.
#   2. False positives: both tools, --allmatch, over the clean corpus (this machine's own files,
#      OUTDIR/files/system of make_corpus.sh; the generated planted/ files are left out). The
#      FOUND lines are compared per top-level file and name; any difference is printed and
#      makes the exit status 1.
#   3. Throughput on that corpus, single-threaded (vigil-scan -j 1), the full set loaded:
#      scan time = corpus run - load run (as compare.sh), MiB/s, vigil/clamscan ratio; vigil-scan
#      from the sources and from the DAT. Corpus runs are repeated R times, fastest kept.
# Plus how many of main-dev.ldb's logical signatures vigil-scan compiled, and why the others
# were rejected (its load diagnostics, grouped by reason); and, per mode, the floor: vigil-scan
# with a DAT of one signature that matches nothing over the same corpus (the same walk, reads,
# decompression, typing and text layers, no real signatures), the most any matcher could make
# of the full set on this machine.
#
# Modes (each one runs 2 and 3):
#   full  both tools as shipped: archives, format parsers (PE, PDF, mail...) on, default limits;
#         clamscan only gets --max-dir-recursion=255 (it silently skips deeper files otherwise)
#         and a tmpfs --tempdir (it makes a directory per scanned file).
#   raw   matching only: vigil-scan --no-archive; clamscan with compare.sh's CLAM_FLAGS
#         (archive and format parsers, heuristics and bytecode off, limits lifted).
# Both tools get the same decompressed files (clamscan does not read .gz); vigil-scan gets
# --skip-bad-signatures (some conditions are not supported) and --unofficial-suffix (so names
# compare with clamscan's "NAME.UNOFFICIAL"); the DAT is compiled with the same two options.
# Wall time from date(1) at nanosecond resolution, peak RSS and CPU time from /usr/bin/time -v,
# corpus re-read before every corpus run (warm page cache). Run it under nice on a shared box.
#
# Options:
#   --corpus-mb N   corpus size in MiB (default 256; shared with compare.sh --corpus-mb N)
#   --runs R        repeat each corpus run R times, keep the fastest (default 1)
#   --modes LIST    full, raw or full,raw (default full,raw)
#   --sigdata DIR   the .gz files (default /work/shared/sigdata/clamav-cvd-extract)
#   --workdir DIR   decompressed signatures, DAT and logs (default <repo>/build-bench/real_sigs)
#   --no-append     do not append the report to bench/RESULTS.md
# Env: VIGIL_SCAN, VIGIL_DAT (default <repo>/build/scanner-cli/vigil-scan, build/dat/vigil-dat)
# Exit: 0 both tools report the same detections in every mode; 1 a difference or a tool error;
#       2 usage or setup error.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
COMMAND="bench/real_sigs.sh${*:+ $*}"
CORPUS_MB=256 RUNS=1 MODES=full,raw APPEND=1
SIGDATA=/work/shared/sigdata/clamav-cvd-extract
WORK=$REPO/build-bench/real_sigs
die() { echo "real_sigs: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --corpus-mb) CORPUS_MB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --sigdata) SIGDATA=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive count"
[[ $CORPUS_MB =~ ^[1-9][0-9]*$ ]] || die "--corpus-mb wants a positive size"
[[ $MODES =~ ^(full|raw)(,(full|raw))?$ ]] || die "--modes wants full, raw or full,raw"
IFS=, read -r -a MODE_LIST <<< "$MODES"
LOAD_RUNS=$((RUNS < 3 ? 3 : RUNS))
SIG_FILES=(main-dev.ldb main.hdb daily.hdb daily.ndb main.fp daily.fp)

VIGIL_SCAN=${VIGIL_SCAN:-$REPO/build/scanner-cli/vigil-scan}
VIGIL_DAT=${VIGIL_DAT:-$REPO/build/dat/vigil-dat}
[[ -x $VIGIL_SCAN ]] || die "no vigil-scan at $VIGIL_SCAN (build it, or set VIGIL_SCAN)"
[[ -x $VIGIL_DAT ]] || die "no vigil-dat at $VIGIL_DAT (build it, or set VIGIL_DAT)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
command -v clamscan > /dev/null || die "clamscan not found (apt-get install clamav)"
for f in "${SIG_FILES[@]}"; do
  [[ -r $SIGDATA/$f.gz ]] || die "$SIGDATA/$f.gz missing (the real signature set is not here)"
done

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
SIGDIR=$WORK/sigs RUN_DIR=$WORK/runs DAT=$WORK/real.vdat EMPTY=$WORK/empty.bin
FLOOR_SIGS=$WORK/floor-sigs FLOOR_DAT=$WORK/floor.vdat
rm -rf "$SIGDIR" "$RUN_DIR" "$DAT" "$FLOOR_SIGS" "$FLOOR_DAT"
mkdir -p "$SIGDIR" "$RUN_DIR" "$FLOOR_SIGS"
for f in "${SIG_FILES[@]}"; do gzip -dc "$SIGDATA/$f.gz" > "$SIGDIR/$f"; done
: > "$EMPTY"
# The floor's one signature: bytes no corpus file holds (a match would exit 1 as an error).
printf 'Floor.Marker:0:*:%s\n' "$(printf 'VIGIL-FLOOR-NO-SUCH-BYTES' | od -An -tx1 | tr -d ' \n')" \
  > "$FLOOR_SIGS/floor.ndb"

# The corpus compare.sh builds for --corpus-mb N (same seed and planted set), so either script
# reuses the other's copy; only its system/ half is scanned here.
CORPUS=$REPO/build-bench/compare/corpus-${CORPUS_MB}mb-seed1
"$HERE/make_corpus.sh" "$CORPUS" "$CORPUS_MB" --seed 1 --planted 50 --plant-from 1000
FILES=$CORPUS/files/system
[[ -d $FILES ]] ||
  die "no system files in $CORPUS: --corpus-mb must leave room for the ~22 MB of planted files"

TMP_ROOT=/dev/shm
[[ -d $TMP_ROOT && -w $TMP_ROOT ]] || TMP_ROOT=${TMPDIR:-/tmp}
CLAM_TMP=$(mktemp -d "$TMP_ROOT/vigil-realsigs-clamtmp.XXXXXX")
trap 'rm -rf "$CLAM_TMP"' EXIT
CLAM_FULL=(-r -i --allmatch --tempdir="$CLAM_TMP" --max-dir-recursion=255)
CLAM_RAW=("${CLAM_FULL[@]}" --max-filesize=2000M --max-scansize=2000M --max-scantime=0
  --scan-archive=no --scan-pe=no --scan-elf=no --scan-ole2=no --scan-pdf=no --scan-html=no
  --scan-mail=no --scan-swf=no --scan-xmldocs=no --scan-hwp3=no --scan-onenote=no
  --scan-image=no --scan-image-fuzzy-hash=no --heuristic-alerts=no --bytecode=no)
VIGIL_SRC=(-j 1 --skip-bad-signatures --unofficial-suffix --no-cache -d "$SIGDIR")
VIGIL_VDAT=(-j 1 --allow-unsigned --no-cache -d "$DAT")
VIGIL_FULL=(-r -i --allmatch)
VIGIL_RAW=("${VIGIL_FULL[@]}" --no-archive)

# run_timed N NAME CMD...: see run_timed.sh.
RUN_TIMED_WIDTH=22
# shellcheck source=run_timed.sh
source "$HERE/run_timed.sh"
warm() { find "$FILES" -type f -print0 | xargs -0 cat > /dev/null; }

cut -d' ' -f1-3 /proc/loadavg > "$RUN_DIR/loadavg-start"
cat /proc/pressure/cpu > "$RUN_DIR/pressure-start" 2> /dev/null || true
git -C "$REPO" describe --always --dirty > "$RUN_DIR/git-describe" 2> /dev/null ||
  echo "no commit" > "$RUN_DIR/git-describe"

echo "real_sigs: loading the full set" >&2
run_timed "$LOAD_RUNS" load.vigil-src "$VIGIL_SCAN" "${VIGIL_SRC[@]}" "$EMPTY"
run_timed 1 compile.dat "$VIGIL_DAT" compile "$SIGDIR" -o "$DAT" --version 1 \
  --skip-bad-signatures --unofficial-suffix
[[ -f $DAT ]] || die "vigil-dat compile failed: $(tail -3 "$RUN_DIR/compile.dat.err")"
"$VIGIL_DAT" info "$DAT" > "$RUN_DIR/dat.info" 2>&1 || true
run_timed "$LOAD_RUNS" load.vigil-dat "$VIGIL_SCAN" "${VIGIL_VDAT[@]}" "$EMPTY"
run_timed 1 compile.floor "$VIGIL_DAT" compile "$FLOOR_SIGS" -o "$FLOOR_DAT" --version 1
[[ -f $FLOOR_DAT ]] || die "vigil-dat compile of the floor failed: $(tail -3 "$RUN_DIR/compile.floor.err")"
VIGIL_FLOOR=(-j 1 --allow-unsigned --no-cache -d "$FLOOR_DAT")
for mode in "${MODE_LIST[@]}"; do
  if [[ $mode == full ]]; then clam=("${CLAM_FULL[@]}"); vig=("${VIGIL_FULL[@]}")
  else clam=("${CLAM_RAW[@]}"); vig=("${VIGIL_RAW[@]}"); fi
  run_timed "$LOAD_RUNS" "load.clamscan.$mode" clamscan "${clam[@]}" -d "$SIGDIR" "$EMPTY"
  echo "real_sigs: corpus, mode $mode" >&2
  warm
  run_timed "$RUNS" "scan.clamscan.$mode" clamscan "${clam[@]}" -d "$SIGDIR" "$FILES"
  warm
  run_timed "$RUNS" "scan.vigil-src.$mode" "$VIGIL_SCAN" "${VIGIL_SRC[@]}" "${vig[@]}" "$FILES"
  warm
  run_timed "$RUNS" "scan.vigil-dat.$mode" "$VIGIL_SCAN" "${VIGIL_VDAT[@]}" "${vig[@]}" "$FILES"
  warm
  run_timed "$RUNS" "floor.$mode" "$VIGIL_SCAN" "${VIGIL_FLOOR[@]}" "${vig[@]}" "$FILES"
done
cut -d' ' -f1-3 /proc/loadavg > "$RUN_DIR/loadavg-end"
cat /proc/pressure/cpu > "$RUN_DIR/pressure-end" 2> /dev/null || true

export HERE REPO COMMAND RUN_DIR SIGDIR DAT FILES MODES VIGIL_SCAN RUNS LOAD_RUNS
export CLAM_FULL_STR="${CLAM_FULL[*]}" CLAM_RAW_STR="${CLAM_RAW[*]}"
APPEND_TO=""
[[ $APPEND == 1 ]] && APPEND_TO=$HERE/RESULTS.md
export APPEND_TO
python3 - <<'EOF'
import collections, datetime, os, platform, re, subprocess, sys

sys.path.insert(0, os.environ["HERE"])
from report import cpu_pressure, cpu_seconds, max_rss_kib, read, summary_field  # noqa: E402

E = os.environ
run_dir, sigdir, files_root = E["RUN_DIR"], E["SIGDIR"], os.path.normpath(E["FILES"])
repo, modes = E["REPO"], E["MODES"].split(",")
MIB = 1024 * 1024
TOOLS = [("clamscan", "clamscan"), ("vigil-src", "vigil-scan, sources"),
         ("vigil-dat", "vigil-scan, DAT")]


def log(name, ext=None):
    return read(os.path.join(run_dir, f"{name}.{ext}" if ext else name)).strip()


def wall(name):
    return int(log(name, "wall_ns")) / 1e9


def load_name(tool, mode):
    return f"load.clamscan.{mode}" if tool == "clamscan" else f"load.{tool}"


def top_file(path):
    """A reported path ('FILE' or, for vigil-scan, 'FILE/member/...') -> FILE, corpus-relative."""
    path = os.path.normpath(path)
    while path.startswith(files_root + os.sep) and not os.path.isfile(path):
        path = os.path.dirname(path)
    return os.path.relpath(path, files_root)


def found(name):
    hits = collections.defaultdict(set)
    for line in log(name, "out").splitlines():
        if line.endswith(" FOUND") and ": " in line:
            path, sig = line[: -len(" FOUND")].rsplit(": ", 1)
            hits[(top_file(path), sig)].add(path)
    return hits


corpus_files = corpus_bytes = 0
for dirpath, _, names in os.walk(files_root):
    for n in names:
        corpus_files += 1
        corpus_bytes += os.path.getsize(os.path.join(dirpath, n))
problems = []
for name in sorted(f[: -len(".rc")] for f in os.listdir(run_dir) if f.endswith(".rc")):
    rc = int(log(name, "rc"))
    if rc not in (0, 1) or (rc == 1 and not name.startswith("scan.")):
        problems.append(f"{name}: exit {rc}: {log(name, 'err').strip()[-300:]}")

# Signature counts.
lines = {f: sum(1 for l in read(os.path.join(sigdir, f)).splitlines() if l.strip())
         for f in sorted(os.listdir(sigdir))}
# Errors (malformed lines) and "warning: skipped: ..." (constructs this engine does not run).
diag = re.compile(r"^(?:.*/)?([^/:]+):(\d+): (?:error|warning: skipped): (.*?)(?: \[([^\]]*)\])?$")
rejected = collections.Counter()
reasons = collections.OrderedDict()
for line in log("load.vigil-src", "err").splitlines():
    m = diag.match(line)
    if not m:
        continue
    rejected[m.group(1)] += 1
    reason = re.sub(r"(subsignature|column) \d+", r"\1 N", m.group(3))
    reasons.setdefault((m.group(1), reason), []).append(m.group(4) or f"line {m.group(2)}")
known = summary_field(log("load.clamscan.full" if "full" in modes else "load.clamscan.raw",
                          "out"), "Known viruses")
loaded = summary_field(log("load.vigil-src", "out"), "Signatures loaded")
loaded_dat = summary_field(log("load.vigil-dat", "out"), "Signatures loaded")
fp_lines = sum(n for f, n in lines.items() if f.endswith(".fp"))
sig_lines = sum(lines.values()) - fp_lines
if loaded and int(loaded) != sig_lines - sum(rejected.values()):
    problems.append(f"vigil-scan loaded {loaded} signatures, expected {sig_lines} lines - "
                    f"{sum(rejected.values())} rejected")

out = []
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
cpu = re.search(r"^model name\s*:\s*(.*)$", read("/proc/cpuinfo"), re.M)
mem = re.search(r"^MemTotal:\s*(\d+)", read("/proc/meminfo"), re.M)
ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
out += [f"### ClamAV's real signature set: vigil-scan vs clamscan ({now})", "",
        f"Command: `{E['COMMAND']}` (niceness {os.nice(0)}).",
        f"- Machine: {cpu.group(1) if cpu else '?'}, nproc {os.cpu_count()}, "
        f"{int(mem.group(1)) >> 20 if mem else '?'} GiB RAM, {platform.system()} "
        f"{platform.release()}; load average start/end: {log('loadavg-start')} / "
        f"{log('loadavg-end')}; CPU pressure (PSI some "
        f"avg60) start/end: {cpu_pressure(os.path.join(run_dir, 'pressure-start'))} / "
        f"{cpu_pressure(os.path.join(run_dir, 'pressure-end'))}",
        f"- Tools: {ver([E['VIGIL_SCAN'], '--version'])} (tree "
        f"{read(os.path.join(run_dir, 'git-describe')).strip()}); "
        f"{ver(['clamscan', '--version'])}",
        f"- Signatures: `clamav-cvd-extract` (main.cvd/daily.cvd of 2025-04-29), decompressed; "
        + ", ".join(f"{f} {n:,}" for f, n in lines.items()) + " lines.",
        f"- Corpus: `{os.path.relpath(files_root, repo)}` ({corpus_files:,} files, "
        f"{corpus_bytes:,} bytes = {corpus_bytes / MIB:.1f} MiB), this machine's own files.",
        "- vigil-scan: `-j 1 --skip-bad-signatures --unofficial-suffix --no-cache -d SIGDIR` "
        "(sources) or `-j 1 --allow-unsigned --no-cache -d real.vdat` (DAT), then "
        "`-r -i --allmatch` (raw: and `--no-archive`). clamscan, full: "
        f"`{E['CLAM_FULL_STR']}`; raw: compare.sh's flags (parsers, heuristics and bytecode "
        "off, limits lifted). Load-only runs: fastest of "
        f"{E['LOAD_RUNS']}; corpus runs: fastest of {E['RUNS']}.",
        "- Scan time: clamscan = corpus run - load run; vigil-scan = its own summary's \"Scan "
        "time\" (\"own\"; load excluded; it matches total - load wherever the load is small). "
        "CPU figures = user+system of the corpus run - the load run, shown where the load is "
        "under half of it. MiB/s = corpus bytes / scan time.", ""]

# 1. Loading.
out += ["| loading the full set | wall s | CPU s | peak RSS MiB | signatures |",
        "|---|---:|---:|---:|---|"]
def load_row(label, name, sigs):
    rss = max_rss_kib(log(name, "time"))
    out.append(f"| {label} | {wall(name):.3f} | {cpu_seconds(log(name, 'time')):.2f} | "
               f"{rss / 1024:.0f} | {sigs} |")
lm = "full" if "full" in modes else "raw"
every = ("= every line of the six files, the .fp entries included"
         if known and int(known) == sum(lines.values()) else f"of {sum(lines.values())} lines")
load_row("clamscan, empty file", f"load.clamscan.{lm}", f"Known viruses {known} ({every})")
load_row("vigil-scan from the sources", "load.vigil-src",
         f"Signatures loaded {loaded} (the {fp_lines} .fp entries are an allowlist, not counted)")
load_row("`vigil-dat compile` (once)", "compile.dat",
         f"DAT {os.path.getsize(E['DAT']):,} bytes, unsigned")
load_row("vigil-scan from the DAT", "load.vigil-dat", f"Signatures loaded {loaded_dat}")
ldb = lines.get("main-dev.ldb", 0)
ok = ldb - rejected["main-dev.ldb"]
out += ["", f"Logical signatures compiled: {ok:,} of main-dev.ldb's {ldb:,} "
        f"({100 * ok / ldb:.2f}%); {sum(rejected.values())} lines rejected in all "
        f"(clamscan loads every line). Rejections by reason:", "",
        "| file | reason (vigil-scan's diagnostic) | lines | e.g. |", "|---|---|---:|---|"]
for (f, reason), names in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
    out.append(f"| {f} | {reason} | {len(names)} | {', '.join(names[:2])} |")

# 2 and 3, per mode.
TESTFILES = "usr/share/clamav-testfiles/"
for mode in modes:
    scans = {t: f"scan.{t}.{mode}" for t, _ in TOOLS}
    hits = {t: found(n) for t, n in scans.items()}
    what = "archives and format parsers on" if mode == "full" else "matching only"
    out += ["", f"**Mode {mode}** ({what}).", "",
            "| tool | corpus run s | load s | total - load s | own scan s | MiB/s | "
            "CPU total - load s | MiB per CPU-s | peak RSS MiB | files with detections |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    tput = {}
    for t, label in TOOLS:
        s, l = scans[t], load_name(t, mode)
        diff = wall(s) - wall(l)
        cdiff = cpu_seconds(log(s, "time")) - cpu_seconds(log(l, "time"))
        # A difference is trusted only when the load is under half the corpus run; with the
        # sources vigil-scan loads for 10 s and more, so its own scan timer is used instead.
        own = summary_field(log(s, "out"), "Scan time") if t != "clamscan" else None
        scan = float(own) if own else (diff if wall(l) < wall(s) / 2 else None)
        cscan = cdiff if cpu_seconds(log(l, "time")) < cpu_seconds(log(s, "time")) / 2 else None
        tput[t] = tuple(corpus_bytes / MIB / x if x and x > 0 else None for x in (scan, cscan))
        fmt = lambda x, spec: "n/a" if x is None else format(x, spec)
        out.append(f"| {label} | {wall(s):.2f} | {wall(l):.2f} | {diff:.2f} | {own or '-'} | "
                   f"{fmt(tput[t][0], '.1f')} | {fmt(cscan, '.2f')} | {fmt(tput[t][1], '.1f')} "
                   f"| {max_rss_kib(log(s, 'time')) / 1024:.0f} | "
                   f"{len({f for f, _ in hits[t]})} |")
    ratio = lambda t, i: ("n/a" if not (tput[t][i] and tput["clamscan"][i])
                          else f"{tput[t][i] / tput['clamscan'][i]:.1f}x")
    out += ["", f"Throughput vigil/clamscan, {mode}: " + "; ".join(
        f"{label} {ratio(t, 0)} (wall), {ratio(t, 1)} (CPU)" for t, label in TOOLS[1:])
        + " (the target is at least 50x)."]
    floor = summary_field(log(f"floor.{mode}", "out"), "Scan time")
    if floor and float(floor) > 0 and tput["clamscan"][0]:
        floor_tput = corpus_bytes / MIB / float(floor)
        out += ["", f"Floor, {mode}: vigil-scan with a one-signature DAT that matches nothing "
                f"scans the corpus in {floor} s (own): {floor_tput:.1f} MiB/s, "
                f"{floor_tput / tput['clamscan'][0]:.1f}x clamscan, the most any matcher could "
                "make of the full set here."]
    keys = set().union(*hits.values())
    rows = []
    for key in sorted(keys):
        have = [t for t, _ in TOOLS if key in hits[t]]
        if len(have) != len(TOOLS):
            problems.append(f"{mode}: {key[0]}: {key[1]}: reported by {', '.join(have)} only")
        inner = sorted({os.path.relpath(p, files_root) for t in have for p in hits[t][key]}
                       - {key[0]})
        kind = "ClamAV test file" if key[0].startswith(TESTFILES) else "**false positive?**"
        rows.append(f"| `{key[0]}` | {kind} | {key[1]} | {', '.join(have)} | "
                    + ", ".join(f"`{p}`" for p in inner) + " |")
    out += ["", f"Detections on the corpus, {mode}: {len(keys)}" + (":" if keys else ".")]
    if rows:
        out += ["", "| file | what | name | reported by | vigil-scan names the member |",
                "|---|---|---|---|---|"] + rows
    step = [l for l in log(scans["vigil-src"], "err").splitlines() if "step limit" in l]
    if step:
        names = [top_file(l.split(": warning: ", 1)[1].split(": not fully scanned")[0])
                 for l in step]
        out += ["", f"vigil-scan (sources) warned that {len(step)} file(s) were not fully "
                "scanned (candidate matches abandoned at the engine's step limit), e.g. "
                + ", ".join(f"`{n}`" for n in names[:4]) + "."]

if problems:
    out += ["", "**Differences and errors** (exit status 1):", ""] + [f"- {p}" for p in problems]
text = "\n".join(out) + "\n"
print(text)
for p in problems:
    print(f"real_sigs: {p}", file=sys.stderr)
if E.get("APPEND_TO"):
    with open(E["APPEND_TO"], "a") as f:
        f.write("\n" + text)
sys.exit(1 if problems else 0)
EOF
