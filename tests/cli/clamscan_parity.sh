#!/usr/bin/env bash
# Conformance: vigil-scan (with --unofficial-suffix) prints exactly what clamscan prints, and
# exits with the same status, for ClamAV's own databases and test files:
#   bash clamscan_parity.sh VIGIL_SCAN SHARED_DIR
# Skips (exit 77) when clamscan, clamav-testfiles or ../shared are absent.
set -euo pipefail
VIGIL_SCAN=$(realpath "$1")
SHARED=$2
UNIT=$SHARED/sigdata/clamav-unit-test-sigs/unit_tests/input
EXTRACT=$SHARED/sigdata/clamav-cvd-extract
CLAM_EXE=/usr/share/clamav-testfiles/clam.exe
command -v clamscan >/dev/null || { echo "SKIP: clamscan not installed"; exit 77; }
[[ -d $UNIT && -d $EXTRACT ]] || { echo "SKIP: $SHARED/sigdata absent"; exit 77; }
[[ -f $CLAM_EXE ]] || { echo "SKIP: clamav-testfiles not installed"; exit 77; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-parity.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# compare DB FILE...: both tools on the same files, stdout and exit status must be identical.
compare() {
  local db=$1
  shift
  local crc=0 vrc=0
  clamscan --no-summary --stdout -d "$db" "$@" >clam.out 2>clam.err || crc=$?
  "$VIGIL_SCAN" -j 1 --no-summary --unofficial-suffix -d "$db" "$@" >vigil.out 2>vigil.err ||
    vrc=$?
  if ! diff -u clam.out vigil.out || [[ $crc -ne $vrc ]]; then
    echo "MISMATCH for -d $db $* (clamscan exit $crc, vigil-scan exit $vrc)"
    cat vigil.err
    failures=$((failures + 1))
  else
    echo "same: -d $(basename "$db") $* -> exit $vrc, $(wc -l <vigil.out) line(s)"
  fi
}

# The EICAR test file, decoded from XOR-encoded bytes (never stored in the clear), and a
# clean file.
python3 -c 'import sys; sys.stdout.buffer.write(bytes(b ^ 0x2A for b in bytes.fromhex(sys.argv[1])))' \
  721f650b7a0f6a6b7a711e767a70721f1e027a74031d6969031d570e6f63696b7807797e6b646e6b786e076b647e637c63787f79077e6f797e076c63666f0b0e62016200 >eicar.com
printf 'nothing to see here, just text\n' >clean.txt
printf 'CLAMAV-TEST-STRING-NOT-EICAR and then some text\n' >unit-string.txt
gunzip -c "$EXTRACT/main.hdb.gz" >main.hdb
gunzip -c "$EXTRACT/daily.hdb.gz" >daily.hdb

compare "$UNIT/clamav.hdb" "$CLAM_EXE" clean.txt
compare "$UNIT/other_sigs/Clamav-Unit-Test-Signature.ndb" unit-string.txt clean.txt
compare main.hdb eicar.com clean.txt
grep -q '^eicar.com: .* FOUND$' vigil.out || { echo "EICAR not detected by main.hdb"; failures=$((failures + 1)); }
compare daily.hdb eicar.com

if [[ $failures -ne 0 ]]; then
  echo "$failures mismatch(es)"
  exit 1
fi
