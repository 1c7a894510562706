#!/usr/bin/env python3
"""Generate a benchmark signature set and, optionally, the planted positives for it.

Signature i depends only on (seed, i), so the set for --count 1000 is a prefix of the set for
--count 100000: one corpus planted with signatures from the first PLANT_FROM indices serves
every count. The mix is fixed by index: i % 10 in 0..6 -> plain 12-32 random bytes, 7..8 ->
the same with 1-3 '??' wildcards inside, 9 -> 2-3 literal runs joined by '{n-m}' gaps (m <= 32).

Outputs, in --out DIR:
  bench.ndb     ClamAV body signatures, "Bench.Sig.<i>:0:*:<hex>"
  bench.yar     the same signatures as YARA rules, one rule "Bench_Sig_<i>" per signature
  planted.txt   "<file relative to the corpus root> <signature name>", one per planted file
With --plant-dir DIR the planted files themselves are (re)written there, and hosts.txt names
the real file each "host" placement was built from.

Usage: gen_sigs.py --count N [--seed S] --out DIR [--planted K] [--plant-from N]
                   [--plant-dir CORPUS/files/planted] [--hosts "ROOT..."]
"""

import argparse
import hashlib
import os
import random
import re
import stat
import sys

KIND_PLAIN, KIND_WILDCARD, KIND_GAP = "plain", "wildcard", "gap"
SAFE_NAME = re.compile(r"^[A-Za-z0-9._+@,=~/-]+$")


def kind_of(index):
    r = index % 10
    if r < 7:
        return KIND_PLAIN
    if r < 9:
        return KIND_WILDCARD
    return KIND_GAP


def random_bytes(rng, n):
    """n random bytes that are not all one value (a degenerate run would match too much)."""
    while True:
        b = bytes(rng.getrandbits(8) for _ in range(n))
        if len(set(b)) > 1:
            return b


def make_signature(seed, index):
    """The signature as a list of parts: ("lit", bytes) | ("any",) | ("gap", n, m).

    Every signature starts and ends with a literal run of at least 4 bytes, so it is valid for
    ClamAV (no leading/trailing wildcard) and YARA (no leading/trailing jump) alike, and every
    literal run is long enough to be a selective matcher fragment.
    """
    rng = random.Random(f"vigil-bench:{seed}:{index}")
    kind = kind_of(index)
    if kind == KIND_PLAIN:
        return [("lit", random_bytes(rng, rng.randint(12, 32)))]
    if kind == KIND_WILDCARD:
        length = rng.randint(12, 32)
        data = random_bytes(rng, length)
        holes = sorted(rng.sample(range(4, length - 4), rng.randint(1, 3)))
        parts, run = [], bytearray()
        for pos, byte in enumerate(data):
            if pos in holes:
                if run:
                    parts.append(("lit", bytes(run)))
                    run = bytearray()
                parts.append(("any",))
            else:
                run.append(byte)
        parts.append(("lit", bytes(run)))
        return parts
    runs = rng.randint(2, 3)
    parts = []
    for r in range(runs):
        if r:
            hi = rng.randint(1, 32)
            parts.append(("gap", rng.randint(0, hi), hi))
        parts.append(("lit", random_bytes(rng, rng.randint(6, 16))))
    return parts


def ndb_hex(parts):
    out = []
    for p in parts:
        if p[0] == "lit":
            out.append(p[1].hex())
        elif p[0] == "any":
            out.append("??")
        else:
            out.append("{%d-%d}" % (p[1], p[2]))
    return "".join(out)


def yara_hex(parts):
    out = []
    for p in parts:
        if p[0] == "lit":
            out.extend("%02X" % b for b in p[1])
        elif p[0] == "any":
            out.append("??")
        else:
            out.append("[%d-%d]" % (p[1], p[2]))
    return " ".join(out)


def instantiate(parts, rng, gap_mode="random"):
    """Concrete bytes matching the signature: wildcards and gaps filled with random bytes.

    gap_mode picks each gap's length: "min" (n), "max" (m) or "random" (n..m); the bounds are
    where an off-by-one in a matcher shows."""
    out = bytearray()
    for p in parts:
        if p[0] == "lit":
            out += p[1]
        elif p[0] == "any":
            out.append(rng.getrandbits(8))
        else:
            n = {"min": p[1], "max": p[2]}.get(gap_mode)
            if n is None:
                n = rng.randint(p[1], p[2])
            out += bytes(rng.getrandbits(8) for _ in range(n))
    return bytes(out)


def ndb_name(index):
    return f"Bench.Sig.{index}"


def yara_name(index):
    return f"Bench_Sig_{index}"


def plant_choice(seed, planted, plant_from):
    """Which signature indices are planted: spread over all three kinds, sorted."""
    rng = random.Random(f"vigil-bench-plant:{seed}")
    by_kind = {k: [i for i in range(plant_from) if kind_of(i) == k]
               for k in (KIND_PLAIN, KIND_WILDCARD, KIND_GAP)}
    # At least a fifth of the planted set for each rarer kind, the rest plain.
    want = {KIND_WILDCARD: max(1, planted // 5), KIND_GAP: max(1, planted // 5)}
    want[KIND_PLAIN] = max(0, planted - want[KIND_WILDCARD] - want[KIND_GAP])
    chosen = []
    for k, n in want.items():
        pool = by_kind[k]
        if n > len(pool):
            sys.exit(f"gen_sigs: cannot plant {n} {k} signatures from the first {plant_from}")
        chosen += rng.sample(pool, n)
    return sorted(chosen)


# Where the signature goes in a planted file; cycles so every placement is exercised.
# "host" embeds it in a copy of a real file (ELF, gzip, PNG, text...; see --hosts), so the
# tools' file-type handling is exercised as well as their matching.
PLACEMENTS = ("middle", "start", "end", "alone", "large-tail", "chunk-edge", "host")


def host_files(roots):
    """Candidate host files under roots: regular, 4 KiB-2 MiB, plain names; sorted."""
    found = []
    for root in roots:
        for dirpath, dirnames, names in os.walk(root):
            dirnames.sort()
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode) and 4096 <= st.st_size <= 2 << 20 \
                        and SAFE_NAME.match(path) and os.access(path, os.R_OK):
                    found.append(path)
    return sorted(found)


# Host kinds by leading bytes, cycled over the "host" slots; None = anything else (text...).
HOST_KINDS = ((b"\x7fELF", "ELF"), (b"\x1f\x8b", "gzip"), (b"\x89PNG", "PNG"),
              (b"PK\x03\x04", "zip"), (b"%PDF", "PDF"), (None, "other"))


def pick_host(hosts, seed, slot):
    """A host file for slot: the first candidate of the slot's kind, in an order given by a
    hash of the slot (stable per machine); any candidate if none is of that kind."""
    magic, _ = HOST_KINDS[(slot // len(PLACEMENTS)) % len(HOST_KINDS)]
    digest = hashlib.sha1(f"vigil-bench-host:{seed}:{slot}".encode()).digest()
    start = int.from_bytes(digest[:8], "big") % len(hosts)
    for k in range(len(hosts)):
        path = hosts[(start + k) % len(hosts)]
        try:
            with open(path, "rb") as f:
                head = f.read(4)
        except OSError:
            continue
        known = any(m and head.startswith(m) for m, _ in HOST_KINDS)
        if (magic and head.startswith(magic)) or (magic is None and not known):
            return path
    return hosts[start]


def planted_file_bytes(parts, seed, slot, host=None):
    rng = random.Random(f"vigil-bench-file:{seed}:{slot}")
    sig = instantiate(parts, rng, ("min", "max", "random")[slot % 3])
    placement = PLACEMENTS[slot % len(PLACEMENTS)]
    if placement == "host" and host:
        with open(host, "rb") as f:
            data = f.read()
        cut = rng.randint(len(data) // 4, len(data) * 3 // 4)
        return data[:cut] + sig + data[cut:]
    if placement in ("alone", "host"):
        return sig
    if placement == "large-tail":
        # 1.25-2 MB so the match lies past any small first read or mapping chunk.
        size = rng.randint(5 << 18, 2 << 20)
        return rng.randbytes(size - len(sig) - 17) + sig + rng.randbytes(17)
    if placement == "chunk-edge":
        # Straddle a 1 MiB boundary, where a chunked or streaming scanner splits the input.
        head = (1 << 20) - len(sig) // 2
        return rng.randbytes(head) + sig + rng.randbytes(4096)
    size = rng.randint(4096, 65536)
    filler = rng.randbytes(size)
    if placement == "start":
        return sig + filler
    if placement == "end":
        return filler + sig
    cut = rng.randint(1, size - 1)
    return filler[:cut] + sig + filler[cut:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="directory for bench.ndb, bench.yar, planted.txt")
    ap.add_argument("--planted", type=int, default=50, help="number of planted files")
    ap.add_argument("--plant-from", type=int, default=1000,
                    help="plant only signatures with index below this (default 1000)")
    ap.add_argument("--plant-dir", help="write the planted files into this directory")
    ap.add_argument("--hosts", default="/usr/bin /usr/lib /usr/share",
                    help="space-separated roots to pick real host files from ('' for none)")
    args = ap.parse_args()

    plant_from = min(args.plant_from, args.count)
    if args.count < 1 or args.planted < 0:
        sys.exit("gen_sigs: --count must be >= 1 and --planted >= 0")
    os.makedirs(args.out, exist_ok=True)

    sigs = (make_signature(args.seed, i) for i in range(args.count))
    with open(os.path.join(args.out, "bench.ndb"), "w") as ndb, \
            open(os.path.join(args.out, "bench.yar"), "w") as yar:
        for i, parts in enumerate(sigs):
            ndb.write(f"{ndb_name(i)}:0:*:{ndb_hex(parts)}\n")
            yar.write(f"rule {yara_name(i)} {{ strings: $a = {{ {yara_hex(parts)} }} "
                      f"condition: $a }}\n")

    chosen = plant_choice(args.seed, args.planted, plant_from)
    hosts_used = []
    hosts = []
    if args.plant_dir:
        os.makedirs(args.plant_dir, exist_ok=True)
        hosts = host_files(args.hosts.split())
    with open(os.path.join(args.out, "planted.txt"), "w") as listing:
        for slot, index in enumerate(chosen):
            rel = f"planted/plant_{slot:03d}_{PLACEMENTS[slot % len(PLACEMENTS)]}.bin"
            listing.write(f"{rel} {ndb_name(index)}\n")
            if args.plant_dir:
                host = None
                if hosts and PLACEMENTS[slot % len(PLACEMENTS)] == "host":
                    host = pick_host(hosts, args.seed, slot)
                    hosts_used.append(f"{rel} {host}\n")
                data = planted_file_bytes(make_signature(args.seed, index), args.seed, slot, host)
                with open(os.path.join(args.plant_dir, os.path.basename(rel)), "wb") as f:
                    f.write(data)
    if args.plant_dir:
        with open(os.path.join(args.out, "hosts.txt"), "w") as f:
            f.writelines(hosts_used)


if __name__ == "__main__":
    main()
