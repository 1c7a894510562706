# shellcheck shell=bash
# vigil-dat and DAT loading in vigil-scan, first part: compile, determinism, strictness, keys
# and trust, hostile DAT files (the rest is in cases_dat_update.sh). Sourced by
# dat_tool_test.sh, which provides the vigil-dat helpers (dat, flip_byte, find_section...) on
# top of cli_test.sh's harness; every case is named case_dat_* so none shadows a vigil-scan case.

# ---- 1. compile -> scan -------------------------------------------------------------------

case_dat_compile_scan() {
  dat_init
  make_samples sample
  scan -j 1 -d sigs/eicar.ndb -d sigs/eicar.hdb -r sample
  expect_rc 1
  stable_stdout >from-sources.out
  scan -j 1 --no-summary --allmatch -d sigs/eicar.ndb -d sigs/eicar.hdb -r sample
  expect_rc 1
  LC_ALL=C sort "$WORK/.stdout" >allmatch-sources.out

  dat compile sigs/eicar.ndb sigs/eicar.hdb -o eicar.vdat --version 1
  expect_rc 0
  expect_stdout_line "eicar\.vdat: version 1, 1 body and 1 hash signatures, 0 allowlist entries, [0-9]+ bytes, unsigned"
  expect_stderr_empty
  scan -j 1 --allow-unsigned -d eicar.vdat -r sample
  expect_rc 1
  expect_stderr_empty
  expect_golden dat_compile_scan
  stable_stdout | diff -u from-sources.out - >&2 || fail "the DAT's output differs from its sources'"
  scan -j 1 --no-summary --allmatch --allow-unsigned -d eicar.vdat -r sample
  expect_rc 1
  LC_ALL=C sort "$WORK/.stdout" | diff -u allmatch-sources.out - >&2 ||
    fail "with --allmatch, the DAT's detections differ from its sources'"

  # With no -d and no $VIGIL_DATABASE, the bundled DAT (signed with the build's key).
  scan -j 1 --no-summary sample/eicar.com sample/docs/readme.txt
  expect_rc 1
  expect_stderr_empty
  expect_stdout_line "sample/eicar\.com: .+ FOUND"
  expect_stdout_line "sample/docs/readme\.txt: OK"
  [[ $(wc -l <"$WORK/.stdout") -eq 2 ]] || fail "expected exactly 2 lines"
}

# ---- 2. deterministic builds ------------------------------------------------------------

case_dat_deterministic() {
  dat_init
  mkdir src
  cp sigs/eicar.ndb sigs/eicar.hdb sigs/alpha.ndb src/
  dat_ok compile src/eicar.ndb src/eicar.hdb src/alpha.ndb -o a.vdat --version 5
  dat_ok compile src/eicar.ndb src/eicar.hdb src/alpha.ndb -o b.vdat --version 5
  expect_same_file a.vdat b.vdat
  dat_ok compile src/alpha.ndb src/eicar.hdb src/eicar.ndb -o c.vdat --version 5
  expect_same_file a.vdat c.vdat
  dat_ok compile src -o d.vdat --version 5
  expect_same_file a.vdat d.vdat
  dat_ok info a.vdat
  expect_stdout_line "created: not set"
  # The comparison can tell DATs apart.
  dat_ok compile src -o other-version.vdat --version 6
  ! cmp -s a.vdat other-version.vdat || fail "DATs of versions 5 and 6 are identical"

  # Signatures are deterministic too, and signing later equals signing at compile time.
  make_key k
  dat_ok compile src/eicar.ndb src/eicar.hdb src/alpha.ndb -o s1.vdat --version 5 --sign k
  dat_ok compile src/alpha.ndb src/eicar.ndb src/eicar.hdb -o s2.vdat --version 5 --sign k
  expect_same_file s1.vdat s2.vdat
  dat_ok sign a.vdat --key k -o s3.vdat
  expect_same_file s1.vdat s3.vdat
  expect_same_file a.vdat b.vdat  # sign -o leaves its input alone
}

# ---- 3. strictness --------------------------------------------------------------------------

case_dat_strict() {
  dat_init
  printf 'Test.Good:0:*:%s\nTest.Broken:0:*:zz-not-hex\n' "$(hex "$ALPHA")" >mixed.ndb
  printf '%s\n' "$ALPHA" >alpha.txt
  mkdir out
  dat compile mixed.ndb -o out/new.vdat --version 1
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "vigil-dat: mixed\.ndb:2: error: .+ \[Test\.Broken\]"
  expect_last_stderr_line "vigil-dat: 1 signature error(s); nothing written"
  expect_listing out

  # A failed compile leaves the DAT already installed as it was.
  dat_ok compile sigs/beta.ndb -o out/main.vdat --version 1
  cp out/main.vdat before.vdat
  printf 'Test.Bad2:0:*:0g\n' >bad2.ndb
  dat compile sigs/alpha.ndb mixed.ndb bad2.ndb -o out/main.vdat --version 2
  expect_rc 2
  expect_stdout_empty
  expect_stderr_line "vigil-dat: mixed\.ndb:2: error: .+ \[Test\.Broken\]"
  expect_stderr_line "vigil-dat: bad2\.ndb:1: error: .+ \[Test\.Bad2\]"
  expect_last_stderr_line "vigil-dat: 2 signature error(s); nothing written"
  expect_same_file out/main.vdat before.vdat
  expect_listing out main.vdat

  # --skip-bad-signatures compiles the rest; the bad line is still reported.
  dat compile mixed.ndb -o out/main.vdat --version 2 --skip-bad-signatures
  expect_rc 0
  expect_stdout_line "out/main\.vdat: version 2, 1 body and 0 hash signatures, 0 allowlist entries, [0-9]+ bytes, unsigned"
  expect_stderr_line "vigil-dat: mixed\.ndb:2: error: .+ \[Test\.Broken\]"
  expect_listing out main.vdat
  scan -j 1 --no-summary --allow-unsigned -d out/main.vdat alpha.txt
  expect_rc 1
  expect_stdout "alpha.txt: Test.Good FOUND"
  expect_stderr_empty

  # Nothing to compile is an error too, and so is a missing --version.
  : >empty.ndb
  dat compile empty.ndb -o out/empty.vdat --version 1
  expect_rc 2
  expect_last_stderr_line "vigil-dat: no signatures to compile; nothing written"
  dat compile sigs/alpha.ndb -o out/empty.vdat
  expect_rc 2
  expect_stderr_line "vigil-dat: usage: vigil-dat compile .*"
  dat compile sigs/alpha.ndb -o out/empty.vdat --version 1x
  expect_rc 2
  expect_stderr_line "vigil-dat: --version: not a number: 1x"
  expect_listing out main.vdat
}

# A source file that cannot be read is not a "bad signature line": --skip-bad-signatures must
# not turn it into a DAT that silently lacks the whole file (vigil-scan refuses the same
# sources with exit 2).
case_dat_skip_keeps_io_errors() {
  dat_init
  scan -j 1 --skip-bad-signatures -d sigs/alpha.ndb -d no-such-file.ndb sigs
  expect_rc 2
  mkdir out
  dat compile sigs/alpha.ndb no-such-file.ndb -o out/main.vdat --version 1 --skip-bad-signatures
  expect_stderr_line "vigil-dat: no-such-file\.ndb: error: .*No such file or directory"
  expect_rc 2
  expect_listing out
}

# ---- 4. keys, signing and trust ---------------------------------------------------------

case_dat_trust() {
  dat_init
  make_samples sample
  make_key k
  local k_id=$KEY_ID
  expect_stdout "key $k_id: private k, public k.pub"
  [[ $(stat -c %a k) == 600 ]] || fail "the private key's mode is $(stat -c %a k), not 600"
  [[ $(head -n 1 k.pub) == "-----BEGIN PUBLIC KEY-----" ]] || fail "k.pub is not a PEM public key"
  cp k k.saved
  cp k.pub k.pub.saved
  dat keygen -o k
  expect_rc 2
  expect_stderr_exactly "vigil-dat: k or k.pub exists; use --force to replace the key"
  expect_same_file k k.saved
  expect_same_file k.pub k.pub.saved
  rm k.pub
  dat keygen -o k  # either file existing is enough to refuse
  expect_rc 2
  expect_same_file k k.saved
  make_key k --force
  ! cmp -s k k.saved || fail "keygen --force did not replace the key"
  [[ $KEY_ID != "$k_id" ]] || fail "keygen --force printed the old key id"
  [[ $(stat -c %a k) == 600 ]] || fail "the replaced private key's mode is not 600"
  k_id=$KEY_ID
  make_key other
  local other_id=$KEY_ID
  [[ $k_id != "$other_id" ]] || fail "two keygens made the same key"

  dat compile sigs/eicar.hdb -o signed.vdat --version 1 --sign k
  expect_rc 0
  local counts="0 body and 1 hash signatures, 0 allowlist entries"
  expect_stdout_line "signed\.vdat: version 1, $counts, [0-9]+ bytes, signed by $k_id"
  scan -j 1 --no-summary -d signed.vdat --trusted-key k.pub sample/eicar.com
  expect_rc 1
  expect_stdout "sample/eicar.com: Test.Eicar.Hash FOUND"
  expect_stderr_empty
  scan -j 1 --no-summary -d signed.vdat --trusted-key other.pub --trusted-key k.pub sample/eicar.com
  expect_rc 1
  # Not trusted: no key, another key, and --allow-unsigned does not cover an unknown signer.
  local not_trusted="DAT is signed by key $k_id, which is not trusted"
  scan -j 1 --no-summary -d signed.vdat sample/eicar.com
  expect_dat_refused signed.vdat "$not_trusted" "untrusted DAT"
  scan -j 1 --no-summary -d signed.vdat --trusted-key other.pub sample/eicar.com
  expect_dat_refused signed.vdat "$not_trusted" "untrusted DAT"
  scan -j 1 --no-summary -d signed.vdat --trusted-key other.pub --allow-unsigned sample/eicar.com
  expect_dat_refused signed.vdat "$not_trusted" "untrusted DAT"
  # Key files that are not public keys.
  scan -j 1 --no-summary -d signed.vdat --trusted-key no-such.pub sample/eicar.com
  expect_rc 2
  expect_stderr_exactly "vigil-scan: cannot load signatures: --trusted-key no-such.pub: cannot read the file"
  scan -j 1 --no-summary -d signed.vdat --trusted-key k sample/eicar.com
  expect_rc 2
  expect_stderr_exactly "vigil-scan: cannot load signatures: --trusted-key k: not a public key"

  # Unsigned: refused unless --allow-unsigned; a trusted key does not make it acceptable.
  dat_ok compile sigs/eicar.hdb -o plain.vdat --version 1
  cp plain.vdat plain.saved
  local unsigned="DAT is unsigned \(unsigned files were not allowed\)"
  scan -j 1 --no-summary -d plain.vdat sample/eicar.com
  expect_dat_refused plain.vdat "$unsigned" "untrusted DAT"
  scan -j 1 --no-summary -d plain.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused plain.vdat "$unsigned" "untrusted DAT"
  scan -j 1 --no-summary -d plain.vdat --allow-unsigned sample/eicar.com
  expect_rc 1
  expect_stdout "sample/eicar.com: Test.Eicar.Hash FOUND"

  # sign: in place, and to another file; then it loads with the key, and only with it.
  dat sign plain.vdat --key other -o by-other.vdat
  expect_rc 0
  expect_stdout "by-other.vdat: signed by $other_id"
  expect_same_file plain.vdat plain.saved
  dat sign plain.vdat --key k
  expect_rc 0
  expect_stdout "plain.vdat: signed by $k_id"
  scan -j 1 --no-summary -d plain.vdat --trusted-key k.pub sample/eicar.com
  expect_rc 1
  expect_stdout "sample/eicar.com: Test.Eicar.Hash FOUND"
  scan -j 1 --no-summary -d plain.vdat sample/eicar.com
  expect_dat_refused plain.vdat "$not_trusted" "untrusted DAT"
  scan -j 1 --no-summary -d by-other.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused by-other.vdat "DAT is signed by key $other_id, which is not trusted" \
    "untrusted DAT"
  dat sign plain.vdat --key k.pub
  expect_rc 2
  expect_stderr_line "vigil-dat: k\.pub: .+"

  # verify: 0 with the signer's key, 1 with another key or no signature.
  dat verify signed.vdat --key k.pub
  expect_rc 0
  expect_stdout_line "signed\.vdat: OK \(signed by $k_id, [0-9]+ sections checked\)"
  dat verify signed.vdat --key other.pub --key k.pub
  expect_rc 0
  dat verify signed.vdat --key other.pub
  expect_rc 1
  expect_stdout_empty
  expect_stderr_exactly "vigil-dat: signed.vdat: DAT is signed by key $k_id, which is not trusted"
  dat verify plain.saved --key k.pub
  expect_rc 1
  expect_stderr_exactly "vigil-dat: plain.saved: DAT is unsigned (unsigned files were not allowed)"
  dat verify signed.vdat
  expect_rc 2
  dat verify signed.vdat --key k
  expect_rc 2
}

# keygen --force replaces a key pair as a whole or not at all: when the public half cannot be
# written, the private key that was there must still be there (its public key may be deployed
# on every scanner).
case_dat_keygen_force_keeps_pair() {
  dat_init
  make_key k
  cp k k.saved
  rm k.pub
  mkdir k.pub  # the public key cannot be written
  dat keygen -o k --force
  expect_rc 2
  expect_stderr_line "vigil-dat: k\.pub exists and is not a regular file; nothing written"
  expect_same_file k k.saved
}

# ---- 5. hostile DAT files -------------------------------------------------------------------

case_dat_hostile() {
  dat_init
  make_samples sample
  make_key k
  local k_id=$KEY_ID size
  dat_ok compile sigs/eicar.ndb sigs/eicar.hdb -o good.vdat --version 1 --sign k
  size=$(file_size good.vdat)
  scan -j 1 --no-summary -d good.vdat --trusted-key k.pub sample/eicar.com
  expect_rc 1

  # Truncated: below the magic it is no DAT at all; then too short; then the size is wrong.
  local n
  for n in 0 4 7; do
    head -c "$n" good.vdat >cut.vdat
    scan -j 1 --no-summary -d cut.vdat --trusted-key k.pub sample/eicar.com
    expect_dat_refused cut.vdat "not a DAT \\(bad magic, or a truncated or damaged file\\)" "signature error"
  done
  for n in 8 100 191; do
    head -c "$n" good.vdat >cut.vdat
    scan -j 1 --no-summary -d cut.vdat --trusted-key k.pub sample/eicar.com
    expect_dat_refused cut.vdat "file too short for a DAT \($n bytes\)" "corrupt DAT"
  done
  for n in 192 $((size / 2)) $((size - 128)) $((size - 1)); do
    head -c "$n" good.vdat >cut.vdat
    scan -j 1 --no-summary -d cut.vdat --trusted-key k.pub sample/eicar.com
    expect_dat_refused cut.vdat \
      "header: file size $size but the file has $n bytes \(truncated or padded\)" "corrupt DAT"
  done
  { cat good.vdat; printf 'x'; } >padded.vdat
  scan -j 1 --no-summary -d padded.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused padded.vdat \
    "header: file size $size but the file has $((size + 1)) bytes \(truncated or padded\)" \
    "corrupt DAT"

  # A flipped byte in each section the scanner reads: the section is named.
  local section
  for section in "meta" "names" "body plan" "pattern database" "hash signatures" "allowlist"; do
    cp good.vdat bad.vdat
    find_section bad.vdat "$section"
    [[ $SECTION_SIZE -gt 0 ]] || fail "section $section is empty"
    flip_byte bad.vdat $((SECTION_OFFSET + SECTION_SIZE / 2))
    scan -j 1 --no-summary -d bad.vdat --trusted-key k.pub sample/eicar.com
    expect_dat_refused bad.vdat "section $section: checksum mismatch" "corrupt DAT"
    dat verify bad.vdat --key k.pub
    expect_rc 1
    expect_stderr_exactly "vigil-dat: bad.vdat: section $section: checksum mismatch"
  done
  # The signature sources are read only to rebuild the DAT; verify checks them all the same.
  cp good.vdat bad.vdat
  find_section bad.vdat "signature sources"
  flip_byte bad.vdat $((SECTION_OFFSET + SECTION_SIZE / 2))
  dat verify bad.vdat --key k.pub
  expect_rc 1
  expect_stderr_exactly "vigil-dat: bad.vdat: section signature sources: checksum mismatch"

  # The header and the section table (offsets: see dat/container.h).
  local altered="DAT signature does not verify \(key $k_id\): the file was altered"
  # Offset -> "stderr regex|load failure"; the signature covers the header and the table.
  local -A header_flips=(
    [8]="DAT format version 254 \(this engine reads version 1\)|unsupported DAT version"
    [12]="header: bad header size|corrupt DAT"
    [16]="$altered|untrusted DAT"  # DAT version
    [24]="$altered|untrusted DAT"  # creation time
    [36]="header: bad section count [0-9]+|corrupt DAT"
    [48]="header: unknown flags|corrupt DAT"
    [72]="$altered|untrusted DAT"  # section 0's offset
    [88]="$altered|untrusted DAT"  # section 0's digest
    [$((size - 128))]="signature trailer: bad magic, version or flags|corrupt DAT"
    [$((size - 100))]="DAT is signed by key [0-9a-f]{64}, which is not trusted|untrusted DAT"
    [$((size - 50))]="$altered|untrusted DAT"  # the signature
  )
  local at
  for at in "${!header_flips[@]}"; do
    cp good.vdat bad.vdat
    flip_byte bad.vdat "$at"
    scan -j 1 --no-summary -d bad.vdat --trusted-key k.pub sample/eicar.com
    expect_dat_refused bad.vdat "${header_flips[$at]%|*}" "${header_flips[$at]#*|}"
  done
  cp good.vdat bad.vdat
  flip_byte bad.vdat 40  # the file size's low byte
  scan -j 1 --no-summary -d bad.vdat --trusted-key k.pub sample/eicar.com
  local flipped_size=$(((size & ~255) | ((size & 255) ^ 255)))
  expect_dat_refused bad.vdat \
    "header: file size $flipped_size but the file has $size bytes \(truncated or padded\)" \
    "corrupt DAT"
  cp good.vdat bad.vdat
  flip_byte bad.vdat 0  # the magic: no longer a DAT
  scan -j 1 --no-summary -d bad.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused bad.vdat "not a DAT \\(bad magic, or a truncated or damaged file\\)" "signature error"

  # Unsigned DATs have no signature over the header, but the checks still hold.
  dat_ok compile sigs/eicar.ndb sigs/eicar.hdb -o plain.vdat --version 1
  cp plain.vdat bad.vdat
  flip_byte bad.vdat $((64 + 24))  # section 0's (meta) digest
  scan -j 1 --no-summary --allow-unsigned -d bad.vdat sample/eicar.com
  expect_dat_refused bad.vdat "section meta: checksum mismatch" "corrupt DAT"
  cp plain.vdat new-engine.vdat
  put_u32 new-engine.vdat 32 990000  # minimum engine version 99.0.0
  scan -j 1 --no-summary --allow-unsigned -d new-engine.vdat sample/eicar.com
  expect_dat_refused new-engine.vdat "DAT needs engine version 99\.0\.0 or later \(this is .+\)" \
    "unsupported DAT version"

  # Not DATs, whatever their name says: an empty file and a text file.
  : >empty.vdat
  scan -j 1 --no-summary -d empty.vdat sample/eicar.com
  expect_dat_refused empty.vdat "not a DAT \\(bad magic, or a truncated or damaged file\\)" "signature error"
  printf 'this is not a DAT\n' >notes.vdat
  scan -j 1 --no-summary -d notes.vdat sample/eicar.com
  expect_dat_refused notes.vdat "not a DAT \\(bad magic, or a truncated or damaged file\\)" "signature error"

  # A DAT loads on its own: with another -d source (before or after it, or itself twice) the
  # load is refused, naming the DAT.
  local mixed="a DAT loads on its own: it cannot be combined with other signature sources"
  scan -j 1 --no-summary -d good.vdat -d sigs/alpha.ndb --trusted-key k.pub sample/eicar.com
  expect_dat_refused good.vdat "$mixed" "invalid argument"
  scan -j 1 --no-summary -d sigs/alpha.ndb -d good.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused good.vdat "$mixed" "invalid argument"
  scan -j 1 --no-summary -d sigs -d good.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused good.vdat "$mixed" "invalid argument"
  scan -j 1 --no-summary -d good.vdat -d good.vdat --trusted-key k.pub sample/eicar.com
  expect_dat_refused good.vdat "$mixed" "invalid argument"
  # In a directory of sources a DAT is skipped with a warning; the sources still load.
  mkdir db
  cp good.vdat db/main.vdat
  cp sigs/alpha.ndb db/
  printf '%s\n' "$ALPHA" >alpha.txt
  scan -j 1 --no-summary -d db --trusted-key k.pub alpha.txt sample/eicar.com
  expect_rc 1
  expect_stdout "alpha.txt: Test.Alpha FOUND" "sample/eicar.com: OK"
  expect_stderr_line "db/main\.vdat: warning: skipped: .+"
}
