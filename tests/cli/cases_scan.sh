# shellcheck shell=bash
# vigil-scan CLI cases: verdicts and exit codes, stdin, signature loading, usage.
# Sourced by cli_test.sh, which provides the harness (scan, expect_*) and write_sigs.

case_clean() {
  printf 'nothing to see here\n' >clean.txt
  scan -j 1 -d sigs/alpha.ndb clean.txt
  expect_rc 0
  expect_golden clean
  expect_stderr_empty
}

case_eicar_hash() {
  make_samples sample
  scan -j 1 -d sigs/eicar.hdb sample/eicar.com sample/docs/readme.txt
  expect_rc 1
  expect_golden eicar_hash
}

case_eicar_body() {
  make_samples sample
  scan -j 1 -d sigs/eicar.ndb -r sample
  expect_rc 1
  expect_golden eicar_body
}

case_missing_file() {
  scan -j 1 -d sigs/alpha.ndb does-not-exist.bin
  expect_rc 2
  expect_golden missing_file
}

case_unreadable_file() {
  [[ $(id -u) -ne 0 ]] || skip "running as root, which can read a mode-000 file"
  printf '%s\n' "$ALPHA" >secret.bin
  chmod 000 secret.bin
  scan -j 1 --no-summary -d sigs/alpha.ndb secret.bin
  expect_rc 2
  expect_stdout "secret.bin: Permission denied ERROR"
  # An unreadable directory is an error on that directory only; the walk goes on.
  mkdir -p tree/locked tree/open
  printf '%s\n' "$ALPHA" >tree/open/alpha.txt
  chmod 000 tree/locked
  scan -j 1 --no-summary -d sigs/alpha.ndb -r tree
  expect_rc 1
  expect_stdout "tree/locked: Permission denied ERROR" "tree/open/alpha.txt: Test.Alpha FOUND"
}

case_infected_and_error() {
  printf 'xx%s\n' "$ALPHA" >bad.txt
  scan -j 1 -d sigs/alpha.ndb does-not-exist.bin bad.txt
  expect_rc 1
  expect_golden infected_and_error
}

case_stdin() {
  printf 'prefix %s suffix\n' "$ALPHA" >bad.txt
  printf 'all clean\n' >clean.txt
  scan_stdin bad.txt --no-summary -d sigs/alpha.ndb -
  expect_rc 1
  expect_stdout "stdin: Test.Alpha FOUND"
  # A pipe rather than a regular file on fd 0.
  scan_pipe clean.txt --no-summary -d sigs/alpha.ndb -
  expect_rc 0
  expect_stdout "stdin: OK"
  scan_pipe bad.txt --no-summary -d sigs/alpha.ndb -
  expect_rc 1
  expect_stdout "stdin: Test.Alpha FOUND"
}

case_database_dir() {
  printf '%s\n' "$BETA" >beta.txt
  make_samples sample
  scan -j 1 --no-summary -d sigs beta.txt sample/eicar.com sample/bin/clean.bin
  expect_rc 1
  expect_stdout_line "beta.txt: Test.Beta FOUND"
  expect_stdout_line "sample/eicar.com: Test\.Eicar\.(Hash|Body) FOUND"
  expect_stdout_line "sample/bin/clean.bin: OK"
  [[ $(wc -l <"$WORK/.stdout") -eq 3 ]] || fail "expected exactly 3 lines"
}

case_env_database() {
  printf '%s\n' "$ALPHA" >alpha.txt
  scan_env VIGIL_DATABASE=sigs/alpha.ndb --no-summary alpha.txt
  expect_rc 1
  expect_stdout "alpha.txt: Test.Alpha FOUND"
  # -d wins over VIGIL_DATABASE.
  scan_env VIGIL_DATABASE=no-such-database.ndb --no-summary -d sigs/beta.ndb alpha.txt
  expect_rc 0
  expect_stdout "alpha.txt: OK"
}

case_default_database() {
  # Smoke test of the bundled signatures against the build's sample tree.
  [[ -f "$SAMPLE_DIR/eicar.com" ]] || fail "sample tree $SAMPLE_DIR missing (target vigil_samples)"
  scan -j 1 --no-summary -r "$SAMPLE_DIR"
  expect_rc 1
  expect_stdout_line "$SAMPLE_DIR/eicar\.com: .+ FOUND"
  expect_stdout_line "$SAMPLE_DIR/docs/readme\.txt: OK"
  expect_stdout_line "$SAMPLE_DIR/bin/clean\.bin: OK"
}

case_bad_signature() {
  printf 'Test.Good:0:*:%s\nTest.Broken:0:*:zz-not-hex\n' "$(hex "$ALPHA")" >mixed.ndb
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 -d mixed.ndb alpha.txt
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "(.*/)?mixed\.ndb:2: error: .+"
  expect_stderr_line "vigil-scan: cannot load signatures: .+"
  [[ $(tail -n 1 "$WORK/.stderr") == "vigil-scan: cannot load signatures: "* ]] ||
    fail "the load failure should be the last stderr line"
  # The line is reported once and the good signature still works when skipping is allowed.
  scan -j 1 --no-summary --skip-bad-signatures -d mixed.ndb alpha.txt
  expect_rc 1
  expect_stdout "alpha.txt: Test.Good FOUND"
  expect_stderr_line "(.*/)?mixed\.ndb:2: error: .+"
}

case_missing_database() {
  printf 'x\n' >x.txt
  scan -j 1 -d no-such-database.ndb x.txt
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "vigil-scan: cannot load signatures: .+"
}

case_unofficial_suffix() {
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 --no-summary --unofficial-suffix -d sigs/alpha.ndb alpha.txt
  expect_rc 1
  expect_stdout "alpha.txt: Test.Alpha.UNOFFICIAL FOUND"
}

case_usage() {
  scan --no-such-option x
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "vigil-scan: unknown option: --no-such-option"
  expect_stderr_line "Usage: vigil-scan \[OPTIONS\] PATH\.\.\."
  scan -d sigs/alpha.ndb
  expect_rc 2
  expect_stderr_line "vigil-scan: no PATH to scan"
  scan -j 0 x
  expect_rc 2
  scan --max-filesize=12Q x
  expect_rc 2
  expect_stderr_line "vigil-scan: invalid --max-filesize value: 12Q"
  scan -d
  expect_rc 2
  expect_stderr_line "vigil-scan: option requires an argument: -d"
  scan -V
  expect_rc 0
  expect_stdout_line "vigil-scan [0-9]+\.[0-9]+\.[0-9]+.*"
  scan --help
  expect_rc 0
  expect_stdout_line "Usage: vigil-scan \[OPTIONS\] PATH\.\.\."
  expect_stdout_line ".*--max-filesize=SIZE.*"
}
