// Fat/universal Mach-O through the public API: each architecture's slice is scanned as a Mach-O
// of its own (entry point, sections and EntryPoint / NumberOfSections conditions relative to the
// slice), inside a container whose level signatures for the top level do not see; damaged
// architecture tables are counted as broken and reported when asked, never read out of bounds.
// Where clamscan is installed, the same files and signatures must give the same detections.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../unit/format/exe_builders.h"
#include "api_support.h"

namespace {

using Bytes = vigil::format::testing::Bytes;
using vigil::format::testing::build_fat;
using vigil::format::testing::MachoBuilder;

const std::string kEpMarker = "VIGIL-FAT-EP-MARK";
const std::string kOther = "VIGIL-FAT-SLICE-1";

using vigil_test::hex;

// A PowerPC Mach-O whose one section [0x800, 0xC00) is mapped at 0x1000 and whose entry point
// 0x1010 is file offset 0x810; `marker` is written there.
Bytes thin(const std::string& marker, uint32_t seed = 1) {
  Bytes b = MachoBuilder(false, true, vigil::format::testing::kCpuPpc)
                .segment({{0x1000, 0x400, 0x800, 0}})
                .thread(0x1010, 40, 4)
                .build(0x1400, seed);
  std::copy(marker.begin(), marker.end(), b.begin() + 0x810);
  return b;
}

const std::string kNdb = "Fat.Ep:9:EP+0:" + hex(kEpMarker) + "\n" +     //
                         "Fat.Sect:9:S0+16:" + hex(kEpMarker) + "\n" +  //
                         "Fat.Any:0:*:" + hex(kOther) + "\n";
const std::string kLdb =
    "Fat.EpCond;Engine:51-255,Target:9,EntryPoint:2064-2064,NumberOfSections:1-1;0;" +
    hex(kEpMarker) + "\n" + "Fat.TopOnly;Engine:51-255,Target:0,Container:CL_TYPE_ANY;0;" +
    hex(kEpMarker) + "\n" + "Fat.InSlice;Engine:51-255,Target:9,Container:CL_TYPE_MACHO_UNIBIN;0;" +
    hex(kEpMarker) + "\n";

struct Found {
  std::string name;
  std::string path;  // members joined with '/'
};

int collect_found(const vigil_match* m, void* user) {
  Found f{m->name, ""};
  for (uint32_t i = 0; i < m->path_depth; ++i) {
    if (i != 0) f.path += '/';
    f.path += m->path[i];
  }
  static_cast<std::vector<Found>*>(user)->push_back(f);
  return 0;
}

class FatMachO : public ::testing::Test {
 protected:
  void SetUp() override {
    loaded_ = vigil_test::load({{"t.ndb", kNdb}, {"t.ldb", kLdb}});
    ASSERT_EQ(loaded_.status, VIGIL_OK);
    ASSERT_EQ(loaded_.messages.size(), 0u) << loaded_.messages[0];
    vigil_scratch* raw = nullptr;
    ASSERT_EQ(vigil_scratch_new(loaded_.engine.get(), &raw), VIGIL_OK);
    scratch_.reset(raw);
  }

  std::vector<Found> scan(const Bytes& data, uint32_t flags = VIGIL_SCAN_ALLMATCH) {
    std::vector<Found> found;
    result_ = vigil_scan_result{};
    EXPECT_EQ(vigil_scan_buffer(loaded_.engine.get(), scratch_.get(), data.data(), data.size(),
                                flags, collect_found, &found, &result_),
              VIGIL_OK);
    info_ = vigil_scan_info{};
    info_.struct_size = sizeof info_;
    EXPECT_EQ(vigil_scratch_get_scan_info(scratch_.get(), &info_), VIGIL_OK);
    return found;
  }

  static std::vector<std::string> named(const std::vector<Found>& found) {
    std::vector<std::string> out;
    for (const Found& f : found) out.push_back(f.name + "@" + f.path);
    std::sort(out.begin(), out.end());
    return out;
  }

  vigil_test::Load loaded_;
  vigil_test::Scratch scratch_;
  vigil_scan_result result_{};
  vigil_scan_info info_{};
};

TEST_F(FatMachO, EachSliceIsScannedAsAMachO) {
  const Bytes fat = build_fat({{0x1000, thin(kEpMarker)}, {0x3000, thin(kOther, 2)}}, 0x4400);
  const std::vector<std::string> want = {
      "Fat.Any@",             // the fat file's own bytes hold slice 1's
      "Fat.Any@slice-1",      //
      "Fat.Ep@slice-0",       // EP, S0 and EntryPoint are the slice's, not the fat file's
      "Fat.EpCond@slice-0",   //
      "Fat.InSlice@slice-0",  // Container:CL_TYPE_MACHO_UNIBIN: in a slice only
      "Fat.Sect@slice-0",     //
      "Fat.TopOnly@",         // CL_TYPE_ANY: not inside a container, so the fat file only
  };
  EXPECT_EQ(named(scan(fat)), want);
  EXPECT_EQ(result_.incomplete, 0u);
  EXPECT_EQ(info_.containers, 1u);
  EXPECT_EQ(info_.members, 2u);
  EXPECT_EQ(info_.broken, 0u);
  EXPECT_EQ(info_.max_depth, 1u);

  // A thin Mach-O is not a container; a fat one is not when containers are off.
  EXPECT_EQ(named(scan(thin(kEpMarker))),
            (std::vector<std::string>{"Fat.Ep@", "Fat.EpCond@", "Fat.Sect@", "Fat.TopOnly@"}));
  EXPECT_EQ(info_.containers, 0u);
  EXPECT_EQ(named(scan(fat, VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_NO_CONTAINERS)),
            (std::vector<std::string>{"Fat.Any@", "Fat.TopOnly@"}));
}

TEST_F(FatMachO, JavaClassAndHtmlAreNotFat) {
  // CAFEBABE with a class file's version (major 0x32) is Java: nothing to descend into.
  Bytes java = build_fat({{0x1000, thin(kEpMarker)}}, 0x2400);
  java[6] = 0, java[7] = 0x32;
  EXPECT_EQ(named(scan(java)), (std::vector<std::string>{"Fat.TopOnly@"}));
  EXPECT_EQ(info_.containers, 0u);
  // An HTML tag in the first 1024 bytes makes the file HTML, as ClamAV types it.
  Bytes html = build_fat({{0x1000, thin(kEpMarker)}}, 0x2400);
  const std::string tag = "<html>";
  std::copy(tag.begin(), tag.end(), html.begin() + 0x200);
  scan(html);
  EXPECT_EQ(info_.containers, 0u);
}

TEST_F(FatMachO, DamageIsCountedAndReportedWhenAsked) {
  const Bytes slice = thin(kEpMarker);
  struct Case {
    const char* what;
    Bytes file;
    std::vector<std::string> want;  // without the broken alert
    uint32_t members;
    std::string where;  // the alert's path: the slice found damaged, or the fat file's table
  };
  Bytes in_header = build_fat({{0x1000, slice}, {0x1000, slice}}, 0x2400);
  in_header[8 + 20 + 8 + 3] = 0x1c;  // second offset 0x1c: inside the 0x30-byte header
  in_header[8 + 20 + 8 + 2] = 0;
  const std::vector<std::string> slice0 = {"Fat.Ep@slice-0", "Fat.EpCond@slice-0",
                                           "Fat.InSlice@slice-0", "Fat.Sect@slice-0",
                                           "Fat.TopOnly@"};
  const std::vector<Case> cases = {
      {"slice past the end", build_fat({{0x1000, slice}, {0x9000, slice}}, 0x2400), slice0, 2,
       "slice-1"},
      {"slice cut by the end", build_fat({{0x1000, slice}}, 0x1c00), slice0, 1, "slice-0"},
      {"overlapping slices",
       build_fat({{0x1000, slice}, {0x1000, slice}}, 0x2400),
       {"Fat.Ep@slice-0", "Fat.Ep@slice-1", "Fat.EpCond@slice-0", "Fat.EpCond@slice-1",
        "Fat.InSlice@slice-0", "Fat.InSlice@slice-1", "Fat.Sect@slice-0", "Fat.Sect@slice-1",
        "Fat.TopOnly@"},
       2,
       "slice-1"},
      {"offset inside the header", in_header, slice0, 1, ""},
      {"table past the end", Bytes{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0x1F, 0, 0, 0, 0}, {}, 0, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(named(scan(c.file)), c.want);
    EXPECT_EQ(info_.broken, 1u);
    EXPECT_EQ(info_.members, c.members);
    EXPECT_GE(result_.incomplete, 1u);
    std::vector<std::string> alerted = c.want;
    alerted.push_back("Heuristics.Broken.Executable@" + c.where);
    std::sort(alerted.begin(), alerted.end());
    EXPECT_EQ(named(scan(c.file, VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_ALERT_BROKEN)), alerted);
  }
}

TEST_F(FatMachO, SlicesAreMembersUnderTheLimits) {
  const Bytes fat = build_fat({{0x1000, thin(kEpMarker)}, {0x3000, thin(kOther, 2)}}, 0x4400);
  vigil_scan_limits l{};
  l.struct_size = sizeof l;
  ASSERT_EQ(vigil_scan_limits_default(&l), VIGIL_OK);
  l.max_files = 1;
  ASSERT_EQ(vigil_scratch_set_limits(scratch_.get(), &l), VIGIL_OK);
  EXPECT_EQ(named(scan(fat)),
            (std::vector<std::string>{"Fat.Any@", "Fat.Ep@slice-0", "Fat.EpCond@slice-0",
                                      "Fat.InSlice@slice-0", "Fat.Sect@slice-0", "Fat.TopOnly@"}));
  EXPECT_EQ(info_.limits_exceeded, static_cast<uint32_t>(VIGIL_LIMIT_FILES));
  // A fat binary as a slice of a fat binary is one level deeper, and the recursion limit holds.
  const Bytes nested = build_fat({{0x100, fat}}, 0x4600);
  l.max_files = 0;
  l.max_recursion = 1;
  ASSERT_EQ(vigil_scratch_set_limits(scratch_.get(), &l), VIGIL_OK);
  scan(nested);
  EXPECT_EQ(info_.limits_exceeded, static_cast<uint32_t>(VIGIL_LIMIT_RECURSION));
  l.max_recursion = 2;
  ASSERT_EQ(vigil_scratch_set_limits(scratch_.get(), &l), VIGIL_OK);
  const std::vector<Found> found = scan(nested);
  EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const Found& f) {
    return f.name == "Fat.Ep" && f.path == "slice-0/slice-0";
  }));
  EXPECT_EQ(info_.max_depth, 2u);
}

// clamscan as the oracle: the same signatures over the same files, detection names counted.
bool have_clamscan() { return std::system("clamscan --version > /dev/null 2>&1") == 0; }

std::map<std::string, int> clamscan_counts(const std::string& dir, const std::string& file) {
  std::map<std::string, int> counts;
  const std::string cmd = "clamscan --no-summary --allmatch -d '" + dir + "/t.ndb' -d '" + dir +
                          "/t.ldb' '" + file + "' 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return counts;
  char line[4096];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    const std::string s(line);
    const size_t colon = s.rfind(": "), tail = s.rfind(".UNOFFICIAL FOUND");
    if (colon != std::string::npos && tail != std::string::npos && tail > colon) {
      ++counts[s.substr(colon + 2, tail - colon - 2)];
    }
  }
  ::pclose(p);
  return counts;
}

// Slices that share bytes are scanned, but only the first one holding them is opened: five
// levels of 31 slices over one nested fat binary would otherwise be 31^5 scans of it.
TEST_F(FatMachO, OverlappingSlicesAreNotOpenedAgain) {
  Bytes level = thin(kOther);
  for (int depth = 0; depth < 5; ++depth) {
    const std::vector<std::pair<uint32_t, Bytes>> same(31, {0x280, level});
    level = build_fat(same, 0x280 + level.size());
  }
  const std::vector<Found> found = scan(level);
  // Each level scans its 31 slices once: at most 31 x 6 copies of the (nearly) whole file.
  EXPECT_LE(info_.bytes_scanned, uint64_t{31} * 6 * level.size());
  EXPECT_EQ(info_.max_depth, 5u);
  auto has = [&found](const std::string& path) {
    return std::any_of(found.begin(), found.end(),
                       [&](const Found& f) { return f.name == "Fat.Any" && f.path == path; });
  };
  EXPECT_TRUE(has("slice-0/slice-0/slice-0/slice-0/slice-0"));  // the first slice is opened
  EXPECT_TRUE(has("slice-30"));           // a later one has its own bytes scanned...
  EXPECT_FALSE(has("slice-30/slice-0"));  // ...but is not opened
}

TEST_F(FatMachO, AgreesWithClamscan) {
  if (!have_clamscan()) GTEST_SKIP() << "clamscan not found: ClamAV conformance not checked";
  std::string dir = ::testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  dir += "vigil-fat-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/t.ndb") << kNdb;
  std::ofstream(dir + "/t.ldb") << kLdb;
  const Bytes slice = thin(kEpMarker);
  const std::vector<std::pair<std::string, Bytes>> files = {
      {"two", build_fat({{0x1000, slice}, {0x3000, thin(kOther, 2)}}, 0x4400)},
      {"past", build_fat({{0x1000, slice}, {0x9000, slice}}, 0x2400)},
      {"cut", build_fat({{0x1000, slice}}, 0x1c00)},
      {"overlap", build_fat({{0x1000, slice}, {0x1000, slice}}, 0x2400)},
      {"thin", slice},
  };
  for (const auto& [name, bytes] : files) {
    SCOPED_TRACE(name);
    const std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::map<std::string, int> ours;
    for (const Found& f : scan(bytes)) ++ours[f.name];
    const std::map<std::string, int> theirs = clamscan_counts(dir, path);
    EXPECT_FALSE(theirs.empty()) << "clamscan found nothing: did it run?";
    EXPECT_EQ(ours, theirs);
    std::remove(path.c_str());
  }
  std::remove((dir + "/t.ndb").c_str());
  std::remove((dir + "/t.ldb").c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
