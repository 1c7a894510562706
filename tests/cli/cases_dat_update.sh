# shellcheck shell=bash
# vigil-dat, second part: info, diff/delta/apply, atomic installs and the database cache.
# Sourced by dat_tool_test.sh next to cases_dat.sh (same helpers, same case_dat_* naming).

# ---- 6. info ----------------------------------------------------------------------------------

case_dat_info() {
  dat_init
  need_python
  make_key k
  local k_id=$KEY_ID
  mkdir src
  printf 'Test.Alpha:0:*:%s\nTest.Beta:0:*:%s\nTest.Gamma:0:*:%s\n' \
    "$(hex "$ALPHA")" "$(hex "$BETA")" "$(hex VIGIL-TEST-MARKER-GAMMA)" >src/body.ndb
  printf '44d88612fea8a8f36de82e1278abb02f:68:Test.Eicar.Hash\n' >src/eicar.hdb
  printf 'Test.Gamma\n' >src/local.ign2
  printf 'clean\n' >clean.txt
  printf '%s:6:Test.Clean.Allowed\n' "$(md5sum clean.txt | cut -d ' ' -f 1)" >src/allow.fp
  dat_ok compile src -o full.vdat --version 7 --created 1609459200 --target host --sign k
  local size
  size=$(file_size full.vdat)

  dat info full.vdat
  expect_rc 0
  expect_stderr_empty
  local line
  for line in "file: full.vdat" "kind: DAT" "format_version: 1" "dat_version: 7" \
    "created: 2021-01-01T00:00:00Z" "signer: $k_id" "file_size: $size" "body_signatures: 2" \
    "hash_signatures: 1" "allowlist_entries: 1" "ignored_signatures: 1" "runs_here: yes"; do
    grep -qxF -- "$line" "$WORK/.stdout" || fail "info does not print '$line'"
  done
  expect_stdout_line "content_id: [0-9a-f]{64}"
  [[ "$(sed -nE 's/^section (.+): [0-9]+ bytes$/\1/p' "$WORK/.stdout" | paste -sd ,)" == \
    "meta,names,body plan,pattern database,hash signatures,allowlist,logical signatures,section hashes,signature sources" ]] ||
    fail "info does not list the nine sections in file order"
  cp "$WORK/.stdout" info.txt

  dat info full.vdat --json
  expect_rc 0
  python3 -m json.tool <"$WORK/.stdout" >/dev/null || fail "info --json is not JSON"
  # Every text field has the same value in JSON (empty in JSON where the text says so).
  check_json '
import json, sys
j = json.load(sys.stdin)
text = {}
for line in open("info.txt"):
    key, _, value = line.rstrip("\n").partition(": ")
    if not key.startswith("section "):
        text[key] = value
assert set(text) == set(j) - {"sections"}, (sorted(text), sorted(j))
for key, value in text.items():
    got = j[key]
    if isinstance(got, int):
        assert str(got) == value, (key, got, value)
    else:
        assert got == value or (got == "" and value in ("unsigned", "not set")), (key, got, value)
assert j["body_signatures"] == 2 and j["hash_signatures"] == 1, j
assert j["allowlist_entries"] == 1 and j["ignored_signatures"] == 1, j
assert j["file_size"] == '"$size"', j
names = [s["name"] for s in j["sections"]]
assert names == ["meta", "names", "body plan", "pattern database", "hash signatures",
                 "allowlist", "logical signatures", "section hashes", "signature sources"], names
end = 0
for s in j["sections"]:
    assert s["offset"] >= end and s["offset"] % 8 == 0, s
    end = s["offset"] + s["size"]
assert end <= j["file_size"], (end, j["file_size"])
'

  dat_ok compile sigs/alpha.ndb -o plain.vdat --version 3
  dat info plain.vdat
  expect_rc 0
  expect_stdout_line "signer: unsigned"
  expect_stdout_line "created: not set"
  expect_stdout_line "dat_version: 3"
  expect_stdout_line "body_signatures: 1"
  expect_stdout_line "hash_signatures: 0"
  dat info plain.vdat --json
  check_json '
import json, sys
j = json.load(sys.stdin)
assert j["signer"] == "" and j["created"] == "" and j["dat_version"] == 3, j
'

  # What info will not describe.
  cp full.vdat bad.vdat
  find_section bad.vdat "names"
  flip_byte bad.vdat $((SECTION_OFFSET + 1))
  dat info bad.vdat
  expect_rc 1
  expect_stdout_empty
  expect_stderr_exactly "vigil-dat: bad.vdat: section names: checksum mismatch"
  head -c 1000 full.vdat >cut.vdat
  dat info cut.vdat
  expect_rc 1
  expect_stderr_exactly "vigil-dat: cut.vdat: header: file size $size but the file has 1000 bytes (truncated or padded)"
  dat info no-such.vdat
  expect_rc 2
  expect_stderr_line "vigil-dat: no-such\.vdat: .*No such file or directory"
  dat info
  expect_rc 2
}

# ---- 7. diff, delta, apply ------------------------------------------------------------------

# v1: Test.Alpha, Test.Beta, Test.Gamma (body), Test.Eicar.Hash (hash).
# v2: Test.Beta removed, Test.Gamma changed, Test.Delta.Hash added.
make_versions() {
  mkdir v1 v2
  printf 'delta marker\n' >delta.txt
  printf 'Test.Alpha:0:*:%s\nTest.Beta:0:*:%s\nTest.Gamma:0:*:%s\n' "$(hex "$ALPHA")" \
    "$(hex "$BETA")" "$(hex VIGIL-TEST-MARKER-GAMMA-ONE)" >v1/body.ndb
  printf '44d88612fea8a8f36de82e1278abb02f:68:Test.Eicar.Hash\n' >v1/hash.hdb
  printf 'Test.Alpha:0:*:%s\nTest.Gamma:0:*:%s\n' "$(hex "$ALPHA")" \
    "$(hex VIGIL-TEST-MARKER-GAMMA-TWO)" >v2/body.ndb
  printf '44d88612fea8a8f36de82e1278abb02f:68:Test.Eicar.Hash\n%s:%s:Test.Delta.Hash\n' \
    "$(md5sum delta.txt | cut -d ' ' -f 1)" "$(file_size delta.txt)" >v2/hash.hdb
}

case_dat_update() {
  dat_init
  make_key k
  local k_id=$KEY_ID
  make_key other
  make_versions
  dat_ok compile v1 -o old.vdat --version 1 --sign k
  dat_ok compile v2 -o new.vdat --version 2 --sign k
  local new_size
  new_size=$(file_size new.vdat)

  dat diff old.vdat new.vdat
  expect_rc 0
  expect_stderr_empty
  expect_golden dat_diff
  dat diff old.vdat new.vdat --trusted-key k.pub
  expect_rc 0
  expect_golden dat_diff
  dat diff old.vdat new.vdat --json
  expect_rc 0
  local json='{"added":[{"name":"Test.Delta.Hash","kind":"hash"}],'
  json+='"removed":[{"name":"Test.Beta","kind":"body"}],'
  json+='"changed":[{"name":"Test.Gamma","kind":"body"}]}'
  expect_stdout "$json"
  dat diff old.vdat old.vdat
  expect_rc 0
  expect_stdout "0 added, 0 removed, 0 changed"

  dat delta old.vdat new.vdat -o up.vdelta --trusted-key k.pub --sign k
  expect_rc 0
  local made="up\.vdelta: delta from DAT version 1 to 2, [0-9]+ bytes \(the new DAT has $new_size\)"
  expect_stdout_line "$made: 2 lines removed, 2 added, signed by key $k_id"
  dat info up.vdelta
  expect_rc 0
  expect_stdout_line "kind: delta"
  expect_stdout_line "dat_version: 2"
  expect_stdout_line "signer: $k_id"
  expect_stdout_line "section delta base: [0-9]+ bytes"
  expect_stdout_line "section delta changes: [0-9]+ bytes"

  # apply rebuilds the new DAT byte for byte, and it scans as the new version.
  dat apply old.vdat up.vdelta -o got.vdat --trusted-key k.pub
  expect_rc 0
  expect_stdout "got.vdat: DAT version 2 ($new_size bytes) from old.vdat and up.vdelta"
  expect_same_file got.vdat new.vdat
  printf '%s\n' "$BETA" >beta.txt
  printf '%s\n' VIGIL-TEST-MARKER-GAMMA-ONE >gamma1.txt
  printf '%s\n' VIGIL-TEST-MARKER-GAMMA-TWO >gamma2.txt
  scan -j 1 --no-summary -d got.vdat --trusted-key k.pub beta.txt gamma1.txt gamma2.txt delta.txt
  expect_rc 1
  expect_stdout "beta.txt: OK" "gamma1.txt: OK" "gamma2.txt: Test.Gamma FOUND" \
    "delta.txt: Test.Delta.Hash FOUND"

  # In place.
  mkdir live
  cp old.vdat live/main.vdat
  dat apply live/main.vdat up.vdelta -o live/main.vdat --trusted-key k.pub
  expect_rc 0
  expect_same_file live/main.vdat new.vdat
  expect_listing live main.vdat

  # The wrong base: the new DAT itself, and another DAT of the same version number.
  dat apply live/main.vdat up.vdelta -o live/main.vdat --trusted-key k.pub
  expect_rc 1
  local refused="vigil-dat: refused: up\.vdelta: applies to DAT version 1 \(id [0-9a-f]+\.\.\.\)"
  expect_stderr_line "$refused, but live/main\.vdat is version 2 \(id [0-9a-f]+\.\.\.\)"
  expect_same_file live/main.vdat new.vdat
  expect_listing live main.vdat
  dat_ok compile sigs/alpha.ndb -o live/other.vdat --version 1 --sign k
  cp live/other.vdat other.saved
  dat apply live/other.vdat up.vdelta -o live/other.vdat --trusted-key k.pub
  expect_rc 1
  expect_stderr_line "$refused, but live/other\.vdat is version 1 \(id [0-9a-f]+\.\.\.\)"
  expect_same_file live/other.vdat other.saved
  expect_listing live main.vdat other.vdat

  # Trust: the DATs and the delta must verify.
  dat apply old.vdat up.vdelta -o untrusted.vdat
  expect_rc 1
  expect_stderr_exactly "vigil-dat: refused: old.vdat: DAT is signed by key $k_id, which is not trusted"
  dat apply old.vdat up.vdelta -o untrusted.vdat --trusted-key other.pub
  expect_rc 1
  [[ ! -e untrusted.vdat ]] || fail "a refused apply wrote its output"
  dat_ok delta old.vdat new.vdat -o plain.vdelta --trusted-key k.pub
  expect_stdout_line "plain\.vdelta: delta from DAT version 1 to 2, .+, unsigned"
  dat apply old.vdat plain.vdelta -o plain.vdat --trusted-key k.pub
  expect_rc 1
  expect_stderr_exactly "vigil-dat: refused: plain.vdelta: delta is unsigned (unsigned files were not allowed)"
  dat apply old.vdat plain.vdelta -o plain.vdat --trusted-key k.pub --allow-unsigned
  expect_rc 0
  expect_same_file plain.vdat new.vdat

  # A tampered delta is refused and the DAT stays as it was.
  cp old.vdat live/main.vdat
  cp up.vdelta bad.vdelta
  find_section bad.vdelta "delta changes"
  flip_byte bad.vdelta $((SECTION_OFFSET + SECTION_SIZE / 2))
  dat apply live/main.vdat bad.vdelta -o live/main.vdat --trusted-key k.pub
  expect_rc 1
  expect_stderr_exactly "vigil-dat: refused: bad.vdelta: section delta changes: checksum mismatch"
  expect_same_file live/main.vdat old.vdat
  cp up.vdelta bad.vdelta
  flip_byte bad.vdelta 16  # the version the delta produces, covered by its signature
  dat apply live/main.vdat bad.vdelta -o live/main.vdat --trusted-key k.pub
  expect_rc 1
  expect_stderr_exactly "vigil-dat: refused: bad.vdelta: delta signature does not verify (key $k_id): the file was altered"
  expect_same_file live/main.vdat old.vdat
  head -c 300 up.vdelta >bad.vdelta
  dat apply live/main.vdat bad.vdelta -o live/main.vdat --trusted-key k.pub
  expect_rc 1
  expect_stderr_line "vigil-dat: refused: bad\.vdelta: header: file size [0-9]+ but the file has 300 bytes \(truncated or padded\)"
  expect_same_file live/main.vdat old.vdat
  dat apply live/main.vdat new.vdat -o live/main.vdat --trusted-key k.pub  # a DAT, not a delta
  expect_rc 1
  expect_stderr_exactly "vigil-dat: refused: new.vdat: not a delta (bad magic)"
  expect_same_file live/main.vdat old.vdat
  expect_listing live main.vdat other.vdat

  dat apply old.vdat up.vdelta
  expect_rc 2
  expect_stderr_line "vigil-dat: missing -o OUTPUT"
}

# diff and delta report a DAT whose signer is not trusted as a failed check (exit 1, like
# verify and apply), not as a usage or I/O error.
case_dat_untrusted_refused() {
  dat_init
  make_key k
  make_key other
  make_versions
  dat_ok compile v1 -o old.vdat --version 1 --sign k
  dat_ok compile v2 -o new.vdat --version 2 --sign k
  dat diff old.vdat new.vdat --trusted-key other.pub
  expect_stderr_line "vigil-dat: old\.vdat: DAT is signed by key [0-9a-f]{64}, which is not trusted"
  expect_rc 1
  dat delta old.vdat new.vdat -o up.vdelta --trusted-key other.pub
  expect_stderr_line "vigil-dat: old\.vdat: DAT is signed by key [0-9a-f]{64}, which is not trusted"
  expect_rc 1
  [[ ! -e up.vdelta ]] || fail "a refused delta was written"
}

# ---- 8. atomic installs ---------------------------------------------------------------------

case_dat_atomic_install() {
  dat_init
  make_key k
  mkdir db
  dat_ok compile sigs/alpha.ndb -o db/main.vdat --version 1 --sign k
  cp db/main.vdat before.vdat
  [[ $(file_size before.vdat) -gt 1024 ]] || fail "the DAT must be larger than the 1 KiB limit"

  # Paths that cannot take the file: nothing is created, nothing is left behind.
  dat compile sigs/beta.ndb -o no-such-dir/main.vdat --version 2
  expect_rc 2
  expect_stdout_empty
  expect_stderr_exactly "vigil-dat: no-such-dir/main.vdat: cannot create temporary file: No such file or directory"
  [[ ! -e no-such-dir ]] || fail "compile created the missing directory"
  : >a-file
  dat compile sigs/beta.ndb -o a-file/main.vdat --version 2
  expect_rc 2
  expect_stderr_exactly "vigil-dat: a-file/main.vdat: cannot create temporary file: Not a directory"
  mkdir a-dir
  dat compile sigs/beta.ndb -o a-dir --version 2
  expect_rc 2
  expect_stderr_exactly "vigil-dat: a-dir: rename failed: Is a directory"
  expect_listing a-dir
  dat compile sigs/beta.ndb -o db/ --version 2
  expect_rc 2
  expect_stderr_exactly "vigil-dat: 'db/': not a file path"
  expect_listing db main.vdat

  # A write that fails half way (the file size limit stands in for a full disk): the previous
  # DAT stays in place and no temporary file is left, for compile, sign and apply alike.
  dat_small_fsize compile sigs/beta.ndb -o db/main.vdat --version 2 --sign k
  expect_rc 2
  expect_stderr_exactly "vigil-dat: db/main.vdat: write failed: File too large"
  expect_same_file db/main.vdat before.vdat
  expect_listing db main.vdat
  dat_small_fsize sign db/main.vdat --key k
  expect_rc 2
  expect_stderr_exactly "vigil-dat: db/main.vdat: write failed: File too large"
  expect_same_file db/main.vdat before.vdat
  expect_listing db main.vdat
  dat_ok compile sigs/alpha.ndb sigs/beta.ndb -o v2.vdat --version 2 --sign k
  dat_ok delta db/main.vdat v2.vdat -o up.vdelta --trusted-key k.pub --sign k
  dat_small_fsize apply db/main.vdat up.vdelta -o db/main.vdat --trusted-key k.pub
  expect_rc 2
  expect_stderr_exactly "vigil-dat: db/main.vdat: write failed: File too large"
  expect_same_file db/main.vdat before.vdat
  expect_listing db main.vdat

  # A directory that is not writable (permissions do not stop root).
  if [[ $(id -u) -ne 0 ]]; then
    chmod 555 db
    dat compile sigs/beta.ndb -o db/main.vdat --version 2
    expect_rc 2
    expect_stderr_exactly "vigil-dat: db/main.vdat: cannot create temporary file: Permission denied"
    chmod 755 db
    expect_same_file db/main.vdat before.vdat
    expect_listing db main.vdat
  fi

  # The DAT left in place still loads.
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 --no-summary -d db/main.vdat --trusted-key k.pub alpha.txt
  expect_rc 1
  expect_stdout "alpha.txt: Test.Alpha FOUND"
}

# ---- 9. the database cache ------------------------------------------------------------------

# Copies the DAT $1 to $2 with its pattern database marked as built by another Hyperscan
# release (5.3.0), the section digest updated to match: the database then does not run here
# and the loader compiles one for this machine, through the cache.
make_foreign_dat() {
  find_section "$1" "pattern database"
  python3 - "$1" "$2" "$SECTION_OFFSET" "$SECTION_SIZE" <<'EOF'
import hashlib, struct, sys
src, dst, off, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
b = bytearray(open(src, "rb").read())
# The section holds the first-pass database after its 8-byte length, then the second pass's.
db = off + 8
assert struct.unpack_from("<I", b, db)[0] == 0xDBDBDBDB, "not a Hyperscan database"
struct.pack_into("<I", b, db + 4, 0x05030000)
# The digest: SHA-256 of the SHA-256s of the 1 MiB chunks (dat/container.h), in the table.
chunk = 1 << 20
digest = hashlib.sha256(b"".join(hashlib.sha256(b[p:min(p + chunk, off + size)]).digest()
                                 for p in range(off, off + size, chunk))).digest()
for entry in range(64, 64 + 56 * struct.unpack_from("<I", b, 36)[0], 56):
    if struct.unpack_from("<IIQ", b, entry)[2] == off:
        b[entry + 24:entry + 56] = digest
        break
else:
    sys.exit("section table entry not found")
open(dst, "wb").write(b)
EOF
}

case_dat_cache() {
  dat_init
  need_python
  make_samples sample
  make_key k
  dat_ok compile sigs/eicar.ndb sigs/eicar.hdb -o here.vdat --version 1 --target host
  make_foreign_dat here.vdat foreign.vdat
  dat sign foreign.vdat --key k
  expect_rc 0
  dat verify foreign.vdat --key k.pub
  expect_rc 0

  local files=(sample/eicar.com sample/docs/eicar-in-text.txt sample/docs/readme.txt)
  local found=("sample/eicar.com: Test.Eicar.Body FOUND"
    "sample/docs/eicar-in-text.txt: Test.Eicar.Body FOUND" "sample/docs/readme.txt: OK")
  local compiled="foreign\.vdat: info: precompiled pattern database \(.*\) does not run on "
  compiled+="Hyperscan .+: compiled for this machine in [0-9]+ ms"
  # First load: compiled here and cached.
  scan -j 1 -v --no-summary --cache-dir cache -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_line "$compiled, cached at cache/[0-9a-f]{32}-hs[^/]+\.hsdb"
  [[ $(wc -l <"$WORK/.stderr") -eq 1 ]] || fail "expected exactly one stderr line"
  local cached
  cached=$(ls cache)
  [[ $cached == *.hsdb && $(wc -l <<<"$cached") -eq 1 ]] || fail "cache holds: $cached"
  [[ $(stat -c %a "cache/$cached") == 600 ]] || fail "the cache file is not mode 600"
  # Second load: from the cache, nothing compiled; -v says where the database came from.
  scan -j 1 -v --no-summary --cache-dir cache -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_line ".*: used the database compiled for this machine at cache/$cached"
  [[ $(wc -l <"$WORK/.stderr") -eq 1 ]] || fail "expected exactly one stderr line"
  # --no-cache: compiled, neither read nor written.
  scan -j 1 -v --no-summary --no-cache --cache-dir cache2 -d foreign.vdat --trusted-key k.pub \
    "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_line "$compiled"
  [[ ! -e cache2 ]] || fail "--no-cache created the cache directory"
  # The default cache directory is $XDG_CACHE_HOME/vigil, else ~/.cache/vigil.
  scan -j 1 --no-summary -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stderr_empty
  [[ -f "$XDG_CACHE_HOME/vigil/$cached" ]] || fail "nothing cached under \$XDG_CACHE_HOME/vigil"
  mkdir -p home/.cache
  (
    unset XDG_CACHE_HOME
    scan_env HOME="$WORK/home" --no-summary -d foreign.vdat --trusted-key k.pub "${files[@]}"
    expect_rc 1
    expect_stderr_empty
  )
  [[ -f "home/.cache/vigil/$cached" ]] || fail "nothing cached under ~/.cache/vigil"

  # A cache file that others may write, or that was altered, is ignored and replaced.
  chmod g+w "cache/$cached"
  scan -j 1 -v --no-summary --cache-dir cache -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  local insecure="not a regular file owned by this user and writable only by it"
  expect_stderr_line "foreign\.vdat: warning: ignored cache file: cache/$cached: $insecure"
  expect_stderr_line "$compiled, cached at cache/$cached"
  [[ $(stat -c %a "cache/$cached") == 600 ]] || fail "the replaced cache file is not mode 600"
  flip_byte "cache/$cached" $(($(file_size "cache/$cached") - 5))
  scan -j 1 -v --no-summary --cache-dir cache -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_line "foreign\.vdat: warning: ignored cache file: cache/$cached: .+"
  expect_stderr_line "$compiled, cached at cache/$cached"
  scan -j 1 -v --no-summary --cache-dir cache -d foreign.vdat --trusted-key k.pub "${files[@]}"
  expect_rc 1
  expect_stderr_line ".*: used the database compiled for this machine at cache/$cached"
  # A cache directory that cannot be made: a warning, and the scan goes on.
  : >not-a-dir
  scan -j 1 -v --no-summary --cache-dir not-a-dir/sub -d foreign.vdat --trusted-key k.pub \
    "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_line "foreign\.vdat: warning: cannot write the database cache: .+"

  # The DAT as built runs here: nothing compiled, nothing cached.
  scan -j 1 -v --no-summary --cache-dir cache3 --allow-unsigned -d here.vdat "${files[@]}"
  expect_rc 1
  expect_stdout "${found[@]}"
  expect_stderr_empty
  [[ ! -e cache3 ]] || fail "a DAT that runs here went through the cache"
}

# The default cache directory is made with its missing parents ($XDG_CACHE_HOME or ~/.cache
# need not exist yet, as on a fresh account), not only its last component; otherwise every
# load would warn and compile again.
case_dat_cache_creates_parents() {
  dat_init
  need_python
  make_samples sample
  make_key k
  dat_ok compile sigs/eicar.hdb sigs/eicar.ndb -o here.vdat --version 1 --target host
  make_foreign_dat here.vdat foreign.vdat
  dat_ok sign foreign.vdat --key k
  export XDG_CACHE_HOME=$WORK/fresh/cache
  scan -j 1 --no-summary -d foreign.vdat --trusted-key k.pub sample/docs/eicar-in-text.txt
  expect_rc 1
  expect_stdout "sample/docs/eicar-in-text.txt: Test.Eicar.Body FOUND"
  expect_stderr_empty
  [[ -n $(ls "$XDG_CACHE_HOME/vigil") ]] || fail "nothing cached"
}
