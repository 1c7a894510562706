#!/usr/bin/env bash
# compare.sh [--sigs 1000,10000,100000] [--corpus-mb 512] [options]
#
# One command for the peer comparison: builds the corpus (make_corpus.sh) and one signature
# set per count (gen_sigs.py), runs vigil-scan, clamscan and yara single-threaded over the same
# corpus with the same signatures, then report.py checks that all three find exactly the
# planted positives, prints a Markdown table and appends it to bench/RESULTS.md.
#
# Each tool runs per count on an empty file (load time: parse + compile the signatures) and on
# the corpus (total time). Scan time = total - load; throughput = corpus bytes / scan time
# (report.py says when the difference is too small to trust). Wall time is taken with date(1) at nanosecond resolution, peak RSS from /usr/bin/time -v.
# The corpus is re-read before each corpus run so every tool sees a warm page cache. CPU time
# (user + system) is recorded too: on a shared machine it is steadier than wall time.
#
# Options:
#   --sigs LIST        signature counts (default 1000,10000,100000)
#   --corpus-mb N      corpus size in MiB (default 512)
#   --seed S           generator seed (default 1)
#   --planted K        planted positives (default 50), drawn from the first min(LIST) signatures
#   --tools LIST       subset of vigil,clamscan,yara (default all three)
#   --runs R           repeat each corpus run R times and keep the fastest (default 1);
#                      load-only runs are repeated max(R, 3) times
#   --workdir DIR      corpus, signatures and logs (default <repo>/build-bench/compare)
#   --no-append        do not append to bench/RESULTS.md
#   --dat              vigil-scan loads a DAT compiled (vigil-dat compile, unsigned) from the same
#                      .ndb instead of the .ndb itself; the DAT build is not timed
# Env: VIGIL_SCAN  the vigil-scan binary (default <repo>/build/scanner-cli/vigil-scan)
#      VIGIL_DAT   the vigil-dat binary (default <repo>/build/dat/vigil-dat)
# Exit: 0 all tools agree with the planted set; 1 disagreement or a tool error; 2 usage/setup.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
COMMAND="${VIGIL_SCAN:+VIGIL_SCAN=$VIGIL_SCAN }bench/compare.sh${*:+ $*}"

SIGS=1000,10000,100000 CORPUS_MB=512 SEED=1 PLANTED=50 TOOLS=vigil,clamscan,yara RUNS=1
WORK=$REPO/build-bench/compare APPEND=1 DAT=0
die() { echo "compare: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --sigs) SIGS=$2; shift 2 ;;
    --corpus-mb) CORPUS_MB=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --planted) PLANTED=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    --dat) DAT=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $SIGS =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sigs wants a comma list of counts, got '$SIGS'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive count"
# Scan time is total minus load, so the load figure gets at least three tries: with many
# signatures and a fast scanner the difference is small and only the fastest runs are clean.
LOAD_RUNS=$((RUNS < 3 ? 3 : RUNS))
IFS=, read -r -a COUNTS <<< "$SIGS"
IFS=, read -r -a TOOL_LIST <<< "$TOOLS"
PLANT_FROM=$(printf '%s\n' "${COUNTS[@]}" | sort -n | head -1)

VIGIL_SCAN=${VIGIL_SCAN:-$REPO/build/scanner-cli/vigil-scan}
VIGIL_DAT=${VIGIL_DAT:-$REPO/build/dat/vigil-dat}
[[ $DAT == 0 || -x $VIGIL_DAT ]] || die "no vigil-dat at $VIGIL_DAT (build it, or set VIGIL_DAT)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
for tool in "${TOOL_LIST[@]}"; do
  case $tool in
    vigil)
      [[ -x $VIGIL_SCAN ]] || die "no vigil-scan at $VIGIL_SCAN (build it, or set VIGIL_SCAN)" ;;
    clamscan)
      command -v clamscan > /dev/null || die "clamscan not found (apt-get install clamav)" ;;
    yara) command -v yara > /dev/null || die "yara not found (apt-get install yara)" ;;
    *) die "unknown tool '$tool'" ;;
  esac
done

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
CORPUS=$WORK/corpus-${CORPUS_MB}mb-seed$SEED
"$HERE/make_corpus.sh" "$CORPUS" "$CORPUS_MB" --seed "$SEED" --planted "$PLANTED" \
  --plant-from "$PLANT_FROM"
EMPTY=$WORK/empty.bin
: > "$EMPTY"

# Body-signature scan only: no unpacking, no format parsers, no heuristics, no size or depth
# limits (the default --max-dir-recursion=15 silently skips the deepest corpus files).
# clamscan makes and removes a temporary directory for every file it scans; on a disk-backed
# /tmp that metadata traffic can cost more than the scan itself, so it gets a tmpfs one.
TMP_ROOT=/dev/shm
[[ -d $TMP_ROOT && -w $TMP_ROOT ]] || TMP_ROOT=${TMPDIR:-/tmp}
CLAM_TMP=$(mktemp -d "$TMP_ROOT/vigil-bench-clamtmp.XXXXXX")
trap 'rm -rf "$CLAM_TMP"' EXIT
CLAM_FLAGS=(-r -i --tempdir="$CLAM_TMP" --max-dir-recursion=255
  --max-filesize=2000M --max-scansize=2000M --max-scantime=0
  --scan-archive=no --scan-pe=no --scan-elf=no --scan-ole2=no --scan-pdf=no --scan-html=no
  --scan-mail=no --scan-swf=no --scan-xmldocs=no --scan-hwp3=no --scan-onenote=no
  --scan-image=no --scan-image-fuzzy-hash=no --heuristic-alerts=no --bytecode=no)

# run_timed N NAME CMD...: see run_timed.sh.
# shellcheck source=run_timed.sh
source "$HERE/run_timed.sh"

mkdir -p "$WORK/runs"
cat /proc/loadavg > "$WORK/runs/loadavg"
git -C "$REPO" describe --always --dirty > "$WORK/runs/git-describe" 2> /dev/null ||
  echo "no commit" > "$WORK/runs/git-describe"
cat /proc/pressure/cpu > "$WORK/runs/pressure-start" 2> /dev/null || true
# Re-read the corpus before every corpus run, so each tool starts from a warm page cache.
warm() { find "$CORPUS/files" -type f -print0 | xargs -0 cat > /dev/null; }

for n in "${COUNTS[@]}"; do
  SIGDIR=$WORK/sigs-$n-seed$SEED
  python3 "$HERE/gen_sigs.py" --count "$n" --seed "$SEED" --planted "$PLANTED" \
    --plant-from "$PLANT_FROM" --out "$SIGDIR"
  cmp -s "$SIGDIR/planted.txt" "$CORPUS/planted.txt" ||
    die "planted list of $SIGDIR does not match the corpus (stale corpus?)"
  RUN_DIR=$WORK/runs/$n
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  echo "compare: $n signatures" >&2
  NDB=$SIGDIR/bench.ndb YAR=$SIGDIR/bench.yar FILES=$CORPUS/files
  for tool in "${TOOL_LIST[@]}"; do
    case $tool in
      vigil)
        VDB=(-d "$NDB")
        if [[ $DAT == 1 ]]; then
          "$VIGIL_DAT" compile "$NDB" -o "$SIGDIR/bench.vdat" --version 1 > /dev/null
          VDB=(-d "$SIGDIR/bench.vdat" --allow-unsigned --no-cache)
        fi
        run_timed "$LOAD_RUNS" vigil.load "$VIGIL_SCAN" "${VDB[@]}" "$EMPTY"
        warm
        run_timed "$RUNS" vigil.scan "$VIGIL_SCAN" "${VDB[@]}" -r -j 1 -i "$FILES" ;;
      clamscan)
        run_timed "$LOAD_RUNS" clamscan.load clamscan "${CLAM_FLAGS[@]}" -d "$NDB" "$EMPTY"
        warm
        run_timed "$RUNS" clamscan.scan clamscan "${CLAM_FLAGS[@]}" -d "$NDB" "$FILES" ;;
      yara)
        run_timed "$LOAD_RUNS" yara.load yara -p 1 "$YAR" "$EMPTY"
        warm
        run_timed "$RUNS" yara.scan yara -r -p 1 "$YAR" "$FILES" ;;
    esac
  done
done

cat /proc/pressure/cpu > "$WORK/runs/pressure-end" 2> /dev/null || true
REPORT_ARGS=(--workdir "$WORK" --corpus "$CORPUS" --sigs "$SIGS" --tools "$TOOLS"
  --command "$COMMAND" --vigil-scan "$VIGIL_SCAN")
[[ $APPEND == 1 ]] && REPORT_ARGS+=(--append "$HERE/RESULTS.md")
python3 "$HERE/report.py" "${REPORT_ARGS[@]}"
