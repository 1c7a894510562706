#!/usr/bin/env bash
# make_corpus.sh OUTDIR [SIZE_MB=512] [--seed S] [--planted K] [--plant-from N]
#
# Builds the benchmark corpus: copies of this machine's own files (regular files from
# /usr/bin, /usr/lib, /usr/share, in a fixed pseudo-random order keyed by a hash of the path,
# so every size class and file type is represented, not just the alphabetically first tree)
# until SIZE_MB is reached (OUTDIR/files/system/), plus OUTDIR/files/planted/ with K files that
# each carry one generated signature, some inside copies of real files (see gen_sigs.py).
# OUTDIR/planted.txt says which signature is in which, with
# paths relative to OUTDIR/files, the directory to scan; bookkeeping stays outside it. Files
# are copied, never linked, so nothing here can touch the system. Reruns with the same
# parameters reuse the corpus (OUTDIR/.stamp); other parameters rebuild it.
#
# Env: CORPUS_ROOTS (default "/usr/bin /usr/lib /usr/share"), CORPUS_MAX_FILE_MB (default 64).
set -euo pipefail

usage() { sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2; }

[[ $# -ge 1 ]] || usage
OUTDIR=$1; shift
SIZE_MB=512
if [[ $# -ge 1 && $1 != --* ]]; then SIZE_MB=$1; shift; fi
SEED=1 PLANTED=50 PLANT_FROM=1000
while [[ $# -gt 0 ]]; do
  case $1 in
    --seed) SEED=$2; shift 2 ;;
    --planted) PLANTED=$2; shift 2 ;;
    --plant-from) PLANT_FROM=$2; shift 2 ;;
    *) usage ;;
  esac
done
if [[ ! $SIZE_MB =~ ^[0-9]+$ || $SIZE_MB -eq 0 ]]; then
  echo "make_corpus: bad SIZE_MB '$SIZE_MB'" >&2
  exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOTS=${CORPUS_ROOTS:-/usr/bin /usr/lib /usr/share}
MAX_FILE_MB=${CORPUS_MAX_FILE_MB:-64}
STAMP="v3 size_mb=$SIZE_MB seed=$SEED planted=$PLANTED plant_from=$PLANT_FROM"
STAMP+=" roots=$ROOTS max_file_mb=$MAX_FILE_MB"

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
if [[ -f $OUTDIR/.stamp && "$(cat "$OUTDIR/.stamp")" == "$STAMP" ]]; then
  echo "make_corpus: reusing $OUTDIR ($(cat "$OUTDIR/.stats"))" >&2
  exit 0
fi

echo "make_corpus: building $OUTDIR ($STAMP)" >&2
rm -rf "$OUTDIR/files" "$OUTDIR/planted.txt" "$OUTDIR/planted-hosts.txt" "$OUTDIR/.stamp" "$OUTDIR/.stats" \
       "$OUTDIR/.plant-sigs"

# Planted positives first: their size counts against SIZE_MB.
python3 "$HERE/gen_sigs.py" --count "$PLANT_FROM" --seed "$SEED" --planted "$PLANTED" \
  --plant-from "$PLANT_FROM" --out "$OUTDIR/.plant-sigs" --plant-dir "$OUTDIR/files/planted"
cp "$OUTDIR/.plant-sigs/planted.txt" "$OUTDIR/planted.txt"
cp "$OUTDIR/.plant-sigs/hosts.txt" "$OUTDIR/planted-hosts.txt"
rm -rf "$OUTDIR/.plant-sigs"

# shellcheck disable=SC2086  # ROOTS is a word list on purpose
python3 - "$OUTDIR" "$SIZE_MB" "$SEED" "$MAX_FILE_MB" $ROOTS <<'EOF'
import hashlib, os, re, shutil, stat, sys

outdir, size_mb, seed, max_file_mb, roots = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                             int(sys.argv[4]), sys.argv[5:])
# Names restricted to a plain charset so every tool's "PATH: NAME" output parses unambiguously.
safe = re.compile(r"^[A-Za-z0-9._+@,=~/-]+$")
planted = sum(os.path.getsize(os.path.join(outdir, "files", "planted", f))
              for f in os.listdir(os.path.join(outdir, "files", "planted")))
budget = size_mb * 1024 * 1024 - planted
candidates = []
for root in roots:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if (stat.S_ISREG(st.st_mode) and 0 < st.st_size <= max_file_mb << 20
                    and safe.match(path)):
                key = hashlib.sha1(f"{seed}:{path}".encode()).hexdigest()
                candidates.append((key, path, st.st_size))
candidates.sort()
total = files = 0
for _, path, size in candidates:
    if total + size > budget:
        continue  # would overshoot; a smaller file further on may still fit
    dest = os.path.join(outdir, "files", "system", path.lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        shutil.copyfile(path, dest, follow_symlinks=False)
    except OSError:
        continue
    total += os.path.getsize(dest)
    files += 1
if total < budget:
    print(f"make_corpus: warning: only {total >> 20} MB of system files found", file=sys.stderr)
with open(os.path.join(outdir, ".stats"), "w") as f:
    f.write(f"{files} system files, {total} bytes; planted {planted} bytes\n")
EOF

echo "$STAMP" > "$OUTDIR/.stamp"
echo "make_corpus: done: $(cat "$OUTDIR/.stats")" >&2
