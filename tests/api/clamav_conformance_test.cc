// Conformance with ClamAV's own material: its unit-test databases load, with every line this
// engine cannot take reported precisely, and its harmless test file clam.exe is named exactly
// as clamscan names it. Skips (with the reason) when ../shared or clamav-testfiles are absent.
#include <sys/stat.h>

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
  // Loaded as a directory tree of every format, each line or file we cannot take is named.
  auto all = vigil_test::load({}, {kUnitSigs + "/pe_allmatch/alert-sigs"},
                              VIGIL_LOAD_SKIP_BAD_LINES);
  ASSERT_EQ(all.status, VIGIL_OK);
  size_t unsupported = 0;
  for (size_t i = 0; i < vigil_diagnostics_count(all.diags.get()); ++i) {
    vigil_diagnostic d;
    vigil_diagnostics_get(all.diags.get(), i, &d);
    if (d.code == VIGIL_DIAG_UNSUPPORTED) {
      ++unsupported;
      EXPECT_NE(std::string(d.message).find("not"), std::string::npos) << d.message;
      EXPECT_NE(std::string(d.file), "") << d.message;
    }
  }
  EXPECT_GT(unsupported, 0u);  // .mdb/.msb/.imp/.yar and PE-only .ndb lines are named
}

TEST(ClamavConformance, OfficialExtractsLoadAndFindTheirOwnTestHash) {
  if (!exists(kCvdExtract)) GTEST_SKIP() << kCvdExtract << " absent (needs ../shared)";
  auto l = vigil_test::load({}, {kCvdExtract + "/main.hdb.gz", kCvdExtract + "/daily.hdb.gz",
                                 kCvdExtract + "/main.fp.gz", kCvdExtract + "/daily.fp.gz"});
  ASSERT_EQ(l.status, VIGIL_OK) << (l.messages.empty() ? "" : l.messages[0]);
  vigil_engine_stats st{sizeof st};
  ASSERT_EQ(vigil_engine_get_stats(l.engine.get(), &st), VIGIL_OK);
  EXPECT_GE(st.hash_signatures, 82211u);
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  // The EICAR test string, decoded at run time (never stored in the clear).
  const unsigned char enc[] = {
      0x72, 0x1f, 0x65, 0x0b, 0x7a, 0x0f, 0x6a, 0x6b, 0x7a, 0x71, 0x1e, 0x76, 0x7a, 0x70, 0x72,
      0x1f, 0x1e, 0x02, 0x7a, 0x74, 0x03, 0x1d, 0x69, 0x69, 0x03, 0x1d, 0x57, 0x0e, 0x6f, 0x63,
      0x69, 0x6b, 0x78, 0x07, 0x79, 0x7e, 0x6b, 0x64, 0x6e, 0x6b, 0x78, 0x6e, 0x07, 0x6b, 0x64,
      0x7e, 0x63, 0x7c, 0x63, 0x78, 0x7f, 0x79, 0x07, 0x7e, 0x6f, 0x79, 0x7e, 0x07, 0x6c, 0x63,
      0x66, 0x6f, 0x0b, 0x0e, 0x62, 0x01, 0x62, 0x00};
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
