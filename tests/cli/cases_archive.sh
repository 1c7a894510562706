# shellcheck shell=bash
# vigil-scan CLI cases: archives (made here with python3's zipfile, tarfile, gzip): member
# paths in text and JSON, zip member compressions libarchive cannot write (bzip2, lzma),
# --no-archive, the --max-* limits and their warning, --alert-* detections and exit codes.
# Sourced by cli_test.sh.

# make_archives: alpha.zip (bzip2 member), alpha-lzma.zip, nested.tar.gz (zip in a tar.gz),
# deep.zip (alpha 3 zips down), big.zip (alpha past 3 MiB of zeros), long.tar.gz (alpha after
# 200 KB of noise).
make_archives() {
  command -v python3 >/dev/null || skip "python3 not available to make archives"
  python3 - "$ALPHA" <<'PY'
import io, sys, tarfile, zipfile
alpha = sys.argv[1].encode()
def zbytes(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for n, d in entries:
            z.writestr(n, d)
    return buf.getvalue()
open("alpha.zip", "wb").write(zbytes([("a.txt", b"x " + alpha)], zipfile.ZIP_BZIP2))
open("alpha-lzma.zip", "wb").write(zbytes([("a.txt", b"x " + alpha)], zipfile.ZIP_LZMA))
inner = zbytes([("clean.txt", b"clean"), ("dir/alpha.txt", alpha)])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    info = tarfile.TarInfo("inner.zip")
    info.size = len(inner)
    t.addfile(info, io.BytesIO(inner))
open("nested.tar.gz", "wb").write(buf.getvalue())
deep = alpha
for i in range(3):
    deep = zbytes([(f"l{i}", deep)])
open("deep.zip", "wb").write(deep)
open("big.zip", "wb").write(zbytes([("big.bin", b"\0" * (3 << 20) + alpha)]))
import os
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    for name, data in (("noise.bin", os.urandom(200000)), ("alpha.txt", alpha)):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
open("long.tar.gz", "wb").write(buf.getvalue())
PY
}

case_archive_members() {
  make_archives
  scan -j 1 --no-summary -d sigs/alpha.ndb alpha.zip alpha-lzma.zip nested.tar.gz deep.zip
  expect_rc 1
  expect_stdout "alpha.zip/a.txt: Test.Alpha FOUND" "alpha-lzma.zip/a.txt: Test.Alpha FOUND" \
    "nested.tar.gz/inner.zip/dir/alpha.txt: Test.Alpha FOUND" "deep.zip/l2/l1/l0: Test.Alpha FOUND"
  need_python
  scan -j 1 --json --no-summary -d sigs/alpha.ndb nested.tar.gz
  check_json '
import json, sys
d = json.loads(sys.stdin.read())
assert d["detections"][0]["path"] == ["nested.tar.gz", "inner.zip", "dir/alpha.txt"], d
'
  # --no-archive: the member is deflated, so the archive's own bytes are clean.
  scan -j 1 --no-summary --no-archive -d sigs/alpha.ndb alpha.zip
  expect_rc 0
  expect_stdout "alpha.zip: OK"
}

case_archive_limits() {
  make_archives
  # Too deep: clean, with a warning naming the limit; --alert-exceeds-max makes it a detection.
  scan -j 1 --no-summary --max-recursion=2 -d sigs/alpha.ndb deep.zip
  expect_rc 0
  expect_stdout "deep.zip: OK"
  expect_stderr_line "vigil-scan: warning: deep.zip: not fully scanned \(limit MaxRecursion exceeded\); a detection may have been missed"
  scan -j 1 --no-summary --max-recursion=2 --alert-exceeds-max -d sigs/alpha.ndb deep.zip
  expect_rc 1
  expect_stdout "deep.zip/l2/l1: Heuristics.Limits.Exceeded.MaxRecursion FOUND"
  # A member larger than --max-filesize is scanned up to it (the marker is past it).
  scan -j 1 --no-summary --max-filesize=1M -d sigs/alpha.ndb big.zip
  expect_rc 0
  expect_stderr_line ".*big.zip: not fully scanned \(limit MaxFileSize exceeded\).*"
  scan -j 1 --no-summary -d sigs/alpha.ndb big.zip
  expect_rc 1
  # Bad values are usage errors.
  scan --max-recursion=lots -d sigs/alpha.ndb big.zip
  expect_rc 2
  expect_stderr_line "vigil-scan: invalid --max-recursion value: lots"
}

case_archive_broken() {
  make_archives
  head -c 100000 long.tar.gz >cut.tar.gz  # the cut falls in noise.bin, before alpha.txt
  scan -j 1 --no-summary -d sigs/alpha.ndb cut.tar.gz
  expect_rc 0
  expect_stderr_line ".*cut.tar.gz: not fully scanned \([0-9]+ unreadable archive\(s\)\).*"
  scan -j 1 --no-summary --alert-broken -d sigs/alpha.ndb cut.tar.gz
  expect_rc 1
  expect_stdout "cut.tar.gz/noise.bin: Heuristics.Broken.Archive FOUND"  # cut inside noise.bin
}
