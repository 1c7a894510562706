"""Raw clamd protocol against one daemon, byte for byte, over its unix socket and TCP.

The expected bytes are clamd 1.4.6's, as daemon/PROTOCOL.md records them; the same checks run
against a real clamd with `vigild_test.py --reference-clamd` to prove the expectations (only
VERSION, which carries vigild's DAT version, differs). Directory replies whose order clamd does
not fix (readdir order, MULTISCAN threads) are compared as sets of lines; everything else exactly.
"""
import os
import re
import struct
import time

from vigild_harness import (MARKERS, SUFFIX, connect, chunk, eq, instream, match,
                            ok, recv_until_close, send_fds, talk)

MIB = 1 << 20
TIMED_OUT = b"COMMAND READ TIMED OUT\n"
COMMANDS = (b"| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN "
            b"MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN")


class Target:
    """What the checks need to know about the daemon under test. Its configuration must have
    StreamMaxLength 1M, CommandReadTimeout `command_timeout`, ReadTimeout `read_timeout`,
    MaxThreads 4, and a database with the corpus's signatures named with .UNOFFICIAL."""

    def __init__(self, daemon, version_re, exact_version, command_timeout, read_timeout):
        self.d = daemon
        self.unix = daemon.sock
        self.tcp = daemon.tcp if daemon.port else None
        self.version_re = version_re  # regex for the VERSION body, bytes
        self.exact_version = exact_version  # the VERSION body with its database date, or None
        self.command_timeout = command_timeout
        self.read_timeout = read_timeout


def found(path, name):
    return f"{path}: {name}{SUFFIX} FOUND".encode()


def records(data, term=b"\x00"):
    """Splits a reply into its records; the data must end with the terminator."""
    ok(data.endswith(term), f"reply does not end with {term!r}: {data[-200:]!r}")
    return data[:-1].split(term)


def by_id(data):
    """IDSESSION replies ('<id>: body\\0'...) as {id: body}; each id must appear once."""
    out = {}
    for r in records(data):
        m = re.fullmatch(rb"(\d+): (.*)", r, re.S)
        ok(m is not None, f"record without an id: {r!r}")
        i = int(m.group(1))
        ok(i not in out, f"id {i} answered twice: {data!r}")
        out[i] = m.group(2)
    return out


def timed(addr, *parts, timeout):
    """talk() that also returns how long the daemon took to close."""
    start = time.monotonic()
    reply = talk(addr, *parts, timeout=timeout)
    return reply, time.monotonic() - start


def fd_count_to(pid, path):
    """How many descriptors process `pid` holds open on `path`."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                n += 1
        except OSError:
            pass
    return n


def fildes(addr, path, first=b"zFILDES\x00", dummy=b"\x00", fds=None):
    """FILDES the way clamdscan does it: the command, then one byte carrying the descriptor."""
    fd = os.open(path, os.O_RDONLY)
    try:
        with connect(addr) as s:
            s.sendall(first)
            time.sleep(0.02)
            send_fds(s, dummy, fds if fds is not None else [fd])
            return recv_until_close(s)
    finally:
        os.close(fd)


def register(checks, t, corpus):
    f = corpus.files
    u, tcp = t.unix, t.tcp
    enc = lambda p: p.encode()

    # -- PING, VERSION, VERSIONCOMMANDS, unknown commands, one command per connection -----
    for label, req, reply in [
        ("z", b"zPING\x00", b"PONG\x00"), ("n", b"nPING\n", b"PONG\n"),
        ("bare", b"PING", b"PONG\n"),
        ("bare-newline", b"PING\n", b"PONG\n"), ("n-crlf", b"nPING\r\n", b"PONG\n")]:
        checks.run(f"protocol.ping.{label}", lambda q=req, r=reply: eq(talk(u, q), r))
    checks.run("protocol.ping.tcp", lambda: eq(talk(tcp, b"zPING\x00"), b"PONG\x00"))
    for label, req, term in [("z", b"zVERSION\x00", b"\x00"), ("n", b"nVERSION\n", b"\n"),
                             ("bare", b"VERSION", b"\n")]:
        checks.run(f"protocol.version.{label}", lambda q=req, e=term: match(
            t.version_re + re.escape(e), talk(u, q)))
    checks.run("protocol.versioncommands.z", lambda: match(
        t.version_re + re.escape(COMMANDS + b"\x00"), talk(u, b"zVERSIONCOMMANDS\x00")))
    checks.run("protocol.versioncommands.n", lambda: match(
        t.version_re + re.escape(COMMANDS + b"\n"), talk(tcp, b"nVERSIONCOMMANDS\n")))
    if t.exact_version is not None:
        # The third field is the database's build time (the DAT's --created), as clamd shows
        # the daily CVD's; clamdtop and log readers take it as the age of the signatures.
        checks.run("protocol.version.database-build-time", lambda: eq(
            talk(u, b"zVERSION\x00"), t.exact_version + b"\x00"))
    checks.run("protocol.versioncommands.bare-is-unknown", lambda: eq(
        talk(u, b"VERSIONCOMMANDS\n"), b"UNKNOWN COMMAND\n"))
    for label, parts, reply in [
        ("z", [b"zFOO\x00"], b"UNKNOWN COMMAND\x00"), ("n", [b"nFOO\n"], b"UNKNOWN COMMAND\n"),
        ("bare", [b"FOO"], b"UNKNOWN COMMAND\n"),
        ("lowercase", [b"zping\x00"], b"UNKNOWN COMMAND\x00"),
        ("trailing-space", [b"nPING \n"], b"UNKNOWN COMMAND\n"),
        ("split-bare", [b"PI", b"NG"], b"UNKNOWN COMMAND\n"),  # a bare command ends with its read
        ("end-outside-session", [b"zEND\x00"], b"UNKNOWN COMMAND\x00"),
        ("empty-z", [b"z\x00"], b"UNKNOWN COMMAND\x00")]:
        checks.run(f"protocol.unknown.{label}",
                   lambda q=parts, r=reply: eq(talk(u, *q, pause=0.3), r))
    checks.run("protocol.one-command-per-connection",
               lambda: eq(talk(u, b"nPING\nnPING\n"), b"PONG\n"))

    # -- path scans ------------------------------------------------------------------------
    eicar_text = found(f["eicar_text"], "Vigil.Test.Eicar")
    scan_cases = [
        ("clean", b"zSCAN %s\x00" % enc(f["readme"]), enc(f["readme"]) + b": OK\x00"),
        ("infected-body", b"zSCAN %s\x00" % enc(f["eicar_text"]), eicar_text + b"\x00"),
        ("infected-hash", b"zSCAN %s\x00" % enc(f["hashonly"]),
         found(f["hashonly"], "Vigil.Test.Hash") + b"\x00"),
        ("n-framing", b"nSCAN %s\n" % enc(f["one"]), found(f["one"], "Vigil.Test.One") + b"\n"),
        ("bare", b"SCAN %s\n" % enc(f["two"]), found(f["two"], "Vigil.Test.Two") + b"\n"),
        ("path-with-space", b"zSCAN %s\x00" % enc(f["spaced"]),
         found(f["spaced"], "Vigil.Test.One") + b"\x00"),
        ("missing", b"zSCAN %s\x00" % enc(corpus.missing), enc(corpus.missing) +
         b": File path check failure: No such file or directory. ERROR\x00"),
        ("empty-path", b"nSCAN \n", b": File path check failure: No such file or directory. "
         b"ERROR\n"),
        ("clean-dir", b"zSCAN %s\x00" % enc(corpus.clean_dir), enc(corpus.clean_dir) + b": OK\x00"),
        ("dev-null", b"nSCAN /dev/null\n",
         b"/dev/null: Not supported file type ERROR\n/dev/null: OK\n"),
        ("relative", b"nSCAN samples/docs/readme.txt\n", b"samples/docs/readme.txt: OK\n"),
    ]
    for label, req, reply in scan_cases:
        checks.run(f"protocol.scan.{label}", lambda q=req, r=reply: eq(talk(u, q), r))
    checks.run("protocol.scan.tcp-infected", lambda: eq(
        talk(tcp, b"zSCAN %s\x00" % enc(f["eicar_text"])), eicar_text + b"\x00"))

    more = corpus.more_dir
    more_all = {found(f["one"], "Vigil.Test.One"), found(f["both"], "Vigil.Test.One"),
                found(f["both"], "Vigil.Test.Two"), found(f["two"], "Vigil.Test.Two"),
                found(f["spaced"], "Vigil.Test.One")}
    # CONTSCAN/MULTISCAN name each infected file once, with its first match; both.txt holds
    # ONE before TWO.
    more_cont = more_all - {found(f["both"], "Vigil.Test.Two")}

    def scan_dir_first_only():
        r = records(talk(u, b"zSCAN %s\x00" % enc(more)))
        eq(len(r), 1, "SCAN of a directory reports the first infected file only")
        ok(r[0] in more_cont, f"unexpected line {r[0]!r}")

    checks.run("protocol.scan.dir-stops-at-first", scan_dir_first_only)
    for cmd in (b"CONTSCAN", b"MULTISCAN"):
        name = cmd.decode().lower()
        checks.run(f"protocol.{name}.dir", lambda c=cmd: eq(
            set(records(talk(u, b"z%s %s\x00" % (c, enc(more))))), more_cont))
        checks.run(f"protocol.{name}.clean-dir", lambda c=cmd: eq(
            talk(u, b"n%s %s\n" % (c, enc(corpus.clean_dir))), enc(corpus.clean_dir) + b": OK\n"))
    checks.run("protocol.contscan.tcp-file", lambda: eq(
        talk(tcp, b"nCONTSCAN %s\n" % enc(f["both"])), found(f["both"], "Vigil.Test.One") + b"\n"))
    checks.run("protocol.allmatchscan.two-signatures", lambda: eq(
        sorted(records(talk(u, b"zALLMATCHSCAN %s\x00" % enc(f["both"])))),
        sorted([found(f["both"], "Vigil.Test.One"), found(f["both"], "Vigil.Test.Two")])))
    checks.run("protocol.allmatchscan.clean", lambda: eq(
        talk(u, b"nALLMATCHSCAN %s\n" % enc(f["readme"])), enc(f["readme"]) + b": OK\n"))

    def allmatch_dir():
        # clamd runs ALLMATCHSCAN like SCAN with every signature: it stops after the first
        # infected file, reporting all of that file's matches.
        r = records(talk(u, b"zALLMATCHSCAN %s\x00" % enc(more)))
        paths = {x.split(b": ")[0] for x in r}
        eq(len(paths), 1, f"files reported by ALLMATCHSCAN of a directory ({r!r})")
        path = paths.pop().decode()
        expected = {x for x in more_all if x.startswith(path.encode() + b": ")}
        eq(set(r), expected, f"matches of {path}")

    checks.run("protocol.allmatchscan.dir-stops-after-first-file", allmatch_dir)

    # -- INSTREAM --------------------------------------------------------------------------
    eicar = corpus.eicar

    def stream_found(name, term=b"\x00"):
        return b"stream: %s%s FOUND%s" % (name.encode(), SUFFIX.encode(), term)

    checks.run("protocol.instream.clean", lambda: eq(
        talk(u, instream(b"hello clean world\n")), b"stream: OK\x00"))
    checks.run("protocol.instream.empty", lambda: eq(
        talk(u, b"zINSTREAM\x00\x00\x00\x00\x00"), b"stream: OK\x00"))
    checks.run("protocol.instream.infected", lambda: eq(
        talk(u, instream(b"head " + MARKERS["Vigil.Test.Two"] + b" tail")),
        stream_found("Vigil.Test.Two")))
    half = len(eicar) // 2
    checks.run("protocol.instream.signature-split-across-chunks", lambda: eq(
        talk(u, b"zINSTREAM\x00", chunk(b"text " + eicar[:half]), chunk(eicar[half:] + b" more"),
             b"\x00\x00\x00\x00", pause=0.05), stream_found("Vigil.Test.Eicar")))
    checks.run("protocol.instream.one-byte-chunks", lambda: eq(
        talk(u, instream(b"." + MARKERS["Vigil.Test.One"] + b".", chunk_size=1)),
        stream_found("Vigil.Test.One")))
    checks.run("protocol.instream.n-framing", lambda: eq(
        talk(u, instream(MARKERS["Vigil.Test.One"], prefix=b"nINSTREAM\n")),
        stream_found("Vigil.Test.One", b"\n")))
    checks.run("protocol.instream.tcp", lambda: eq(
        talk(tcp, instream(b"x" * 100000 + eicar, chunk_size=8192)),
        stream_found("Vigil.Test.Eicar")))
    # vigild matches a stream in batches of 256 KiB as it arrives: signatures across a batch
    # edge, in the first batch of a long stream, and a hash of the whole stream.
    batch = 256 * 1024
    checks.run("protocol.instream.signature-across-match-batches", lambda: eq(
        talk(u, instream(b"a" * (batch - 20) + eicar + b"b" * (batch + 5000), chunk_size=4000)),
        stream_found("Vigil.Test.Eicar")))
    checks.run("protocol.instream.early-signature-in-long-stream", lambda: eq(
        talk(u, instream(MARKERS["Vigil.Test.Two"] + b"c" * (MIB - 100), chunk_size=65536)),
        stream_found("Vigil.Test.Two")))
    checks.run("protocol.instream.clean-long-stream", lambda: eq(
        talk(u, instream(bytes(range(256)) * (MIB // 256 - 1), chunk_size=30000)),
        b"stream: OK\x00"))
    checks.run("protocol.instream.bare-is-unknown", lambda: eq(
        talk(u, b"INSTREAM\n"), b"UNKNOWN COMMAND\n"))
    checks.run("protocol.instream.exactly-stream-max-length", lambda: eq(
        talk(u, instream(b"a" * (MIB - len(eicar)) + eicar, chunk_size=65536)),
        stream_found("Vigil.Test.Eicar")))
    limit = b"INSTREAM size limit exceeded. ERROR\x00"
    checks.run("protocol.instream.over-limit-one-chunk",
               lambda: eq(stream_over(u, [chunk(b"a" * (MIB + 1))]), limit))
    checks.run("protocol.instream.over-limit-second-chunk",
               lambda: eq(stream_over(u, [chunk(b"a" * MIB), chunk(b"a")]), limit))
    checks.run("protocol.instream.over-limit-header-alone",
               lambda: eq(stream_over(u, [struct.pack(">I", MIB + 1)]), limit))
    checks.run("protocol.instream.over-limit-0xffffffff",
               lambda: eq(stream_over(tcp, [struct.pack(">I", 0xFFFFFFFF)]), limit))
    checks.run("protocol.instream.over-limit-n-framing", lambda: eq(
        stream_over(u, [chunk(b"a" * 10), struct.pack(">I", MIB - 9)], b"nINSTREAM\n"),
        b"INSTREAM size limit exceeded. ERROR\n"))

    def truncated_stream():
        reply, took = timed(u, b"zINSTREAM\x00" + chunk(b"abc")[:6], timeout=t.read_timeout + 5)
        eq(reply, TIMED_OUT)
        ok(took >= t.read_timeout - 0.5, f"timed out after {took:.1f}s, ReadTimeout is "
           f"{t.read_timeout}s")

    checks.run("protocol.instream.truncated-times-out", truncated_stream)

    # -- FILDES ----------------------------------------------------------------------------
    def fdline(body, term=b"\x00"):
        return rb"fd\[\d+\]: " + re.escape(body) + re.escape(term)

    checks.run("protocol.fildes.clean", lambda: match(fdline(b"OK"), fildes(u, f["readme"])))
    checks.run("protocol.fildes.infected", lambda: match(
        fdline(b"Vigil.Test.Eicar.UNOFFICIAL FOUND"), fildes(u, f["eicar_text"])))
    checks.run("protocol.fildes.n-framing", lambda: match(
        fdline(b"Vigil.Test.One.UNOFFICIAL FOUND", b"\n"), fildes(u, f["one"], b"nFILDES\n")))
    checks.run("protocol.fildes.dummy-in-same-message", lambda: match(
        fdline(b"OK"), fildes(u, f["readme"], b"", b"zFILDES\x00X")))
    checks.run("protocol.fildes.directory", lambda: match(
        fdline(b"Not a regular file ERROR"), fildes(u, corpus.clean_dir)))
    checks.run("protocol.fildes.no-descriptor", lambda: eq(
        talk(u, b"zFILDES\x00", b"X", pause=0.05), b"No file descriptor received. ERROR\x00"))
    checks.run("protocol.fildes.tcp", lambda: eq(
        talk(tcp, b"zFILDES\x00X"), b"No file descriptor received. ERROR\x00"))

    def descriptor_without_dummy():
        # The descriptor comes with the command itself, so no byte is left to carry it. clamd
        # adds "Error processing command. ERROR"; the first line, in the command's framing, is
        # what PROTOCOL.md requires.
        reply = fildes(u, f["readme"], b"", b"zFILDES\x00")
        want = b"PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\x00"
        ok(reply.startswith(want), f"expected {want!r} first, got {reply!r}")

    checks.run("protocol.fildes.descriptor-without-dummy", descriptor_without_dummy)

    def descriptors_closed():
        # Every descriptor a client passes is closed once answered, whatever the path taken.
        path = f["clean_bin"]
        for _ in range(20):
            fildes(u, path)
            fildes(u, path, b"", b"zFILDES\x00")  # refused: no dummy byte
            fildes(u, path, b"", b"zPING\x00")  # refused: not a FILDES
        fd = os.open(path, os.O_RDONLY)
        try:
            for _ in range(5):  # two descriptors in one message
                with connect(u) as s:
                    s.sendall(b"zFILDES\x00")
                    time.sleep(0.02)
                    send_fds(s, b"\x00", [fd, fd])
                    recv_until_close(s)
        finally:
            os.close(fd)
        time.sleep(0.2)
        eq(fd_count_to(t.d.proc.pid, path), 0, f"descriptors the daemon still holds on {path}")

    checks.run("protocol.fildes.descriptors-are-closed", descriptors_closed)

    # -- IDSESSION -------------------------------------------------------------------------
    def session_commands(addr):
        reply = talk(addr, b"zIDSESSION\x00zPING\x00zVERSION\x00zSCAN %s\x00zSCAN %s\x00"
                     % (enc(f["readme"]), enc(f["eicar_text"])) + instream(b"x" + eicar) +
                     instream(b"clean data") + b"zPING\x00zEND\x00")
        r = by_id(reply)
        match(t.version_re, r.get(2, b""), "reply 2 (VERSION)")
        r[2] = b"VERSION"
        eq(r, {1: b"PONG", 2: b"VERSION", 3: enc(f["readme"]) + b": OK", 4: eicar_text,
               5: stream_found("Vigil.Test.Eicar")[:-1], 6: b"stream: OK", 7: b"PONG"})

    checks.run("protocol.idsession.commands", session_commands, u)
    checks.run("protocol.idsession.tcp", session_commands, tcp)
    checks.run("protocol.idsession.mixed-framing", lambda: eq(
        talk(u, b"nIDSESSION\n", b"zPING\x00nPING\nzEND\x00", pause=0.1), b"1: PONG\x002: PONG\n"))
    checks.run("protocol.idsession.end-only", lambda: eq(talk(u, b"zIDSESSION\x00zEND\x00"), b""))
    checks.run("protocol.idsession.invalid-command", lambda: eq(
        talk(u, b"zIDSESSION\x00zPING\x00zCONTSCAN %s\x00zPING\x00zEND\x00" % enc(f["readme"])),
        b"1: PONG\x002: Command invalid inside IDSESSION. ERROR\x00"))
    checks.run("protocol.idsession.nested", lambda: eq(
        talk(u, b"nIDSESSION\nnIDSESSION\nnPING\nnEND\n"),
        b"1: Command invalid inside IDSESSION. ERROR\n"))
    checks.run("protocol.idsession.bare-command", lambda: eq(
        talk(u, b"zIDSESSION\x00zPING\x00", b"PING\n", pause=0.2),
        b"1: PONG\x002: Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\x00"
        b"2: Error processing command. ERROR\x00"))
    checks.run("protocol.idsession.instream-over-limit", lambda: eq(
        stream_over(u, [struct.pack(">I", MIB + 1)], b"zIDSESSION\x00zINSTREAM\x00"),
        b"1: INSTREAM size limit exceeded. ERROR\x00"))

    def session_fildes():
        fd = os.open(f["one"], os.O_RDONLY)
        try:
            with connect(u) as s:
                s.sendall(b"zIDSESSION\x00zFILDES\x00")
                time.sleep(0.02)
                send_fds(s, b"\x00", [fd])
                s.sendall(b"zPING\x00zEND\x00")
                r = by_id(recv_until_close(s))
        finally:
            os.close(fd)
        eq(sorted(r), [1, 2], "ids")
        match(rb"fd\[\d+\]: Vigil\.Test\.One\.UNOFFICIAL FOUND", r[1], "reply 1")
        eq(r[2], b"PONG", "reply 2")

    checks.run("protocol.idsession.fildes", session_fildes)

    def session_without_end():
        # ReadTimeout, not IdleTimeout, ends a session that sends nothing more (PROTOCOL.md §9).
        eq(talk(u, b"zIDSESSION\x00zPING\x00", timeout=t.read_timeout + 5),
           b"1: PONG\x00" + TIMED_OUT)

    checks.run("protocol.idsession.without-end-times-out", session_without_end)

    # -- STATS -----------------------------------------------------------------------------
    stats_re = (rb"POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live \d+  idle \d+ max 4 "
                rb"idle-timeout \d+\nQUEUE: \d+ items\n(\t[A-Z]+ \d+\.\d{6} [^\n]*\n)*\n"
                rb"MEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A pools 1 "
                rb"pools_used \d+\.\d{3}M pools_total \d+\.\d{3}M\nEND")
    checks.run("protocol.stats.z", lambda: match(stats_re + rb"\x00", talk(u, b"zSTATS\x00")))
    checks.run("protocol.stats.n-tcp", lambda: match(stats_re + rb"\n", talk(tcp, b"nSTATS\n")))
    checks.run("protocol.stats.bare-is-unknown",
               lambda: eq(talk(u, b"STATS\n"), b"UNKNOWN COMMAND\n"))
    checks.run("protocol.stats.in-session", lambda: match(
        rb"1: PONG\x002: " + stats_re + rb"\x00",
        talk(u, b"zIDSESSION\x00zPING\x00zSTATS\x00zEND\x00")))

    # -- limits and timeouts ---------------------------------------------------------------
    checks.run("protocol.command.longest-accepted", lambda: eq(
        talk(u, b"n" + b"A" * 4102 + b"\n"), b"UNKNOWN COMMAND\n"))
    checks.run("protocol.command.overlong-closes-silently", lambda: eq(
        talk(u, b"n" + b"A" * 4103 + b"\n"), b""))
    checks.run("protocol.command.overlong-tcp", lambda: eq(
        talk(tcp, b"zSCAN /" + b"a" * 5000 + b"\x00"), b""))

    def command_timeout(addr, parts):
        reply, took = timed(addr, *parts, timeout=t.command_timeout + 5)
        eq(reply, TIMED_OUT)
        ok(took >= t.command_timeout - 0.5,
           f"timed out after {took:.1f}s, CommandReadTimeout is {t.command_timeout}s")

    checks.run("protocol.timeout.nothing-sent", command_timeout, u, [])
    checks.run("protocol.timeout.unterminated-command", command_timeout, u, [b"nPING"])
    checks.run("protocol.timeout.z-command-tcp", command_timeout, tcp, [b"zVERSION"])


def stream_over(addr, pieces, prefix=b"zINSTREAM\x00"):
    """Sends an INSTREAM whose declared size passes the limit, then reads the reply. The daemon
    may close before taking all the data; what it sent before closing still counts."""
    with connect(addr) as s:
        try:
            s.sendall(prefix)
            for p in pieces:
                s.sendall(p)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return recv_until_close(s)
        except ConnectionResetError:
            return b""
