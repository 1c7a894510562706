#!/usr/bin/env python3
"""Decompression bombs against vigil-scan (and clamscan, for reference), issue 5's "Proof: bombs".

    bombs.py --vigil-scan BUILD/scanner-cli/vigil-scan [--workdir DIR] [--no-append]

Makes, once (cached in --workdir), five hostile inputs:
  recursive.zip  42.zip-style: 4 levels of 16 zips, 1 GiB of zeros at each of the 65,536
                 leaves (64 TiB in all), each level's member stored once and referenced 16 times
  overlap.zip    a non-recursive bomb: 1,000 central-directory entries that all point at the
                 same deflated 1 GiB of zeros (about 1 TiB from about 1 MB)
  zeros.gz       10 GiB of zeros, gzip
  nest100.zip    a file nested in 100 levels of zip
  million.tar.gz 1,000,000 empty members
and scans each with vigil-scan (default limits, JSON), recording wall time, peak RSS (from
/usr/bin/time), the limit that stopped it and the bytes scanned, then with clamscan on the same
file with a one-signature database. Appends a Markdown section to bench/RESULTS.md.
"""
import argparse
import datetime
import json
import os
import struct
import subprocess
import sys
import zlib

GIB = 1 << 30
CHUNK = 16 << 20


def deflate_zeros(size):
    """Raw deflate of `size` zero bytes, and their CRC-32."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out, crc, block, left = [], 0, bytes(CHUNK), size
    while left:
        n = min(left, CHUNK)
        piece = block if n == CHUNK else bytes(n)
        crc = zlib.crc32(piece, crc)
        out.append(comp.compress(piece))
        left -= n
    out.append(comp.flush())
    return b"".join(out), crc


def deflate(data):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush()


def zip_of(entries):
    """A zip from (name, compressed bytes, crc, uncompressed size, method), members in order.
    Sizes must fit 32 bits (no zip64)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, usize, method in entries:
        n = name.encode()
        off = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data),
                           usize, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                               crc, len(data), usize, len(n), 0, 0, 0, 0, 0, off) + n
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       cd_off, 0)
    return bytes(out)


def make_recursive(path):
    leaf, crc = deflate_zeros(GIB)
    level = zip_of([(f"{i}.bin", leaf, crc, GIB, 8) for i in range(16)])
    for depth in range(3):
        data = deflate(level)
        level = zip_of([(f"{i}.zip", data, zlib.crc32(level), len(level), 8) for i in range(16)])
    with open(path, "wb") as f:
        f.write(level)


def make_overlap(path, entries=1000):
    leaf, crc = deflate_zeros(GIB)
    n = b"kernel.bin"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(leaf), GIB,
                        len(n), 0) + n + leaf
    central = bytearray()
    for i in range(entries):
        name = f"f{i:04d}.bin".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(leaf), GIB, len(name), 0, 0, 0, 0, 0, 0) + name
    with open(path, "wb") as f:
        f.write(local + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries,
                                              len(central), len(local), 0))


def make_gzip_zeros(path, size=10 * GIB):
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(CHUNK)
    with open(path, "wb") as f:
        for _ in range(size // CHUNK):
            f.write(comp.compress(block))
        f.write(comp.flush())


def make_nested(path, levels=100):
    data = b"the innermost file\n"
    for i in range(levels):
        data = zip_of([(f"level{i}", data, zlib.crc32(data), len(data), 0)])
    with open(path, "wb") as f:
        f.write(data)


def tar_header(name):
    """A ustar header for an empty regular file."""
    h = bytearray(512)
    fields = [(0, name.encode()), (100, b"0000644\0"), (108, b"0000000\0"), (116, b"0000000\0"),
              (124, b"00000000000\0"), (136, b"14446000000\0"), (156, b"0"),
              (257, b"ustar\0"), (263, b"00")]
    for off, val in fields:
        h[off:off + len(val)] = val
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def make_million(path, count=1000000):
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        for start in range(0, count, 10000):
            block = b"".join(tar_header(f"e{i:07d}") for i in range(start, start + 10000))
            f.write(comp.compress(block))
        f.write(comp.compress(bytes(1024)) + comp.flush())


BOMBS = [
    ("recursive.zip", "42.zip-style: 4 levels x 16, 1 GiB of zeros per leaf (64 TiB)",
     make_recursive),
    ("overlap.zip", "1,000 entries over one deflated 1 GiB of zeros (1 TiB)", make_overlap),
    ("zeros.gz", "10 GiB of zeros, gzip", make_gzip_zeros),
    ("nest100.zip", "100 levels of zip", make_nested),
    ("million.tar.gz", "1,000,000 empty members", make_million),
]


def timed(argv):
    """(exit status, stdout, seconds, peak RSS MiB) of argv under /usr/bin/time."""
    proc = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + argv, capture_output=True,
                          text=True, timeout=3600)
    line = [x for x in proc.stderr.splitlines() if x.startswith("TIME ")][-1].split()
    return proc.returncode, proc.stdout, float(line[1]), int(line[2]) / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil-scan", required=True)
    ap.add_argument("--workdir", default="build-bench/bombs")
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    sig = os.path.join(args.workdir, "one.ndb")
    with open(sig, "w") as f:
        f.write("Bomb.Test.Marker:0:*:424f4d42544553544d41524b4552\n")  # "BOMBTESTMARKER"
    rows = []
    for name, what, make in BOMBS:
        path = os.path.join(args.workdir, name)
        if not os.path.exists(path):
            print(f"bombs: making {name}", file=sys.stderr)
            make(path + ".tmp")
            os.replace(path + ".tmp", path)
        size = os.path.getsize(path)
        rc, out, secs, rss = timed([args.vigil_scan, "--json", "--no-summary", "-d", sig, path])
        obj = json.loads(out.splitlines()[0])
        arc, aout, _, _ = timed([args.vigil_scan, "--no-summary", "--alert-exceeds-max", "-d", sig,
                                 path])
        crc, cout, csecs, crss = timed(["clamscan", "--no-summary", "-d", sig, path])
        rows.append((name, what, size, obj, rc, secs, rss, aout.strip(), cout.strip(), crc, csecs,
                     crss))
        print(f"{name}: vigil {secs:.2f}s {rss:.0f} MiB {obj.get('limits_exceeded')}; "
              f"clamscan {csecs:.2f}s {crss:.0f} MiB", file=sys.stderr)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    md = [f"\n### Decompression bombs ({now})\n",
          f"Command: `bench/bombs.py --vigil-scan {args.vigil_scan}`; 2 cores, load average "
          f"{load} at the end. vigil-scan with its default limits (depth 17, 10,000 members per "
          "archive, 400 MiB scanned per file, 100 MiB per member, ratio 1000:1, 120 s), one "
          "body signature; clamscan 1.4.6 with the same signature and its defaults. Wall time "
          "and peak RSS from `/usr/bin/time`.\n",
          "| input | what | size | vigil-scan: stopped by | vigil s | vigil peak RSS MiB | "
          "--alert-exceeds-max | clamscan s | clamscan peak RSS MiB | clamscan says |",
          "|---|---|---:|---|---:|---:|---|---:|---:|---|"]
    for (name, what, size, obj, rc, secs, rss, aout, cout, crc, csecs, crss) in rows:
        limits = ", ".join(obj.get("limits_exceeded", [])) or "(none)"
        alert = aout.split(": ", 1)[-1] if aout else ""
        csay = cout.split(": ", 1)[-1] if cout else f"exit {crc}"
        md.append(f"| `{name}` | {what} | {size:,} | {limits} | {secs:.2f} | {rss:.0f} | "
                  f"{alert} | {csecs:.2f} | {crss:.0f} | {csay} |")
    text = "\n".join(md) + "\n"
    print(text)
    if not args.no_append:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"),
                  "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
