"""vigild reloads: a DAT replaced on disk, RELOAD, SIGUSR2, a corrupt DAT, reloads under load.

Each DAT version adds one marker signature (V2, V3, ...), so the file carrying a marker tells
which database answered, and VERSION must show the DAT version. RELOAD and SIGUSR2 are tested
with a replacement DAT that keeps the old file's modification time: vigild's file watch (which
compares mtimes, as clamd's SelfCheck does) cannot see it, so only the command or the signal can
have loaded it.
"""
import os
import random
import re
import shutil
import signal
import socket
import threading
import time

from vigild_harness import (MARKERS, SUFFIX, Daemon, chunk, eq, instream, ok, run, talk,
                            wait_for)

RELOAD_NAMES = {
    1: ("Vigil.Test.One", "Vigil.Test.Two"),
    2: ("Vigil.Test.One", "Vigil.Test.Two", "Vigil.Test.V2"),
    3: ("Vigil.Test.One", "Vigil.Test.Two", "Vigil.Test.V2", "Vigil.Test.V3"),
    4: ("Vigil.Test.One", "Vigil.Test.Two", "Vigil.Test.V2", "Vigil.Test.V3", "Vigil.Test.V4"),
    5: ("Vigil.Test.One", "Vigil.Test.Two", "Vigil.Test.V2", "Vigil.Test.V5"),
}
PICKUP_S = 10  # how long a reload may take to show (the watch polls once a second)


def replace_keeping_mtime(src, dst):
    """Atomically puts a copy of src at dst with dst's current modification time."""
    st = os.stat(dst)
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, dst)


def replace(src, dst):
    """Atomically puts a copy of src at dst (a new modification time)."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def register(checks, args, work, corpus):
    stage = os.path.join(work, "reload-stage")
    db = os.path.join(work, "reload-db")
    os.makedirs(stage)
    os.makedirs(db)
    dats = {v: corpus.dat(os.path.join(stage, f"v{v}.vdat"), v, names)
            for v, names in RELOAD_NAMES.items()}
    dat = os.path.join(db, "vigil.vdat")
    shutil.copyfile(dats[1], dat)
    marked = {}
    for v in (2, 3, 4, 5):
        marked[v] = os.path.join(work, "reload-files", f"v{v}.txt")
        os.makedirs(os.path.dirname(marked[v]), exist_ok=True)
        with open(marked[v], "wb") as f:
            f.write(b"reload test " + MARKERS[f"Vigil.Test.V{v}"] + b"\n")

    d = Daemon("vigild", args.vigild, work, "reload", [
        ("DatabaseDirectory", db), ("AllowUnsigned", "yes"), ("MaxThreads", "8"),
        ("CacheDirectory", os.path.join(work, "cache")), ("StreamMaxLength", "1M"),
        ("CommandReadTimeout", "5"), ("ReadTimeout", "5")], tcp=True)
    d.start()

    def scan(path):
        return talk(d.sock, b"zSCAN %s\x00" % path.encode())

    def detected(v):
        return scan(marked[v]) == b"%s: Vigil.Test.V%d%s FOUND\x00" % (
            marked[v].encode(), v, SUFFIX.encode())

    def version_field():
        m = re.match(rb"ClamAV 1\.4\.6/(\d+)/", talk(d.sock, b"zVERSION\x00"))
        return int(m.group(1)) if m else None

    def picked_up(v, how):
        ok(wait_for(lambda: detected(v), PICKUP_S), f"DAT version {v} not in use {PICKUP_S}s "
           f"after {how}: {scan(marked[v])!r}")
        eq(version_field(), v, "the DAT version VERSION shows")

    def initial():
        eq(scan(marked[2]), marked[2].encode() + b": OK\x00", "v2 marker under DAT v1")
        eq(version_field(), 1, "the DAT version VERSION shows")

    checks.run("reload.initial-dat", initial)

    def on_disk():
        # vigil-dat writes the new DAT next to the old one and renames it into place.
        src = corpus.sources("reload-src-2", RELOAD_NAMES[2])
        rc, _, err = run([args.vigil_dat, "compile", src, "-o", dat, "--version", "2",
                          "--unofficial-suffix"])
        eq(rc, 0, f"vigil-dat compile ({err})")
        picked_up(2, "vigil-dat compile -o wrote it over the old one")

    checks.run("reload.dat-replaced-on-disk", on_disk)

    def command():
        eq(talk(d.sock, b"nRELOAD\n"), b"RELOADING\n", "nRELOAD reply")
        eq(talk(d.tcp, b"RELOAD"), b"RELOADING\n", "bare RELOAD reply over TCP")
        time.sleep(1.5)  # those reloads (of the same DAT) are over before the file changes
        replace_keeping_mtime(dats[3], dat)
        eq(talk(d.sock, b"zRELOAD\x00"), b"RELOADING\x00", "RELOAD reply")
        picked_up(3, "RELOAD")

    checks.run("reload.command", command)

    def sigusr2():
        replace_keeping_mtime(dats[4], dat)
        d.proc.send_signal(signal.SIGUSR2)
        picked_up(4, "SIGUSR2")

    checks.run("reload.sigusr2", sigusr2)

    def corrupt():
        if version_field() != 4:  # run on its own (--only): start from DAT 4
            replace(dats[4], dat)
            picked_up(4, "a DAT was replaced")
        before = d.log().count("\n")
        with open(dat + ".new", "wb") as f:
            f.write(b"this is not a DAT\n" * 100)
        os.replace(dat + ".new", dat)
        failed = wait_for(lambda: [x for x in d.log().splitlines()[before:]
                                   if re.search("reload failed", x, re.I)], PICKUP_S)
        ok(failed, "no 'reload failed' line in the log after a corrupt DAT: "
           + repr(d.log().splitlines()[before:]))
        ok("vigil.vdat" in "\n".join(d.log().splitlines()[before:]),
           f"the log does not name the DAT that failed: {failed!r}")
        eq(talk(d.sock, b"zRELOAD\x00"), b"RELOADING\x00", "RELOAD reply with a corrupt DAT")
        time.sleep(1.5)  # let that reload fail too
        ok(d.alive(), "vigild exited")
        eq(talk(d.sock, b"zPING\x00"), b"PONG\x00", "PING")
        ok(detected(4), f"the old engine (DAT 4) no longer answers: {scan(marked[4])!r}")
        eq(talk(d.tcp, instream(corpus.eicar + b"\n")),
           b"stream: Vigil.Test.Eicar" + SUFFIX.encode() + b" FOUND\x00", "INSTREAM")
        eq(version_field(), 4, "the DAT version VERSION shows")

    checks.run("reload.corrupt-dat-keeps-old-engine", corrupt)

    def recovers():  # a good DAT after the corrupt one is taken (DAT 5 drops V3 and V4)
        replace(dats[5], dat)
        picked_up(5, "a good DAT replaced the corrupt one")
        eq(scan(marked[4]), marked[4].encode() + b": OK\x00", "v4 marker under DAT v5")

    checks.run("reload.recovers-after-corrupt-dat", recovers)

    def stream_across_reload():
        # An INSTREAM begun under DAT 4 ends on DAT 4, though DAT 5 (without V4) came between.
        replace(dats[4], dat)
        picked_up(4, "DAT 4 was put back")
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(20)
        s.connect(d.sock)
        s.sendall(b"zINSTREAM\x00" + chunk(b"x" * 300000 + MARKERS["Vigil.Test.V4"]))
        replace(dats[5], dat)
        picked_up(5, "DAT 5 replaced DAT 4 during a stream")
        s.sendall(chunk(b"y" * 300000) + b"\x00\x00\x00\x00")
        eq(s.recv(4096), b"stream: Vigil.Test.V4%s FOUND\x00" % SUFFIX.encode(),
           "the stream's verdict (from the engine it started with)")
        s.close()
        eq(talk(d.sock, instream(MARKERS["Vigil.Test.V4"])), b"stream: OK\x00",
           "a new stream under DAT 5")

    checks.run("reload.stream-finishes-on-the-engine-it-started-with", stream_across_reload)
    checks.run("reload.no-failed-reply-under-reloads", reload_storm, d, corpus, dat, stage)


def reload_storm(d, corpus, dat, stage):
    """Client threads stream and scan files in a loop while the DAT is swapped between two
    versions with the same verdicts, by file watch, RELOAD and SIGUSR2. Every reply must be the
    exact one for its file."""
    a = corpus.dat(os.path.join(stage, "storm-a.vdat"), 20, RELOAD_NAMES[2])
    b = corpus.dat(os.path.join(stage, "storm-b.vdat"), 21, RELOAD_NAMES[2] + ("Vigil.Test.V4",))
    replace(a, dat)
    f = corpus.files
    expected = {
        f["readme"]: None, f["clean_bin"]: None, f["one"]: "Vigil.Test.One",
        f["two"]: "Vigil.Test.Two", f["eicar_text"]: "Vigil.Test.Eicar",
        f["hashonly"]: "Vigil.Test.Hash", f["spaced"]: "Vigil.Test.One",
    }
    contents = {p: open(p, "rb").read() for p in expected}
    stop = time.monotonic() + 5
    errors, counts = [], [0]
    lock = threading.Lock()

    def client(seed):
        rnd = random.Random(seed)
        while time.monotonic() < stop:
            path = rnd.choice(sorted(expected))
            name = expected[path]
            how = rnd.choice(("scan", "instream", "instream-tcp"))
            try:
                if how == "scan":
                    got = talk(d.sock, b"zSCAN %s\x00" % path.encode())
                    want = path.encode() + (b": OK" if name is None else
                                            b": %s%s FOUND" % (name.encode(), SUFFIX.encode()))
                else:
                    addr = d.sock if how == "instream" else d.tcp
                    got = talk(addr, instream(contents[path], rnd.choice((7, 512, 65536))))
                    want = b"stream: OK" if name is None else b"stream: %s%s FOUND" % (
                        name.encode(), SUFFIX.encode())
                want += b"\x00"
            except Exception as e:
                got, want = repr(e), "a reply"
            with lock:
                counts[0] += 1
                if got != want:
                    errors.append(f"{how} {os.path.basename(path)}: {got!r}, wanted {want!r}")

    before = d.log().count("Database reloaded")
    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    i = 0
    while time.monotonic() < stop - 0.5:
        kind = i % 3
        if kind == 0:
            replace(b if (i // 3) % 2 == 0 else a, dat)
        elif kind == 1:
            talk(d.sock, b"zRELOAD\x00")
        else:
            d.proc.send_signal(signal.SIGUSR2)
        i += 1
        time.sleep(0.15)
    for t in threads:
        t.join()
    reloads = d.log().count("Database reloaded") - before
    ok(not errors, f"{len(errors)} of {counts[0]} replies wrong, e.g. {errors[:3]}")
    ok(counts[0] >= 100, f"only {counts[0]} requests were made")
    ok(reloads >= 5, f"only {reloads} reloads happened during the load")
    ok(d.alive(), "vigild exited")
