# shellcheck shell=bash
# vigil-scan CLI cases: archives (made here with python3's zipfile, tarfile, gzip): member
# paths in text and JSON, zip member compressions libarchive cannot write (bzip2, lzma),
# --no-archive, the --max-* limits and their warning, --alert-* detections and exit codes.
# Sourced by cli_test.sh.

# make_archives: alpha.zip (bzip2 member), alpha-lzma.zip, nested.tar.gz (zip in a tar.gz),
# deep.zip (alpha 3 zips down), big.zip (alpha past 3 MiB of zeros), long.tar.gz (alpha after
# 200 KB of noise), alpha4.rar and alpha5.rar (stored).
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
open("evil-name.zip", "wb").write(zbytes([("x\nforged.txt: OK\x1b[2J", alpha)]))
open("big.zip", "wb").write(zbytes([("big.bin", b"\0" * (3 << 20) + alpha)]))
import os
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    for name, data in (("noise.bin", os.urandom(200000)), ("alpha.txt", alpha)):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
open("long.tar.gz", "wb").write(buf.getvalue())

# RAR 4 and RAR 5 with one stored member, written from the published formats (no RAR writer
# is packaged): header CRCs, a file header, the end-of-archive header.
import struct, zlib
def vint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
def rar5_block(htype, body, data=b""):
    fields = vint(htype) + vint(0x0002 if data else 0) + (vint(len(data)) if data else b"") + body
    hdr = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(hdr)) + hdr + data
def rar4_block(htype, flags, body, data=b""):
    hdr = struct.pack("<BHH", htype, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(hdr) & 0xFFFF) + hdr + data
data = b"hello " + alpha + b" world"
name = b"doc/a.txt"
file5 = (vint(0x0004) + vint(len(data)) + vint(0x20) + struct.pack("<I", zlib.crc32(data)) +
         vint(0) + vint(0) + vint(len(name)) + name)  # stored, Windows attributes
open("alpha5.rar", "wb").write(b"Rar!\x1a\x07\x01\x00" + rar5_block(1, vint(0)) +
                               rar5_block(2, file5, data) + rar5_block(5, vint(0)))
file4 = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), 0x5A000000, 20,
                    0x30, len(name), 0x20) + name  # Win32, stored
open("alpha4.rar", "wb").write(b"Rar!\x1a\x07\x00" + rar4_block(0x73, 0, bytes(6)) +
                               rar4_block(0x74, 0x8000, file4, data) + rar4_block(0x7B, 0x4000, b""))
PY
}

case_archive_members() {
  make_archives
  scan -j 1 --no-summary -d sigs/alpha.ndb alpha.zip alpha-lzma.zip nested.tar.gz deep.zip \
    alpha4.rar alpha5.rar
  expect_rc 1
  expect_stdout "alpha.zip/a.txt: Test.Alpha FOUND" "alpha-lzma.zip/a.txt: Test.Alpha FOUND" \
    "nested.tar.gz/inner.zip/dir/alpha.txt: Test.Alpha FOUND" "deep.zip/l2/l1/l0: Test.Alpha FOUND" \
    "alpha4.rar/doc/a.txt: Test.Alpha FOUND" "alpha5.rar/doc/a.txt: Test.Alpha FOUND"
  need_python
  scan -j 1 --json --no-summary -d sigs/alpha.ndb nested.tar.gz
  check_json '
import json, sys
d = json.loads(sys.stdin.read())
assert d["detections"][0]["path"] == ["nested.tar.gz", "inner.zip", "dir/alpha.txt"], d
'
  # A member name cannot forge or break an output line: control bytes are written as \xNN.
  scan -j 1 --no-summary -d sigs/alpha.ndb evil-name.zip
  expect_rc 1
  expect_stdout 'evil-name.zip/x\x0aforged.txt: OK\x1b[2J: Test.Alpha FOUND'
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
