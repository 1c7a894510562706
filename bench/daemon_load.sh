#!/usr/bin/env bash
# daemon_load.sh [options]
#
# Load comparison of vigild and clamd (issue 6, "Proof: Load"): both daemons run at once on
# their own unix sockets with the same generated signatures (gen_sigs.py: .ndb for clamd, a DAT
# compiled with --unofficial-suffix for vigild, so the names match) and the same MaxThreads,
# MaxQueue and StreamMaxLength; daemon_load.py then streams the same mixed-size files (1 KiB -
# 4 MiB system files plus the planted positives) from N concurrent clients for a fixed time,
# checks every reply against the verdict each file got when scanned alone, and records
# requests/s and latency percentiles. Each client count is run --rounds times, alternating which
# daemon goes first (vigild, clamd, then clamd, vigild...); then one run per daemon with a RELOAD
# every --reload-every seconds. The Markdown section is appended to bench/RESULTS.md.
#
# Options:
#   --clients "16 64"     client counts (default "16 64")
#   --seconds T           length of each run (default 20)
#   --rounds R            runs per daemon and client count (default 2)
#   --reload-every S      RELOAD interval for the reload runs (default 2; 0 skips them)
#   --reload-clients N    clients during the reload runs (default the largest of --clients)
#   --threads N           MaxThreads of both daemons (default 4)
#   --queue N             MaxQueue of both daemons (default 100, clamd's default)
#   --sigs N              generated body signatures (default 10000)
#   --per-bucket K        clean files per size bucket (default 24; 6 buckets, 1 KiB - 4 MiB)
#   --roots "DIR..."      where the clean files come from (default: the bench corpus' system
#                         files if build-bench/compare/corpus-*/files/system exists, else /usr)
#   --workdir DIR         (default <build>/daemon-load)
#   --vigild-b DIR        also run the vigild of another build tree DIR (e.g. an older commit,
#                         to measure a change) as a third daemon, same DAT and options
#   --vigild-b-label L    its name in the tables (default vigild-b)
#   --no-append           print the section, do not append it to bench/RESULTS.md
# Env: BUILD  the build tree holding daemon/vigild and dat/vigil-dat (default build-helper-load)
#      VIGILD_TREE  what BUILD was built from, for the report (default: this checkout's HEAD,
#             "-dirty" if it has changes)
#      CLAMD  (default /usr/sbin/clamd)
# Exit: 0 no error, 1 a lost/wrong/mixed reply or a failed RELOAD, 2 setup failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
COMMAND="${BUILD:+BUILD=$BUILD }${VIGILD_TREE:+VIGILD_TREE=\"$VIGILD_TREE\" }bench/daemon_load.sh${*:+ $*}"
BUILD=${BUILD:-$REPO/build-helper-load}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
CLAMD=${CLAMD:-/usr/sbin/clamd}
CLAMSCAN=$(command -v clamscan || true)

CLIENTS="16 64" SECONDS_=20 ROUNDS=2 RELOAD_EVERY=2 RELOAD_CLIENTS="" THREADS=4 QUEUE=100
SIGS=10000 PER_BUCKET=24 ROOTS="" WORK="" APPEND=1 VIGILD_B="" LABEL_B=vigild-b
die() { echo "daemon_load: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) CLIENTS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --reload-every) RELOAD_EVERY=$2; shift 2 ;;
    --reload-clients) RELOAD_CLIENTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --queue) QUEUE=$2; shift 2 ;;
    --sigs) SIGS=$2; shift 2 ;;
    --per-bucket) PER_BUCKET=$2; shift 2 ;;
    --roots) ROOTS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --vigild-b) VIGILD_B=$2; shift 2 ;;
    --vigild-b-label) LABEL_B=$2; shift 2 ;;
    --no-append) APPEND=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
WORK=${WORK:-$BUILD/daemon-load}
RELOAD_CLIENTS=${RELOAD_CLIENTS:-$(tr ' ' '\n' <<<"$CLIENTS" | sort -n | tail -1)}
VIGILD=$BUILD/daemon/vigild
VIGIL_DAT=$BUILD/dat/vigil-dat
LOAD="python3 $HERE/daemon_load.py"
[[ -x $VIGILD && -x $VIGIL_DAT ]] || die "build $BUILD first (daemon/vigild, dat/vigil-dat)"
[[ -x $CLAMD ]] || die "$CLAMD not installed"
if [[ -n $VIGILD_B ]]; then
  [[ $VIGILD_B = /* ]] || VIGILD_B=$REPO/$VIGILD_B
  [[ -x $VIGILD_B/daemon/vigild ]] || die "no daemon/vigild in $VIGILD_B"
  [[ $LABEL_B =~ ^[A-Za-z0-9._@-]+$ && $LABEL_B != vigild && $LABEL_B != clamd ]] \
    || die "bad --vigild-b-label"
fi
if [[ -z $ROOTS ]]; then
  ROOTS=$(ls -d "$REPO"/build-bench/compare/corpus-*/files/system 2>/dev/null | head -1 || true)
  ROOTS=${ROOTS:-/usr/bin /usr/lib /usr/share}
fi

rm -rf "$WORK"
mkdir -p "$WORK"/{sigs,files,vigild-db,clamd-db,cache}
echo "daemon_load: signatures, files, DAT in $WORK" >&2
python3 "$HERE/gen_sigs.py" --count "$SIGS" --seed 1 --out "$WORK/sigs" \
  --plant-dir "$WORK/files/planted"
$LOAD files --out "$WORK/files" --roots "$ROOTS" --per-bucket "$PER_BUCKET"
cp "$WORK/sigs/bench.ndb" "$WORK/clamd-db/"
"$VIGIL_DAT" compile "$WORK/sigs/bench.ndb" -o "$WORK/vigild-db/bench.vdat" --version 1 \
  --unofficial-suffix >"$WORK/dat.log" 2>&1 || { cat "$WORK/dat.log" >&2; die "DAT compile failed"; }

common() {  # $1 name
  cat <<EOF
LocalSocket $WORK/$1.sock
Foreground yes
LogFile $WORK/$1.log
LogTime yes
PidFile $WORK/$1.pid
MaxThreads $THREADS
MaxQueue $QUEUE
StreamMaxLength 8M
ReadTimeout 60
CommandReadTimeout 30
EOF
}
{ common vigild; echo "DatabaseDirectory $WORK/vigild-db"; echo "AllowUnsigned yes"
  echo "CacheDirectory $WORK/cache"; } >"$WORK/vigild.conf"
if [[ -n $VIGILD_B ]]; then
  # Its own copy of the DAT (a reload must not depend on the other daemon's files), compiled by
  # its own vigil-dat if it has one.
  mkdir -p "$WORK/vigild-b-db" "$WORK/cache-b"
  DAT_B=$VIGILD_B/dat/vigil-dat; [[ -x $DAT_B ]] || DAT_B=$VIGIL_DAT
  "$DAT_B" compile "$WORK/sigs/bench.ndb" -o "$WORK/vigild-b-db/bench.vdat" --version 1 \
    --unofficial-suffix >>"$WORK/dat.log" 2>&1 || { cat "$WORK/dat.log" >&2; die "DAT compile (b) failed"; }
  { common "$LABEL_B"; echo "DatabaseDirectory $WORK/vigild-b-db"; echo "AllowUnsigned yes"
    echo "CacheDirectory $WORK/cache-b"; } >"$WORK/$LABEL_B.conf"
fi
{ common clamd; echo "DatabaseDirectory $WORK/clamd-db"; } >"$WORK/clamd.conf"

PIDS=()
declare -A PID
cleanup() {
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT INT TERM

ping_ok() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1]); s.sendall(b"zPING\0")
    sys.exit(0 if s.recv(16) == b"PONG\0" else 1)
except OSError:
    sys.exit(1)
EOF
}
start() {  # $1 name, rest argv
  local name=$1; shift
  "$@" >"$WORK/$name.out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  PID[$name]=$pid
  for _ in $(seq 900); do
    ping_ok "$WORK/$name.sock" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.out" >&2; die "$name exited while starting"; }
    sleep 0.1
  done
  die "$name did not answer PING in 90 s"
}
echo "daemon_load: starting vigild and clamd" >&2
start vigild "$VIGILD" --config-file "$WORK/vigild.conf" --foreground
start clamd "$CLAMD" -c "$WORK/clamd.conf"
DAEMONS="vigild clamd"
if [[ -n $VIGILD_B ]]; then
  start "$LABEL_B" "$VIGILD_B/daemon/vigild" --config-file "$WORK/$LABEL_B.conf" --foreground
  DAEMONS="vigild clamd $LABEL_B"
  BUILT_B=$(date -u -r "$VIGILD_B/daemon/vigild" '+%Y-%m-%d %H:%M UTC')
fi
VERSION_VIGILD=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"zVERSION\0"); print(s.recv(200).rstrip(b"\0").decode())' "$WORK/vigild.sock")
VERSION_CLAMD=$("$CLAMD" --version)
BUILT=$(date -u -r "$VIGILD" '+%Y-%m-%d %H:%M UTC')

echo "daemon_load: expected verdicts (each file alone, on both daemons)" >&2
STATUS=0
$LOAD expect --files "$WORK/files" --socket "$WORK/vigild.sock" --socket "$WORK/clamd.sock" \
  --ndb "$WORK/sigs/bench.ndb" --planted "$WORK/sigs/planted.txt" --out "$WORK/expect.tsv" \
  ${CLAMSCAN:+--clamscan "$CLAMSCAN"} \
  || STATUS=1
NFILES=$(grep -vc '^#' "$WORK/expect.tsv")
NLISTED=$(find "$WORK/files" -type f | wc -l)
NCLEAN=$(awk -F'\t' '!/^#/ && $2 == "OK"' "$WORK/expect.tsv" | wc -l)
NINFECTED=$(awk -F'\t' '!/^#/ && $2 != "OK"' "$WORK/expect.tsv" | wc -l)
NTAGGABLE=$(awk -F'\t' '!/^#/ && $3 == 1' "$WORK/expect.tsv" | wc -l)
NBYTES=$(awk -F'\t' '!/^#/ {s += $1} END {print s}' "$WORK/expect.tsv")
SIZES=$(awk -F'\t' '!/^#/ {print $1}' "$WORK/expect.tsv" | sort -n | awk '{a[NR]=$1} END {print a[1], a[int(NR/2)+1], a[NR]}')

JSON=$WORK/runs.jsonl
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date -u '+%Y-%m-%d %H:%M UTC')
run() {  # $1 daemon, $2 clients, rest extra options
  local name=$1 clients=$2; shift 2
  local pid=${PID[$name]}
  $LOAD run --socket "$WORK/$name.sock" --files "$WORK/files" --expect "$WORK/expect.tsv" \
    --ndb "$WORK/sigs/bench.ndb" --clients "$clients" --seconds "$SECONDS_" --pid "$pid" \
    --label "$name" --json "$JSON" "$@" || STATUS=1
}
for c in $CLIENTS; do
  for r in $(seq "$ROUNDS"); do
    # Rotate the order from round to round: vigild clamd, then clamd vigild (or with a third
    # daemon: v c b, c b v, b v c).
    read -r -a ds <<<"$DAEMONS"
    n=${#ds[@]}
    for k in $(seq 0 $((n - 1))); do run "${ds[$(((k + r - 1) % n))]}" "$c" --seed "$r"; done
  done
done
if [[ $RELOAD_EVERY != 0 ]]; then
  for d in $DAEMONS; do run "$d" "$RELOAD_CLIENTS" --reload-every "$RELOAD_EVERY" --seed 99; done
fi
LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)
RELOADED_VIGILD=$(grep -c 'Database reloaded' "$WORK/vigild.log" || true)
RELOADED_CLAMD=$(grep -c 'Database correctly reloaded' "$WORK/clamd.log" || true)
RELOAD_FAIL_VIGILD=$(grep -c 'reload failed' "$WORK/vigild.log" || true)
if [[ -n $VIGILD_B ]]; then
  RELOADED_B=$(grep -c 'Database reloaded' "$WORK/$LABEL_B.log" || true)
  RELOAD_FAIL_B=$(grep -c 'reload failed' "$WORK/$LABEL_B.log" || true)
fi
for name in $DAEMONS; do
  pid=${PID[$name]}
  kill -0 "$pid" 2>/dev/null || { echo "daemon_load: $name died during the runs" >&2; STATUS=1; }
done
cleanup

TREE=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || TREE="$TREE-dirty"
SECTION=$WORK/section.md
{
  echo
  echo "### vigild vs clamd under concurrent INSTREAM load ($T_START)"
  echo
  echo "Command: \`$COMMAND\` (scripts from tree $TREE); $(nproc) cores, load average $LOADAVG_START at the"
  echo "start and $LOADAVG_END at the end. Daemons: vigild (VERSION \`$VERSION_VIGILD\`; Release"
  echo "build of $BUILT in \`$BUILD\` from ${VIGILD_TREE:-tree $TREE}),"
  if [[ -n $VIGILD_B ]]; then
    echo "$VERSION_CLAMD (Debian), and $LABEL_B (the vigild of \`$VIGILD_B\`, built $BUILT_B, with"
    echo "its own copy of the DAT), all running throughout on their own unix sockets with"
  else
    echo "$VERSION_CLAMD (Debian), both running throughout on their own unix sockets with"
  fi
  echo "MaxThreads $THREADS, MaxQueue $QUEUE, StreamMaxLength 8M, and the same $SIGS generated body"
  echo "signatures (\`gen_sigs.py --count $SIGS --seed 1\`; clamd loads the .ndb, vigild a DAT"
  echo "compiled from it with \`--unofficial-suffix\`)."
  echo
  echo "Files: $NFILES ($NINFECTED infected, the gen_sigs.py planted set; the rest copies of"
  echo "$PER_BUCKET files per size bucket 1-4 KiB ... 1-4 MiB from \`$ROOTS\`), $NBYTES bytes;"
  echo "sizes min/median/max $(sed 's/ /\//g' <<<"$SIZES") bytes. Expected verdicts: each file scanned"
  echo "alone on both daemons, which agreed on $NFILES of $NLISTED files (the load uses those);"
  echo "each of the $NCLEAN clean files also scanned with a tag appended: $NTAGGABLE reported the tag"
  echo "on both daemons and are the ones tagged during the load."
  if grep -q '^# .*disagree' "$WORK/expect.tsv"; then
    echo
    echo "Verdict differences found while computing the expected verdicts (not load errors):"
    echo
    grep '^# .*disagree' "$WORK/expect.tsv" | sed 's/^# /- /; s#'"$WORK"'/##g'
  fi
  echo
  echo "Each request (\`bench/daemon_load.py run\`): a new connection, \`zINSTREAM\`, the file in"
  echo "8188-byte chunks (as clamdscan sends), for half of the requests on clean files a random plain"
  echo "signature appended as the last chunk (so the reply is specific to the request and a reply"
  echo "crossed between connections is caught as \"mixed\"), the zero chunk; correct = exactly the"
  echo "expected \`stream: ... \` reply, then the daemon closes. Latency: connect to reply. The"
  echo "clients are Python threads on the same $(nproc) cores as the daemons; every daemon faces the"
  echo "same client, which takes a good part of a core when vigild is the server: vigild's"
  echo "req/s is bounded by the client and the machine (see \"cores busy\"), and daemon CPU per"
  echo "request is the steadier comparison on this shared machine. Daemon CPU from /proc"
  echo "(user + system) over the run. $ROUNDS run(s) of"
  echo "$SECONDS_ s per daemon and client count, rotating which daemon goes first; the tables"
  echo "pool them."
  echo
  if [[ -n $VIGILD_B ]]; then
    $LOAD report --json "$JSON" --ratio vigild:clamd --ratio "$LABEL_B:clamd" \
      --ratio "vigild:$LABEL_B"
  else
    $LOAD report --json "$JSON"
  fi
  echo
  if [[ $RELOAD_EVERY != 0 ]]; then
    echo "Reloads completed according to the daemons' logs over the whole session: vigild"
    echo "$RELOADED_VIGILD (\"Database reloaded\"; $RELOAD_FAIL_VIGILD failed), clamd $RELOADED_CLAMD"
    echo "(\"Database correctly reloaded\")${VIGILD_B:+, $LABEL_B $RELOADED_B ($RELOAD_FAIL_B failed)}."
  fi
} >"$SECTION"
cat "$SECTION"
if (( APPEND )); then
  cat "$SECTION" >>"$REPO/bench/RESULTS.md"
  echo "daemon_load: appended to bench/RESULTS.md" >&2
fi
exit "$STATUS"
