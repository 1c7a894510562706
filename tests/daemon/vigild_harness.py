"""Shared pieces of the vigild end-to-end tests: a check runner, raw clamd-protocol sockets,
daemon processes (vigild and the reference clamd) and the test corpus.

Every daemon is started with PR_SET_PDEATHSIG, registered, and killed by stop_all() in the
runner's `finally`, so no process outlives the test even when it is killed itself. Replies are
bytes; helpers never decode or strip them, because the tests compare them byte for byte.
"""
import array
import ctypes
import hashlib
import io
import os
import re
import signal
import socket
import struct
import subprocess
import tarfile
import threading
import time
import traceback
import zipfile

# ---- checks -----------------------------------------------------------------------------


class CheckFailed(AssertionError):
    pass


def eq(actual, expected, what=""):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}" if what else
                          f"expected {expected!r}, got {actual!r}")


def ok(cond, what):
    if not cond:
        raise CheckFailed(what)


def match(pattern, actual, what=""):
    """`actual` (bytes) must match the regular expression `pattern` (bytes) in full."""
    if re.fullmatch(pattern, actual, re.S) is None:
        raise CheckFailed(f"{what}: {actual!r} does not match {pattern!r}")


class Checks:
    """Runs named checks; a check fails by raising. `known` maps names to the reason they are
    expected to fail (listed in the report); one of those that passes is reported as fixed and
    fails the run, so the list cannot go stale."""

    def __init__(self, known=None, only=None):
        self.known = dict(known or {})
        self.only = only
        self.results = []  # (name, status, detail)

    def wanted(self, name):
        return self.only is None or re.search(self.only, name) is not None

    def run(self, name, fn, *args):
        if not self.wanted(name):
            return
        start = time.monotonic()
        try:
            fn(*args)
            status, detail = ("FIXED", "passes: remove it from KNOWN_FAILURES") \
                if name in self.known else ("PASS", "")
        except CheckFailed as e:
            status, detail = ("XFAIL", f"{e} [known: {self.known[name]}]") \
                if name in self.known else ("FAIL", str(e))
        except Exception:  # a crash of the check itself is a failure, known or not
            status, detail = "FAIL", traceback.format_exc(limit=4).strip()
        took = time.monotonic() - start
        self.results.append((name, status, detail))
        line = f"{status:5} {name} ({took:.1f}s)"
        if detail:
            line += "\n      " + detail.replace("\n", "\n      ")
        print(line, flush=True)

    def skip(self, name, why):
        if self.wanted(name):
            self.results.append((name, "SKIP", why))
            print(f"SKIP  {name}: {why}", flush=True)

    def failed(self):
        return [r for r in self.results if r[1] in ("FAIL", "FIXED")]


# ---- raw protocol ------------------------------------------------------------------------

def connect(addr, timeout=10.0):
    """addr: a unix socket path (str) or (host, port)."""
    family = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(addr)
    return s


def recv_until_close(s, timeout=10.0):
    """Everything the server sends until it closes. Raises CheckFailed if it has not closed
    within `timeout` seconds (with what arrived so far)."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CheckFailed(f"no close within {timeout}s; received {data[:300]!r}")
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not b:
            return data
        data += b


def talk(addr, *parts, pause=0.0, timeout=10.0):
    """Sends each part with its own send() (pausing `pause` s between them), then returns all
    the server sends until it closes (stopping early if the server closes first)."""
    with connect(addr, timeout) as s:
        for i, p in enumerate(parts):
            if i and pause:
                time.sleep(pause)
            try:
                s.sendall(p)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server has closed; what it sent before still counts
        return recv_until_close(s, timeout)


def chunk(data):
    return struct.pack(">I", len(data)) + data


def instream(data, chunk_size=4096, prefix=b"zINSTREAM\x00"):
    """A whole INSTREAM request: command, chunks, zero chunk."""
    out = [prefix]
    for i in range(0, len(data), chunk_size):
        out.append(chunk(data[i:i + chunk_size]))
    out.append(struct.pack(">I", 0))
    return b"".join(out)


def send_fds(s, data, fds):
    s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- processes ---------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_live = []
_live_lock = threading.Lock()


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv, cwd, log_path):
    """Starts a process that dies with this one; its stdout+stderr go to log_path."""
    with open(log_path, "ab") as out:
        p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    with _live_lock:
        _live.append(p)
    return p


def stop_all():
    with _live_lock:
        procs = list(_live)
        _live.clear()
    for p in procs:  # politely first (the daemons remove their sockets), then for sure
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def run(argv, timeout=120, **kw):
    """Runs a tool to completion: (exit status, stdout, stderr) as text."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=_die_with_parent, **kw)
    return r.returncode, r.stdout, r.stderr


def zip_bytes(entries):
    """A deflated zip of (name, bytes), in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def tgz_bytes(entries):
    """A tar.gz of (name, bytes), in memory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_conf(path, options):
    """options: list of (name, value) pairs, in clamd.conf syntax."""
    with open(path, "w") as f:
        for k, v in options:
            f.write(f"{k} {v}\n")


class Daemon:
    """A vigild or clamd on a unix socket (and optionally TCP) in `workdir`."""

    def __init__(self, kind, exe, workdir, name, options, tcp=False):
        self.kind, self.exe, self.dir, self.name = kind, exe, workdir, name
        self.sock = os.path.join(workdir, name + ".sock")
        self.log_path = os.path.join(workdir, name + ".log")
        self.out_path = os.path.join(workdir, name + ".out")
        self.pid_path = os.path.join(workdir, name + ".pid")
        self.conf = os.path.join(workdir, name + ".conf")
        self.port = free_port() if tcp else None
        opts = [("LocalSocket", self.sock), ("Foreground", "yes"), ("LogFile", self.log_path),
                ("PidFile", self.pid_path)]
        if tcp:
            opts += [("TCPSocket", self.port), ("TCPAddr", "127.0.0.1")]
        self.options = opts + list(options)
        write_conf(self.conf, self.options)
        self.proc = None

    @property
    def tcp(self):
        return ("127.0.0.1", self.port)

    def start(self, ready_timeout=None):
        if self.kind == "clamd":
            argv = [self.exe, "-c", self.conf]
            ready_timeout = ready_timeout or 90
        else:
            argv = [self.exe, "--config-file", self.conf]
            ready_timeout = ready_timeout or 30
        self.proc = spawn(argv, self.dir, self.out_path)
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed(f"{self.name} exited with {self.proc.returncode} while "
                                  f"starting: {self.output()[-2000:]}")
            try:
                if talk(self.sock, b"zPING\x00", timeout=5) == b"PONG\x00":
                    return
            except (OSError, CheckFailed):
                pass
            time.sleep(0.1)
        raise CheckFailed(f"{self.name} did not answer PING within {timeout}s: "
                          f"{self.output()[-2000:]}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def output(self):
        text = ""
        for p in (self.out_path, self.log_path):
            try:
                with open(p, errors="replace") as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text


def wait_for(pred, timeout, step=0.1):
    """Polls pred() until it returns a true value (returned) or the timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


# ---- corpus ------------------------------------------------------------------------------

# Body signatures (plain ASCII markers) on top of the EICAR ones made from the sample file.
MARKERS = {
    "Vigil.Test.One": b"VIGIL-DAEMON-TEST-MARKER-ONE",
    "Vigil.Test.Two": b"VIGIL-DAEMON-TEST-MARKER-TWO",
    "Vigil.Test.V2": b"VIGIL-DAEMON-RELOAD-V2",
    "Vigil.Test.V3": b"VIGIL-DAEMON-RELOAD-V3",
    "Vigil.Test.V4": b"VIGIL-DAEMON-RELOAD-V4",
    "Vigil.Test.V5": b"VIGIL-DAEMON-RELOAD-V5",
}
SUFFIX = ".UNOFFICIAL"


class Corpus:
    """The sample tree (vigil-make-samples, plus files for the markers) and signature
    sources/DATs made from it."""

    def __init__(self, work, make_samples, vigil_dat):
        self.work, self.vigil_dat = work, vigil_dat
        self.tree = os.path.join(work, "samples")
        rc, out, err = run([make_samples, self.tree])
        if rc != 0:
            raise RuntimeError(f"vigil-make-samples failed ({rc}): {err}")
        with open(os.path.join(self.tree, "eicar.com"), "rb") as f:
            self.eicar = f.read()
        t = self.tree
        self.files = {
            # Outside the tree, for the engine-parity checks: matched by a body and a hash
            # signature at once; a binary file matched by a hash signature (ClamAV scans it
            # twice with --allmatch).
            "eicar": f"{work}/engine/eicar.com",
            "hash_binary": f"{work}/engine/hash-binary.dat",
            "hashonly": f"{t}/docs/hash-only.txt",  # hash signature only
            "eicar_text": f"{t}/docs/eicar-in-text.txt",  # body signature only
            "readme": f"{t}/docs/readme.txt",  # clean
            "clean_bin": f"{t}/bin/clean.bin",  # clean
            "one": f"{t}/more/one.txt",
            "both": f"{t}/more/both.txt",  # ONE and TWO: two matches
            "two": f"{t}/more/sub/two.txt",
            "spaced": f"{t}/more/with space.txt",  # ONE
            "clean_a": f"{t}/clean-dir/a.txt",
            "clean_b": f"{t}/clean-dir/deeper/b.txt",
        }
        os.makedirs(os.path.dirname(self.files["eicar"]))
        os.rename(os.path.join(self.tree, "eicar.com"), self.files["eicar"])
        m = MARKERS
        self.write("hashonly", b"this file is known by its MD5 only\n")
        self.write("hash_binary", bytes(range(256)) * 3)
        self.write("one", b"first line\n" + m["Vigil.Test.One"] + b"\nlast line\n")
        self.write("both", m["Vigil.Test.One"] + b" and " + m["Vigil.Test.Two"] + b"\n")
        self.write("two", b"x" * 5000 + m["Vigil.Test.Two"] + b"\n")
        self.write("spaced", b"  " + m["Vigil.Test.One"] + b"  \n")
        self.write("clean_a", b"just text\n")
        self.write("clean_b", b"more text\n")
        self.clean_dir = f"{t}/clean-dir"
        # Archives, outside the tree: markers inside a zip, a tar.gz, and a zip in a zip.
        self.archive_dir = f"{work}/archives"
        os.makedirs(self.archive_dir)
        inner = zip_bytes([("one.txt", b"x" + m["Vigil.Test.One"] + b"\n")])
        self.files["zip"] = f"{self.archive_dir}/one.zip"
        self.files["tgz"] = f"{self.archive_dir}/two.tar.gz"
        self.files["nested"] = f"{self.archive_dir}/nested.zip"
        self.write("zip", inner)
        self.write("tgz", tgz_bytes([("docs/two.txt", b"y" * 3000 + m["Vigil.Test.Two"])]))
        self.write("nested", zip_bytes([("readme.txt", b"clean"), ("inner.zip", inner)]))
        self.more_dir = f"{t}/more"
        self.missing = f"{t}/no-such-file.txt"

    def write(self, key, data):
        path = self.files[key]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def ndb(self, names):
        lines = [f"Vigil.Test.Eicar:0:*:{self.eicar.hex()}"]
        lines += [f"{n}:0:*:{MARKERS[n].hex()}" for n in names]
        return "\n".join(lines) + "\n"

    def hdb(self):
        lines = []
        for key, name in (("eicar", "Vigil.Test.EicarHash"), ("hashonly", "Vigil.Test.Hash"),
                          ("hash_binary", "Vigil.Test.HashBinary")):
            with open(self.files[key], "rb") as f:
                data = f.read()
            lines.append(f"{hashlib.md5(data).hexdigest()}:{len(data)}:{name}\n")
        return "".join(lines)

    def sources(self, dirname, names=("Vigil.Test.One", "Vigil.Test.Two"), with_hash=True):
        """A directory of signature sources: test.ndb (EICAR + `names`), test.hdb."""
        d = os.path.join(self.work, dirname)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "test.ndb"), "w") as f:
            f.write(self.ndb(names))
        if with_hash:
            with open(os.path.join(d, "test.hdb"), "w") as f:
                f.write(self.hdb())
        return d

    def dat(self, out, version, names=("Vigil.Test.One", "Vigil.Test.Two"), with_hash=True,
            sign=None, created=None):
        """Compiles a DAT (names carry .UNOFFICIAL, as clamd reports them) to `out`."""
        src = self.sources(f"src-{os.path.basename(out)}-{version}", names, with_hash)
        argv = [self.vigil_dat, "compile", src, "-o", out, "--version", str(version),
                "--unofficial-suffix"]
        if sign:
            argv += ["--sign", sign]
        if created is not None:
            argv += ["--created", str(created)]
        rc, _, err = run(argv)
        if rc != 0:
            raise RuntimeError(f"vigil-dat compile failed ({rc}): {err}")
        return out

