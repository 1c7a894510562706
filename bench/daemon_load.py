#!/usr/bin/env python3
"""Load test for a clamd-protocol daemon (vigild or clamd): concurrent INSTREAM clients.

Python 3 standard library only. Four subcommands; bench/daemon_load.sh runs them in order
against vigild and clamd in one session and appends the Markdown to bench/RESULTS.md.

  files   --out DIR [--roots "R..."] [--per-bucket K] [--seed S]
          Copies a mixed-size set of clean files into DIR/clean: K files from each size bucket
          1-4 KiB, 4-16 KiB, 16-64 KiB, 64-256 KiB, 256 KiB-1 MiB, 1-4 MiB, picked
          deterministically from the regular files under the roots. Planted (infected) files
          are written next to them by gen_sigs.py --plant-dir DIR/planted.

  expect  --files DIR --socket S [--socket S...] --ndb FILE [--planted FILE] [--suffix X]
          --out FILE
          Scans every file alone, one request at a time, on each daemon; and every file that is
          clean once more with a "tag" appended (the bytes of one plain body signature from
          FILE, chosen per file), which must then be reported by that signature's name. Writes
          FILE: one line per file on whose verdicts all daemons (and planted.txt, for planted
          files) agree: "size<TAB>verdict<TAB>tag_ok<TAB>relative path". Disagreements are
          listed on stderr and as "#" lines, and those files are left out of the load.

  run     --socket S --files DIR --expect FILE [--clients N] [--seconds T] [--reload-every R]
          [--ndb FILE] [--tag-fraction F] [--chunk BYTES] [--pid PID] [--label L] [--json OUT]
          N client threads start together and, until T seconds have passed, each picks a file
          at random, opens a new connection (one per request, as clamdscan does), sends
          zINSTREAM\\0 and the file in BYTES-sized chunks (default 8188 as clamdscan: BUFSIZ
          less the 4-byte length), appends
          to a fraction F (default 0.5) of the clean files a random tag (a plain signature from
          --ndb; the reply must then name it), sends the zero chunk, reads the reply and then
          the end of the connection. A request counts as correct only if the reply is exactly
          "stream: OK\\0" or "stream: NAME FOUND\\0" as expected for that file and tag, and
          nothing else arrives before the daemon closes. Tags make almost every request's
          verdict its own, so a reply delivered to the wrong connection shows up as "mixed".
          With --reload-every R a side thread sends zRELOAD\\0 every R seconds on its own
          connection and expects "RELOADING\\0". Prints requests/s, latency percentiles
          (connect to reply) and error counts; --json appends the result as one JSON line;
          --pid adds the daemon's CPU time during the run (from /proc).

  report  --json FILE [--ratio A:B ...]
          Markdown tables from the JSON lines (runs of the same daemon, client count and reload
          interval are pooled), and the ratios of daemon A to daemon B (default vigild:clamd).

Error classes: connect (the connection was refused or failed), lost (no complete reply: EOF
or timeout before the NUL, or the send failed), wrong (a reply that is neither the expected
verdict nor another request's), mixed (a verdict that belongs to another file or tag), extra
(bytes after the reply before EOF), error_reply (the daemon answered "... ERROR").
"""

import argparse
import bisect
import collections
import json
import os
import random
import re
import shutil
import socket
import stat
import struct
import sys
import threading
import time

BUCKETS = [(1 << 10, 4 << 10), (4 << 10, 16 << 10), (16 << 10, 64 << 10),
           (64 << 10, 256 << 10), (256 << 10, 1 << 20), (1 << 20, (4 << 20) + 1)]
SAFE = re.compile(r"^[A-Za-z0-9._+@,=~/-]+$")
IO_TIMEOUT = 60.0


# ---- client primitives -----------------------------------------------------------------------

def framed(data, chunk):
    """zINSTREAM\\0 and data as length-prefixed chunks, without the terminating zero chunk."""
    parts = [b"zINSTREAM\x00"]
    for i in range(0, len(data), chunk):
        c = data[i:i + chunk]
        parts.append(struct.pack(">I", len(c)))
        parts.append(c)
    return b"".join(parts)


def tail(tag):
    if tag:
        return struct.pack(">I", len(tag)) + tag + b"\x00\x00\x00\x00"
    return b"\x00\x00\x00\x00"


def connect(path, timeout=IO_TIMEOUT):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except BaseException:
        s.close()
        raise
    return s


def read_reply(s):
    """(reply up to and including the first NUL or None, bytes after it before EOF, t_reply)."""
    buf = b""
    t_reply = None
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            return (None, b"", None) if t_reply is None else (buf[:buf.index(b"\x00") + 1],
                                                               buf[buf.index(b"\x00") + 1:],
                                                               t_reply)
        except OSError:
            d = b""
        if not d:
            break
        buf += d
        if t_reply is None and b"\x00" in buf:
            t_reply = time.monotonic()
            s.settimeout(5.0)  # the daemon closes right after the reply
    if t_reply is None:
        return None, buf, None
    k = buf.index(b"\x00") + 1
    return buf[:k], buf[k:], t_reply


def instream(path, payload, end):
    """One request; (status, reply, extra, latency seconds)."""
    t0 = time.monotonic()
    try:
        s = connect(path)
    except OSError as e:
        return "connect", repr(e), b"", time.monotonic() - t0
    try:
        try:
            s.sendall(payload)
            s.sendall(end)
        except OSError as e:
            # The daemon may have replied (e.g. a size-limit error) and closed: read it anyway.
            reply, extra, t1 = read_reply(s)
            if reply is None:
                return "lost", "send: " + repr(e), b"", time.monotonic() - t0
            return "ok", reply, extra, t1 - t0
        reply, extra, t1 = read_reply(s)
        if reply is None:
            return "lost", extra, b"", time.monotonic() - t0
        return "ok", reply, extra, t1 - t0
    finally:
        s.close()


def verdict_of(reply):
    """b'stream: OK\\0' -> 'OK'; b'stream: X FOUND\\0' -> 'X'; anything else -> None."""
    if reply == b"stream: OK\x00":
        return "OK"
    m = re.fullmatch(rb"stream: (\S+) FOUND\x00", reply or b"")
    return m.group(1).decode() if m else None


def plain_tags(ndb, suffix):
    """[(name, bytes)] for the .ndb body signatures that are one literal (no wildcard, no gap)."""
    out = []
    with open(ndb) as f:
        for line in f:
            parts = line.rstrip("\n").split(":")
            if len(parts) >= 4 and parts[2] == "*" and re.fullmatch(r"[0-9a-f]{24,}", parts[3]):
                out.append((parts[0] + suffix, bytes.fromhex(parts[3])))
    if not out:
        sys.exit(f"daemon_load: no plain signatures in {ndb}")
    return out


# ---- files -----------------------------------------------------------------------------------

def cmd_files(a):
    rng = random.Random(f"daemon-load-files:{a.seed}")
    cand = [[] for _ in BUCKETS]
    for root in a.roots.split():
        for dirpath, dirnames, names in os.walk(root):
            dirnames.sort()
            for n in sorted(names):
                p = os.path.join(dirpath, n)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode) or not SAFE.match(p) or not os.access(p, os.R_OK):
                    continue
                for i, (lo, hi) in enumerate(BUCKETS):
                    if lo <= st.st_size < hi:
                        cand[i].append(p)
    out = os.path.join(a.out, "clean")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    total = 0
    for i, pool in enumerate(cand):
        pick = rng.sample(pool, min(a.per_bucket, len(pool)))
        for j, p in enumerate(sorted(pick)):
            dst = os.path.join(out, f"b{i}_{j:03d}_{os.path.basename(p)}")
            shutil.copyfile(p, dst)
            total += os.path.getsize(dst)
        print(f"bucket {BUCKETS[i][0]}-{BUCKETS[i][1] - 1}: {len(pick)} of {len(pool)} files",
              file=sys.stderr)
    print(f"{total} bytes in {out}", file=sys.stderr)


def list_files(root):
    out = []
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if os.path.isfile(p):
                out.append(os.path.relpath(p, root))
    return out


# ---- expect ----------------------------------------------------------------------------------

def cmd_expect(a):
    tags = plain_tags(a.ndb, a.suffix)
    planted = {}
    if a.planted:
        with open(a.planted) as f:
            for line in f:
                rel, name = line.split()
                planted[rel] = name + a.suffix
    rels = list_files(a.files)
    lines, bad = [], []
    for idx, rel in enumerate(rels):
        with open(os.path.join(a.files, rel), "rb") as f:
            data = f.read()
        payload = framed(data, a.chunk)
        tname, tbytes = tags[random.Random(f"expect-tag:{rel}").randrange(len(tags))]
        verdicts, tagged = [], []
        for sock in a.socket:
            st, reply, extra, _ = instream(sock, payload, tail(b""))
            verdicts.append(verdict_of(reply) if st == "ok" and not extra else f"<{st} {reply!r}>")
        tag_ok = 0
        if verdicts[0] == "OK":
            for sock in a.socket:
                st, reply, extra, _ = instream(sock, payload, tail(tbytes))
                tagged.append(verdict_of(reply) if st == "ok" and not extra else None)
            tag_ok = int(all(t == tname for t in tagged))
        want = planted.get(rel)
        agree = len(set(verdicts)) == 1 and verdicts[0] is not None \
            and not verdicts[0].startswith("<") and (want is None or verdicts[0] == want)
        if agree and verdicts[0] == "OK" and not tag_ok:
            why = clamscan_types(a, payload_bytes(data, tbytes)) if a.clamscan else ""
            bad.append(f"# tag disagree {rel} + {tname}: " + ", ".join(
                f"{os.path.basename(s)} {v}" for s, v in zip(a.socket, tagged))
                + (f" ({why})" if why else ""))
        if not agree:
            bad.append(f"# disagree {rel}: " + ", ".join(
                f"{os.path.basename(s)} {v}" for s, v in zip(a.socket, verdicts)) +
                (f" (planted {want})" if want else ""))
            continue
        lines.append(f"{len(data)}\t{verdicts[0]}\t{tag_ok}\t{rel}")
    with open(a.out, "w") as f:
        f.write(f"# daemon_load.py expect: {len(lines)} of {len(rels)} files agreed on "
                f"{len(a.socket)} daemon(s)\n")
        for b in bad:
            f.write(b + "\n")
        for line in lines:
            f.write(line + "\n")
    infected = sum(1 for line in lines if line.split("\t")[1] != "OK")
    print(f"expect: {len(lines)} of {len(rels)} files agreed ({infected} infected), "
          f"{len(bad)} discrepancies", file=sys.stderr)
    for b in bad:
        print(b, file=sys.stderr)
    # A file the daemons disagree on is left out of the load: a failure of the comparison. A
    # clean file that does not report its tag on every daemon is only never tagged.
    return 1 if len(lines) < len(rels) else 0


def payload_bytes(data, tag):
    return data + tag


def clamscan_types(a, data):
    """What clamscan --debug says about the file type of data (why a tag may go unseen)."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data)
        f.flush()
        r = subprocess.run([a.clamscan, "--debug", "--no-summary", "-d", a.ndb, f.name],
                           capture_output=True, text=True, errors="replace")
    seen = []
    for line in r.stderr.splitlines() + r.stdout.splitlines():
        m = re.search(r"(Recognized .*|Matched signature for file type .*|in cli_scan\w+\(\))",
                      line)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    return "clamscan --debug: " + "; ".join(seen) if seen else ""


def load_expect(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            size, verdict, tag_ok, rel = line.rstrip("\n").split("\t", 3)
            out.append((rel, int(size), verdict, tag_ok == "1"))
    return out


# ---- run -------------------------------------------------------------------------------------

def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def minor_faults(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return None


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) // 1024  # MiB
    except (OSError, ValueError):
        pass
    return None


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def cmd_run(a):
    entries = load_expect(a.expect)
    if not entries:
        sys.exit("daemon_load: no files in the expect list")
    tags = plain_tags(a.ndb, a.suffix) if a.ndb and a.tag_fraction > 0 else []
    files = []
    for rel, size, verdict, tag_ok in entries:
        with open(os.path.join(a.files, rel), "rb") as f:
            data = f.read()
        if len(data) != size:
            sys.exit(f"daemon_load: {rel} changed size since the expect list was made")
        files.append((rel, framed(data, a.chunk), verdict, tag_ok and bool(tags), size))
    # Verdicts a crossed reply could carry: any FOUND name of another file or tag. A reply of
    # OK where FOUND was expected (or another name nobody expects) counts as wrong.
    known = {v for _, _, v, _, _ in files if v != "OK"} | {n for n, _ in tags}

    barrier = threading.Barrier(a.clients + 1 + (1 if a.reload_every else 0))
    state = {"stop": False}
    results = [None] * a.clients
    examples = []
    ex_lock = threading.Lock()

    def worker(i):
        rng = random.Random(f"daemon-load:{a.seed}:{i}")
        lat, counts, nbytes, found = [], collections.Counter(), 0, 0
        barrier.wait()
        while time.monotonic() < deadline:
            rel, payload, verdict, can_tag, size = files[rng.randrange(len(files))]
            tag = b""
            want = verdict
            if can_tag and rng.random() < a.tag_fraction:
                want, tag = tags[rng.randrange(len(tags))]
            st, reply, extra, dt = instream(a.socket, payload, tail(tag))
            kind = st
            if st == "ok":
                got = verdict_of(reply)
                if got == want and not extra:
                    kind = "ok"
                    lat.append(dt)
                    nbytes += size + len(tag)
                    found += want != "OK"
                elif got == want:
                    kind = "extra"
                elif reply.endswith(b" ERROR\x00"):
                    kind = "error_reply"
                elif got in known:
                    kind = "mixed"
                else:
                    kind = "wrong"
            counts[kind] += 1
            if kind != "ok":
                with ex_lock:
                    if len(examples) < 20:
                        examples.append(f"{kind}: {rel} (+tag {want if tag else '-'}): "
                                        f"expected {want!r}, got {reply!r}"
                                        + (f" then {extra[:80]!r}" if extra else ""))
        results[i] = (lat, counts, nbytes, found)

    reload_stats = collections.Counter()
    reload_lat = []

    def reloader():
        barrier.wait()
        nxt = time.monotonic() + a.reload_every
        while True:
            wait = nxt - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if time.monotonic() >= deadline:
                break
            nxt += a.reload_every
            t0 = time.monotonic()
            try:
                s = connect(a.socket)
                try:
                    s.sendall(b"zRELOAD\x00")
                    reply, extra, _ = read_reply(s)
                finally:
                    s.close()
            except OSError as e:
                reply, extra = f"<{e!r}>".encode(), b""
            reload_lat.append(time.monotonic() - t0)
            if reply == b"RELOADING\x00" and not extra:
                reload_stats["ok"] += 1
            else:
                reload_stats["failed"] += 1
                with ex_lock:
                    examples.append(f"reload: got {reply!r} {extra!r}")

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.clients)]
    if a.reload_every:
        threads.append(threading.Thread(target=reloader, daemon=True))
    for t in threads:
        t.start()
    cpu0 = cpu_seconds(a.pid) if a.pid else None
    flt0 = minor_faults(a.pid) if a.pid else None
    own0 = os.times()
    load0 = os.getloadavg()
    start = time.monotonic()
    deadline = start + a.seconds
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu1 = cpu_seconds(a.pid) if a.pid else None
    flt1 = minor_faults(a.pid) if a.pid else None
    own1 = os.times()

    lat = sorted(x for r in results for x in r[0])
    counts = collections.Counter()
    for r in results:
        counts.update(r[1])
    nbytes = sum(r[2] for r in results)
    found = sum(r[3] for r in results)
    requests = sum(counts.values())
    errors = requests - counts["ok"]
    res = {
        "label": a.label or a.socket, "socket": a.socket, "clients": a.clients,
        "seconds": a.seconds, "elapsed": elapsed, "reload_every": a.reload_every,
        "files": len(files), "requests": requests, "ok": counts["ok"], "found": found,
        "errors": errors, "error_kinds": {k: v for k, v in counts.items() if k != "ok"},
        "bytes": nbytes, "req_per_s": counts["ok"] / elapsed, "mib_per_s": nbytes / elapsed / 2**20,
        "lat_ms": {p: (pct(lat, p) or 0) * 1000 for p in (50, 90, 99)},
        "lat_max_ms": (lat[-1] if lat else 0) * 1000,
        "lat_sum_s": sum(lat),
        "reloads_ok": reload_stats["ok"], "reloads_failed": reload_stats["failed"],
        "reload_max_ms": max(reload_lat, default=0) * 1000,
        "cpu_s": (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None,
        "minor_faults": (flt1 - flt0) if flt0 is not None and flt1 is not None else None,
        "client_cpu_s": (own1.user - own0.user) + (own1.system - own0.system),
        "rss_hwm_mib": proc_status(a.pid, "VmHWM") if a.pid else None,
        "loadavg_start": load0, "loadavg_end": os.getloadavg(),
        "chunk": a.chunk, "tag_fraction": a.tag_fraction if tags else 0.0,
        "examples": examples,
        "latencies_ms": [round(x * 1000, 3) for x in lat] if a.json else None,
    }
    l = res["lat_ms"]
    print(f"{res['label']}: {a.clients} clients, {elapsed:.1f} s: {counts['ok']} correct replies "
          f"of {requests} requests ({found} FOUND), {res['req_per_s']:.1f} req/s, "
          f"{res['mib_per_s']:.1f} MiB/s; latency ms p50 {l[50]:.1f} p90 {l[90]:.1f} "
          f"p99 {l[99]:.1f} max {res['lat_max_ms']:.1f}; errors {errors} "
          f"{dict(res['error_kinds']) or ''}"
          + (f"; reloads {reload_stats['ok']} ok, {reload_stats['failed']} failed "
             f"(slowest reply {res['reload_max_ms']:.0f} ms)" if a.reload_every else "")
          + (f"; daemon CPU {res['cpu_s']:.1f} s" if res["cpu_s"] is not None else "")
          + f"; client CPU {res['client_cpu_s']:.1f} s")
    for e in examples:
        print("  " + e)
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(res) + "\n")
    return 1 if errors or reload_stats["failed"] else 0


# ---- report ----------------------------------------------------------------------------------

def cmd_report(a):
    runs = []
    with open(a.json) as f:
        for line in f:
            if line.strip():
                runs.append(json.loads(line))
    groups = collections.OrderedDict()
    for r in runs:
        groups.setdefault((r["clients"], r["reload_every"] or 0), collections.OrderedDict()) \
            .setdefault(r["label"], []).append(r)

    def pooled(rs):
        lat = sorted(x for r in rs for x in r["latencies_ms"])
        el = sum(r["elapsed"] for r in rs)
        cpu = [r["cpu_s"] for r in rs if r["cpu_s"] is not None]
        ok = sum(r["ok"] for r in rs)
        kinds = collections.Counter()
        for r in rs:
            kinds.update(r["error_kinds"])
        return {
            "runs": len(rs), "req_s": ok / el, "mib_s": sum(r["bytes"] for r in rs) / el / 2**20,
            "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99), "max": lat[-1] if lat else 0,
            "requests": sum(r["requests"] for r in rs), "ok": ok,
            "found": sum(r["found"] for r in rs), "errors": sum(r["errors"] for r in rs),
            "kinds": kinds, "cpu_per_req_ms": (sum(cpu) / ok * 1000) if cpu and ok else None,
            "daemon_cores": sum(cpu) / el if cpu else None,
            "faults_per_req": (sum(r.get("minor_faults") or 0 for r in rs) / ok) if ok else None,
            "client_cores": sum(r.get("client_cpu_s", 0) for r in rs) / el,
            "per_run": [r["req_per_s"] for r in rs],
            "reloads_ok": sum(r["reloads_ok"] for r in rs),
            "reloads_failed": sum(r["reloads_failed"] for r in rs),
            "reload_max": max((r["reload_max_ms"] for r in rs), default=0),
            "rss": max((r["rss_hwm_mib"] or 0 for r in rs), default=0),
        }

    out = []
    for (clients, reload_every), by_label in groups.items():
        title = f"{clients} clients" + (f", RELOAD every {reload_every:g} s" if reload_every else "")
        runs_text = ", ".join("%s: %d run(s) of %g s" % (k, len(v), v[0]["seconds"])
                              for k, v in by_label.items())
        out.append(f"**{title}** ({runs_text})")
        out.append("")
        hdr = ("| daemon | req/s | MiB/s | p50 ms | p90 ms | p99 ms | max ms | correct / requests (FOUND) "
               "| errors | daemon CPU ms/req | daemon page faults/req | cores busy: daemon / client |")
        sep = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        if reload_every:
            hdr += " RELOADs ok / failed (slowest reply ms) |"
            sep += "---:|"
        out += [hdr, sep]
        stats = {}
        for label, rs in by_label.items():
            s = stats[label] = pooled(rs)
            err = str(s["errors"]) + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(s["kinds"].items())) + ")"
                                      if s["kinds"] else "")
            cpu = f"{s['cpu_per_req_ms']:.2f}" if s["cpu_per_req_ms"] is not None else ""
            row = (f"| {label} | {s['req_s']:.1f} | {s['mib_s']:.1f} | {s['p50']:.1f} | {s['p90']:.1f} | "
                   f"{s['p99']:.1f} | {s['max']:.1f} | {s['ok']} / {s['requests']} ({s['found']}) | "
                   f"{err} | {cpu} | "
                   + (f"{s['faults_per_req']:.1f}" if s["faults_per_req"] is not None else "")
                   + " | "
                   + (f"{s['daemon_cores']:.2f}" if s["daemon_cores"] is not None else "")
                   + f" / {s['client_cores']:.2f} |")
            if reload_every:
                row += f" {s['reloads_ok']} / {s['reloads_failed']} ({s['reload_max']:.0f}) |"
            out.append(row)
        for pair in a.ratio or ["vigild:clamd"]:
            label, _, other = pair.partition(":")
            s, base = stats.get(label), stats.get(other)
            if s and base:
                parts = [f"req/s {s['req_s'] / base['req_s']:.2f}x"]
                for p in ("p50", "p90", "p99"):
                    if base[p]:
                        parts.append(f"{p} {s[p] / base[p]:.2f}x")
                if s["cpu_per_req_ms"] and base["cpu_per_req_ms"]:
                    parts.append(f"CPU per request {s['cpu_per_req_ms'] / base['cpu_per_req_ms']:.2f}x")
                out.append("")
                out.append(f"Ratio {label}/{other}: " + ", ".join(parts)
                           + " (req/s: >1 better; latency, CPU: <1 better).")
        spread = "; ".join(f"{k} " + ", ".join(f"{x:.1f}" for x in s["per_run"])
                           for k, s in stats.items() if s["runs"] > 1)
        if spread:
            out.append("")
            out.append(f"req/s of the single runs: {spread}.")
        out.append("")
    print("\n".join(out).rstrip())
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    f = sub.add_parser("files")
    f.add_argument("--out", required=True)
    f.add_argument("--roots", default="/usr/bin /usr/lib /usr/share")
    f.add_argument("--per-bucket", type=int, default=24)
    f.add_argument("--seed", type=int, default=1)

    e = sub.add_parser("expect")
    e.add_argument("--files", required=True)
    e.add_argument("--socket", action="append", required=True)
    e.add_argument("--ndb", required=True)
    e.add_argument("--planted")
    e.add_argument("--suffix", default=".UNOFFICIAL")
    e.add_argument("--chunk", type=int, default=8188)
    e.add_argument("--out", required=True)
    e.add_argument("--clamscan", help="explain tag disagreements with clamscan --debug")

    r = sub.add_parser("run")
    r.add_argument("--socket", required=True)
    r.add_argument("--files", required=True)
    r.add_argument("--expect", required=True)
    r.add_argument("--clients", type=int, default=16)
    r.add_argument("--seconds", type=float, default=20)
    r.add_argument("--reload-every", type=float, default=0)
    r.add_argument("--ndb", help="signatures to draw tags from (no tags without it)")
    r.add_argument("--suffix", default=".UNOFFICIAL")
    r.add_argument("--tag-fraction", type=float, default=0.5)
    r.add_argument("--chunk", type=int, default=8188)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--pid", type=int)
    r.add_argument("--label")
    r.add_argument("--json")

    p = sub.add_parser("report")
    p.add_argument("--json", required=True)
    p.add_argument("--ratio", action="append", help="A:B, repeatable (default vigild:clamd)")

    a = ap.parse_args()
    sys.exit({"files": cmd_files, "expect": cmd_expect, "run": cmd_run,
              "report": cmd_report}[a.cmd](a))


if __name__ == "__main__":
    main()
