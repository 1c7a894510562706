#!/usr/bin/env bash
# Golden tests for vigil-scan, one ctest per case:
#   bash cli_test.sh VIGIL_SCAN MAKE_SAMPLES SAMPLE_DIR CASE
# Each case runs in a fresh temporary directory with relative paths, writes its own signature
# files, and asserts the exact exit status and the exact stdout (timing lines of the summary
# are dropped before comparing with golden/CASE.out). UPDATE_GOLDEN=1 rewrites golden files
# instead of comparing; review the diff before committing. Exit 77 means "skipped".
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 VIGIL_SCAN MAKE_SAMPLES SAMPLE_DIR CASE" >&2
  exit 2
fi
VIGIL_SCAN=$1
MAKE_SAMPLES=$2
SAMPLE_DIR=$3
CASE=$4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOLDEN_DIR=$HERE/golden
unset VIGIL_DATABASE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-cli.XXXXXX")
trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"

# ---- harness ----------------------------------------------------------------------------

fail() {
  echo "FAIL [$CASE]: $*" >&2
  if [[ -f "$WORK/.stdout" ]]; then
    echo "--- stdout (exit $RC) ---" >&2
    cat "$WORK/.stdout" >&2
    echo "--- stderr ---" >&2
    cat "$WORK/.stderr" >&2
  fi
  exit 1
}

skip() {
  echo "SKIP [$CASE]: $*" >&2
  exit 77
}

# Runs vigil-scan; stdout/stderr land in $WORK/.stdout and $WORK/.stderr, status in $RC.
RC=0
scan() {
  set +e
  timeout 60 "$VIGIL_SCAN" "$@" >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=$?
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-scan timed out: $*"
}

# Same, with standard input taken from the file $1.
scan_stdin() {
  local input=$1
  shift
  set +e
  timeout 60 "$VIGIL_SCAN" "$@" <"$input" >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=$?
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-scan timed out: $*"
}

# Same, with standard input a pipe fed from the file $1.
scan_pipe() {
  local input=$1
  shift
  set +e
  # shellcheck disable=SC2002  # the point is a pipe, not a redirected file
  cat "$input" | timeout 60 "$VIGIL_SCAN" "$@" >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=${PIPESTATUS[1]}
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-scan timed out: $*"
}

# Same, with one extra environment assignment $1 (NAME=VALUE).
scan_env() {
  local assignment=$1
  shift
  set +e
  env "$assignment" timeout 60 "$VIGIL_SCAN" "$@" >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=$?
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-scan timed out: $*"
}

expect_rc() {
  [[ $RC -eq $1 ]] || fail "expected exit status $1, got $RC"
}

# stdout without the lines that vary from run to run.
stable_stdout() {
  sed -E '/^(Load time|Scan time|Throughput): /d' "$WORK/.stdout"
}

# Compares stable stdout with golden/$1.out exactly.
expect_golden() {
  local golden=$GOLDEN_DIR/$1.out
  if [[ ${UPDATE_GOLDEN:-0} == 1 ]]; then
    stable_stdout >"$golden"
    return
  fi
  [[ -f $golden ]] || fail "missing golden file $golden"
  stable_stdout | diff -u "$golden" - >&2 || fail "stdout differs from golden/$1.out"
}

# Compares stdout with the given lines exactly (in order).
expect_stdout() {
  local expected
  expected=$(printf '%s\n' "$@")
  [[ "$(cat "$WORK/.stdout")" == "$expected" ]] ||
    fail "stdout is not exactly:"$'\n'"$expected"
}

# Compares the set of stdout lines with the given lines (order ignored).
expect_stdout_sorted() {
  local expected actual
  expected=$(printf '%s\n' "$@" | LC_ALL=C sort)
  actual=$(LC_ALL=C sort "$WORK/.stdout")
  [[ "$actual" == "$expected" ]] || fail "stdout lines are not exactly:"$'\n'"$expected"
}

expect_stdout_empty() {
  [[ ! -s "$WORK/.stdout" ]] || fail "expected empty stdout"
}

# Asserts a line of stdout matches the extended regex $1 (whole line).
expect_stdout_line() {
  grep -Eq -- "^$1\$" "$WORK/.stdout" || fail "no stdout line matches /^$1\$/"
}

expect_stderr_line() {
  grep -Eq -- "^$1\$" "$WORK/.stderr" || fail "no stderr line matches /^$1\$/"
}

expect_stderr_empty() {
  [[ ! -s "$WORK/.stderr" ]] || fail "expected empty stderr"
}

summary_value() {
  sed -nE "s/^$1: //p" "$WORK/.stdout"
}

expect_summary() {
  local got
  got=$(summary_value "$1")
  [[ "$got" == "$2" ]] || fail "summary '$1' is '$got', expected '$2'"
}

# ---- fixtures -----------------------------------------------------------------------------

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# Test markers: harmless strings that our own signatures look for.
ALPHA=VIGIL-TEST-MARKER-ALPHA
BETA=VIGIL-TEST-MARKER-BETA

write_sigs() {
  mkdir -p sigs
  printf 'Test.Alpha:0:*:%s\n' "$(hex "$ALPHA")" >sigs/alpha.ndb
  printf 'Test.Beta:0:*:%s\n' "$(hex "$BETA")" >sigs/beta.ndb
  # MD5 and size of the 68-byte EICAR test file, and a body fragment of it.
  printf '44d88612fea8a8f36de82e1278abb02f:68:Test.Eicar.Hash\n' >sigs/eicar.hdb
  printf 'Test.Eicar.Body:0:*:%s\n' "$(hex EICAR-STANDARD-ANTIVIRUS-TEST-FILE)" >sigs/eicar.ndb
}

make_samples() {
  "$MAKE_SAMPLES" "$1" || fail "vigil-make-samples failed"
}

# ---- cases ----------------------------------------------------------------------------------

# shellcheck source=cases_scan.sh
source "$HERE/cases_scan.sh"
# shellcheck source=cases_walk.sh
source "$HERE/cases_walk.sh"
# shellcheck source=cases_output.sh
source "$HERE/cases_output.sh"
# shellcheck source=cases_archive.sh
source "$HERE/cases_archive.sh"

if ! declare -F "case_$CASE" >/dev/null; then
  echo "unknown case '$CASE'" >&2
  exit 2
fi
write_sigs
"case_$CASE"
echo "PASS [$CASE]"
