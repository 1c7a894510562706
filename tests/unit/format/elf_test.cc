// ELF parsing against what clamscan 1.4.6 maps (EP+0 and Sx+0 signatures on the same synthesized
// files): section headers as sections, the entry point through the first program header of any
// type holding it, in both word sizes and byte orders, and the headers it refuses.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "exe_builders.h"
#include "format/format.h"

namespace vigil::format {
namespace {

using testing::build_elf;
using testing::ElfPhdr;
using testing::ElfSpec;

constexpr uint32_t kLoad = 1, kNote = 4, kProgbits = 1, kNobits = 8;

// Two loads; section 1's address would map the entry point elsewhere than the program header
// does (0x400310 is 0x310 through the load, 0x360 through the section).
ElfSpec standard(bool is64, bool big_endian) {
  ElfSpec s;
  s.is64 = is64, s.big_endian = big_endian, s.entry = 0x400310;
  s.phdrs = {{kLoad, 0x0, 0x400000, 0x800, 0x800}, {kLoad, 0x800, 0x600800, 0x400, 0x600}};
  s.shdrs = {{0, 0, 0, 0},
             {kProgbits, 0x350, 0x400300, 0x100},
             {kProgbits, 0x500, 0x400500, 0x200},
             {kProgbits, 0x900, 0x600900, 0x80}};
  return s;
}

ExeInfo parse_ok(const ElfSpec& spec) {
  const testing::Bytes file = build_elf(spec);
  auto r = parse_executable(file.data(), file.size());
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? r.value() : ExeInfo{};
}

std::string parse_error(const ElfSpec& spec) {
  const testing::Bytes file = build_elf(spec);
  auto r = parse_executable(file.data(), file.size());
  if (r.is_ok()) return "(parsed, ep " + std::to_string(r.value().ep) + ")";
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  return r.status().message();
}

class ElfVariants : public ::testing::TestWithParam<std::pair<bool, bool>> {};

TEST_P(ElfVariants, EntryPointThroughProgramHeadersSectionsFromSectionHeaders) {
  const auto [is64, big_endian] = GetParam();
  const ExeInfo info = parse_ok(standard(is64, big_endian));
  EXPECT_EQ(info.kind, TargetType::kElf);
  EXPECT_TRUE(info.has_ep);
  EXPECT_FALSE(info.ep_is_default);
  EXPECT_EQ(info.ep, 0x310u);
  ASSERT_EQ(info.sections.size(), 4u);  // the null section 0 counts
  const uint64_t offsets[] = {0, 0x350, 0x500, 0x900};
  const uint64_t sizes[] = {0, 0x100, 0x200, 0x80};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(info.sections[i].raw_offset, offsets[i]) << i;
    EXPECT_EQ(info.sections[i].raw_size, sizes[i]) << i;
    EXPECT_EQ(info.sections[i].vsize, sizes[i]) << i;
  }
  EXPECT_EQ(info.sections[1].rva, 0x400300u);
}

INSTANTIATE_TEST_SUITE_P(Elf, ElfVariants,
                         ::testing::Values(std::pair{true, false}, std::pair{true, true},
                                           std::pair{false, false}, std::pair{false, true}));

TEST(Elf, EntryPointRules) {
  ElfSpec s = standard(true, false);
  s.entry = 0x600d00;  // past p_filesz, within p_memsz (.bss): still mapped
  EXPECT_EQ(parse_ok(s).ep, 0xd00u);
  s = standard(true, false);
  s.phdrs[0].type = kNote;  // any program header type maps
  EXPECT_EQ(parse_ok(s).ep, 0x310u);
  s = standard(false, false);
  s.phdrs = {{kLoad, 0x0, 0x400000, 0x800, 0x800}, {kLoad, 0x100, 0x400000, 0x800, 0x800}};
  EXPECT_EQ(parse_ok(s).ep, 0x310u);  // the first one holding it wins
  s = standard(true, false);
  s.phdrs[1].memsz = 0x2000, s.entry = 0x601900;  // maps past the end of the file: kept
  EXPECT_EQ(parse_ok(s).ep, 0x1900u);
  s = standard(true, false);
  s.phdrs[0].memsz = 0x311;  // one byte of room is enough
  EXPECT_EQ(parse_ok(s).ep, 0x310u);
}

TEST(Elf, WithoutProgramHeadersTheEntryPointIsOffsetZero) {
  ElfSpec s = standard(true, false);
  s.phdrs.clear();
  const ExeInfo info = parse_ok(s);
  EXPECT_TRUE(info.has_ep);
  EXPECT_TRUE(info.ep_is_default);
  EXPECT_EQ(info.ep, 0u);
  EXPECT_EQ(info.sections.size(), 4u);
}

TEST(Elf, SectionsAsDeclared) {
  ElfSpec s = standard(true, false);
  s.shdrs.clear();  // no section headers: an entry point and no sections
  ExeInfo info = parse_ok(s);
  EXPECT_EQ(info.ep, 0x310u);
  EXPECT_TRUE(info.sections.empty());
  s = standard(true, false);
  s.shdrs.push_back({kNobits, 0xa00, 0x600c00, 0x100});     // SHT_NOBITS counts
  s.shdrs.push_back({kProgbits, 0x5000, 0x601000, 0x100});  // past the end of the file counts
  info = parse_ok(s);
  ASSERT_EQ(info.sections.size(), 6u);
  EXPECT_EQ(info.sections[4].raw_offset, 0xa00u);
  EXPECT_EQ(info.sections[5].raw_offset, 0x5000u);
}

TEST(Elf, RefusedHeaders) {
  struct Bad {
    const char* name;
    void (*change)(ElfSpec&);
    const char* error;
  };
  const Bad bad[] = {
      {"EI_CLASS 3", [](ElfSpec& s) { s.elf_class = 3; }, "EI_CLASS"},
      {"EI_DATA 3", [](ElfSpec& s) { s.data = 3; }, "EI_DATA"},
      {"program header size", [](ElfSpec& s) { s.phentsize = 40; }, "e_phentsize"},
      {"section header size", [](ElfSpec& s) { s.shentsize = 40; }, "e_shentsize"},
      {"program headers past the end", [](ElfSpec& s) { s.phnum = 0xffff; },
       "program header table"},
      {"section headers past the end", [](ElfSpec& s) { s.shnum = 0xffff; },
       "section header table"},
      {"entry point in no program header", [](ElfSpec& s) { s.entry = 0x500000; }, "e_entry"},
      {"entry point at the end of p_memsz",
       [](ElfSpec& s) {
         s.phdrs = {{kLoad, 0x0, 0x400000, 0x800, 0x310}};
       },
       "e_entry"},
  };
  for (const Bad& b : bad) {
    ElfSpec s = standard(true, false);
    b.change(s);
    const std::string message = parse_error(s);
    EXPECT_NE(message.find(b.error), std::string::npos) << b.name << ": " << message;
  }
}

TEST(Elf, TruncatedHeaderNamesTheField) {
  const testing::Bytes file = build_elf(standard(true, false));
  auto r = parse_executable(file.data(), 30);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(r.status().message().find("e_entry"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace vigil::format
