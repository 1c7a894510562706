#!/usr/bin/env bash
# archive_bench.sh [--corpus DIR] [--sigs FILE.ndb] [--runs R] [--no-append]
#
# Throughput inside archives (issue 5): the bench corpus (make_corpus.sh, via compare.sh) packed
# as one zip (deflate) and one tar.gz, scanned single-threaded by vigil-scan and by clamscan
# with the same generated signatures, all matches on, and the size limits raised above the
# archives so that both scan every member. Throughput = uncompressed corpus bytes / (time on
# the archive - time on an empty file); the fastest of --runs runs is kept. Both tools must
# report the same number of detections. Appends a Markdown section to bench/RESULTS.md.
# Env: VIGIL_SCAN (default <repo>/build/scanner-cli/vigil-scan)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
COMMAND="bench/archive_bench.sh${*:+ $*}"
CORPUS=$REPO/build-bench/compare/corpus-256mb-seed1/files
SIGS=$REPO/build-bench/compare/sigs-10000-seed1/bench.ndb
RUNS=3 APPEND=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --corpus) CORPUS=$2; shift 2 ;;
    --sigs) SIGS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    *) echo "archive_bench: unknown option $1" >&2; exit 2 ;;
  esac
done
VIGIL_SCAN=${VIGIL_SCAN:-$REPO/build/scanner-cli/vigil-scan}
[[ -d $CORPUS && -f $SIGS ]] || {
  echo "archive_bench: $CORPUS or $SIGS missing: run bench/compare.sh --corpus-mb 256 --sigs 10000 first" >&2
  exit 2
}
WORK=$REPO/build-bench/archive
mkdir -p "$WORK"
ZIP=$WORK/corpus.zip TGZ=$WORK/corpus.tar.gz EMPTY=$WORK/empty.bin
: >"$EMPTY"
[[ -f $ZIP ]] || (cd "$CORPUS" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in sorted(os.walk(".")):
        for f in sorted(files):
            z.write(os.path.join(root, f))
' "$ZIP.tmp" && mv "$ZIP.tmp" "$ZIP")
[[ -f $TGZ ]] || (tar -C "$CORPUS" -czf "$TGZ.tmp" . && mv "$TGZ.tmp" "$TGZ")
BYTES=$(du -sb --apparent-size "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)

LIMITS=(--max-filesize=4000M --max-scansize=4000M --max-files=1000000)
vigil() { "$VIGIL_SCAN" -j 1 --no-summary --allmatch "${LIMITS[@]}" -d "$SIGS" "$1"; }
clam() {
  clamscan --no-summary --allmatch --max-filesize=4000M --max-scansize=4000M \
    --max-files=1000000 -d "$SIGS" "$1"
}
# best_time TOOL FILE: the fastest wall time of RUNS runs (seconds); FOUND lines into $WORK/out.
best_time() {
  local best="" t0 t1 s
  for _ in $(seq "$RUNS"); do
    cat "$2" >/dev/null
    t0=$(date +%s.%N)
    "$1" "$2" >"$WORK/out" 2>/dev/null || true
    t1=$(date +%s.%N)
    s=$(echo "$t1 - $t0" | bc -l)
    if [[ -z $best ]] || (( $(echo "$s < $best" | bc -l) )); then best=$s; fi
  done
  echo "$best"
}

rows=""
for archive in "$ZIP" "$TGZ"; do
  declare -A total load found
  for tool in vigil clam; do
    load[$tool]=$(best_time $tool "$EMPTY")
    total[$tool]=$(best_time $tool "$archive")
    found[$tool]=$(grep -c ' FOUND$' "$WORK/out" || true)
  done
  name=$(basename "$archive")
  vs=$(echo "${total[vigil]} - ${load[vigil]}" | bc -l)
  cs=$(echo "${total[clam]} - ${load[clam]}" | bc -l)
  vt=$(echo "$BYTES / 1048576 / $vs" | bc -l)
  ct=$(echo "$BYTES / 1048576 / $cs" | bc -l)
  ratio=$(echo "$vt / $ct" | bc -l)
  [[ ${found[vigil]} == "${found[clam]}" ]] ||
    echo "archive_bench: $name: vigil-scan found ${found[vigil]}, clamscan ${found[clam]}" >&2
  rows+=$(printf '| `%s` | %s | %.2f / %.2f | %.1f | %.2f / %.2f | %.1f | %.1fx | %s / %s |' \
    "$name" "$(stat -c %s "$archive")" "${total[vigil]}" "${load[vigil]}" "$vt" \
    "${total[clam]}" "${load[clam]}" "$ct" "$ratio" "${found[vigil]}" "${found[clam]}")
  rows+=$'\n'
  unset total load found
done

section="
### Scanning inside archives (issue 5) ($(date -u '+%Y-%m-%d %H:%M UTC'))

Command: \`$COMMAND\`; 2 cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end.
The corpus \`${CORPUS#"$REPO"/}\` ($FILES files, $BYTES bytes) as one zip (deflate, Python's
zipfile) and one tar.gz (tar -z); $(grep -c . "$SIGS") signatures (\`${SIGS#"$REPO"/}\`); both
tools single-threaded, \`--allmatch\`, size limits raised to 4000M and 1,000,000 files so every
member is scanned. Times are the fastest of $RUNS runs, total and on an empty file (load);
throughput = uncompressed corpus bytes / (total - load).

| archive | bytes | vigil-scan s total / load | vigil-scan MiB/s | clamscan s total / load | clamscan MiB/s | vigil/clamscan | detections vigil / clamscan |
|---|---:|---:|---:|---:|---:|---:|---:|
$rows"
echo "$section"
if [[ $APPEND == 1 ]]; then echo "$section" >>"$REPO/bench/RESULTS.md"; fi
