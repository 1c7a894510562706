// The DAT container (dat/container): the layout assemble() writes, the checks open() makes and
// their order (header, signature, section bounds and hashes, engine version), and what a
// damaged or hostile file gets: the precise status and a message naming the field or section,
// never a crash (the suite runs under ASan and UBSan). What the sections hold is the loader's
// business (loader_test); here they are opaque bytes of awkward sizes.
#include "dat/container.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::dat {
namespace {

constexpr size_t kTableEntry = kSectionEntrySize;

// Header fields (offset in the file).
constexpr size_t kFormatAt = 8, kHeaderSizeAt = 12, kDatVersionAt = 16, kCreatedAt = 24,
                 kMinEngineAt = 32, kCountAt = 36, kFileSizeAt = 40, kFlagsAt = 48,
                 kReservedAt = 52;
// Table entry fields (offset in the entry).
constexpr size_t kTypeAt = 0, kEntryFlagsAt = 4, kOffsetAt = 8, kLengthAt = 16, kShaAt = 24;
// Trailer fields (offset in the trailer).
constexpr size_t kTrailerFlagsAt = 12, kKeyIdAt = 16, kSignatureAt = 48, kTrailerTailAt = 112;

std::string pseudo_random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Seven sections of awkward sizes (empty, odd, several KB), in a DAT of about 6 KB.
const std::vector<SectionInput>& sample_sections() {
  static const std::vector<SectionInput> kSections = {
      {SectionType::kMeta, pseudo_random_bytes(37, 1)},
      {SectionType::kNames, ""},
      {SectionType::kBodyPlan, pseudo_random_bytes(1501, 2)},
      {SectionType::kHsDatabase, pseudo_random_bytes(3000, 3)},
      {SectionType::kHashes, pseudo_random_bytes(96, 4)},
      {SectionType::kAllow, pseudo_random_bytes(1, 5)},
      {SectionType::kSourceIr, pseudo_random_bytes(301, 6)},
  };
  return kSections;
}

Header sample_header() {
  Header h;
  h.dat_version = 20240611;
  h.created = 1718000000;
  h.min_engine_version = VIGIL_VERSION_NUMBER;
  return h;
}

const std::string& sample_dat() {
  static const std::string kDat = assemble(sample_header(), sample_sections());
  return kDat;
}

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// A section's digest as the format defines it: SHA-256 over the SHA-256s of its 1 MiB chunks.
Sha256 documented_digest(std::string_view section) {
  constexpr size_t kChunk = size_t{1} << 20;
  std::string chunk_digests;
  for (size_t at = 0; at < section.size(); at += kChunk) {
    std::string_view chunk = section.substr(at, kChunk);
    Sha256 h = sha256(bytes(chunk), chunk.size());
    chunk_digests.append(h.begin(), h.end());
  }
  return sha256(bytes(chunk_digests), chunk_digests.size());
}

common::Result<DatView> open_as(std::string_view file, const Trust& trust) {
  return open(bytes(file), file.size(), trust);
}
const Trust kUnsignedOk{.allow_unsigned = true};

uint64_t get_le(std::string_view s, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{static_cast<uint8_t>(s[at + i])} << (8 * i);
  return v;
}
void put_le(std::string& s, size_t at, size_t width, uint64_t v) {
  for (size_t i = 0; i < width; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

size_t table_end(std::string_view dat) {
  return kHeaderSize + get_le(dat, kCountAt, 4) * kTableEntry;
}
size_t entry_at(size_t i) { return kHeaderSize + i * kTableEntry; }

struct Keys {
  PrivateKey a, b;
  Keys() {
    auto ka = generate_key();
    auto kb = generate_key();
    EXPECT_TRUE(ka.is_ok() && kb.is_ok());
    a = ka.take();
    b = kb.take();
  }
};

std::string signed_by(const PrivateKey& key, std::string dat = sample_dat()) {
  common::Status st = sign(dat, key);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return dat;
}

// "status: message" of an open that must fail ("ok" if it did not).
std::string failure(std::string_view file, const Trust& trust) {
  auto r = open_as(file, trust);
  if (r.is_ok()) return "ok";
  return std::to_string(r.status().code()) + ": " + r.status().message();
}
std::string corrupt(const std::string& msg) {
  return std::to_string(VIGIL_ERR_CORRUPT) + ": " + msg;
}
std::string untrusted(const std::string& msg) {
  return std::to_string(VIGIL_ERR_UNTRUSTED) + ": " + msg;
}
std::string version(const std::string& msg) {
  return std::to_string(VIGIL_ERR_VERSION) + ": " + msg;
}

// Where a byte of the file lies.
enum class Region { kHeader, kTable, kSection, kPadding, kTrailer };
struct Place {
  Region region;
  size_t section = 0;  // kSection: index in the table
};
Place place_of(const DatView& v, size_t pos) {
  if (pos < kHeaderSize) return {Region::kHeader};
  if (pos < kHeaderSize + v.sections.size() * kTableEntry) return {Region::kTable};
  if (pos >= v.file_size - kTrailerSize) return {Region::kTrailer};
  for (size_t i = 0; i < v.sections.size(); ++i) {
    const Section& s = v.sections[i];
    if (pos >= s.offset && pos < s.offset + s.bytes.size()) return {Region::kSection, i};
  }
  return {Region::kPadding};
}

// ---------------------------------------------------------------------------------------------
// Layout and reading back.

TEST(Container, AssembleLaysOutTheDocumentedFormat) {
  const std::string& dat = sample_dat();
  const auto& in = sample_sections();
  EXPECT_EQ(dat.substr(0, 8), "VIGILDAT");
  EXPECT_EQ(get_le(dat, kFormatAt, 4), kFormatVersion);
  EXPECT_EQ(get_le(dat, kHeaderSizeAt, 4), kHeaderSize);
  EXPECT_EQ(get_le(dat, kDatVersionAt, 8), 20240611u);
  EXPECT_EQ(get_le(dat, kCreatedAt, 8), 1718000000u);
  EXPECT_EQ(get_le(dat, kMinEngineAt, 4), uint64_t{VIGIL_VERSION_NUMBER});
  EXPECT_EQ(get_le(dat, kCountAt, 4), in.size());
  EXPECT_EQ(get_le(dat, kFileSizeAt, 8), dat.size());
  EXPECT_EQ(get_le(dat, kFlagsAt, 4), 0u);
  EXPECT_EQ(dat.size() % 8, 0u);

  uint64_t expect_offset = (table_end(dat) + 7) / 8 * 8;
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    const size_t e = entry_at(i);
    EXPECT_EQ(get_le(dat, e + kTypeAt, 4), static_cast<uint32_t>(in[i].type));
    EXPECT_EQ(get_le(dat, e + kEntryFlagsAt, 4), 0u);
    EXPECT_EQ(get_le(dat, e + kOffsetAt, 8), expect_offset);
    EXPECT_EQ(get_le(dat, e + kLengthAt, 8), in[i].bytes.size());
    Sha256 h = documented_digest(in[i].bytes);
    EXPECT_EQ(dat.substr(e + kShaAt, 32), std::string(h.begin(), h.end()));
    EXPECT_EQ(dat.substr(expect_offset, in[i].bytes.size()), in[i].bytes);
    expect_offset = (expect_offset + in[i].bytes.size() + 7) / 8 * 8;
  }
  EXPECT_EQ(expect_offset + kTrailerSize, dat.size());
  std::string_view t = trailer(dat);
  ASSERT_EQ(t.size(), kTrailerSize);
  EXPECT_EQ(t.substr(0, 8), "VIGILSIG");
  EXPECT_EQ(get_le(t, 8, 4), 1u);                // trailer version
  EXPECT_EQ(get_le(t, kTrailerFlagsAt, 4), 0u);  // unsigned
  EXPECT_EQ(t.substr(kKeyIdAt), std::string(kTrailerSize - kKeyIdAt, '\0'));
}

TEST(Container, OpenReadsBackWhatAssembleWrote) {
  const std::string& dat = sample_dat();
  auto v = open_as(dat, kUnsignedOk);
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  EXPECT_EQ(v.value().header.kind, Kind::kDat);
  EXPECT_EQ(v.value().header.format_version, kFormatVersion);
  EXPECT_EQ(v.value().header.dat_version, 20240611u);
  EXPECT_EQ(v.value().header.created, 1718000000u);
  EXPECT_EQ(v.value().header.min_engine_version, uint32_t{VIGIL_VERSION_NUMBER});
  EXPECT_EQ(v.value().file_size, dat.size());
  EXPECT_FALSE(v.value().is_signed);
  EXPECT_EQ(v.value().signer, KeyId{});
  EXPECT_EQ(v.value().id, sha256(bytes(dat), table_end(dat)));
  const auto& in = sample_sections();
  ASSERT_EQ(v.value().sections.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const Section& s = v.value().sections[i];
    EXPECT_EQ(s.type, static_cast<uint32_t>(in[i].type));
    EXPECT_EQ(s.bytes, in[i].bytes);
    EXPECT_EQ(s.offset % 8, 0u);
    EXPECT_EQ(v.value().find(in[i].type), &s);
  }
  EXPECT_EQ(v.value().find(SectionType::kDeltaBase), nullptr);
  EXPECT_TRUE(looks_like_dat(bytes(dat), dat.size()));
  EXPECT_FALSE(looks_like(Kind::kDelta, bytes(dat), dat.size()));
  EXPECT_FALSE(looks_like_dat(bytes(dat), 7));
  EXPECT_EQ(failure(dat, Trust{.kind = Kind::kDelta, .allow_unsigned = true}),
            corrupt("not a delta (bad magic)"));
}

TEST(Container, SectionCountLimits) {
  std::vector<SectionInput> many;
  for (uint32_t t = 100; t < 100 + kMaxSections; ++t) {
    many.push_back({static_cast<SectionType>(t), std::string(t % 3, 'x')});
  }
  auto v = open_as(assemble(Header{}, many), kUnsignedOk);
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  EXPECT_EQ(v.value().sections.size(), kMaxSections);
  many.push_back({static_cast<SectionType>(99), "x"});
  EXPECT_EQ(failure(assemble(Header{}, many), kUnsignedOk),
            corrupt("header: bad section count 65"));
  EXPECT_EQ(failure(assemble(Header{}, {}), kUnsignedOk), corrupt("header: bad section count 0"));
  // A table that would reach into the trailer.
  std::string small = assemble(Header{}, {{SectionType::kMeta, "x"}});
  put_le(small, kCountAt, 4, 2);
  EXPECT_EQ(failure(small, kUnsignedOk), corrupt("section table runs past the end"));
}

// Sections of several 1 MiB chunks (hashed in parallel): the digest is the documented one, and
// a change anywhere, at chunk edges too, is a checksum error naming the section.
TEST(Container, LargeSectionsAreHashedByChunks) {
  constexpr size_t kMiB = size_t{1} << 20;
  const std::vector<SectionInput> sections = {
      {SectionType::kMeta, "m"},
      {SectionType::kHsDatabase, pseudo_random_bytes(3 * kMiB + 5, 7)},
      {SectionType::kBodyPlan, pseudo_random_bytes(2 * kMiB, 8)},
  };
  const std::string dat = assemble(Header{}, sections);
  auto v = open_as(dat, kUnsignedOk);
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  for (size_t i = 0; i < sections.size(); ++i) {
    EXPECT_EQ(v.value().sections[i].sha256, documented_digest(sections[i].bytes)) << i;
    EXPECT_TRUE(check_section(v.value().sections[i]).is_ok());
  }
  for (size_t i : {size_t{1}, size_t{2}}) {
    const Section& s = v.value().sections[i];
    const std::string named =
        corrupt("section " + std::string(section_name(s.type)) + ": checksum mismatch");
    for (size_t at : {size_t{0}, kMiB - 1, kMiB, 2 * kMiB - 1, s.bytes.size() - 1}) {
      std::string bad = dat;
      bad[s.offset + at] ^= 0x20;
      EXPECT_EQ(failure(bad, kUnsignedOk), named) << i << " at " << at;
    }
  }
  // A deferred section is not hashed by open(); check_section() catches the change.
  std::string bad = dat;
  const Section& db = v.value().sections[1];
  bad[db.offset + 2 * kMiB + 17] ^= 0x01;
  auto deferred =
      open_as(bad, Trust{.allow_unsigned = true, .defer_hash = {SectionType::kHsDatabase}});
  ASSERT_TRUE(deferred.is_ok()) << deferred.status().message();
  common::Status st = check_section(*deferred.value().find(SectionType::kHsDatabase));
  EXPECT_EQ(st.code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(st.message(), "section pattern database: checksum mismatch");
}

// ---------------------------------------------------------------------------------------------
// Trust.

TEST(ContainerTrust, UnsignedNeedsAllowUnsigned) {
  Keys k;
  EXPECT_EQ(failure(sample_dat(), Trust{}),
            untrusted("DAT is unsigned (unsigned files were not allowed)"));
  EXPECT_EQ(failure(sample_dat(), Trust{.keys = {k.a.public_key()}}),
            untrusted("DAT is unsigned (unsigned files were not allowed)"));
  EXPECT_EQ(failure(sample_dat(), kUnsignedOk), "ok");
}

TEST(ContainerTrust, SignedOpensOnlyWithItsKey) {
  Keys k;
  const std::string dat = signed_by(k.a);
  // Signing replaces the trailer and nothing else.
  EXPECT_EQ(dat.size(), sample_dat().size());
  EXPECT_EQ(dat.substr(0, dat.size() - kTrailerSize),
            sample_dat().substr(0, dat.size() - kTrailerSize));
  const std::string a_hex = key_id_hex(k.a.public_key().id());

  auto v = open_as(dat, Trust{.keys = {k.a.public_key()}});
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  EXPECT_TRUE(v.value().is_signed);
  EXPECT_EQ(v.value().signer, k.a.public_key().id());
  EXPECT_EQ(failure(dat, Trust{.keys = {k.b.public_key(), k.a.public_key()}}), "ok");

  const std::string not_trusted =
      untrusted("DAT is signed by key " + a_hex + ", which is not trusted");
  EXPECT_EQ(failure(dat, Trust{.keys = {k.b.public_key()}}), not_trusted);
  EXPECT_EQ(failure(dat, Trust{}), not_trusted);
  // Allowing unsigned files does not let a file signed by an unknown key through.
  EXPECT_EQ(failure(dat, Trust{.keys = {k.b.public_key()}, .allow_unsigned = true}), not_trusted);
  // Inspection reports the signer without trusting it.
  auto inspect = open_as(dat, Trust{.skip_signature = true});
  ASSERT_TRUE(inspect.is_ok());
  EXPECT_EQ(inspect.value().signer, k.a.public_key().id());
}

TEST(ContainerTrust, ResigningWithAnotherKeyMovesTheTrust) {
  Keys k;
  const std::string by_b = signed_by(k.b, signed_by(k.a));
  EXPECT_EQ(failure(by_b, Trust{.keys = {k.b.public_key()}}), "ok");
  EXPECT_EQ(failure(by_b, Trust{.keys = {k.a.public_key()}}),
            untrusted("DAT is signed by key " + key_id_hex(k.b.public_key().id()) +
                      ", which is not trusted"));
  // Signing is deterministic (Ed25519) and covers the same bytes whatever signed before.
  EXPECT_EQ(signed_by(k.b), by_b);
}

TEST(ContainerTrust, AnyChangeToHeaderOrTableAfterSigningIsRefused) {
  Keys k;
  const std::string dat = signed_by(k.a);
  const Trust trust{.keys = {k.a.public_key()}};
  const std::string altered =
      untrusted("DAT signature does not verify (key " + key_id_hex(k.a.public_key().id()) +
                "): the file was altered");
  for (size_t pos = 0; pos < table_end(dat); ++pos) {
    SCOPED_TRACE(pos);
    for (uint8_t bit : {0x01, 0x80}) {
      std::string bad = dat;
      bad[pos] ^= bit;
      auto r = open_as(bad, trust);
      ASSERT_FALSE(r.is_ok());
      // Fields open() checks before the signature fail on their own; all else fails the
      // signature. Nothing is a checksum or bounds error: the table is not read unsigned.
      const bool structural = pos < 16 || (pos >= kCountAt && pos < kHeaderSize);
      if (!structural) {
        EXPECT_EQ(failure(bad, trust), altered);
      }
    }
  }
  // The signature itself, and the signer's key id.
  for (size_t i = kSignatureAt; i < kSignatureAt + 64; i += 7) {
    std::string bad = dat;
    bad[dat.size() - kTrailerSize + i] ^= 0x04;
    EXPECT_EQ(failure(bad, trust), altered) << i;
  }
  std::string other_key = dat;
  other_key[dat.size() - kTrailerSize + kKeyIdAt] ^= 0x01;
  auto v = open_as(other_key, Trust{.skip_signature = true});
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(
      failure(other_key, trust),
      untrusted("DAT is signed by key " + key_id_hex(v.value().signer) + ", which is not trusted"));
  // Marking a signed file unsigned is not a way around the signature: an unsigned file's key
  // id and signature must be zero.
  std::string unflagged = dat;
  put_le(unflagged, dat.size() - kTrailerSize + kTrailerFlagsAt, 4, 0);
  EXPECT_EQ(failure(unflagged, trust),
            corrupt("signature trailer: bytes that must be zero are not"));
}

TEST(ContainerTrust, SignRefusesAFileOpenRefuses) {
  Keys k;
  std::string dat = sample_dat();
  dat.pop_back();
  const std::string before = dat;
  common::Status st = sign(dat, k.a);
  EXPECT_EQ(st.code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(st.message(), "header: file size " + std::to_string(dat.size() + 1) +
                              " but the file has " + std::to_string(dat.size()) +
                              " bytes (truncated or padded)");
  EXPECT_EQ(dat, before);
  EXPECT_EQ(sign(dat, PrivateKey{}).code(), VIGIL_ERR_CORRUPT);
  std::string good = sample_dat();
  EXPECT_EQ(sign(good, PrivateKey{}).code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(good, sample_dat());
}

// ---------------------------------------------------------------------------------------------
// Hostile headers, tables and trailers (unsigned files allowed, so that every check after the
// signature is reached).

struct FieldCase {
  const char* what;
  size_t at;  // offset in the file; trailer offsets are counted from the trailer
  bool in_trailer;
  size_t width;
  uint64_t value;
  std::string expect;  // failure() text
};

TEST(ContainerHostile, BrokenFieldsAreNamed) {
  const std::string& dat = sample_dat();
  const std::string size = std::to_string(dat.size());
  const size_t t_end = table_end(dat);
  const FieldCase cases[] = {
      {"magic", 0, false, 1, 'X', corrupt("not a DAT (bad magic)")},
      {"delta magic", 6, false, 1, 'L', corrupt("not a DAT (bad magic)")},
      {"format version 2", kFormatAt, false, 4, 2,
       version("DAT format version 2 (this engine reads version 1)")},
      {"format version 0", kFormatAt, false, 4, 0,
       version("DAT format version 0 (this engine reads version 1)")},
      {"header size 63", kHeaderSizeAt, false, 4, 63, corrupt("header: bad header size")},
      {"header size 128", kHeaderSizeAt, false, 4, 128, corrupt("header: bad header size")},
      {"section count 0", kCountAt, false, 4, 0, corrupt("header: bad section count 0")},
      {"section count 65", kCountAt, false, 4, 65, corrupt("header: bad section count 65")},
      {"section count huge", kCountAt, false, 4, UINT32_MAX,
       corrupt("header: bad section count 4294967295")},
      {"section count one more", kCountAt, false, 4, 8,
       corrupt("section 0 (meta): offset " + std::to_string(t_end) +
               " length 37 out of bounds, overlapping or misplaced")},
      {"file size + 8", kFileSizeAt, false, 8, dat.size() + 8,
       corrupt("header: file size " + std::to_string(dat.size() + 8) + " but the file has " + size +
               " bytes (truncated or padded)")},
      {"file size huge", kFileSizeAt, false, 8, UINT64_MAX,
       corrupt("header: file size 18446744073709551615 but the file has " + size +
               " bytes (truncated or padded)")},
      {"flags", kFlagsAt, false, 4, 1, corrupt("header: unknown flags")},
      {"min engine version next patch", kMinEngineAt, false, 4, VIGIL_VERSION_NUMBER + 1,
       version("DAT needs engine version " + std::to_string(VIGIL_VERSION_MAJOR) + "." +
               std::to_string(VIGIL_VERSION_MINOR) + "." + std::to_string(VIGIL_VERSION_PATCH + 1) +
               " or later (this is " VIGIL_VERSION_STRING ")")},
      {"min engine version 1.0.0", kMinEngineAt, false, 4, 10000,
       version("DAT needs engine version 1.0.0 or later (this is " VIGIL_VERSION_STRING ")")},
      {"min engine version 0", kMinEngineAt, false, 4, 0, "ok"},
      {"section flags", entry_at(2) + kEntryFlagsAt, false, 4, 1,
       corrupt("section 2 (body plan): unknown flags")},
      {"section inside the table", entry_at(0) + kOffsetAt, false, 8, t_end - 8,
       corrupt("section 0 (meta): offset " + std::to_string(t_end - 8) +
               " length 37 out of bounds, overlapping or misplaced")},
      {"sections overlapping", entry_at(3) + kOffsetAt, false, 8,
       get_le(dat, entry_at(2) + kOffsetAt, 8) + 8,
       corrupt("section 3 (pattern database): offset " +
               std::to_string(get_le(dat, entry_at(2) + kOffsetAt, 8) + 8) +
               " length 3000 out of bounds, overlapping or misplaced")},
      {"section length into the trailer", entry_at(6) + kLengthAt, false, 8,
       dat.size() - kTrailerSize - get_le(dat, entry_at(6) + kOffsetAt, 8) + 1,
       corrupt(
           "section 6 (signature sources): offset " +
           std::to_string(get_le(dat, entry_at(6) + kOffsetAt, 8)) + " length " +
           std::to_string(dat.size() - kTrailerSize - get_le(dat, entry_at(6) + kOffsetAt, 8) + 1) +
           " out of bounds, overlapping or misplaced")},
      {"section offset wraps", entry_at(6) + kOffsetAt, false, 8, UINT64_MAX - 7,
       corrupt("section 6 (signature sources): offset 18446744073709551608 length 301 out of "
               "bounds, overlapping or misplaced")},
      {"section length huge", entry_at(4) + kLengthAt, false, 8, UINT64_MAX,
       corrupt("section 4 (hash signatures): offset " +
               std::to_string(get_le(dat, entry_at(4) + kOffsetAt, 8)) +
               " length 18446744073709551615 out of bounds, overlapping or misplaced")},
      {"section type duplicated", entry_at(5) + kTypeAt, false, 4, 2,
       corrupt("section 5 (names): duplicated")},
      {"section hash", entry_at(3) + kShaAt + 31, false, 1, 0x5a,
       corrupt("section pattern database: checksum mismatch")},
      {"trailer magic", 0, true, 1, 'v', corrupt("signature trailer: bad magic, version or flags")},
      {"trailer version", 8, true, 4, 2, corrupt("signature trailer: bad magic, version or flags")},
      {"trailer flags", kTrailerFlagsAt, true, 4, 2,
       corrupt("signature trailer: bad magic, version or flags")},
  };
  for (const FieldCase& c : cases) {
    SCOPED_TRACE(c.what);
    std::string bad = dat;
    put_le(bad, c.in_trailer ? dat.size() - kTrailerSize + c.at : c.at, c.width, c.value);
    if (c.expect != "ok") {
      ASSERT_NE(bad, dat);
    }
    EXPECT_EQ(failure(bad, kUnsignedOk), c.expect);
  }
}

TEST(ContainerHostile, EveryTruncationIsRefused) {
  const std::string& dat = sample_dat();
  for (size_t len = 0; len < dat.size(); ++len) {
    std::string_view cut(dat.data(), len);
    const std::string expect =
        len < kHeaderSize + kTrailerSize
            ? corrupt("file too short for a DAT (" + std::to_string(len) + " bytes)")
            : corrupt("header: file size " + std::to_string(dat.size()) + " but the file has " +
                      std::to_string(len) + " bytes (truncated or padded)");
    ASSERT_EQ(failure(cut, kUnsignedOk), expect) << len;
  }
  EXPECT_EQ(failure(std::string_view(), kUnsignedOk),
            corrupt("file too short for a DAT (0 bytes)"));
  EXPECT_EQ(failure(dat + std::string(8, '\0'), kUnsignedOk),
            corrupt("header: file size " + std::to_string(dat.size()) + " but the file has " +
                    std::to_string(dat.size() + 8) + " bytes (truncated or padded)"));
}

// Cut at each section boundary, but with a trailer and a file size that agree with the cut: the
// first section that no longer fits is named.
TEST(ContainerHostile, ConsistentlyTruncatedSectionsAreNamed) {
  const std::string& dat = sample_dat();
  auto v = open_as(dat, kUnsignedOk);
  ASSERT_TRUE(v.is_ok());
  const std::vector<Section>& sections = v.value().sections;
  std::vector<size_t> cuts;
  for (const Section& s : sections) {
    cuts.push_back(s.offset);
    cuts.push_back(s.offset + s.bytes.size());
    cuts.push_back(s.offset + s.bytes.size() / 2);
  }
  for (size_t cut : cuts) {
    SCOPED_TRACE(cut);
    std::string bad = dat.substr(0, cut);
    bad.resize((cut + 7) / 8 * 8, '\0');
    bad += trailer(dat);
    put_le(bad, kFileSizeAt, 8, bad.size());
    size_t first = 0;
    while (first < sections.size() &&
           sections[first].offset + sections[first].bytes.size() <= bad.size() - kTrailerSize) {
      ++first;
    }
    if (first == sections.size()) {
      EXPECT_EQ(failure(bad, kUnsignedOk), "ok");  // only padding was cut
      continue;
    }
    const Section& s = sections[first];
    EXPECT_EQ(
        failure(bad, kUnsignedOk),
        corrupt("section " + std::to_string(first) + " (" + std::string(section_name(s.type)) +
                "): offset " + std::to_string(s.offset) + " length " +
                std::to_string(s.bytes.size()) + " out of bounds, overlapping or misplaced"));
  }
}

// ~2,000 seeded random bit flips anywhere in a signed DAT and in the same DAT unsigned: a signed
// file never opens once altered, and a flip inside a section is a checksum error naming it.
TEST(ContainerHostile, RandomBitFlipsAreRefused) {
  Keys k;
  const std::string unsigned_dat = sample_dat();
  const std::string signed_dat = signed_by(k.a);
  const Trust trust{.keys = {k.a.public_key()}};
  auto view = open_as(unsigned_dat, kUnsignedOk);
  ASSERT_TRUE(view.is_ok());
  std::mt19937 rng(20240611);
  size_t in_sections = 0, elsewhere = 0;
  for (int i = 0; i < 2000; ++i) {
    const size_t pos = rng() % signed_dat.size();
    const auto bit = static_cast<char>(1 << (rng() % 8));
    const Place where = place_of(view.value(), pos);
    if (where.region == Region::kPadding ||
        (where.region == Region::kTrailer &&
         pos - (signed_dat.size() - kTrailerSize) >= kTrailerTailAt)) {
      continue;  // bytes that carry nothing: see PaddingAndReservedBytesMustBeZero
    }
    SCOPED_TRACE("position " + std::to_string(pos));
    std::string bad = signed_dat;
    bad[pos] ^= bit;
    auto r = open_as(bad, trust);
    ASSERT_FALSE(r.is_ok());
    const vigil_status code = r.status().code();
    EXPECT_TRUE(code == VIGIL_ERR_CORRUPT || code == VIGIL_ERR_UNTRUSTED ||
                (code == VIGIL_ERR_VERSION && pos >= kFormatAt && pos < kFormatAt + 4))
        << r.status().message();
    if (where.region != Region::kSection) {
      ++elsewhere;
      continue;
    }
    ++in_sections;
    const std::string named =
        corrupt("section " + std::string(section_name(view.value().sections[where.section].type)) +
                ": checksum mismatch");
    EXPECT_EQ(failure(bad, trust), named);
    std::string bad_unsigned = unsigned_dat;
    bad_unsigned[pos] ^= bit;
    EXPECT_EQ(failure(bad_unsigned, kUnsignedOk), named);
  }
  // The seed puts flips everywhere (the comparison would be vacuous otherwise).
  EXPECT_GT(in_sections, 1500u);
  EXPECT_GT(elsewhere, 50u);
}

// Padding between sections, the reserved header fields and the trailer's bytes past the
// signature carry nothing, and nothing (hash or signature) covers them; unless open() insists
// they are zero, a signed DAT can be altered there and still open, so two different files
// pass for the same signed DAT.
TEST(ContainerHostile, PaddingAndReservedBytesMustBeZero) {
  Keys k;
  const std::string dat = signed_by(k.a);
  const Trust trust{.keys = {k.a.public_key()}};
  auto view = open_as(dat, trust);
  ASSERT_TRUE(view.is_ok());
  std::vector<size_t> positions;
  for (size_t pos = 0; pos < dat.size(); ++pos) {
    if (place_of(view.value(), pos).region == Region::kPadding) positions.push_back(pos);
  }
  EXPECT_GE(positions.size(), 10u);
  for (size_t i = kTrailerTailAt; i < kTrailerSize; ++i) {
    positions.push_back(dat.size() - kTrailerSize + i);
  }
  for (size_t pos : positions) {
    std::string bad = dat;
    bad[pos] ^= 0x01;
    auto r = open_as(bad, trust);
    EXPECT_FALSE(r.is_ok()) << "a signed DAT altered at byte " << pos << " (of " << dat.size()
                            << ") still opens";
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT) << pos;
    }
  }
  // In an unsigned file, the reserved header fields and the unused key id and signature.
  const std::string& plain = sample_dat();
  for (size_t pos :
       {kReservedAt, kReservedAt + 4, size_t{kHeaderSize - 1},
        plain.size() - kTrailerSize + kKeyIdAt, plain.size() - kTrailerSize + kSignatureAt + 63}) {
    std::string bad = plain;
    bad[pos] ^= 0x01;
    EXPECT_FALSE(open_as(bad, kUnsignedOk).is_ok())
        << "an unsigned DAT altered at byte " << pos << " still opens";
  }
}

}  // namespace
}  // namespace vigil::dat
