// DAT diffs and deltas (dat/tool/delta.h) on DATs built here from ~2,000 generated body, hash
// and allowlist signatures: a rebuild from the IR is byte-identical, a 1% change gives a small
// delta that turns OLD into exactly NEW, and every wrong base, tampered or untrusted delta, and
// hand-made delta that removes a missing line or cannot be rebuilt here is refused.
#include "delta.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/byte_io.h"
#include "dat/container.h"
#include "dat/crypto.h"
#include "scan/dat_sections.h"
#include "scan/engine_dat.h"
#include "sig/signature_set.h"

namespace vigil::dattool {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string hex_bytes(uint64_t seed, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    uint8_t b = static_cast<uint8_t>(mix(seed * 131 + i) >> 24);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string body_line(const std::string& name, uint64_t seed) {
  std::string hex =
      seed % 10 == 0 ? hex_bytes(seed, 8) + "??" + hex_bytes(seed + 7, 6) : hex_bytes(seed, 14);
  return name + ":0:" + (seed % 7 == 0 ? "0" : "*") + ":" + hex;
}

std::string hash_line(const std::string& name, uint64_t seed, size_t digest_bytes) {
  return hex_bytes(seed, digest_bytes) + ":" + std::to_string(1000 + seed % 90000) + ":" + name;
}

std::string numbered(const char* prefix, int i) {
  std::string digits = std::to_string(i);
  return prefix + std::string(4 - std::min<size_t>(4, digits.size()), '0') + digits;
}

// Signature sources by file, name -> line.
struct Corpus {
  std::map<std::string, std::string> ndb, hdb, hsb, fp;

  std::vector<sig::Source> sources(const std::string& ign2 = "") const {
    auto join = [](const std::map<std::string, std::string>& m) {
      std::string s;
      for (const auto& [name, line] : m) s += line + "\n";
      return s;
    };
    std::vector<sig::Source> out = {{"x.ndb", true, join(ndb)},
                                    {"x.hdb", true, join(hdb)},
                                    {"x.hsb", true, join(hsb)},
                                    {"x.fp", true, join(fp)}};
    if (!ign2.empty()) out.push_back({"x.ign2", true, ign2});
    return out;
  }
};

Corpus make_corpus() {
  Corpus c;
  for (int i = 0; i < 1000; ++i) c.ndb[numbered("Body.", i)] = body_line(numbered("Body.", i), i);
  for (int i = 0; i < 1000; ++i) {
    std::string name = numbered("Hash.", i);  // MD5 in .hdb, the last 200 SHA256 in .hsb
    (i < 800 ? c.hdb : c.hsb)[name] = hash_line(name, 100000 + i, i < 800 ? 16 : 32);
  }
  for (int i = 0; i < 20; ++i) {
    c.fp[numbered("Clean.", i)] = hash_line(numbered("Clean.", i), 200000 + i, 16);
  }
  return c;
}

std::string build(const Corpus& c, uint64_t version, const std::string& ign2 = "") {
  sig::SignatureSet set = sig::load_sources(c.sources(ign2), sig::LoadFlags{});
  EXPECT_FALSE(sig::has_errors(set.diags));
  auto dat = scan::build_dat(
      set, scan::DatBuildOptions{
               .version = version, .created = 1700000000 + version, .min_engine_version = 100});
  EXPECT_TRUE(dat.is_ok()) << dat.status().message();
  EXPECT_FALSE(sig::has_errors(set.diags));
  return dat.is_ok() ? dat.take() : std::string();
}

dat::DatView view_of(const std::string& file, dat::Kind kind = dat::Kind::kDat) {
  dat::Trust inspect;
  inspect.kind = kind;
  inspect.skip_signature = true;
  auto v = dat::open(reinterpret_cast<const uint8_t*>(file.data()), file.size(), inspect);
  EXPECT_TRUE(v.is_ok()) << v.status().message();
  return v.is_ok() ? v.value() : dat::DatView{};
}

std::string signed_copy(std::string file, const dat::PrivateKey& key) {
  common::Status st = dat::sign(file, key);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return file;
}

// A delta written field by field from the layout delta.h documents (not with delta.cc's
// encoder), for deltas make_delta would never produce.
std::string hand_delta(const DeltaBase& b, const std::vector<FileChange>& files) {
  return encode_delta(DeltaContents{b, files});
}

// OLD (version 1) and NEW (version 2, 1% of 2,020 signatures changed: 7 removed, 7 added,
// 6 changed, across body, hash and allowlist), built once for all tests.
struct Dats {
  dat::PrivateKey key, other_key;
  std::string old_unsigned, new_unsigned, old_dat, new_dat;
};

Dats make_dats() {
  Dats d;
  d.key = dat::generate_key().take();
  d.other_key = dat::generate_key().take();
  Corpus old_c = make_corpus();
  Corpus new_c = old_c;
  for (int i : {10, 20, 30, 40}) new_c.ndb.erase(numbered("Body.", i));
  new_c.hdb.erase("Hash.0100");
  new_c.hsb.erase("Hash.0900");
  new_c.fp.erase("Clean.0003");
  for (int i = 0; i < 4; ++i) {
    std::string name = "Body.New." + std::to_string(i);
    new_c.ndb[name] = body_line(name, 5000 + i);
  }
  new_c.hdb["Hash.New.0"] = hash_line("Hash.New.0", 6000, 16);
  new_c.hsb["Hash.New.1"] = hash_line("Hash.New.1", 6001, 32);
  new_c.fp["Clean.New"] = hash_line("Clean.New", 6002, 16);
  for (int i : {5, 15, 25})
    new_c.ndb[numbered("Body.", i)] = body_line(numbered("Body.", i), 7000 + i);
  new_c.hdb["Hash.0007"] = hex_bytes(100007, 16) + ":55:Hash.0007";  // another size
  new_c.hsb["Hash.0950"] = hash_line("Hash.0950", 8950, 32);
  new_c.fp["Clean.0009"] = hash_line("Clean.0009", 8009, 16);
  d.old_unsigned = build(old_c, 1);
  d.new_unsigned = build(new_c, 2);
  d.old_dat = signed_copy(d.old_unsigned, d.key);
  d.new_dat = signed_copy(d.new_unsigned, d.key);
  return d;
}

class DeltaTest : public ::testing::Test {
 protected:
  static const Dats& dats() {
    static const Dats d = make_dats();
    return d;
  }
  dat::Trust trust() const { return dat::Trust{.keys = {d_.key.public_key()}}; }
  dat::Trust trust_unsigned() const {
    return dat::Trust{.keys = {d_.key.public_key()}, .allow_unsigned = true};
  }
  std::string delta(const std::string& from, const std::string& to) const {
    auto d = make_delta(from, to, trust());
    EXPECT_TRUE(d.is_ok()) << d.status().message();
    return d.is_ok() ? d.take() : std::string();
  }
  static DeltaContents contents_of(const std::string& delta) {
    auto c = read_delta(view_of(delta, dat::Kind::kDelta));
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    return c.is_ok() ? c.take() : DeltaContents{};
  }

  const Dats& d_ = dats();
};

common::Result<std::string> rebuild_from_ir(const std::string& file, bool restore_ignored) {
  dat::DatView v = view_of(file);
  auto ir = scan::decode_ir(scan::require_section(v, dat::SectionType::kSourceIr).value());
  auto meta = scan::decode_meta(scan::require_section(v, dat::SectionType::kMeta).value());
  EXPECT_TRUE(ir.is_ok() && meta.is_ok());
  sig::SignatureSet set = sig::load_sources(ir.value().files, sig::LoadFlags{});
  if (restore_ignored) set.ignored = meta.value().ignored_signatures;
  return scan::build_dat(
      set, scan::DatBuildOptions{.version = v.header.dat_version,
                                 .created = v.header.created,
                                 .min_engine_version = v.header.min_engine_version,
                                 .target = {.cpu_features = meta.value().hs_cpu_features,
                                            .tune = meta.value().hs_tune}});
}

TEST_F(DeltaTest, RebuildFromIrIsByteIdentical) {
  auto rebuilt = rebuild_from_ir(d_.new_unsigned, false);
  ASSERT_TRUE(rebuilt.is_ok()) << rebuilt.status().message();
  EXPECT_TRUE(rebuilt.value() == d_.new_unsigned);
  auto meta = scan::decode_meta(scan::require_section(view_of(d_.old_dat), dat::SectionType::kMeta)
                                    .value());  // all were kept
  ASSERT_TRUE(meta.is_ok());
  EXPECT_EQ(meta.value().body_signatures, 1000u);
  EXPECT_EQ(meta.value().hash_signatures, 1000u);
  EXPECT_EQ(meta.value().allowlist_entries, 20u);
}

// The META counts signatures the sources' ignore lists dropped; the IR cannot say how many, so
// the rebuild is byte-identical only when that count is restored (the delta carries it).
TEST_F(DeltaTest, RebuildOfIgnoreListDatNeedsTheIgnoredCount) {
  std::string dat = build(make_corpus(), 3, "Body.0001\nHash.0002\n");
  auto without = rebuild_from_ir(dat, false);
  auto with = rebuild_from_ir(dat, true);
  ASSERT_TRUE(without.is_ok() && with.is_ok());
  EXPECT_FALSE(without.value() == dat);
  EXPECT_TRUE(with.value() == dat);
}

TEST_F(DeltaTest, DeltaBetweenDatsBuiltWithIgnoreLists) {
  Corpus next = make_corpus();
  next.ndb.erase("Body.0500");
  std::string from = signed_copy(build(make_corpus(), 3, "Body.0001\n"), d_.key);
  std::string to = signed_copy(build(next, 4, "Body.0001\nHash.0002\n"), d_.key);
  auto applied = apply_delta(from, signed_copy(delta(from, to), d_.key), trust());
  ASSERT_TRUE(applied.is_ok()) << applied.status().message();
  EXPECT_TRUE(applied.value() == to);
}

TEST_F(DeltaTest, ApplyGivesNewByteForByteAndTheDeltaIsSmall) {
  std::string d = signed_copy(delta(d_.old_dat, d_.new_dat), d_.key);
  auto applied = apply_delta(d_.old_dat, d, trust());
  ASSERT_TRUE(applied.is_ok()) << applied.status().message();
  EXPECT_TRUE(applied.value() == d_.new_dat);
  EXPECT_LT(d.size() * 10, d_.new_dat.size());
  std::printf("[ sizes    ] DAT %zu bytes, delta for a 1%% change %zu bytes (%.2f%%)\n",
              d_.new_dat.size(), d.size(), 100.0 * d.size() / d_.new_dat.size());
}

TEST_F(DeltaTest, DeltaHoldsExactlyTheChangedLines) {
  DeltaContents c = contents_of(delta(d_.old_dat, d_.new_dat));
  std::map<std::string, std::pair<size_t, size_t>> counts;
  for (const FileChange& f : c.files) counts[f.name] = {f.removed.size(), f.added.size()};
  using P = std::pair<size_t, size_t>;
  EXPECT_EQ(counts["ir.ndb"], P(4 + 3, 4 + 3));
  EXPECT_EQ(counts["ir.hdb"], P(1 + 1, 1 + 1));
  EXPECT_EQ(counts["ir.hsb"], P(1 + 1, 1 + 1));
  EXPECT_EQ(counts["ir.fp"], P(1 + 1, 1 + 1));
  EXPECT_EQ(counts["ir.sfp"], P(0, 0));
  EXPECT_EQ(c.base.base_id, view_of(d_.old_dat).id);
  EXPECT_EQ(c.base.new_id, view_of(d_.new_dat).id);
  EXPECT_EQ(c.base.base_version, 1u);
  EXPECT_EQ(c.base.new_version, 2u);
  EXPECT_EQ(c.base.new_created, 1700000002u);
  EXPECT_EQ(std::string(dat::trailer(d_.new_dat)),
            std::string(c.base.new_trailer.begin(), c.base.new_trailer.end()));
}

TEST_F(DeltaTest, EmptyDeltaReproducesTheSameDat) {
  auto applied = apply_delta(d_.old_dat, delta(d_.old_dat, d_.old_dat), trust_unsigned());
  ASSERT_TRUE(applied.is_ok()) << applied.status().message();
  EXPECT_TRUE(applied.value() == d_.old_dat);
}

TEST_F(DeltaTest, WrongBaseIsRefused) {
  std::string d = signed_copy(delta(d_.old_dat, d_.new_dat), d_.key);
  auto on_new = apply_delta(d_.new_dat, d, trust());
  ASSERT_FALSE(on_new.is_ok());
  EXPECT_EQ(on_new.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_NE(on_new.status().message().find("applies to DAT version 1"), std::string::npos)
      << on_new.status().message();
  EXPECT_NE(on_new.status().message().find("old DAT is version 2"), std::string::npos);

  Corpus other = make_corpus();
  other.ndb.erase("Body.0001");
  std::string unrelated = signed_copy(build(other, 1), d_.key);  // same version, other content
  auto on_unrelated = apply_delta(unrelated, d, trust());
  ASSERT_FALSE(on_unrelated.is_ok());
  EXPECT_EQ(on_unrelated.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
}

TEST_F(DeltaTest, TamperedDeltaIsRefused) {
  std::string d = delta(d_.old_dat, d_.new_dat);
  const dat::DatView v = view_of(d, dat::Kind::kDelta);
  const size_t in_changes = v.find(dat::SectionType::kDeltaChanges)->offset + 20;
  const dat::Trust loose = trust_unsigned();

  std::string flipped = d;  // unsigned: the section checksum catches it
  flipped[in_changes] ^= 0x01;
  auto r = apply_delta(d_.old_dat, flipped, loose);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(r.status().message().find("delta: section delta changes: checksum mismatch"),
            std::string::npos)
      << r.status().message();

  std::string signed_d = signed_copy(d, d_.key);  // signed: a changed table breaks the signature
  signed_d[dat::kHeaderSize + 30] ^= 0x01;
  r = apply_delta(d_.old_dat, signed_d, trust());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_NE(r.status().message().find("does not verify"), std::string::npos);
}

TEST_F(DeltaTest, DeltaSignatureMustBeTrusted) {
  std::string d = delta(d_.old_dat, d_.new_dat);
  auto unsigned_r = apply_delta(d_.old_dat, d, trust());
  ASSERT_FALSE(unsigned_r.is_ok());
  EXPECT_EQ(unsigned_r.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_NE(unsigned_r.status().message().find("delta is unsigned"), std::string::npos);

  std::string by_other = signed_copy(d, d_.other_key);
  auto untrusted = apply_delta(d_.old_dat, by_other, trust());
  ASSERT_FALSE(untrusted.is_ok());
  EXPECT_EQ(untrusted.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_NE(untrusted.status().message().find("not trusted"), std::string::npos);

  dat::Trust both{.keys = {d_.key.public_key(), d_.other_key.public_key()}};
  auto trusted = apply_delta(d_.old_dat, by_other, both);
  ASSERT_TRUE(trusted.is_ok()) << trusted.status().message();
  EXPECT_TRUE(trusted.value() == d_.new_dat);
}

// A trusted delta cannot make an untrusted DAT: the result carries NEW's own signature.
TEST_F(DeltaTest, NewDatMustBeTrustedToo) {
  std::string new_by_other = signed_copy(d_.new_unsigned, d_.other_key);
  dat::Trust both{.keys = {d_.key.public_key(), d_.other_key.public_key()}};
  auto d = make_delta(d_.old_dat, new_by_other, both);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  auto r = apply_delta(d_.old_dat, signed_copy(d.value(), d_.key), trust());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_EQ(r.status().message().rfind("new DAT: DAT is signed by key", 0), 0u)
      << r.status().message();
}

TEST_F(DeltaTest, MakeDeltaVerifiesItsInputs) {
  auto r = make_delta(d_.old_unsigned, d_.new_dat, trust());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_EQ(r.status().message().rfind("old DAT: DAT is unsigned", 0), 0u) << r.status().message();
}

TEST_F(DeltaTest, RemovingAMissingLineIsCorrupt) {
  DeltaContents good = contents_of(delta(d_.old_dat, d_.new_dat));
  std::string d = hand_delta(good.base, {{"ir.ndb", {"Nope:0:*:aabbccdd"}, {}}});
  auto r = apply_delta(d_.old_dat, d, trust_unsigned());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(r.status().message(),
            "delta: ir.ndb: removes a line the base DAT does not have: 'Nope:0:*:aabbccdd'");
}

TEST_F(DeltaTest, OtherHyperscanVersionSaysFetchTheFullDat) {
  DeltaBase b = contents_of(delta(d_.old_dat, d_.new_dat)).base;
  b.hs_version = "0.0.1 1970-01-01";
  auto r = apply_delta(d_.old_dat, hand_delta(b, {}), trust_unsigned());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_VERSION);
  EXPECT_NE(r.status().message().find("fetch the full DAT"), std::string::npos);
}

TEST_F(DeltaTest, RebuildThatMissesNewIsRefused) {
  DeltaContents good = contents_of(delta(d_.old_dat, d_.new_dat));
  good.files.erase(std::remove_if(good.files.begin(), good.files.end(),
                                  [](const FileChange& f) { return f.name == "ir.fp"; }),
                   good.files.end());  // drop one file's change
  auto r = apply_delta(d_.old_dat, hand_delta(good.base, good.files), trust_unsigned());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(r.status().message().find("rebuilt DAT differs from the one the delta was made for"),
            std::string::npos)
      << r.status().message();
}

TEST_F(DeltaTest, DiffListsAddedRemovedAndChangedByName) {
  auto diff = diff_dats(view_of(d_.old_dat), view_of(d_.new_dat));
  ASSERT_TRUE(diff.is_ok()) << diff.status().message();
  using K = SigKind;
  std::vector<SigChange> added = {{"Body.New.0", K::kBody}, {"Body.New.1", K::kBody},
                                  {"Body.New.2", K::kBody}, {"Body.New.3", K::kBody},
                                  {"Clean.New", K::kAllow}, {"Hash.New.0", K::kHash},
                                  {"Hash.New.1", K::kHash}};
  std::vector<SigChange> removed = {{"Body.0010", K::kBody},   {"Body.0020", K::kBody},
                                    {"Body.0030", K::kBody},   {"Body.0040", K::kBody},
                                    {"Clean.0003", K::kAllow}, {"Hash.0100", K::kHash},
                                    {"Hash.0900", K::kHash}};
  std::vector<SigChange> changed = {{"Body.0005", K::kBody}, {"Body.0015", K::kBody},
                                    {"Body.0025", K::kBody}, {"Clean.0009", K::kAllow},
                                    {"Hash.0007", K::kHash}, {"Hash.0950", K::kHash}};
  EXPECT_EQ(diff.value().added, added);
  EXPECT_EQ(diff.value().removed, removed);
  EXPECT_EQ(diff.value().changed, changed);
}

TEST(SignatureName, ByFile) {
  EXPECT_EQ(signature_name("ir.ndb", "Eicar.Test:0:*:aabb"), "Eicar.Test");
  EXPECT_EQ(signature_name("ir.hdb", "00112233445566778899aabbccddeeff:12:Md5.Sig"), "Md5.Sig");
  EXPECT_EQ(signature_name("ir.hsb", "aa:*:Any.Size:73"), "Any.Size");
  EXPECT_EQ(signature_name("ir.fp", "aa:12"), "");
}

}  // namespace
}  // namespace vigil::dattool
