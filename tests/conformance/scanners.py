"""Runs clamscan and vigil-scan over the generated files and reads back what each found.

Both run once over the whole directory with --allmatch, so a file yields the set of every name
reported for it (clamscan prints some names twice, e.g. for raw and normalized HTML). Before
scanning, the database is loaded by clamscan alone; a line clamscan refuses is dropped and
reported, since one malformed line makes clamscan reject the whole database.
"""

import collections
import os
import re
import shutil
import subprocess
import tempfile

FOUND = re.compile(r"^(.*): (\S+) FOUND$")
BAD_LINE = re.compile(r"Problem parsing database at line (\d+)")
BAD_FILE = re.compile(r"Can't load (.+?): ")
MAX_DROPPED = 500


def find_vigil(explicit, script_dir):
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    default = os.path.normpath(os.path.join(script_dir, "..", "..", "build", "scanner-cli",
                                            "vigil-scan"))
    if os.access(default, os.X_OK):
        return default
    return shutil.which("vigil-scan")


def clamscan_flevel():
    """The functionality level of the installed engine (clamconf), or None if unknown."""
    try:
        out = subprocess.run(["clamconf"], capture_output=True, text=True, errors="replace",
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"Engine flevel: (\d+)", out)
    return int(m.group(1)) if m else None


def _db_files(db_dir):
    return [os.path.join(db_dir, n) for n in sorted(os.listdir(db_dir))]


def prune_database(db_dir):
    """Loads db_dir with clamscan; removes lines it rejects. Returns [(line, message)]."""
    dropped = []
    with tempfile.NamedTemporaryFile(prefix="vigil-conf-empty.") as empty:
        while len(dropped) < MAX_DROPPED:
            res = subprocess.run(["clamscan", "--no-summary", "-d", db_dir, empty.name],
                                 capture_output=True, text=True, errors="replace")
            if res.returncode != 2:
                return dropped
            line_m, file_m = BAD_LINE.search(res.stderr), BAD_FILE.search(res.stderr)
            if not line_m or not file_m:
                raise RuntimeError("clamscan cannot load the database:\n" + res.stderr[-2000:])
            path, number = file_m.group(1), int(line_m.group(1))
            with open(path, encoding="latin-1") as f:
                lines = f.read().splitlines()
            message = [m for m in res.stderr.splitlines() if "Error" in m][:1]
            dropped.append((lines[number - 1], message[0] if message else "rejected"))
            del lines[number - 1]
            with open(path, "w", encoding="latin-1") as f:
                f.write("".join(line + "\n" for line in lines))
    raise RuntimeError("clamscan rejected more than %d signature lines" % MAX_DROPPED)


def _parse(stdout, root):
    """Names per generated file. The files sit flat in `root`, so a longer path names a member
    inside one (file/member); it counts for the file, and such lines are counted."""
    found, member_lines = collections.defaultdict(set), 0
    for line in stdout.splitlines():
        m = FOUND.match(line)
        if m:
            parts = os.path.relpath(m.group(1), root).split(os.sep)
            member_lines += len(parts) > 1
            found[parts[0]].add(m.group(2))
    return found, member_lines


def run_clamscan(db_dir, files_dir):
    res = subprocess.run(["clamscan", "--allmatch", "--no-summary", "--stdout", "-r", "-d",
                          db_dir, files_dir], capture_output=True, text=True, errors="replace")
    if res.returncode not in (0, 1):
        raise RuntimeError("clamscan failed (exit %d):\n%s" % (res.returncode, res.stderr[-2000:]))
    return _parse(res.stdout, files_dir)[0]


def run_vigil(vigil, db_dir, files_dir):
    """Returns (names per file, lines naming a member, exit status, stderr). A failed load is
    reported, not raised: it is a Vigil disagreement like any other."""
    res = subprocess.run([vigil, "-j", "1", "--allmatch", "--no-summary", "--unofficial-suffix",
                          "--skip-bad-signatures", "-r", "-d", db_dir, files_dir],
                         capture_output=True, text=True, errors="replace")
    found, member_lines = _parse(res.stdout, files_dir)
    return found, member_lines, res.returncode, res.stderr
