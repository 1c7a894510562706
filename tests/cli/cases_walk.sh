# shellcheck shell=bash
# vigil-scan CLI cases: choosing files. Recursion, symbolic links, special files, --exclude,
# --include, --max-filesize and parallel scanning. Sourced by cli_test.sh.

# tree/            a.txt (ALPHA)  b.log (clean)
# tree/sub/        c.txt (clean)  d.bin (BETA)
# tree/sub/deep/   e.txt (ALPHA)
# tree/skipdir/    f.txt (ALPHA)
make_tree() {
  mkdir -p tree/sub/deep tree/skipdir
  printf 'head %s tail\n' "$ALPHA" >tree/a.txt
  printf 'a clean log line\n' >tree/b.log
  printf 'clean text\n' >tree/sub/c.txt
  printf '%s' "$BETA" >tree/sub/d.bin
  printf '%s\n' "$ALPHA" >tree/sub/deep/e.txt
  printf '%s\n' "$ALPHA" >tree/skipdir/f.txt
}

case_not_recursive() {
  make_tree
  scan -j 1 -d sigs/alpha.ndb -d sigs/beta.ndb tree
  expect_rc 2
  expect_golden not_recursive
}

case_recursive() {
  make_tree
  scan -j 1 -d sigs/alpha.ndb -d sigs/beta.ndb -r tree/
  expect_rc 1
  expect_golden recursive
}

case_symlinks() {
  make_tree
  mkdir outside
  printf '%s\n' "$BETA" >outside/o.txt
  ln -s a.txt tree/link-to-a.txt
  ln -s ../outside tree/link-to-outside
  ln -s no-such-target tree/dangling
  ln -s .. tree/sub/loop
  # Default: links inside the tree are neither followed nor scanned, but counted as skipped.
  scan -j 1 -v -d sigs/alpha.ndb -d sigs/beta.ndb -r tree
  expect_rc 1
  expect_golden symlinks_default
  # --follow-symlinks: followed; the dangling link is skipped; the loop is cut.
  scan -j 1 -v --follow-symlinks -d sigs/alpha.ndb -d sigs/beta.ndb -r tree
  expect_rc 1
  expect_golden symlinks_follow
  # A link named on the command line is followed, like clamscan does.
  ln -s tree/sub/d.bin operand-link
  scan -j 1 --no-summary -d sigs/beta.ndb operand-link
  expect_rc 1
  expect_stdout "operand-link: Test.Beta FOUND"
}

case_special_files() {
  command -v mkfifo >/dev/null || skip "mkfifo not available"
  make_tree
  mkfifo tree/sub/pipe
  # Nothing ever writes to the fifo: opening it for a scan would hang until the timeout.
  scan -j 1 -d sigs/alpha.ndb -r tree
  expect_rc 1
  expect_golden special_files
  scan -j 1 -v --no-summary -d sigs/alpha.ndb tree/sub/pipe
  expect_rc 0
  expect_stdout "tree/sub/pipe: SKIPPED (fifo)"
  if [[ -c /dev/null ]]; then
    scan -j 1 -v --no-summary -d sigs/alpha.ndb /dev/null
    expect_rc 0
    expect_stdout "/dev/null: SKIPPED (character device)"
  fi
}

case_exclude() {
  make_tree
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb -r --exclude='*.log' \
    --exclude=skipdir --exclude='tree/sub/deep/*' tree
  expect_rc 1
  expect_stdout "tree/a.txt: Test.Alpha FOUND" \
    "tree/sub/c.txt: OK" \
    "tree/sub/d.bin: Test.Beta FOUND"
}

case_include() {
  make_tree
  # Directories are always entered; only files are filtered.
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb -r --include='*.txt' \
    --exclude=skipdir tree
  expect_rc 1
  expect_stdout "tree/a.txt: Test.Alpha FOUND" \
    "tree/sub/c.txt: OK" \
    "tree/sub/deep/e.txt: Test.Alpha FOUND"
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb -r --include='*.bin' \
    --include='b.*' tree
  expect_rc 1
  expect_stdout "tree/b.log: OK" \
    "tree/sub/d.bin: Test.Beta FOUND"
}

case_max_filesize() {
  printf '%s\n' "$ALPHA" >small.txt
  { printf '%s\n' "$BETA"; head -c 2000 /dev/zero; } >big.bin
  scan -j 1 -d sigs/alpha.ndb -d sigs/beta.ndb --max-filesize=1K small.txt big.bin
  expect_rc 1
  expect_golden max_filesize
  scan -j 1 -v --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb --max-filesize=1k big.bin
  expect_rc 0
  expect_stdout "big.bin: SKIPPED (larger than --max-filesize)"
  scan -j 1 --no-summary -d sigs/alpha.ndb -d sigs/beta.ndb --max-filesize=2024 big.bin
  expect_rc 1
  expect_stdout "big.bin: Test.Beta FOUND"
}

case_jobs() {
  mkdir many
  local i
  for i in $(seq 1 60); do
    if ((i % 3 == 0)); then
      printf 'file %d %s\n' "$i" "$ALPHA" >"many/f$i.txt"
    elif ((i % 7 == 0)); then
      printf 'file %d %s\n' "$i" "$BETA" >"many/f$i.txt"
    else
      printf 'file %d clean\n' "$i" >"many/f$i.txt"
    fi
  done
  scan -j 1 -d sigs/alpha.ndb -d sigs/beta.ndb -r many does-not-exist
  expect_rc 1
  stable_stdout | LC_ALL=C sort >one.sorted
  [[ $(grep -c ' FOUND$' "$WORK/.stdout") -eq 26 ]] || fail "expected 26 FOUND lines"
  expect_summary "Scanned files" 60
  expect_summary "Infected files" 26
  expect_summary "Errors" 1
  scan -j 4 -d sigs/alpha.ndb -d sigs/beta.ndb -r many does-not-exist
  expect_rc 1
  stable_stdout | LC_ALL=C sort >four.sorted
  diff -u one.sorted four.sorted >&2 || fail "-j 1 and -j 4 printed different lines"
}
