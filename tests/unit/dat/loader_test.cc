// DATs built from signature sources and loaded back (scan/engine_dat). A loaded engine must
// detect exactly what an engine built from the same sources detects; a DAT whose sections were
// altered and then re-sealed with valid checksums (what a compromised builder or a hostile
// unsigned file looks like) must fail with VIGIL_ERR_CORRUPT naming the section; a precompiled
// database that does not run here is recompiled (and cached on disk), and a DAT of another plan
// version is rebuilt from its signature sources.
#include "dat/loader_support.h"

namespace vigil::scan::dat_test {
namespace {

// ---------------------------------------------------------------------------------------------
// Round trip.

TEST(DatLoad, DetectsExactlyWhatTheSourcesDetect) {
  auto from_sources = source_engine();
  ASSERT_NE(from_sources, nullptr);
  // The expectations are absolute, so a fault shared by both engines still shows.
  EXPECT_EQ(detections(*from_sources), expected_detections());

  Loaded l = load(test_dat());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(detections(*l), expected_detections());
  EXPECT_EQ(diag_text(l.diags), "");

  const vigil_engine_stats& a = from_sources->stats;
  const vigil_engine_stats& b = l.engine.value()->stats;
  EXPECT_EQ(b.body_signatures, 6u);
  EXPECT_EQ(b.body_signatures, a.body_signatures);
  EXPECT_EQ(b.logical_signatures, 2u);
  EXPECT_EQ(b.logical_signatures, a.logical_signatures);
  EXPECT_EQ(b.hash_signatures, 3u);
  EXPECT_EQ(b.hash_signatures, a.hash_signatures);
  EXPECT_EQ(b.allowlist_entries, 1u);
  EXPECT_EQ(b.allowlist_entries, a.allowlist_entries);
  EXPECT_EQ(b.ignored_signatures, 1u);
  EXPECT_EQ(b.ignored_signatures, a.ignored_signatures);
  EXPECT_EQ(b.fragments, a.fragments);
  EXPECT_EQ(b.dat_version, 7u);
  EXPECT_EQ(b.database_origin, VIGIL_DATABASE_PRECOMPILED);
}

TEST(DatLoad, SignedDatLoadsWithItsKeyOnly) {
  auto key = dat::generate_key();
  auto other = dat::generate_key();
  ASSERT_TRUE(key.is_ok() && other.is_ok());
  std::string signed_dat = test_dat();
  ASSERT_TRUE(dat::sign(signed_dat, key.value()).is_ok());
  auto try_load = [&](const dat::PublicKey& trusted) {
    sig::Diagnostics diags;
    DatLoadOptions opts{.trust = dat::Trust{.keys = {trusted}}};
    return load_dat(reinterpret_cast<const uint8_t*>(signed_dat.data()), signed_dat.size(), opts,
                    diags);
  };
  auto good = try_load(key.value().public_key());
  ASSERT_TRUE(good.is_ok()) << good.status().message();
  EXPECT_EQ(detections(*good.value()), expected_detections());
  auto bad = try_load(other.value().public_key());
  EXPECT_EQ(bad.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_NE(bad.status().message().find(dat::key_id_hex(key.value().public_key().id())),
            std::string::npos)
      << bad.status().message();

  sig::Diagnostics diags;
  auto refused = load_dat(reinterpret_cast<const uint8_t*>(test_dat().data()), test_dat().size(),
                          DatLoadOptions{}, diags);
  EXPECT_EQ(refused.status().code(), VIGIL_ERR_UNTRUSTED);
  EXPECT_NE(refused.status().message().find("unsigned"), std::string::npos);
}

TEST(DatBuild, IsDeterministicAndIndependentOfSourceOrder) {
  const std::string again = build(test_sources());
  EXPECT_EQ(again, test_dat());
  const std::string reordered = build(reordered_sources());
  EXPECT_EQ(reordered.size(), test_dat().size());
  EXPECT_TRUE(reordered == test_dat()) << "a different source order changed the DAT";
  // ...and a different version or signature set does change it (the comparison can fail).
  EXPECT_NE(build(test_sources(), 8), test_dat());
}

TEST(DatLoad, HashOnlyDatHasNoPatternDatabase) {
  std::vector<sig::Source> src = test_sources();
  src.erase(src.begin());  // no .ndb
  src.pop_back();          // nor .ldb
  std::string dat = build(src);
  Loaded l = load(dat);
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(l.engine.value()->stats.body_signatures, 0u);
  EXPECT_EQ(testing::scan(*l, kHashed), std::vector<std::string>{"Test.Hash@-"});
  EXPECT_EQ(testing::scan(*l, "xx\xde\xad\xbe\xef\x01yy"), std::vector<std::string>{});
  // A pattern database in a DAT without fragments is refused.
  Unsealed u = unseal(dat);
  u[SectionType::kHsDatabase] = unseal(test_dat())[SectionType::kHsDatabase];
  Loaded bad = load(u.seal());
  EXPECT_EQ(bad.engine.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(bad.engine.status().message(), "first-pass pattern database present without fragments");
}

// ---------------------------------------------------------------------------------------------
// Another plan version: rebuilt from the signature sources.

TEST(DatLoad, OtherPlanVersionIsRebuiltFromTheSources) {
  Unsealed u = unseal(test_dat());
  u[SectionType::kMeta] =
      with_meta(u[SectionType::kMeta], [](DatMeta& m) { m.plan_version = kPlanVersion + 1; });
  // The stored layouts are not read at all: garbage there does not matter.
  u[SectionType::kBodyPlan] = "not a plan";
  u[SectionType::kHsDatabase] = "not a database";
  Loaded l = load(u.seal());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(detections(*l), expected_detections());
  const vigil_engine_stats& s = l.engine.value()->stats;
  EXPECT_EQ(s.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_EQ(s.body_signatures, 6u);
  EXPECT_EQ(s.logical_signatures, 2u);
  EXPECT_EQ(s.hash_signatures, 3u);
  EXPECT_EQ(s.allowlist_entries, 1u);
  EXPECT_EQ(s.ignored_signatures, 1u);
  EXPECT_EQ(s.dat_version, 7u);
  ASSERT_EQ(l.diags.size(), 1u) << diag_text(l.diags);
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_DAT_COMPILE);
  EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_WARNING);
  EXPECT_EQ(l.diags[0].message, "DAT plan version " + std::to_string(kPlanVersion + 1) +
                                    " differs from this engine's " + std::to_string(kPlanVersion) +
                                    ": rebuilt from its signature sources at every load until a "
                                    "DAT of this version is installed");
}

// ---------------------------------------------------------------------------------------------
// A precompiled database that does not run here: recompiled, and cached when asked to.

// The DAT with its database's Hyperscan version field (bytes 4-7 of the serialized header,
// outside the CRC) changed, as a DAT built by another Hyperscan release looks here.
std::string other_hyperscan_dat() {
  Unsealed u = unseal(test_dat());
  std::string& db = u[SectionType::kHsDatabase];
  EXPECT_GT(db.size(), 32u);
  db[8 + 6] ^= 0x01;  // the first-pass database's minor version (after its 8-byte length)
  return u.seal();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "vigil-dat-cache-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  // The files in the directory (the cache writes one per DAT and machine).
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path());
    return out;
  }

 private:
  std::string path_;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Diagnostics of one severity, as messages.
std::vector<std::string> messages(const sig::Diagnostics& diags, vigil_diag_severity sev) {
  std::vector<std::string> out;
  for (const sig::Diagnostic& d : diags) {
    EXPECT_EQ(d.code, VIGIL_DIAG_DAT_COMPILE) << d.message;
    if (d.severity == sev) out.push_back(d.message);
  }
  return out;
}

TEST(DatDatabase, OtherHyperscanVersionIsCompiledHere) {
  Loaded l = load(other_hyperscan_dat());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(l.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_EQ(detections(*l), expected_detections());
  EXPECT_EQ(l.engine.value()->stats.fragments, source_engine()->stats.fragments);
  ASSERT_EQ(l.diags.size(), 1u) << diag_text(l.diags);
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_DAT_COMPILE);
  EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_INFO);
  const std::string& msg = l.diags[0].message;
  EXPECT_TRUE(msg.starts_with("precompiled pattern database (")) << msg;
  EXPECT_NE(msg.find(") does not run on Hyperscan " + match::hyperscan_version()),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(": compiled for this machine in "), std::string::npos) << msg;
  EXPECT_EQ(msg.find("cached"), std::string::npos) << msg;
}

TEST(DatDatabase, CompiledDatabaseIsCachedAndReused) {
  TempDir dir;
  const std::string cache_dir = dir.path() + "/cache";  // created by the first load
  const std::string dat = other_hyperscan_dat();

  Loaded first = load(dat, cache_dir);
  ASSERT_TRUE(first.engine.is_ok()) << first.engine.status().message();
  EXPECT_EQ(first.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_EQ(messages(first.diags, VIGIL_SEVERITY_WARNING), std::vector<std::string>{});
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(cache_dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const std::string cache_file = files[0];
  EXPECT_EQ(mode_of(cache_file), 0600u);
  EXPECT_EQ(mode_of(cache_dir) & 077, 0u);
  auto info = messages(first.diags, VIGIL_SEVERITY_INFO);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_TRUE(info[0].ends_with(", cached at " + cache_file)) << info[0];

  Loaded second = load(dat, cache_dir);
  ASSERT_TRUE(second.engine.is_ok()) << second.engine.status().message();
  EXPECT_EQ(second.engine.value()->stats.database_origin, VIGIL_DATABASE_CACHED);
  EXPECT_EQ(messages(second.diags, VIGIL_SEVERITY_WARNING), std::vector<std::string>{});
  info = messages(second.diags, VIGIL_SEVERITY_INFO);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_TRUE(info[0].ends_with(": used the database compiled for this machine at " + cache_file))
      << info[0];
  EXPECT_EQ(detections(*second), expected_detections());

  // A DAT whose database runs here never touches the cache.
  Loaded native = load(test_dat(), cache_dir);
  ASSERT_TRUE(native.engine.is_ok());
  EXPECT_EQ(native.engine.value()->stats.database_origin, VIGIL_DATABASE_PRECOMPILED);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(cache_dir), {}), 1);
}

TEST(DatDatabase, CorruptCacheFileIsIgnoredAndRewritten) {
  TempDir dir;
  const std::string dat = other_hyperscan_dat();
  ASSERT_TRUE(load(dat, dir.path()).engine.is_ok());
  ASSERT_EQ(dir.files().size(), 1u);
  const std::string cache_file = dir.files()[0];
  const std::string good = read_file(cache_file);

  std::string bad = good;
  bad[bad.size() - 9] ^= 0x40;
  write_file(cache_file, bad);
  ASSERT_EQ(chmod(cache_file.c_str(), 0600), 0);
  Loaded l = load(dat, dir.path());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(l.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_EQ(messages(l.diags, VIGIL_SEVERITY_WARNING),
            std::vector<std::string>{"ignored cache file: " + cache_file + ": checksum mismatch"});
  EXPECT_EQ(detections(*l), expected_detections());
  EXPECT_EQ(read_file(cache_file), good);  // rewritten
  EXPECT_EQ(load(dat, dir.path()).engine.value()->stats.database_origin, VIGIL_DATABASE_CACHED);

  // A valid cache file of another DAT, renamed to this DAT's name, is not taken either.
  Unsealed u = unseal(dat);
  u.header.dat_version = 8;
  const std::string other = u.seal();
  TempDir other_dir;
  ASSERT_TRUE(load(other, other_dir.path()).engine.is_ok());
  ASSERT_EQ(other_dir.files().size(), 1u);
  write_file(cache_file, read_file(other_dir.files()[0]));
  Loaded renamed = load(dat, dir.path());
  ASSERT_TRUE(renamed.engine.is_ok());
  EXPECT_EQ(renamed.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_EQ(messages(renamed.diags, VIGIL_SEVERITY_WARNING),
            std::vector<std::string>{"ignored cache file: " + cache_file +
                                     ": not a cache file for this DAT"});
}

TEST(DatDatabase, CacheFileWritableByOthersIsNotUsed) {
  TempDir dir;
  const std::string dat = other_hyperscan_dat();
  ASSERT_TRUE(load(dat, dir.path()).engine.is_ok());
  ASSERT_EQ(dir.files().size(), 1u);
  const std::string cache_file = dir.files()[0];
  for (mode_t mode : {0620, 0602}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(cache_file.c_str(), mode), 0);
    Loaded l = load(dat, dir.path());
    ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
    EXPECT_EQ(l.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
    EXPECT_EQ(messages(l.diags, VIGIL_SEVERITY_WARNING),
              std::vector<std::string>{
                  "ignored cache file: " + cache_file +
                  ": not a regular file owned by this user and writable only by it"});
    EXPECT_EQ(mode_of(cache_file), 0600u);  // replaced by a fresh, private one
  }
  // A symbolic link at the cache path is not followed, even to a good cache file.
  const std::string real = dir.path() + "/real.hsdb";
  std::filesystem::rename(cache_file, real);
  std::filesystem::create_symlink(real, cache_file);
  Loaded l = load(dat, dir.path());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(l.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  EXPECT_FALSE(std::filesystem::is_symlink(cache_file));
}

TEST(DatDatabase, UnwritableCacheIsAWarningNotAFailure) {
  TempDir dir;
  const std::string not_a_dir = dir.path() + "/file";
  write_file(not_a_dir, "x");
  Loaded l = load(other_hyperscan_dat(), not_a_dir + "/cache");
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(l.engine.value()->stats.database_origin, VIGIL_DATABASE_COMPILED);
  auto warnings = messages(l.diags, VIGIL_SEVERITY_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(warnings[0].starts_with("cannot write the database cache: ")) << warnings[0];
  EXPECT_EQ(detections(*l), expected_detections());
}

}  // namespace
}  // namespace vigil::scan::dat_test
