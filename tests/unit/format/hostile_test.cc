// Malformed, truncated and hostile headers: every prefix of every sample, seeded byte mutations
// of the headers, and hand-made worst cases (counts and offsets at their maximum, sections past
// the end, more sections than the cap). None may crash or read out of bounds (the sanitizer
// build checks that); each must give a consistent ExeInfo or an error naming the problem.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "exe_builders.h"
#include "format/format.h"

namespace vigil::format {
namespace {

using testing::Bytes;

std::vector<std::pair<std::string, Bytes>> samples() {
  using testing::MachoBuilder;
  testing::PeSpec pe;
  pe.sections = {{0x180, 0x1000, 0x200, 0x400}, {0x200, 0x2000, 0x200, 0x600}};
  pe.ep = 0x1010;
  testing::PeSpec pe64 = pe;
  pe64.pe32plus = true;
  std::vector<std::pair<std::string, Bytes>> out = {{"PE32", build_pe(pe)},
                                                    {"PE32+", build_pe(pe64)}};
  for (bool is64 : {false, true}) {
    for (bool be : {false, true}) {
      testing::ElfSpec e;
      e.is64 = is64, e.big_endian = be, e.entry = 0x400310, e.size = 0xa00;
      e.phdrs = {{1, 0, 0x400000, 0x800, 0x800}};
      e.shdrs = {{0, 0, 0, 0}, {1, 0x300, 0x400300, 0x100}};
      out.push_back({std::string("ELF") + (is64 ? "64" : "32") + (be ? "BE" : "LE"), build_elf(e)});
    }
  }
  const std::vector<testing::MachoSection> text = {{0x1000, 0x400, 0x200}};
  const Bytes thin =
      MachoBuilder(false, true, testing::kCpuPpc).segment(text).thread(0x1010, 40, 4).build(0x600);
  out.push_back({"Mach-O 32", thin});
  out.push_back({"Mach-O 64", MachoBuilder(true, false, testing::kCpuPpc64)
                                  .segment(text)
                                  .thread(0x1010, 39, 8)
                                  .build(0x600)});
  out.push_back({"fat", testing::build_fat({{0x100, thin}}, 0x800)});
  return out;
}

// What any result must satisfy, whatever the input.
void check(const Bytes& b, size_t size, const std::string& what) {
  const TargetType type = identify(b.data(), size);
  auto r = parse_executable(b.data(), size);
  if (!r.is_ok()) {
    EXPECT_TRUE(r.status().code() == VIGIL_ERR_CORRUPT ||
                r.status().code() == VIGIL_ERR_UNSUPPORTED)
        << what;
    EXPECT_FALSE(r.status().message().empty()) << what;
    return;
  }
  const ExeInfo& info = r.value();
  EXPECT_EQ(info.kind, type) << what;  // parsed as what it is typed as
  EXPECT_TRUE(info.has_ep) << what;
  EXPECT_LE(info.sections.size(), kMaxSections) << what;
  if (info.kind == TargetType::kPe) {
    EXPECT_LT(info.ep, size) << what;  // clamscan maps nothing else
    for (const Section& s : info.sections) {
      EXPECT_LE(s.raw_size, size) << what;
      if (s.raw_size != 0) {
        EXPECT_LE(s.raw_offset + s.raw_size, size) << what;
      }
    }
  }
  if (info.ep_is_default) {
    EXPECT_EQ(info.ep, 0u) << what;
  }
}

TEST(Hostile, EveryPrefix) {
  for (const auto& [name, bytes] : samples()) {
    for (size_t n = 0; n <= bytes.size(); ++n) {
      // A copy of exactly n bytes, so that the sanitizer sees any read past them.
      Bytes prefix(bytes.begin(), bytes.begin() + n);
      check(prefix, n, name + " cut to " + std::to_string(n));
    }
  }
}

TEST(Hostile, MutatedHeaders) {
  std::mt19937 rng(20240611);
  for (const auto& [name, bytes] : samples()) {
    for (int round = 0; round < 3000; ++round) {
      Bytes b = bytes;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) {
        const size_t at = rng() % std::min<size_t>(b.size(), 0x300);
        switch (rng() % 4) {
          case 0:
            b[at] = static_cast<uint8_t>(rng());
            break;
          case 1:
            b[at] = 0xFF;
            break;
          case 2:
            b[at] = 0;
            break;
          default:
            b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
        }
      }
      check(b, b.size(), name + " mutation " + std::to_string(round));
    }
  }
}

common::Status status_of(const Bytes& b) {
  auto r = parse_executable(b.data(), b.size());
  return r.is_ok() ? common::Status::ok() : r.status();
}

TEST(Hostile, WorstCaseFields) {
  auto pe = samples()[0].second;
  // e_lfanew at its maximum.
  Bytes b = pe;
  b[0x3c] = b[0x3d] = b[0x3e] = b[0x3f] = 0xFF;
  EXPECT_NE(status_of(b).message().find("e_lfanew"), std::string::npos) << status_of(b).message();
  // 65535 sections declared in a small file.
  b = pe;
  b[0x86] = b[0x87] = 0xFF;
  EXPECT_EQ(status_of(b).code(), VIGIL_ERR_CORRUPT);

  // ELF table offsets whose sum with the table size overflows.
  testing::ElfSpec e;
  e.entry = 0x400000, e.phdrs = {{1, 0, 0x400000, 0x100, 0x100}};
  e.phoff = 0xFFFFFFFFFFFFFFC8ull;
  EXPECT_NE(status_of(build_elf(e)).message().find("program header table"), std::string::npos);
  e.phoff.reset(), e.shdrs = {{1, 0, 0, 0}}, e.shoff = 0x7FFFFFFFFFFFFFFFull;
  EXPECT_NE(status_of(build_elf(e)).message().find("section header table"), std::string::npos);
  // A load whose offset plus the entry point's distance overflows 64 bits.
  e = testing::ElfSpec{};
  e.entry = 0x10, e.phdrs = {{1, 0xFFFFFFFFFFFFFFF8ull, 0, 0x100, 0x100}};
  EXPECT_NE(status_of(build_elf(e)).message().find("overflows"), std::string::npos);

  // Mach-O: ncmds and nsects at their maximum.
  using testing::MachoBuilder;
  Bytes m =
      MachoBuilder(false, true, testing::kCpuPpc).segment({{0x1000, 0x10, 0}}).build(0x200, 1, -1);
  m[16] = m[17] = m[18] = m[19] = 0xFF;
  EXPECT_EQ(status_of(m).code(), VIGIL_ERR_CORRUPT);
  m = MachoBuilder(false, true, testing::kCpuPpc).segment({{0x1000, 0x10, 0}}).build(0x200);
  m[28 + 48] = m[28 + 49] = m[28 + 50] = m[28 + 51] = 0xFF;
  EXPECT_EQ(status_of(m).code(), VIGIL_ERR_CORRUPT);

  // A fat header whose architecture table runs past the end of the file.
  Bytes fat = {0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 0x1F, 0, 0, 0, 0};
  auto layout = macho_fat_slices(fat.data(), fat.size());
  ASSERT_TRUE(layout.is_ok()) << layout.status().message();
  EXPECT_TRUE(layout.value().slices.empty());
  EXPECT_NE(layout.value().damage.find("fat_arch"), std::string::npos) << layout.value().damage;
}

TEST(Hostile, MachOSectionCountIsCapped) {
  // One segment declaring (and holding) more sections than kMaxSections.
  const size_t n = kMaxSections + 1;
  std::vector<testing::MachoSection> many(n, testing::MachoSection{0x1000, 0x10, 0});
  const Bytes b = testing::MachoBuilder(false, false, testing::kCpuI386).segment(many).build(0);
  const common::Status s = status_of(b);
  EXPECT_EQ(s.code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(s.message().find("sections"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace vigil::format
