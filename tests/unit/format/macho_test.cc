// Mach-O parsing against what clamscan 1.4.6 maps (EP+0 / Sx+0 signatures and its --debug
// output on the same synthesized files): sections of every segment in order, the entry point
// from a PowerPC thread state only, the fixed thread-state sizes it steps over, and fat files,
// whose slices are scanned as Mach-O files of their own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exe_builders.h"
#include "format/format.h"

namespace vigil::format {
namespace {

using testing::Bytes;
using testing::MachoBuilder;
using testing::MachoSection;

const std::vector<MachoSection> kText = {{0x1000, 0x400, 0x800}, {0x1800, 0x200, 0x1000}};

common::Result<ExeInfo> parse(const Bytes& b) { return parse_executable(b.data(), b.size()); }

ExeInfo parse_ok(const Bytes& b) {
  auto r = parse(b);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? r.value() : ExeInfo{};
}

TEST(MachO, PowerPcThreadGivesTheEntryPoint) {
  for (bool big_endian : {true, false}) {
    ExeInfo info = parse_ok(MachoBuilder(false, big_endian, testing::kCpuPpc)
                                .segment(kText)
                                .thread(0x1010, 40, 4)
                                .build(0x1400));
    EXPECT_EQ(info.kind, TargetType::kMachO);
    EXPECT_FALSE(info.ep_is_default);
    EXPECT_EQ(info.ep, 0x810u);
    ASSERT_EQ(info.sections.size(), 2u);
    EXPECT_EQ(info.sections[0].raw_offset, 0x800u);
    EXPECT_EQ(info.sections[1].raw_offset, 0x1000u);
    EXPECT_EQ(info.sections[1].raw_size, 0x200u);
    EXPECT_EQ(info.sections[1].rva, 0x1800u);
  }
  // PowerPC 64 in a 64-bit file: srr0 is 64 bits.
  ExeInfo info = parse_ok(MachoBuilder(true, true, testing::kCpuPpc64)
                              .segment(kText)
                              .thread(0x1810, 39, 8)
                              .build(0x1400));
  EXPECT_EQ(info.ep, 0x1010u);
  // The register is as wide as the CPU's, not the file's: 32-bit PowerPC in a 64-bit file.
  info = parse_ok(MachoBuilder(true, true, testing::kCpuPpc)
                      .segment(kText)
                      .thread(0x1010, 40, 4)
                      .build(0x1400));
  EXPECT_EQ(info.ep, 0x810u);
}

TEST(MachO, OtherEntryPointsAreOffsetZero) {
  // clamscan reads no entry point from an x86, x86-64 or ARM thread, nor from LC_MAIN.
  Bytes lc_main(24, 0);
  lc_main[0] = 0x28, lc_main[3] = 0x80, lc_main[4] = 24, lc_main[8] = 0x10;
  const Bytes samples[] = {
      MachoBuilder(false, false, testing::kCpuI386)
          .segment(kText)
          .thread(0x1010, 16, 4)
          .build(0x1400),
      MachoBuilder(true, false, testing::kCpuX86_64)
          .segment(kText)
          .thread(0x1010, 21, 8)
          .build(0x1400),
      MachoBuilder(true, false, testing::kCpuArm64).segment(kText).raw(lc_main).build(0x1400),
      MachoBuilder(true, true, testing::kCpuPpc64).segment(kText).build(0x1400),
  };
  for (const Bytes& b : samples) {
    const ExeInfo info = parse_ok(b);
    EXPECT_TRUE(info.has_ep);
    EXPECT_TRUE(info.ep_is_default);
    EXPECT_EQ(info.ep, 0u);
    EXPECT_EQ(info.sections.size(), 2u);
  }
}

TEST(MachO, WhichSectionAndWhichThread) {
  // Overlapping sections: the first holding the entry point wins; two threads: the last wins.
  ExeInfo info = parse_ok(MachoBuilder(false, true, testing::kCpuPpc)
                              .segment({{0x1000, 0x400, 0x800}, {0x1000, 0x400, 0x400}})
                              .thread(0x1020, 40, 4)
                              .thread(0x1010, 40, 4)
                              .build(0x1400));
  EXPECT_EQ(info.ep, 0x810u);
  // Sections of several segments count in order.
  info = parse_ok(MachoBuilder(false, true, testing::kCpuPpc)
                      .segment({kText[0]})
                      .segment({kText[1], {0x2000, 0x100, 0x1200}})
                      .thread(0x2010, 40, 4)
                      .build(0x1400));
  ASSERT_EQ(info.sections.size(), 3u);
  EXPECT_EQ(info.sections[2].raw_offset, 0x1200u);
  EXPECT_EQ(info.ep, 0x1210u);
}

TEST(MachO, ThreadStatesHaveTheirCpusFixedSize) {
  // clamscan steps over 160 bytes of PowerPC state whatever cmdsize says: with 64 more bytes
  // declared, the segment after the thread is not where clamscan reads, and is not counted.
  Bytes thread = MachoBuilder(false, true, testing::kCpuPpc).thread(0x1010, 40, 4).build(0);
  thread.erase(thread.begin(), thread.begin() + 28);  // keep only the command
  thread[7] = static_cast<uint8_t>(thread[7] + 64);
  thread.resize(thread.size() + 64, 0);
  ExeInfo info = parse_ok(MachoBuilder(false, true, testing::kCpuPpc)
                              .segment({kText[0]})
                              .raw(thread)
                              .segment({kText[1]})
                              .build(0x1400));
  EXPECT_EQ(info.ep, 0x810u);
  EXPECT_EQ(info.sections.size(), 1u);
  // With the exact size the second segment counts.
  info = parse_ok(MachoBuilder(false, true, testing::kCpuPpc)
                      .segment({kText[0]})
                      .thread(0x1010, 40, 4)
                      .segment({kText[1]})
                      .build(0x1400));
  EXPECT_EQ(info.sections.size(), 2u);
  // A state cut short by the end of the file is an error.
  const Bytes whole = MachoBuilder(false, true, testing::kCpuPpc)
                          .segment({kText[0]})
                          .thread(0x1010, 40, 4)
                          .build(0x100);
  const size_t cut = 28 + 56 + 68 + 16 + 100;
  auto r = parse_executable(whole.data(), cut);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("thread state"), std::string::npos) << r.status().message();
}

TEST(MachO, LoadCommandSizes) {
  // A segment's cmdsize is ignored (its sections are read back to back), another command's
  // cmdsize of 0 moves on by 8 bytes, and the last command may claim to end past the file.
  Bytes seg = MachoBuilder(false, true, testing::kCpuPpc).segment(kText).build(0);
  seg.erase(seg.begin(), seg.begin() + 28);
  seg[7] = 20;
  Bytes empty(8, 0);
  empty[3] = 0x2;  // LC_SYMTAB with cmdsize 0
  Bytes tail(16, 0);
  tail[3] = 0x77, tail[4] = 0x7f;  // an unknown command claiming 2 GiB
  ExeInfo info = parse_ok(MachoBuilder(false, true, testing::kCpuPpc)
                              .raw(seg)
                              .raw(empty)
                              .thread(0x1010, 40, 4)
                              .raw(tail)
                              .build(0x1400));
  EXPECT_EQ(info.ep, 0x810u);
  EXPECT_EQ(info.sections.size(), 2u);
}

TEST(MachO, RefusedHeaders) {
  auto error_of = [](const Bytes& b) {
    auto r = parse(b);
    if (r.is_ok()) return std::string("(parsed)");
    EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
    return r.status().message();
  };
  EXPECT_NE(error_of(MachoBuilder(false, true, testing::kCpuPpc)
                         .segment(kText)
                         .thread(0x9000, 40, 4)
                         .build(0x1400))
                .find("in no section"),
            std::string::npos);
  EXPECT_NE(error_of(MachoBuilder(false, true, testing::kCpuPpc)
                         .segment({{0x1000, 0x400, 0x800, 32}})
                         .build(0x1400))
                .find("alignment"),
            std::string::npos);
  EXPECT_EQ(error_of(MachoBuilder(false, true, testing::kCpuPpc)
                         .segment({{0x1000, 0x400, 0x800, 31}})
                         .build(0x1400)),
            "(parsed)");
  // More commands than the file holds: whatever the bytes after the real ones say, reading runs
  // into the end of the file.
  EXPECT_NE(
      error_of(MachoBuilder(false, true, testing::kCpuPpc).segment(kText).build(0x200, 1, 100000)),
      "(parsed)");
}

TEST(MachOFat, SlicesAreParsedOnTheirOwn) {
  const Bytes thin = MachoBuilder(false, true, testing::kCpuPpc)
                         .segment(kText)
                         .thread(0x1010, 40, 4)
                         .build(0x1400);
  const Bytes fat = testing::build_fat({{0x1000, thin}, {0x3000, thin}}, 0x4000);
  EXPECT_EQ(identify(fat.data(), fat.size()), TargetType::kMachO);
  auto whole = parse(fat);
  ASSERT_FALSE(whole.is_ok());
  EXPECT_EQ(whole.status().code(), VIGIL_ERR_UNSUPPORTED);
  auto layout = macho_fat_slices(fat.data(), fat.size());
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  const std::vector<FatSlice>& slices = layout.value().slices;
  ASSERT_EQ(slices.size(), 2u);
  EXPECT_EQ(layout.value().damage, "");
  EXPECT_EQ(slices[0].offset, 0x1000u);
  EXPECT_EQ(slices[0].size, thin.size());
  EXPECT_EQ(slices[0].declared, thin.size());
  EXPECT_EQ(slices[1].offset, 0x3000u);
  EXPECT_EQ(slices[1].size, 0x1000u);  // cut at the end of the file
  EXPECT_EQ(slices[1].declared, thin.size());
  EXPECT_EQ(slices[1].overlaps, -1);
  const FatSlice s = slices[0];
  const ExeInfo info = parse_ok(Bytes(fat.begin() + s.offset, fat.begin() + s.offset + s.size));
  EXPECT_EQ(info.ep, 0x810u);  // relative to the slice
}

TEST(MachOFat, SliceRules) {
  const Bytes thin = MachoBuilder(false, true, testing::kCpuPpc).segment(kText).build(0x400);
  // Past the end: kept with no bytes, so that a scan can say what it missed.
  Bytes fat = testing::build_fat({{0x800, thin}, {0x9000, thin}}, 0x1000);
  auto layout = macho_fat_slices(fat.data(), fat.size());
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  ASSERT_EQ(layout.value().slices.size(), 2u);
  EXPECT_EQ(layout.value().slices[1].size, 0u);
  EXPECT_EQ(layout.value().slices[1].declared, thin.size());
  // Overlapping slices are both kept, the later one naming the earlier.
  fat = testing::build_fat({{0x800, thin}, {0x100, thin}, {0xA00, thin}}, 0x1000);
  layout = macho_fat_slices(fat.data(), fat.size());
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  ASSERT_EQ(layout.value().slices.size(), 3u);
  EXPECT_EQ(layout.value().slices[0].overlaps, -1);
  EXPECT_EQ(layout.value().slices[1].overlaps, -1);  // [0x100, 0x500) touches neither
  EXPECT_EQ(layout.value().slices[2].overlaps, 0);
  // Inside the fat header: the table ends there, the slices before it kept (as clamscan scans
  // them before it stops at "Invalid fat offset").
  fat = testing::build_fat({{0x800, thin}, {0x1c, Bytes{}}, {0x900, thin}}, 0x1000);
  layout = macho_fat_slices(fat.data(), fat.size());
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  EXPECT_EQ(layout.value().slices.size(), 1u);
  EXPECT_EQ(layout.value().damage,
            "Mach-O fat: architecture 1: offset 0x1c is inside the fat header (0x44 bytes)");
  // A Java class (CAFEBABE, version 0x32) is not a fat binary, and neither is one whose first
  // 1024 bytes hold an HTML tag.
  const std::string java("\xCA\xFE\xBA\xBE\0\0\0\x32 and more", 17);
  auto slices = macho_fat_slices(reinterpret_cast<const uint8_t*>(java.data()), java.size());
  EXPECT_EQ(slices.status().code(), VIGIL_ERR_UNSUPPORTED);
  EXPECT_FALSE(
      parse_executable(reinterpret_cast<const uint8_t*>(java.data()), java.size()).is_ok());
  fat = testing::build_fat({{0x800, thin}}, 0x1000);
  const std::string tag = "<html>";
  std::copy(tag.begin(), tag.end(), fat.begin() + 0x300);
  EXPECT_EQ(macho_fat_slices(fat.data(), fat.size()).status().code(), VIGIL_ERR_UNSUPPORTED);
}

}  // namespace
}  // namespace vigil::format
