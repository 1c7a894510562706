// Conformance with ClamAV's own material: its unit-test databases load, with every line this
// engine cannot take reported precisely, and its harmless test file clam.exe is named exactly
// as clamscan names it. Skips (with the reason) when ../shared or clamav-testfiles are absent.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>

#include "api_support.h"

namespace {

const std::string kShared = VIGIL_SHARED_DIR;
const std::string kUnitSigs = kShared + "/sigdata/clamav-unit-test-sigs/unit_tests/input";
const std::string kCvdExtract = kShared + "/sigdata/clamav-cvd-extract";
const std::string kClamExe = "/usr/share/clamav-testfiles/clam.exe";

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::vector<std::string> scan_file(const vigil_test::Load& l, const std::string& path) {
  vigil_scratch* raw = nullptr;
  EXPECT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  std::vector<std::string> hits;
  EXPECT_EQ(vigil_scan_file(l.engine.get(), scratch.get(), path.c_str(), VIGIL_SCAN_ALLMATCH,
                            vigil_test::collect, &hits, nullptr),
            VIGIL_OK);
  return hits;
}

TEST(ClamavConformance, ClamExeIsNamedAsClamscanNamesIt) {
  if (!exists(kUnitSigs)) GTEST_SKIP() << kUnitSigs << " absent (needs ../shared)";
  if (!exists(kClamExe)) GTEST_SKIP() << kClamExe << " absent (apt-get install clamav-testfiles)";
  // clamscan -d clamav.hdb clam.exe prints "clam.exe: ClamAV-Test-File.UNOFFICIAL FOUND".
  auto l = vigil_test::load({}, {kUnitSigs + "/clamav.hdb"}, VIGIL_LOAD_UNOFFICIAL_SUFFIX);
  ASSERT_EQ(l.status, VIGIL_OK);
  EXPECT_EQ(scan_file(l, kClamExe), std::vector<std::string>{"ClamAV-Test-File.UNOFFICIAL"});
}

TEST(ClamavConformance, UnitTestDatabasesLoadOrReportEachUnsupportedLine) {
  if (!exists(kUnitSigs)) GTEST_SKIP() << kUnitSigs << " absent (needs ../shared)";
  const std::vector<std::string> supported = {
      "clamav.hdb",
      "other_sigs/Clamav-Unit-Test-Signature.ndb",
      "other_sigs/logo.hsb",
      "other_sigs/zstd.hdb",
      "other_sigs/alz.hdb",
      "embedded_testfiles/signatures/1.1.hsb",
      "embedded_testfiles/signatures/1.2.hsb",
      "embedded_testfiles/signatures/2.1.hsb",
      "embedded_testfiles/signatures/2.2.hsb",
      "pe_allmatch/alert-sigs/Test.GenSig.HDB_2of2_MD5_STAR_testexe.UNOFFICIAL.hdb",
      "pe_allmatch/alert-sigs/Test.GenSig.HSB_1of4_SHA1_FIXED_testexe.UNOFFICIAL.hsb",
      "pe_allmatch/alert-sigs/Test.GenSig.NDB_09of22_ANY_testexe_0.UNOFFICIAL.ndb",
  };
  for (const std::string& f : supported) {
    auto l = vigil_test::load({}, {kUnitSigs + "/" + f});
    EXPECT_EQ(l.status, VIGIL_OK) << f << ": " << (l.messages.empty() ? "" : l.messages[0]);
  }
  // Every file in the tree, loaded on its own: it loads, or each line or file this engine
  // cannot take is named with its file, its line where it has one, and a reason.
  size_t files = 0, loaded = 0, reported = 0;
  std::vector<std::string> stack = {kUnitSigs};
  while (!stack.empty()) {
    std::string dir = stack.back();
    stack.pop_back();
    DIR* d = opendir(dir.c_str());
    ASSERT_NE(d, nullptr) << dir;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = dir + "/" + name;
      struct stat st;
      ASSERT_EQ(stat(path.c_str(), &st), 0);
      if (S_ISDIR(st.st_mode)) {
        stack.push_back(path);
        continue;
      }
      ++files;
      auto l = vigil_test::load({}, {path}, VIGIL_LOAD_SKIP_BAD_LINES);
      if (l.status == VIGIL_OK) ++loaded;
      for (size_t i = 0; i < vigil_diagnostics_count(l.diags.get()); ++i) {
        vigil_diagnostic diag;
        ASSERT_EQ(vigil_diagnostics_get(l.diags.get(), i, &diag), VIGIL_OK);
        if (diag.severity != VIGIL_SEVERITY_ERROR) continue;
        ++reported;
        EXPECT_EQ(std::string(diag.file), path);
        EXPECT_GT(std::string(diag.message).size(), 10u) << path;
        if (diag.code == VIGIL_DIAG_UNSUPPORTED || diag.code == VIGIL_DIAG_UNKNOWN_FORMAT) {
          EXPECT_TRUE(diag.line > 0 ||
                      std::string(diag.message).find("format") != std::string::npos)
              << path << ": " << diag.message;
        } else {
          EXPECT_GT(diag.line, 0u) << path << ": " << diag.message;
        }
      }
      // A file that did not load must say why.
      if (l.status != VIGIL_OK) {
        EXPECT_FALSE(l.messages.empty()) << path << " failed with no diagnostic";
      }
    }
    closedir(d);
  }
  EXPECT_GE(files, 100u);
  EXPECT_GE(loaded, 12u);
  EXPECT_GT(reported, 0u);
  std::printf("unit-test databases: %zu files, %zu loaded, %zu problems reported\n", files, loaded,
              reported);
}

TEST(ClamavConformance, OfficialExtractsLoadAndFindTheirOwnTestHash) {
  if (!exists(kCvdExtract)) GTEST_SKIP() << kCvdExtract << " absent (needs ../shared)";
  auto l = vigil_test::load({}, {kCvdExtract + "/main.hdb.gz", kCvdExtract + "/daily.hdb.gz",
                                 kCvdExtract + "/main.fp.gz", kCvdExtract + "/daily.fp.gz"});
  ASSERT_EQ(l.status, VIGIL_OK) << (l.messages.empty() ? "" : l.messages[0]);
  vigil_engine_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(vigil_engine_get_stats(l.engine.get(), &st), VIGIL_OK);
  EXPECT_GE(st.hash_signatures, 82211u);
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  // The EICAR test string, decoded at run time (never stored in the clear).
  const unsigned char enc[] = {
      0x72, 0x1f, 0x65, 0x0b, 0x7a, 0x0f, 0x6a, 0x6b, 0x7a, 0x71, 0x1e, 0x76, 0x7a, 0x70,
      0x72, 0x1f, 0x1e, 0x02, 0x7a, 0x74, 0x03, 0x1d, 0x69, 0x69, 0x03, 0x1d, 0x57, 0x0e,
      0x6f, 0x63, 0x69, 0x6b, 0x78, 0x07, 0x79, 0x7e, 0x6b, 0x64, 0x6e, 0x6b, 0x78, 0x6e,
      0x07, 0x6b, 0x64, 0x7e, 0x63, 0x7c, 0x63, 0x78, 0x7f, 0x79, 0x07, 0x7e, 0x6f, 0x79,
      0x7e, 0x07, 0x6c, 0x63, 0x66, 0x6f, 0x0b, 0x0e, 0x62, 0x01, 0x62, 0x00};
  std::string eicar;
  for (unsigned char c : enc) eicar += static_cast<char>(c ^ 0x2A);
  ASSERT_EQ(eicar.size(), 68u);
  std::vector<std::string> hits;
  ASSERT_EQ(vigil_scan_buffer(l.engine.get(), scratch.get(), eicar.data(), eicar.size(),
                              VIGIL_SCAN_ALLMATCH, vigil_test::collect, &hits, nullptr),
            VIGIL_OK);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0], "Win.Test.EICAR_HDB-1");
}

}  // namespace
