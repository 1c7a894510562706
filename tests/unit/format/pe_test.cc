// PE parsing against what clamscan 1.4.6 maps (its --debug "Section data" / "EntryPoint offset"
// lines and EP+0 / Sx+0 signatures on the same synthesized files): raw pointer and size
// alignment, the 0x200 fallback, cutting at the end of the file, the entry point in the headers
// or in the last section holding it, and each header clamscan refuses to map at all.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "exe_builders.h"
#include "format/format.h"

namespace vigil::format {
namespace {

using testing::build_pe;
using testing::PeSection;
using testing::PeSpec;

struct PeCase {
  const char* name;
  PeSpec spec;
  uint64_t ep;                                     // when no error is expected
  std::vector<std::pair<uint64_t, uint64_t>> raw;  // raw_offset, raw_size per section
  const char* error = nullptr;                     // a part of the expected message
};

const std::vector<PeSection> kThree = {
    {0x180, 0x1000, 0x200, 0x400}, {0x200, 0x2000, 0x200, 0x600}, {0x100, 0x3000, 0x200, 0x800}};
const std::vector<std::pair<uint64_t, uint64_t>> kThreeRaw = {
    {0x400, 0x200}, {0x600, 0x200}, {0x800, 0x200}};

PeSpec spec(std::vector<PeSection> sections, uint32_t ep) {
  PeSpec s;
  s.sections = std::move(sections);
  s.ep = ep;
  return s;
}
template <typename F>
PeSpec with(PeSpec s, F change) {
  change(s);
  return s;
}

std::vector<PeCase> cases() {
  return {
      {"PE32", spec(kThree, 0x1010), 0x410, kThreeRaw},
      {"PE32+", with(spec(kThree, 0x1010), [](PeSpec& s) { s.pe32plus = true; }), 0x410, kThreeRaw},
      {"raw pointer rounds down to FileAlignment",
       spec({kThree[0], {0x200, 0x2000, 0x200, 0x610}, kThree[2]}, 0x2010), 0x610, kThreeRaw},
      {"FileAlignment 0x40",
       with(spec({{0x200, 0x2000, 0x200, 0x5f5}}, 0x2010), [](PeSpec& s) { s.file_align = 0x40; }),
       0x5d0,
       {{0x5c0, 0x200}}},
      {"FileAlignment 0x30 rounds by division",
       with(spec({{0x100, 0x3000, 0x100, 0x410}}, 0x3000),
            [](PeSpec& s) { s.file_align = 0x30, s.headers_size = 0x200, s.size = 0x1600; }),
       0x3f0,
       {{0x3f0, 0x120}}},
      {"a raw pointer on 0x200 but not on FileAlignment makes 0x200 the alignment",
       with(spec({{0x100, 0x1000, 0x100, 0x5f5}, {0x100, 0x2000, 0x100, 0x800}}, 0x1000),
            [](PeSpec& s) { s.file_align = 0x30, s.headers_size = 0x200, s.size = 0x1600; }),
       0x400,
       {{0x400, 0x200}, {0x800, 0x200}}},
      {"the fallback ignores sections without raw data",
       with(spec({{0x1000, 0x1010, 0, 0x400}, {0x300, 0x1210, 0x201, 0x570}}, 0x10d4),
            [](PeSpec& s) { s.file_align = 0x30, s.size = 0x1800; }),
       0x644,
       {{0x3f0, 0}, {0x570, 0x210}}},
      {"FileAlignment 0 aligns nothing",
       with(spec({{0x300, 0x1000, 0x150, 0x5f5}}, 0x1148), [](PeSpec& s) { s.file_align = 0; }),
       0x73d,
       {{0x5f5, 0x150}}},
      {"raw size rounds up to FileAlignment",
       with(spec({{0x300, 0x1000, 0x150, 0x400}}, 0x11f8), [](PeSpec& s) { s.size = 0x800; }),
       0x5f8,
       {{0x400, 0x200}}},
      {"raw data is cut at the end of the file and the entry point falls to an earlier section",
       with(spec({{0x100, 0x1010, 0x400, 0x5ef}, {0x300, 0x1010, 0x200, 0x7f0}}, 0x10d2),
            [](PeSpec& s) { s.file_align = 0x30, s.section_align = 0, s.size = 0x800; }),
       0x692,
       {{0x5d0, 0x230}, {0x7e0, 0x20}}},
      {"VirtualAddress rounds down to SectionAlignment by division",
       with(spec({{0x180, 0x1010, 0x200, 0x400}}, 0x1020),
            [](PeSpec& s) { s.section_align = 0x30; }),
       0x430,
       {{0x400, 0x200}}},
      {"entry point in the headers", spec(kThree, 0x300), 0x300, kThreeRaw},
      {"entry point below SizeOfHeaders rounded to SectionAlignment", spec(kThree, 0x900), 0x900,
       kThreeRaw},
      {"the headers win over a section holding the entry point",
       with(spec({{0x180, 0x1000, 0x200, 0x400}}, 0x1010),
            [](PeSpec& s) { s.headers_size = 0x2000; }),
       0x1010,
       {{0x400, 0x200}}},
      {"the last section holding the entry point wins",
       spec({{0x200, 0x1000, 0x200, 0x400},
             {0x200, 0x1000, 0x200, 0x600},
             {0x200, 0x1000, 0x200, 0x800}},
            0x1010),
       0x810, kThreeRaw},
      {"a section past the end of the file is counted, unchecked, without raw data",
       with(spec({{0x180, 0x1000, 0x200, 0x400}, {0x200, 0x80000000, 0x200, 0x2000}}, 0x1010),
            [](PeSpec& s) { s.size = 0x800; }),
       0x410,
       {{0x400, 0x200}, {0x2000, 0}}},
      {"SizeOfHeaders rounded up wraps to 0 in 32 bits",
       with(spec(kThree, 0x1010), [](PeSpec& s) { s.headers_size = 0xfffff001, s.size = 0xa00; }),
       0x410, kThreeRaw},
      {"a SizeOfRawData of 4 GiB - 512 is cut",
       with(spec({kThree[0], {0x200, 0x4000, 0xfffffe00, 0x600}}, 0x1010),
            [](PeSpec& s) { s.size = 0x800; }),
       0x410,
       {{0x400, 0x200}, {0x600, 0x200}}},
      {"PE32+ with no data directories",
       with(spec(kThree, 0x1010),
            [](PeSpec& s) { s.pe32plus = true, s.opt_size = 0x70, s.rva_count = 0; }),
       0x410, kThreeRaw},
      // Headers clamscan refuses: nothing is mapped, so these are errors.
      {"no sections",
       with(spec({}, 0x200), [](PeSpec& s) { s.size = 0x800; }),
       0,
       {},
       "NumberOfSections"},
      {"entry point between sections", spec(kThree, 0x1300), 0, {}, "AddressOfEntryPoint"},
      {"entry point past a section's raw data",
       spec({{0x800, 0x1000, 0x200, 0x400}, kThree[1]}, 0x1300),
       0,
       {},
       "AddressOfEntryPoint"},
      {"entry point past the raw data cut at the end of the file",
       with(spec({{0x200, 0x1000, 0x400, 0x400}}, 0x1300), [](PeSpec& s) { s.size = 0x600; }),
       0,
       {},
       "AddressOfEntryPoint"},
      {"entry point in the headers past the end of the file",
       with(spec({{0x200, 0x3000, 0x200, 0x400}}, 0x1000),
            [](PeSpec& s) { s.headers_size = 0x2000, s.size = 0x800; }),
       0,
       {},
       "past the end of the file"},
      {"headers end before the entry point",
       with(spec({{0x200, 0x1000, 0x200, 0x400}}, 0x500),
            [](PeSpec& s) { s.section_align = 0x200, s.size = 0x800; }),
       0,
       {},
       "AddressOfEntryPoint"},
      {"every section past the end of the file",
       with(spec({{0x100, 0x1000, 0x200, 0x1000}}, 0x100), [](PeSpec& s) { s.size = 0x800; }),
       0,
       {},
       "every section"},
      {"VirtualAddress of 2 GiB",
       spec({kThree[0], {0x200, 0x80000000, 0x200, 0x600}}, 0x1010),
       0,
       {},
       "2 GiB"},
      {"VirtualSize of 2 GiB",
       spec({kThree[0], {0x80000000, 0x4000, 0x200, 0x600}}, 0x1010),
       0,
       {},
       "2 GiB"},
      {"SizeOfRawData wrapping to 0",
       spec({kThree[0], {0x200, 0x4000, 0xffffff00, 0x600}}, 0x1010),
       0,
       {},
       "wraps to 0"},
      {"optional header without room for its data directories",
       with(spec(kThree, 0x1010), [](PeSpec& s) { s.opt_size = 0xd8; }),
       0,
       {},
       "SizeOfOptionalHeader"},
      {"PE32+ optional header below its fixed part",
       with(spec(kThree, 0x1010),
            [](PeSpec& s) { s.pe32plus = true, s.opt_size = 0x68, s.rva_count = 0; }),
       0,
       {},
       "SizeOfOptionalHeader"},
      {"e_lfanew past the end",
       with(spec(kThree, 0x1010), [](PeSpec& s) { s.lfanew = 0x5000; }),
       0,
       {},
       "e_lfanew"},
      {"section table past the end",
       with(spec(kThree, 0x1010), [](PeSpec& s) { s.nsections = 0xffff; }),
       0,
       {},
       "section"},
  };
}

class Pe : public ::testing::TestWithParam<PeCase> {};

TEST_P(Pe, MapsLikeClamscan) {
  const PeCase& c = GetParam();
  const testing::Bytes file = build_pe(c.spec);
  auto r = parse_executable(file.data(), file.size());
  if (c.error != nullptr) {
    ASSERT_FALSE(r.is_ok()) << c.name << ": got ep " << r.value().ep;
    EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT) << c.name;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.name << ": " << r.status().message();
    return;
  }
  ASSERT_TRUE(r.is_ok()) << c.name << ": " << r.status().message();
  const ExeInfo& info = r.value();
  EXPECT_EQ(info.kind, TargetType::kPe);
  EXPECT_TRUE(info.has_ep);
  EXPECT_FALSE(info.ep_is_default);
  EXPECT_EQ(info.ep, c.ep) << c.name;
  ASSERT_EQ(info.sections.size(), c.raw.size()) << c.name;
  for (size_t i = 0; i < c.raw.size(); ++i) {
    EXPECT_EQ(info.sections[i].raw_offset, c.raw[i].first) << c.name << " section " << i;
    EXPECT_EQ(info.sections[i].raw_size, c.raw[i].second) << c.name << " section " << i;
    EXPECT_EQ(info.sections[i].vsize, c.spec.sections[i].vsize) << c.name << " section " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Pe, ::testing::ValuesIn(cases()));

TEST(Pe, SectionRvaIsTheAlignedVirtualAddress) {
  auto file = build_pe(spec(kThree, 0x1010));
  auto r = parse_executable(file.data(), file.size());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().sections[1].rva, 0x2000u);
}

TEST(Pe, CountsEverySectionTheHeaderDeclares) {
  std::vector<PeSection> many;
  for (uint32_t i = 0; i < 200; ++i)
    many.push_back({0x10, 0x1000 + i * 0x1000, 0x10, 0x2000 + i * 0x10});
  PeSpec s = spec(many, 0x1000 + 150 * 0x1000 + 4);
  s.file_align = 0x10, s.headers_size = 0x2000;
  auto file = build_pe(s);
  auto r = parse_executable(file.data(), file.size());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().sections.size(), 200u);
  EXPECT_EQ(r.value().ep, 0x2000u + 150 * 0x10 + 4);
}

TEST(Pe, ELfanewZeroFindsNoPeSignature) {
  auto file = build_pe(spec(kThree, 0x1010));
  file[0x3c] = file[0x3d] = file[0x3e] = file[0x3f] = 0;
  auto r = parse_executable(file.data(), file.size());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(r.status().message().find("PE signature"), std::string::npos) << r.status().message();
}

TEST(Pe, NotAnMzFileIsUnsupported) {
  const std::string text = "just some text";
  auto r = parse_executable(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_UNSUPPORTED);
  EXPECT_FALSE(parse_executable(nullptr, 0).is_ok());
}

}  // namespace
}  // namespace vigil::format
