# Sourced by the bench scripts: run_timed N NAME CMD... runs CMD N times and keeps the fastest
# run's stdout, stderr, /usr/bin/time -v report, exit status and wall time (date +%s%N, ns) in
# $RUN_DIR/NAME.{out,err,time,rc,wall_ns}; prints the fastest time to stderr, the name padded
# to $RUN_TIMED_WIDTH (default 16) columns.
run_timed() {
  local runs=$1 name=$2; shift 2
  local best="" i t0 t1 ns rc
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    set +e
    /usr/bin/time -v -o "$RUN_DIR/$name.time.tmp" "$@" > "$RUN_DIR/$name.out.tmp" \
      2> "$RUN_DIR/$name.err.tmp"
    rc=$?
    set -e
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    if [[ -z $best || $ns -lt $best ]]; then
      best=$ns
      for f in time out err; do mv -f "$RUN_DIR/$name.$f.tmp" "$RUN_DIR/$name.$f"; done
      echo "$rc" > "$RUN_DIR/$name.rc"
      echo "$ns" > "$RUN_DIR/$name.wall_ns"
    fi
  done
  rm -f "$RUN_DIR/$name".*.tmp
  printf "  %-${RUN_TIMED_WIDTH:-16}s %8.3f s  exit %s\n" "$name" \
    "$(awk -v ns="$best" 'BEGIN { print ns / 1e9 }')" "$(cat "$RUN_DIR/$name.rc")" >&2
}
