#!/usr/bin/env bash
# Golden tests for vigil-dat and for DAT loading in vigil-scan, one ctest per case:
#   bash dat_tool_test.sh VIGIL_DAT VIGIL_SCAN MAKE_SAMPLES SAMPLE_DIR CASE
# The cases live in cases_dat.sh and cases_dat_update.sh (all named case_dat_*, so none shadows a vigil-scan case). This
# script adds what running vigil-dat and handling DAT files needs; the rest -- temporary
# directory, scan and expect_* helpers, golden files, fixtures -- is cli_test.sh's, which it
# hands the remaining arguments to. Key ids, content ids and DAT sizes differ between runs and
# machines: cases match them with patterns or compare them with each other, never with goldens.
set -euo pipefail

if [[ $# -ne 5 ]]; then
  echo "usage: $0 VIGIL_DAT VIGIL_SCAN MAKE_SAMPLES SAMPLE_DIR CASE" >&2
  exit 2
fi
VIGIL_DAT=$1
shift
[[ -x $VIGIL_DAT ]] || {
  echo "vigil-dat not found at '$VIGIL_DAT'" >&2
  exit 2
}

# ---- vigil-dat harness (uses cli_test.sh's fail, expect_rc, $WORK...) ---------------------

# Runs vigil-dat; stdout/stderr land in $WORK/.stdout and $WORK/.stderr, status in $RC.
dat() {
  set +e
  timeout 60 "$VIGIL_DAT" "$@" >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=$?
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-dat timed out: $*"
}

# Same, with the file size limit at 1 KiB (SIGXFSZ ignored), so that writing a DAT fails the
# way a full disk does -- also for root, whom permissions do not stop.
dat_small_fsize() {
  set +e
  (
    trap '' XFSZ
    ulimit -f 1
    exec timeout 60 "$VIGIL_DAT" "$@"
  ) >"$WORK/.stdout" 2>"$WORK/.stderr"
  RC=$?
  set -e
  [[ $RC -ne 124 ]] || fail "vigil-dat timed out: $*"
}

# Runs vigil-dat and requires success.
dat_ok() {
  dat "$@"
  [[ $RC -eq 0 ]] || fail "vigil-dat $* exited $RC"
}

# Every case starts here: vigil-scan's default cache directory stays inside the case.
dat_init() {
  export XDG_CACHE_HOME=$WORK/.cache
  mkdir -p "$XDG_CACHE_HOME"
}

# Makes the key pair $1, $1.pub (further arguments go to keygen) and sets KEY_ID to the id
# keygen printed.
make_key() {
  dat_ok keygen -o "$@"
  KEY_ID=$(sed -nE 's/^key ([0-9a-f]{64}): private .*/\1/p' "$WORK/.stdout")
  [[ -n $KEY_ID ]] || fail "keygen printed no key id"
}

file_size() { wc -c <"$1" | tr -d ' '; }

# XORs the byte at offset $2 of file $1 with 0xff, in place.
flip_byte() {
  local byte
  byte=$(od -An -v -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
  [[ -n $byte ]] || fail "flip_byte: offset $2 is past the end of $1"
  # shellcheck disable=SC2059  # the format is the octal escape of the new byte
  printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Writes the 32-bit little-endian value $3 at offset $2 of file $1, in place.
put_u32() {
  local i out=""
  for ((i = 0; i < 4; ++i)); do out+=$(printf '\\%03o' $((($3 >> (8 * i)) & 255))); done
  # shellcheck disable=SC2059
  printf "$out" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Sets SECTION_OFFSET and SECTION_SIZE to where the section named $2 lies in the DAT or delta
# $1, as `vigil-dat info --json` reports it.
find_section() {
  local json m
  json=$("$VIGIL_DAT" info --json "$1") || fail "vigil-dat info --json $1 failed"
  m=$(printf '%s' "$json" |
    sed -nE "s/.*\{\"type\":[0-9]+,\"name\":\"$2\",\"offset\":([0-9]+),\"size\":([0-9]+)\}.*/\1 \2/p")
  [[ -n $m ]] || fail "no section '$2' in $1"
  read -r SECTION_OFFSET SECTION_SIZE <<<"$m"
}

# Asserts the directory $1 holds exactly the entries $2... (hidden ones included).
expect_listing() {
  local dir=$1 expected actual
  shift
  expected=$(printf '%s\n' "$@" | LC_ALL=C sort)
  actual=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort)
  [[ $actual == "$expected" ]] ||
    fail "$dir holds:"$'\n'"$actual"$'\n'"expected:"$'\n'"$expected"
}

expect_same_file() {
  cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# Compares stderr with the given lines exactly (in order).
expect_stderr_exactly() {
  local expected
  expected=$(printf '%s\n' "$@")
  [[ "$(cat "$WORK/.stderr")" == "$expected" ]] ||
    fail "stderr is not exactly:"$'\n'"$expected"
}

expect_last_stderr_line() {
  [[ $(tail -n 1 "$WORK/.stderr") == "$1" ]] || fail "the last stderr line is not: $1"
}

# A DAT that fails to load: exit 2, nothing on stdout, the file's problem on stderr ($2, a
# regex after "FILE: error: "), then the load failure ($3, the status text) as the last line.
expect_dat_refused() {
  local file_re=${1//./\\.}
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "$file_re: error: $2"
  expect_last_stderr_line "vigil-scan: cannot load signatures: $3"
}

# ---- cases ----------------------------------------------------------------------------------

# shellcheck source=cases_dat.sh
source "$(dirname "${BASH_SOURCE[0]}")/cases_dat.sh"
# shellcheck source=cases_dat_update.sh
source "$(dirname "${BASH_SOURCE[0]}")/cases_dat_update.sh"
# shellcheck source=cli_test.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_test.sh" "$@"
