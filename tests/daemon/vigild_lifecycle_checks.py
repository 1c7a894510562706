"""vigild under load and misuse, its shutdown, and its configuration errors.

Load: 20 clients stream payloads of mixed sizes (empty to StreamMaxLength and one byte over,
the signature anywhere, including across chunk boundaries) over the unix socket and TCP for a
few seconds, while other clients stall, vanish mid-stream, half-close, or send garbage. Every
well-behaved request must get exactly its reply. Stalled clients must not hold up the others,
and a burst of clients beyond MaxThreads + MaxQueue is answered, not dropped (as clamd does).
Shutdown: SHUTDOWN and SIGTERM end the process with status 0 and remove the socket and pid file.
Configuration: what a user sees when the file, the database or its signature is wrong.
"""
import os
import random
import socket
import struct
import threading
import time

from vigild_harness import (MARKERS, SUFFIX, CheckFailed, Daemon, chunk, connect, eq, instream,
                            ok, recv_until_close, run, send_fds, talk, write_conf)

MIB = 1 << 20
TIMED_OUT = b"COMMAND READ TIMED OUT\n"
LIMIT = b"INSTREAM size limit exceeded. ERROR"


def payloads(eicar):
    """(data, expected reply body) pairs of mixed sizes; the signature at the start, the end,
    the middle, or straddling 64 KiB chunk boundaries."""
    one = MARKERS["Vigil.Test.One"]
    two = MARKERS["Vigil.Test.Two"]
    rnd = random.Random(7)
    noise = lambda n: bytes(rnd.getrandbits(8) for _ in range(min(n, 4096))) * (n // 4096 + 1)
    found = lambda name: b"stream: %s%s FOUND" % (name.encode(), SUFFIX.encode())
    out = [(b"", b"stream: OK"), (b"x", b"stream: OK"), (noise(100)[:100], b"stream: OK"),
           (one, found("Vigil.Test.One")), (noise(4095)[:4095] + two, found("Vigil.Test.Two")),
           (noise(300000)[:300000], b"stream: OK"),
           (b"a" * (MIB - len(eicar)) + eicar, found("Vigil.Test.Eicar")),
           (b"b" * MIB, b"stream: OK"), (b"c" * (MIB + 1), LIMIT)]
    for size in (65536, 200000, 700000):
        for at in (0, size // 2, size - len(one), 65536 - len(one) // 2, 131072 - 3):
            if at + len(one) > size:
                continue
            data = bytearray(noise(size)[:size])
            data[at:at + len(one)] = one
            out.append((bytes(data[:size]), found("Vigil.Test.One")))
    return out


def stream_request(addr, data, chunk_size, framing):
    prefix = b"zINSTREAM\x00" if framing == b"\x00" else b"nINSTREAM\n"
    with connect(addr, 30) as s:
        try:
            s.sendall(prefix)
            for i in range(0, len(data), chunk_size):
                s.sendall(chunk(data[i:i + chunk_size]))
            s.sendall(b"\x00\x00\x00\x00")
        except (BrokenPipeError, ConnectionResetError):
            pass  # over the limit: the daemon answers and closes before taking it all
        return recv_until_close(s, 30)


def truncated_while_scanned(d, work):
    """Files cut short and rewritten while SCAN and FILDES read them: every request is
    answered and the daemon lives (a mapped file that shrinks under a scan raises SIGBUS)."""
    path = os.path.join(work, "shrinking.bin")
    data = os.urandom(1 << 20) * 24
    with open(path, "wb") as f:
        f.write(data)
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            with open(path, "r+b") as f:
                f.truncate(4096)
                time.sleep(0.01)  # short for a while: a scan mapping it would fault
                f.seek(0, 2)
                f.write(data[4096:])

    t = threading.Thread(target=churn)
    t.start()
    try:
        for i in range(30):
            reply = talk(d.sock, b"zSCAN %s\x00" % path.encode(), timeout=30)
            ok(reply.startswith(path.encode() + b": "), f"SCAN {i}: {reply!r}")
            with open(path, "rb") as f:
                reply = send_fd_request(d.sock, f.fileno())
            ok(reply.startswith(b"fd["), f"FILDES {i}: {reply!r}")
    finally:
        stop.set()
        t.join()
    ok(d.alive(), "vigild died while files shrank under its scans")


def send_fd_request(sock_path, fd):
    with connect(sock_path) as s:
        s.sendall(b"zFILDES\x00")
        time.sleep(0.02)  # the descriptor comes in a read of its own, as clamdscan sends it
        send_fds(s, b"\x00", [fd])
        return recv_until_close(s, 30)


def register_load(checks, args, work, corpus):
    db = os.path.join(work, "load-db")
    os.makedirs(db)
    corpus.dat(os.path.join(db, "test.vdat"), 1)
    base = [("DatabaseDirectory", db), ("AllowUnsigned", "yes"),
            ("CacheDirectory", os.path.join(work, "cache")), ("StreamMaxLength", "1M")]
    d = Daemon("vigild", args.vigild, work, "load", base + [
        ("MaxThreads", "8"), ("CommandReadTimeout", "2"), ("ReadTimeout", "2")], tcp=True)
    d.start()
    checks.run("load.pid-file", lambda: eq(open(d.pid_path).read().strip(), str(d.proc.pid)))
    checks.run("load.20-clients-with-misbehaving-ones", load_with_misbehaviour, d, corpus)

    def still_serving():
        ok(d.alive(), "vigild exited")
        eq(talk(d.sock, b"zPING\x00"), b"PONG\x00", "PING")
        eq(talk(d.tcp, instream(MARKERS["Vigil.Test.Two"])),
           b"stream: Vigil.Test.Two%s FOUND\x00" % SUFFIX.encode(), "INSTREAM")

    checks.run("load.still-serving-after-load", still_serving)
    checks.run("load.files-truncated-while-scanned", truncated_while_scanned, d, work)

    def sigterm():
        d.proc.terminate()
        eq(d.proc.wait(15), 0, "exit status after SIGTERM")
        ok(not os.path.exists(d.sock), "the socket file is left behind")
        ok(not os.path.exists(d.pid_path), "the pid file is left behind")

    checks.run("load.sigterm-stops", sigterm)

    # A client that stalls holds its own connection only: others are served meanwhile.
    s = Daemon("vigild", args.vigild, work, "stall", base + [
        ("MaxThreads", "2"), ("CommandReadTimeout", "30"), ("ReadTimeout", "30")], tcp=True)
    s.start()
    checks.run("load.stalled-clients-do-not-block-others", stalled_clients, s)

    # More slow clients at once than MaxThreads + MaxQueue: clamd reads requests in its poll
    # loop and queues scan jobs, so every client is answered; none may be dropped unanswered.
    b = Daemon("vigild", args.vigild, work, "burst", base + [
        ("MaxThreads", "1"), ("MaxQueue", "2"), ("CommandReadTimeout", "10"),
        ("ReadTimeout", "10")])
    b.start()
    checks.run("load.burst-beyond-maxqueue-is-answered", burst, b)

    sd = Daemon("vigild", args.vigild, work, "shutdown", base, tcp=True)
    sd.start()

    def shutdown():
        eq(talk(sd.sock, b"zSHUTDOWN\x00"), b"", "SHUTDOWN reply")
        try:
            rc = sd.proc.wait(15)
        except Exception:
            raise CheckFailed("vigild still running 15s after SHUTDOWN")
        eq(rc, 0, "exit status after SHUTDOWN")
        ok(not os.path.exists(sd.sock), "the socket file is left behind")
        ok(not os.path.exists(sd.pid_path), "the pid file is left behind")
        try:
            talk(sd.tcp, b"zPING\x00", timeout=2)
            raise CheckFailed("the TCP port still answers")
        except OSError:
            pass

    checks.run("load.shutdown-command-stops", shutdown)


def register_reference(checks, work, corpus, clamd):
    """The checks of vigild's behaviour under stalls and bursts, run against clamd."""
    base = [("DatabaseDirectory", corpus.sources("ref-load-db")), ("StreamMaxLength", "1M")]
    s = Daemon("clamd", clamd, work, "ref-stall", base + [
        ("MaxThreads", "2"), ("CommandReadTimeout", "30"), ("ReadTimeout", "30")], tcp=True)
    s.start()
    checks.run("load.stalled-clients-do-not-block-others", stalled_clients, s)
    b = Daemon("clamd", clamd, work, "ref-burst", base + [
        ("MaxThreads", "1"), ("MaxQueue", "2"), ("CommandReadTimeout", "10"),
        ("ReadTimeout", "10")])
    b.start()
    checks.run("load.burst-beyond-maxqueue-is-answered", burst, b)


def load_with_misbehaviour(d, corpus):
    cases = payloads(corpus.eicar)
    stop = time.monotonic() + 5
    lock = threading.Lock()
    errors, done = [], [0]
    misbehaved = {"stall": [], "vanish": 0, "garbage": 0, "half-close": []}

    def client(i):
        rnd = random.Random(i)
        addr = d.sock if i % 2 else d.tcp
        while time.monotonic() < stop:
            data, body = rnd.choice(cases)
            framing = rnd.choice((b"\x00", b"\n"))
            size = rnd.choice((1, 1000, 4096, 65536, 262144)) if len(data) > 2000 else \
                rnd.choice((1, 3, 4096))
            if len(data) > 200000 and size < 4096:
                size = 4096
            try:
                got = stream_request(addr, data, size, framing)
            except Exception as e:
                got = repr(e).encode()
            with lock:
                done[0] += 1
                if got != body + framing:
                    errors.append(f"client {i}, {len(data)} bytes in {size}-byte chunks: "
                                  f"{got[:120]!r}, wanted {body + framing!r}")

    def staller():
        with connect(d.sock, 30) as s:
            misbehaved["stall"].append(recv_until_close(s, 15))

    def vanisher():
        while time.monotonic() < stop:
            with connect(d.tcp) as s:
                s.sendall(b"zINSTREAM\x00" + struct.pack(">I", 100000) + b"v" * 5000)
            misbehaved["vanish"] += 1
            time.sleep(0.05)

    def garbage():
        rnd = random.Random(3)
        while time.monotonic() < stop:
            try:
                with connect(d.sock) as s:
                    s.sendall(bytes(rnd.getrandbits(8) for _ in range(20000)))
                    recv_until_close(s, 10)
            except (OSError, CheckFailed):
                pass
            misbehaved["garbage"] += 1

    def half_closer():
        with connect(d.sock) as s:
            s.sendall(b"zINSTREAM\x00" + chunk(b"partial"))
            s.shutdown(socket.SHUT_WR)
            misbehaved["half-close"].append(recv_until_close(s, 10))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    threads += [threading.Thread(target=fn) for fn in (staller, vanisher, garbage, half_closer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok(not errors, f"{len(errors)} of {done[0]} replies wrong, e.g. {errors[:3]}")
    ok(done[0] >= 60, f"only {done[0]} requests completed in 5 s")
    eq(misbehaved["stall"], [TIMED_OUT], "reply to the client that sent nothing")
    eq(misbehaved["half-close"], [b""], "reply to the client that half-closed mid-stream")
    ok(misbehaved["vanish"] > 0 and misbehaved["garbage"] > 0, f"misbehaviour: {misbehaved}")


def stalled_clients(d):
    idle = [connect(d.sock, 40) for _ in range(3)]
    streams = []
    for _ in range(2):
        s = connect(d.tcp, 40)
        s.sendall(b"zINSTREAM\x00" + struct.pack(">I", 1000) + b"abc")
        streams.append(s)
    try:
        time.sleep(0.3)
        try:
            reply = talk(d.sock, b"zPING\x00", timeout=5)
        except CheckFailed as e:
            raise CheckFailed("with 3 idle clients and 2 stalled streams (MaxThreads 2, timeouts "
                              f"30 s), a PING was not answered within 5 s: {e}")
        eq(reply, b"PONG\x00")
    finally:
        for s in idle + streams:
            s.close()


def burst(d):
    replies = []
    lock = threading.Lock()

    def client():
        try:
            r = talk(d.sock, b"zINSTREAM\x00", chunk(b"slow client"), b"\x00\x00\x00\x00",
                     pause=0.5, timeout=30)
        except Exception as e:
            r = repr(e).encode()
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=client) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dropped = [r for r in replies if r != b"stream: OK\x00"]
    ok(not dropped, f"{len(dropped)} of 12 clients (MaxThreads 1, MaxQueue 2) got "
       f"{sorted(set(dropped))!r} instead of b'stream: OK\\x00'")


# ---- configuration ---------------------------------------------------------------------------

def register_config(checks, args, work, corpus):
    cdir = os.path.join(work, "config")
    os.makedirs(cdir)
    db = os.path.join(cdir, "db")
    os.makedirs(db)
    sock = os.path.join(cdir, "c.sock")
    cache = os.path.join(cdir, "cache")

    def vigild(name, lines):
        conf = os.path.join(cdir, name + ".conf")
        write_conf(conf, lines)
        rc, out, err = run([args.vigild, "--config-file", conf], timeout=20)
        return conf, rc, out + err

    def refused(rc, text, *needles):
        ok(rc not in (0, None), f"exit status {rc}")
        for n in needles:
            ok(n in text, f"{n!r} not in what vigild says: {text!r}")
        ok(not os.path.exists(sock), "a socket was created anyway")

    base = [("LocalSocket", sock), ("Foreground", "yes"), ("CacheDirectory", cache)]
    unsigned = corpus.dat(os.path.join(cdir, "unsigned.vdat"), 3)

    def unknown_option():
        conf, rc, text = vigild("unknown", base + [("NoSuchOption", "yes"),
                                                   ("DatabaseDirectory", db)])
        refused(rc, text, f"{conf}:4:", "NoSuchOption")

    checks.run("config.unknown-option-names-file-and-line", unknown_option)

    def bad_value():
        conf, rc, text = vigild("badvalue", base + [("DatabaseDirectory", db),
                                                    ("StreamMaxLength", "lots")])
        refused(rc, text, f"{conf}:5:", "StreamMaxLength")

    checks.run("config.bad-value-names-file-and-line", bad_value)

    def missing_db():
        missing = os.path.join(cdir, "no-such-db")
        _, rc, text = vigild("missingdb", base + [("DatabaseDirectory", missing)])
        refused(rc, text, missing, "No such file or directory")

    checks.run("config.missing-database-directory", missing_db)

    def no_config():
        missing = os.path.join(cdir, "absent.conf")
        rc, out, err = run([args.vigild, "--config-file", missing], timeout=20)
        refused(rc, out + err, missing)

    checks.run("config.missing-config-file", no_config)

    # Signed DATs: one key signs, another is trusted.
    keys = {}
    for k in ("signer", "other"):
        prefix = os.path.join(cdir, k)
        rc, _, err = run([args.vigil_dat, "keygen", "-o", prefix])
        if rc != 0:
            raise CheckFailed(f"vigil-dat keygen: {err}")
        keys[k] = prefix
    sdb = os.path.join(cdir, "signed-db")
    os.makedirs(sdb)
    corpus.dat(os.path.join(sdb, "signed.vdat"), 4, sign=keys["signer"])

    def untrusted():
        _, rc, text = vigild("untrusted", base + [("DatabaseDirectory", sdb),
                                                  ("TrustedKey", keys["other"] + ".pub")])
        refused(rc, text, "signed.vdat", "not trusted")

    checks.run("config.dat-signed-by-untrusted-key", untrusted)

    def trusted():  # the same DAT with the signer's key trusted: vigild starts and detects
        d = Daemon("vigild", args.vigild, cdir, "trusted", [
            ("DatabaseDirectory", sdb), ("TrustedKey", keys["signer"] + ".pub"),
            ("CacheDirectory", cache)])
        d.start()
        eq(talk(d.sock, instream(MARKERS["Vigil.Test.One"])),
           b"stream: Vigil.Test.One%s FOUND\x00" % SUFFIX.encode())
        d.stop()

    checks.run("config.dat-signed-by-trusted-key", trusted)

    udb = os.path.join(cdir, "unsigned-db")
    os.makedirs(udb)
    os.rename(unsigned, os.path.join(udb, "unsigned.vdat"))

    def unsigned_refused():
        _, rc, text = vigild("unsigned", base + [("DatabaseDirectory", udb)])
        refused(rc, text, "unsigned.vdat", "DAT is unsigned")

    checks.run("config.unsigned-dat-without-allowunsigned", unsigned_refused)

    def two_dats():
        os.link(os.path.join(sdb, "signed.vdat"), os.path.join(udb, "second.vdat"))
        _, rc, text = vigild("twodats", base + [("DatabaseDirectory", udb),
                                                ("AllowUnsigned", "yes")])
        refused(rc, text, udb, "2 DATs")

    checks.run("config.two-dats-in-database-directory", two_dats)
