# shellcheck shell=bash
# vigil-scan CLI cases: output forms. -i, --no-summary, --allmatch and --json (checked with
# python3's json module when python3 is available). Sourced by cli_test.sh.

case_infected_only() {
  printf 'clean\n' >clean.txt
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 -i -d sigs/alpha.ndb clean.txt alpha.txt does-not-exist
  expect_rc 1
  expect_golden infected_only
}

case_no_summary() {
  printf 'clean\n' >clean.txt
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 --no-summary -d sigs/alpha.ndb clean.txt alpha.txt
  expect_rc 1
  expect_stdout "clean.txt: OK" "alpha.txt: Test.Alpha FOUND"
}

case_allmatch() {
  printf '%s and %s\n' "$ALPHA" "$BETA" >both.txt
  scan -j 1 --no-summary --allmatch -d sigs/alpha.ndb -d sigs/beta.ndb both.txt
  expect_rc 1
  expect_stdout_sorted "both.txt: Test.Alpha FOUND" "both.txt: Test.Beta FOUND"
  scan -j 1 --allmatch -d sigs/alpha.ndb -d sigs/beta.ndb both.txt
  expect_summary "Infected files" 1
  # Without --allmatch the scan stops at the first detection.
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb both.txt
  expect_rc 1
  expect_stdout_line "both.txt: Test\.(Alpha|Beta) FOUND"
  [[ $(wc -l <"$WORK/.stdout") -eq 1 ]] || fail "expected exactly one FOUND line"
}

need_python() {
  command -v python3 >/dev/null || skip "python3 not available to check JSON"
}

# Runs the python3 program $1 with the JSON output on stdin; it raises on a mismatch.
check_json() {
  python3 -c "$1" <"$WORK/.stdout" >&2 || fail "JSON check failed"
}

case_json() {
  need_python
  make_samples sample
  printf 'clean\n' >clean.txt
  printf '0123%s\n' "$ALPHA" >alpha.txt
  mkfifo fifo
  scan -j 1 --json -v -d sigs/alpha.ndb -d sigs/eicar.hdb clean.txt alpha.txt \
    sample/eicar.com does-not-exist fifo
  expect_rc 1
  check_json '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 6, lines
objs = [json.loads(l) for l in lines]
by_path = {o["path"]: o for o in objs[:5]}
assert by_path["clean.txt"] == {"path": "clean.txt", "status": "clean", "detections": []}, by_path
assert by_path["alpha.txt"] == {"path": "alpha.txt", "status": "infected",
    "detections": [{"name": "Test.Alpha", "offset": 4, "kind": "body",
                    "path": ["alpha.txt"]}]}, by_path
assert by_path["sample/eicar.com"] == {"path": "sample/eicar.com", "status": "infected",
    "detections": [{"name": "Test.Eicar.Hash", "offset": None, "kind": "hash",
                    "path": ["sample/eicar.com"]}]}, by_path
assert by_path["does-not-exist"] == {"path": "does-not-exist", "status": "error",
    "detections": [], "error": "No such file or directory"}, by_path
assert by_path["fifo"] == {"path": "fifo", "status": "skipped", "detections": [],
    "reason": "fifo"}, by_path
s = objs[5]["summary"]
assert (s["signatures_loaded"], s["scanned_files"], s["infected_files"], s["skipped_files"],
        s["errors"]) == (2, 3, 2, 1, 1), s
assert 0 < s["data_scanned_bytes"] <= 6 + 28 + 68, s
for key in ("data_scanned_mb", "load_time_s", "scan_time_s", "throughput_mb_s"):
    assert isinstance(s[key], (int, float)), key
'
  # Clean files are read to the end, so the byte count is exact.
  scan -j 1 --json -d sigs/alpha.ndb clean.txt clean.txt
  expect_rc 0
  check_json '
import json, sys
lines = sys.stdin.read().splitlines()
assert json.loads(lines[-1])["summary"]["data_scanned_bytes"] == 12, lines
'
  # -i keeps only infected objects (and the summary); --no-summary drops the summary.
  scan -j 1 --json -i --no-summary -d sigs/alpha.ndb clean.txt alpha.txt
  expect_rc 1
  expect_stdout '{"path":"alpha.txt","status":"infected","detections":[{"name":"Test.Alpha","offset":4,"kind":"body","path":["alpha.txt"]}]}'
}

case_json_escaping() {
  need_python
  local names=($'quote"back\\slash' $'tab\there' $'new\nline' $'latin1-\xff-byte' 'utf8-é'
    $'truncated-\xe2\x82' $'overlong-\xc0\xaf')
  local name
  for name in "${names[@]}"; do printf '%s\n' "$ALPHA" >"$name"; done
  scan -j 1 --json --no-summary -d sigs/alpha.ndb "${names[@]}"
  expect_rc 1
  # Raw control characters never appear inside a JSON line; valid UTF-8 passes through.
  [[ $(wc -l <"$WORK/.stdout") -eq 7 ]] || fail "expected one line per file"
  grep -q 'utf8-é' "$WORK/.stdout" || fail "valid UTF-8 should be copied, not escaped"
  grep -qF 'latin1-\u00ff-byte' "$WORK/.stdout" || fail "a stray byte should become \\u00XX"
  check_json '
import json, sys
paths = [json.loads(l)["path"] for l in sys.stdin.read().splitlines()]
expected = ["quote\"back\\slash", "tab\there", "new\nline", "latin1-\u00ff-byte", "utf8-\u00e9",
            "truncated-\u00e2\u0082", "overlong-\u00c0\u00af"]
assert paths == expected, paths
'
}

case_allowlist() {
  printf 'allowlisted %s\n' "$ALPHA" >alpha.txt
  printf 'also %s\n' "$ALPHA" >other.txt
  printf '%s:%s:Test.Allow\n' "$(md5sum alpha.txt | cut -d' ' -f1)" "$(wc -c <alpha.txt)" \
    >sigs/allow.fp
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/allow.fp alpha.txt other.txt
  expect_rc 1
  expect_stdout "alpha.txt: OK" "other.txt: Test.Alpha FOUND"
  scan -j 1 --json --no-summary -d sigs/alpha.ndb -d sigs/allow.fp alpha.txt
  expect_rc 0
  expect_stdout '{"path":"alpha.txt","status":"clean","detections":[],"allowlisted":true}'
}
