#!/usr/bin/env python3
"""vigild's on-access scanner (fanotify), for real: run as root, it starts vigild with
`--on-access DIR` and opens and executes files from other processes, each in a subprocess with
a timeout, so that a missing answer fails the test instead of hanging it.

The watched tree sits on a tmpfs mounted for the test (--no-tmpfs: the work directory's own
filesystem), so a bug can only stall opens there. The daemon's database directory is inside the
watched tree on purpose: its own reload must neither be scanned nor blocked. With --vigil-scan,
a last check runs a scan past the time limit (a sparse file sized for about 10 s of scanning).

Exit status: 0 all checks passed, 1 a check failed, 77 skipped (not root, or no fanotify).
"""
import argparse
import ctypes
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP = 77
MARKER = b"VIGIL-ON-ACCESS-TEST-MARKER"  # a body signature of the first DAT
LATE_MARKER = b"VIGIL-ON-ACCESS-RELOAD-MARKER"  # only the second DAT knows it
NAME, LATE_NAME = "Vigil.Test.OnAccess", "Vigil.Test.OnAccessLate"
EXCLUDED_UID, OTHER_UID = 54321, 54322
OPEN_TIMEOUT = 20  # seconds; an open the daemon never answers fails here

OPENER = r"""
import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
    os.read(fd, 1)
    os.close(fd)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
"""

libc = ctypes.CDLL(None, use_errno=True)


class CheckFailed(AssertionError):
    pass


def ok(cond, what):
    if not cond:
        raise CheckFailed(what)


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def die_with_parent():
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def as_user(uid):
    def preexec():
        die_with_parent()
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return preexec


# The opener runs as other users too: a python they can execute.
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def try_open(path, uid=None):
    """'OK' or the errno name of opening and reading `path` from a separate process."""
    try:
        r = subprocess.run([PYTHON, "-c", OPENER, path], capture_output=True, text=True,
                           timeout=OPEN_TIMEOUT, cwd="/",
                           preexec_fn=as_user(uid) if uid is not None else die_with_parent)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"open({path}) did not return within {OPEN_TIMEOUT}s")
    ok(r.returncode == 0, f"opener failed: {r.stderr}")
    return r.stdout.strip()


def try_exec(path):
    """'OK' (ran, exit 0), the errno name of a failed execve, or 'exit N'."""
    try:
        r = subprocess.run([path], capture_output=True, timeout=OPEN_TIMEOUT, cwd="/",
                           preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"exec({path}) did not return within {OPEN_TIMEOUT}s")
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return "OK" if r.returncode == 0 else f"exit {r.returncode}"


def fanotify_probe():
    """None if permission events can be set up here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    fan_class_content, fan_cloexec = 0x04, 0x01
    fd = libc.fanotify_init(fan_class_content | fan_cloexec, os.O_RDONLY)
    if fd < 0:
        return f"fanotify_init: {os.strerror(ctypes.get_errno())}"
    os.close(fd)
    return None


def command(sock, cmd, timeout=20):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(sock)
        s.sendall(b"z" + cmd + b"\0")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        return data


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


class Daemon:
    def __init__(self, exe, work, name, options, watched):
        self.sock = os.path.join(work, name + ".sock")
        self.log_path = os.path.join(work, name + ".log")
        conf = os.path.join(work, name + ".conf")
        with open(conf, "w") as f:
            for k, v in [("LocalSocket", self.sock), ("Foreground", "yes"),
                         ("LogFile", self.log_path)] + options:
                f.write(f"{k} {v}\n")
        self.out = open(os.path.join(work, name + ".out"), "ab")
        self.proc = subprocess.Popen([exe, "--config-file", conf, "--on-access", watched],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        deadline = time.monotonic() + 30
        while "On-access scanning:" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise CheckFailed(f"vigild did not start on-access scanning: {self.log()}")
            time.sleep(0.1)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def lines(self, text):
        return [line for line in self.log().splitlines() if line == text]

    def wait_log(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while not pred(self.log()):
            if time.monotonic() > deadline:
                raise CheckFailed(f"{what} within {timeout}s; log:\n{self.log()}")
            time.sleep(0.1)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def mount_tmpfs(where):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "vigil-on-access", where],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


class Suite:
    def __init__(self, args, work, fs, on_tmpfs):
        self.args, self.work, self.fs, self.on_tmpfs = args, work, fs, on_tmpfs
        self.watched = os.path.join(fs, "watched")
        self.below = None  # a mount inside the watched tree, when the test can mount
        self.results = []
        self.daemon = None

    def path(self, *parts):
        return os.path.join(self.watched, *parts)

    def check(self, name, fn):
        start = time.monotonic()
        try:
            fn()
            status, detail = "PASS", ""
        except CheckFailed as e:
            status, detail = "FAIL", str(e)
        except Exception:
            status, detail = "FAIL", traceback.format_exc(limit=4)
        self.results.append((name, status))
        print(f"{status} {name} ({time.monotonic() - start:.1f}s)" +
              (f"\n    {detail}" if detail else ""), flush=True)

    def dat(self, name, sigs, version):
        src = os.path.join(self.work, f"src-{version}")
        os.makedirs(src)
        with open(os.path.join(src, "test.ndb"), "w") as f:
            for sig_name, marker in sigs:
                f.write(f"{sig_name}:0:*:{marker.hex()}\n")
        out = os.path.join(self.work, name)
        r = subprocess.run([self.args.vigil_dat, "compile", src, "-o", out, "--version",
                            str(version)], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"vigil-dat: {r.stderr}")
        return out

    def setup(self):
        self.dat1 = self.dat("v1.vdat", [(NAME, MARKER)], 1)
        self.dat2 = self.dat("v2.vdat", [(NAME, MARKER), (LATE_NAME, LATE_MARKER)], 2)
        for d in ("sub/deeper", "excluded", "db"):
            os.makedirs(self.path(d), mode=0o755)
        os.makedirs(os.path.join(self.fs, "outside"), mode=0o755)
        shutil.copy(self.dat1, self.path("db", "test.vdat"))
        bad = b"some text\n" + MARKER + b"\nmore text\n"
        if self.on_tmpfs:
            os.makedirs(self.path("mounted"), mode=0o755)
            if mount_tmpfs(self.path("mounted"))[0]:
                self.below = self.path("mounted")
                write(self.path("mounted", "infected.txt"), bad)
        self.files = {
            "clean": (self.path("clean.txt"), b"just text\n"),
            "infected": (self.path("infected.txt"), bad),
            "deep": (self.path("sub", "deeper", "infected.txt"), bad),
            "excluded": (self.path("excluded", "infected.txt"), bad),
            "outside": (os.path.join(self.fs, "outside", "infected.txt"), bad),
            "big": (self.path("big.bin"), MARKER + b"\0" * (2 << 20)),
            "grow": (self.path("grow.txt"), b"clean for now\n"),
            "late": (self.path("late.txt"), b"x " + LATE_MARKER + b" x\n"),
            "uid": (self.path("for-uids.txt"), bad),
        }
        for p, data in self.files.values():
            write(p, data)
        write(self.path("clean.sh"), b"#!/bin/sh\nexit 0\n", 0o755)
        write(self.path("infected.sh"), b"#!/bin/sh\n# " + MARKER + b"\nexit 0\n", 0o755)
        # vigild does not cache a file changed in the last 2 s (coarse timestamps); the cache
        # checks below need settled files.
        time.sleep(2.2)

    def p(self, key):
        return self.files[key][0]

    def start(self, name, extra=()):
        options = [("DatabaseDirectory", self.path("db")), ("AllowUnsigned", "yes"),
                   ("CacheDirectory", os.path.join(self.work, "cache")), ("LogClean", "yes"),
                   ("OnAccessExcludePath", self.path("excluded")),
                   ("OnAccessExcludeUID", EXCLUDED_UID)] + list(extra)
        self.daemon = Daemon(self.args.vigild, self.work, name, options, self.watched)
        return self.daemon

    # ---- the checks, in order ----------------------------------------------------------

    def clean_allowed_then_cached(self):
        d = self.daemon
        eq(try_open(self.p("clean")), "OK", "first open of a clean file")
        eq(len(d.lines(f"{self.p('clean')}: OK")), 1, "clean scans logged")
        eq(try_open(self.p("clean")), "OK", "second open")
        eq(len(d.lines(f"{self.p('clean')}: OK")), 1, "clean scans after a cache hit")

    def infected_denied(self):
        eq(try_open(self.p("infected")), "EPERM", "open of an infected file")
        ok(self.daemon.lines(f"{self.p('infected')}: {NAME} FOUND (access denied)"),
           f"no FOUND line in the log:\n{self.daemon.log()}")
        eq(try_open(self.p("infected")), "EPERM", "second open (infected files are not cached)")

    def subdirectory_denied(self):
        eq(try_open(self.p("deep")), "EPERM", "open two directories below the watched one")

    def mount_below_denied(self):
        """Another filesystem mounted inside the watched tree before vigild started."""
        eq(try_open(self.path("mounted", "infected.txt")), "EPERM", "open on the inner mount")

    def exclusions_allowed(self):
        eq(try_open(self.p("excluded")), "OK", "OnAccessExcludePath")
        eq(try_open(self.p("outside")), "OK", "same filesystem, outside the watched path")
        eq(try_open(self.p("big")), "OK", "over OnAccessMaxFileSize")
        log = self.daemon.log()
        for key in ("excluded", "outside", "big"):
            ok(self.p(key) not in log, f"{key} was scanned:\n{log}")

    def uid_exclusion(self):
        eq(try_open(self.p("uid"), uid=EXCLUDED_UID), "OK", f"uid {EXCLUDED_UID} (excluded)")
        eq(try_open(self.p("uid"), uid=OTHER_UID), "EPERM", f"uid {OTHER_UID} (not excluded)")

    def exec_denied(self):
        eq(try_exec(self.path("clean.sh")), "OK", "exec of a clean script")
        eq(try_exec(self.path("infected.sh")), "EPERM", "exec of an infected script")

    def modified_cached_file(self):
        d, grow = self.daemon, self.p("grow")
        eq(try_open(grow), "OK", "clean before the change")
        eq(try_open(grow), "OK", "clean, cached")
        eq(len(d.lines(f"{grow}: OK")), 1, "scans of the unchanged file")
        with open(grow, "ab") as f:  # this open is scanned too: the old, clean, cached content
            f.write(MARKER + b"\n")
        eq(try_open(grow), "EPERM", "open after the signature was appended")

    def daemon_own_opens(self):
        reply = command(self.daemon.sock, b"SCAN " + self.p("infected").encode())
        eq(reply, f"{self.p('infected')}: {NAME} FOUND\0".encode(), "SCAN by the daemon")

    def reload(self):
        d, late, clean = self.daemon, self.p("late"), self.p("clean")
        eq(try_open(late), "OK", "a file only the next DAT detects")
        eq(try_open(late), "OK", "the same, cached")
        eq(len(d.lines(f"{late}: OK")), 1, "scans before the reload")
        new = self.path("db", "test.vdat.new")
        shutil.copy(self.dat2, new)
        os.replace(new, self.path("db", "test.vdat"))
        eq(command(d.sock, b"RELOAD"), b"RELOADING\0", "RELOAD reply")
        d.wait_log(lambda log: "Database reloaded" in log, 30, "no reload")
        ok("reload failed" not in d.log(), f"a reload failed:\n{d.log()}")
        eq(try_open(late), "EPERM", "the cached clean file after a reload that detects it")
        ok(d.lines(f"{late}: {LATE_NAME} FOUND (access denied)"), "no FOUND line after reload")
        eq(try_open(clean), "OK", "clean file after the reload")
        eq(len(d.lines(f"{clean}: OK")), 2, "clean scans (the cache was dropped)")

    def shutdown(self):
        d = self.daemon
        eq(command(d.sock, b"SHUTDOWN"), b"", "SHUTDOWN reply")
        try:
            eq(d.proc.wait(30), 0, "exit status")
        except subprocess.TimeoutExpired:
            raise CheckFailed("vigild did not exit within 30s of SHUTDOWN")
        eq(try_open(self.p("infected")), "OK", "open after shutdown")
        ok("vigild stopped" in d.log(), "no 'vigild stopped' in the log")

    def slow_scan_allowed(self):
        """A scan past the 5 s time limit: the open is allowed at the limit and logged, other
        opens are answered meanwhile, and so are opens during the shutdown that waits for it.
        The file is sparse: reading its holes is slow enough (sized from a measured rate), and
        it costs no space."""
        huge = self.path("huge.bin")
        probe = self.path("rate.bin")
        size = 1 << 30
        with open(probe, "wb") as f:
            f.truncate(size)
        start = time.monotonic()
        subprocess.run([self.args.vigil_scan, "-d", self.dat1, "--allow-unsigned", "--no-cache",
                        "--max-filesize=0", probe], capture_output=True, timeout=120)
        rate = size / max(time.monotonic() - start, 0.01)
        os.unlink(probe)
        target = min(max(int(rate * 10), 4 << 30), 1 << 40)  # about 10 s of scanning
        print(f"    sparse file of {target >> 20} MiB ({rate / 1e6:.0f} MB/s measured)", flush=True)
        with open(huge, "wb") as f:
            f.truncate(target)
        time.sleep(2.2)
        d = self.start("slow", [("OnAccessMaxFileSize", "0")])
        t0 = time.monotonic()
        box = {}
        t = threading.Thread(target=lambda: box.update(r=try_open(huge)))
        t.start()
        time.sleep(0.5)
        eq(try_open(self.p("clean")), "OK", "another open during the slow scan")
        t.join(OPEN_TIMEOUT + 5)
        took = time.monotonic() - t0
        eq(box.get("r"), "OK", f"open of a {target >> 20} MiB sparse file")
        d.wait_log(lambda log: f"{huge}: scan exceeded the on-access time limit" in log, 5,
                   f"no time-limit line (the open took {took:.1f}s)")
        # Shutdown waits for the scan still running; meanwhile every open passes unscanned.
        eq(command(d.sock, b"SHUTDOWN"), b"", "SHUTDOWN reply")
        time.sleep(0.5)
        eq(try_open(self.p("infected")), "OK", "open while vigild shuts down")
        ok(d.proc.poll() is None, "vigild exited before the scan it waits for ended")
        try:
            eq(d.proc.wait(120), 0, "exit status after the slow scan")
        except subprocess.TimeoutExpired:
            raise CheckFailed("vigild did not exit after SHUTDOWN")
        os.unlink(huge)

    def run(self):
        self.setup()
        self.start("vigild", [("OnAccessMaxFileSize", "1M")])
        for name in ("clean_allowed_then_cached", "infected_denied", "subdirectory_denied",
                     "mount_below_denied", "exclusions_allowed", "uid_exclusion", "exec_denied",
                     "modified_cached_file", "daemon_own_opens", "reload", "shutdown"):
            if name == "mount_below_denied" and not self.below:
                print(f"SKIP {name}: no mount inside the watched tree", flush=True)
                continue
            self.check(name, getattr(self, name))
        self.daemon.kill()
        # The slow scan needs a sparse file of gigabytes read through a mapping (files over
        # 64 MiB are mapped); on a tmpfs that allocates memory for every hole read and ends in
        # SIGBUS when the tmpfs is full, so the check runs only on a disk filesystem.
        if self.args.vigil_scan and not self.on_tmpfs:
            self.check("slow_scan_allowed", self.slow_scan_allowed)
        elif self.args.vigil_scan:
            print("SKIP slow_scan_allowed: the watched tree is a tmpfs (run with --no-tmpfs)",
                  flush=True)
        return [n for n, s in self.results if s != "PASS"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--vigil-dat", required=True)
    ap.add_argument("--vigil-scan", help="enables the slow-scan check (calibrates it)")
    ap.add_argument("--no-tmpfs", action="store_true", help="watch the work dir's filesystem")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    why = fanotify_probe()
    if why:
        print(f"SKIP: {why}")
        return SKIP

    work = tempfile.mkdtemp(prefix="vigil-on-access-")
    os.chmod(work, 0o755)  # the uid checks run openers as other users
    fs = os.path.join(work, "fs")
    os.mkdir(fs, 0o755)
    mounted = False
    if args.no_tmpfs:
        print("watching the work directory's filesystem", flush=True)
    else:
        mounted, why_not = mount_tmpfs(fs)
        print("watched tree on a tmpfs" if mounted else f"no tmpfs ({why_not}); "
              "watching the work directory's filesystem", flush=True)
    suite = Suite(args, work, fs, mounted)
    # Last resort: whatever happens, the daemon does not outlive this deadline (killing it
    # releases every open it holds).
    guard = threading.Timer(600, lambda: suite.daemon and suite.daemon.kill())
    guard.daemon = True
    guard.start()
    try:
        failed = suite.run()
    finally:
        if suite.daemon:
            suite.daemon.kill()
        guard.cancel()
        for m in (suite.below, fs if mounted else None):
            if m:
                subprocess.run(["umount", "-l", m])
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(suite.results) - len(failed)} passed, {len(failed)} failed" +
          (f": {' '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
