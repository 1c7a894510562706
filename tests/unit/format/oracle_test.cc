// Conformance with the real ClamAV: when clamscan is installed, seeded samples are typed and
// parsed here and by clamscan, and must agree. Typing: each sample holds a marker and one
// signature per target type looks for it; the type identify_file() gives must be among those
// clamscan matched (kAny: none but target 0). Executables: signatures anchored at our entry
// point, first and last section (EP+0, S0+0, SL+0) must match, the same bytes one byte further
// must not, and logical signatures with our EntryPoint and NumberOfSections must match.
// Skipped, with a message, where clamscan is not found.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "exe_builders.h"
#include "format/format.h"

namespace vigil::format {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;

const std::string kMarker = "vgmkzq";

std::string hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

// prefix + n ("T3"), built without operator+(const char*, std::string&&), which GCC 12 warns
// about wrongly (-Wrestrict).
std::string numbered(const char* prefix, size_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

bool have_clamscan() { return std::system("clamscan --version > /dev/null 2>&1") == 0; }

// Runs clamscan over dir with the given databases; file name -> signature names found.
std::map<std::string, std::set<std::string>> clamscan(const fs::path& dir,
                                                      const std::vector<fs::path>& dbs) {
  std::string cmd = "clamscan --no-summary --allmatch";
  for (const fs::path& db : dbs) cmd += " -d '" + db.string() + "'";
  cmd += " '" + (dir / "samples").string() + "' 2>/dev/null";
  std::map<std::string, std::set<std::string>> found;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return found;
  char line[4096];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::string s(line);
    const size_t colon = s.rfind(": "), tail = s.rfind(".UNOFFICIAL FOUND");
    if (colon == std::string::npos || tail == std::string::npos || tail < colon) continue;
    found[fs::path(s.substr(0, colon)).filename().string()].insert(
        s.substr(colon + 2, tail - colon - 2));
  }
  ::pclose(p);
  return found;
}

class Oracle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_clamscan()) GTEST_SKIP() << "clamscan not found: ClamAV conformance not checked";
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    std::string tmpl = base + "vigil-format-oracle-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ / "samples");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  void add_sample(const std::string& name, const Bytes& b) {
    std::ofstream(dir_ / "samples" / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  fs::path dir_;
};

Bytes typing_sample(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {"<html>",
                                                  "<HTML>",
                                                  "<hTml>",
                                                  "<head>",
                                                  "<script",
                                                  "<Script",
                                                  "<sCript",
                                                  "<iframe",
                                                  "<Iframe",
                                                  "<table",
                                                  "<img",
                                                  "<Object",
                                                  "<a ",
                                                  "<A ",
                                                  "href",
                                                  "HREF",
                                                  "hReF",
                                                  "%PDF-1.",
                                                  "%pdf-2.",
                                                  "%PDF-1",
                                                  std::string(1, '\0'),
                                                  std::string(2, '\0'),
                                                  std::string(4, '\0'),
                                                  "\x01",
                                                  "\x0b",
                                                  "\x7f",
                                                  "\xff\xfe",
                                                  "\xfe\xff",
                                                  "\n",
                                                  "text",
                                                  "MZ",
                                                  "From ",
                                                  "GIF89a",
                                                  std::string("\0\x01", 2)};
  static const std::vector<std::string> heads = {"",
                                                 "",
                                                 "",
                                                 "MZ",
                                                 "\x7F\x45LF",
                                                 "GIF8",
                                                 "From ",
                                                 "%PDF-",
                                                 "\xff\xfe",
                                                 "BM",
                                                 "MM",
                                                 std::string("\xCA\xFE\xBA\xBE\0\0\0\x1F", 8),
                                                 std::string("\xCA\xFE\xBA\xBE\0\0\0\x20", 8),
                                                 std::string("\0\0", 2)};
  static const std::vector<std::string> fillers = {"x", "ab ", std::string(1, '\0'), "\x01\x02",
                                                   ""};
  std::string s = heads[rng() % heads.size()];
  const size_t sizes[] = {20, 200, 1000, 1020, 1100, 3000};
  const size_t length = sizes[rng() % 6];
  const std::string& filler = fillers[rng() % fillers.size()];
  while (s.size() < length) {
    if (rng() % 100 < 15) {
      s += pieces[rng() % pieces.size()];
    } else {
      s += filler.empty() ? std::string(1, static_cast<char>(rng())) : filler;
    }
  }
  s.insert(rng() % (s.size() + 1), kMarker);
  return Bytes(s.begin(), s.end());
}

TEST_F(Oracle, TypingAgreesWithClamscan) {
  std::mt19937 rng(7);
  std::string ndb;
  for (int t : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12}) {
    ndb += numbered("T", t) + ":" + std::to_string(t) +
           ":*:" + hex(reinterpret_cast<const uint8_t*>(kMarker.data()), kMarker.size()) + "\n";
  }
  write(dir_ / "types.ndb", ndb);
  std::map<std::string, Bytes> samples;
  for (int i = 0; i < 200; ++i) {
    const std::string name = numbered("t", i);
    samples[name] = typing_sample(rng);
    add_sample(name, samples[name]);
  }
  auto found = clamscan(dir_, {dir_ / "types.ndb"});
  ASSERT_FALSE(found.empty()) << "clamscan reported nothing";
  for (const auto& [name, bytes] : samples) {
    const TargetType ours = identify_file(bytes.data(), bytes.size());
    const std::set<std::string>& theirs = found[name];
    if (ours == TargetType::kAny) {
      EXPECT_EQ(theirs, std::set<std::string>{"T0"}) << name;
    } else {
      EXPECT_EQ(theirs.count(numbered("T", static_cast<size_t>(ours))), 1u)
          << name << ": ours " << static_cast<int>(ours);
    }
  }
}

std::vector<Bytes> executable_samples(std::mt19937& rng) {
  std::vector<Bytes> out;
  const uint32_t aligns[] = {0, 0x10, 0x30, 0x200, 0x200, 0x1000};
  for (int i = 0; i < 40; ++i) {
    testing::PeSpec s;
    s.file_align = aligns[rng() % 6], s.section_align = aligns[rng() % 6];
    s.pe32plus = rng() % 2, s.size = 0x1000, s.seed = 100 + i;
    uint32_t va = 0x1000, raw = 0x400 + rng() % 0x20;
    for (int k = 0, n = 1 + rng() % 3; k < n; ++k) {
      s.sections.push_back({0x200, va + static_cast<uint32_t>(rng() % 3 * 0x10),
                            0x150 + static_cast<uint32_t>(rng() % 0x100), raw});
      va += 0x1000, raw += 0x200 + rng() % 0x80;
    }
    s.ep = rng() % 4 == 0 ? 0x200 : s.sections[rng() % s.sections.size()].va + rng() % 0x100;
    out.push_back(build_pe(s));
  }
  for (int i = 0; i < 8; ++i) {
    testing::ElfSpec e;
    e.is64 = i & 1, e.big_endian = i & 2, e.entry = 0x400310 + (i & 4) * 0x10, e.size = 0xa00;
    e.seed = 200 + i;
    e.phdrs = {{1, 0, 0x400000, 0x800, 0x800}};
    e.shdrs = {{0, 0, 0, 0}, {1, 0x350, 0x400300, 0x100}, {8, 0x900, 0x600900, 0x80}};
    out.push_back(build_elf(e));
  }
  const std::vector<testing::MachoSection> text = {{0x1000, 0x400, 0x400}, {0x1800, 0x200, 0x800}};
  out.push_back(testing::MachoBuilder(false, true, testing::kCpuPpc)
                    .segment(text)
                    .thread(0x1810, 40, 4)
                    .build(0xa00, 301));
  out.push_back(testing::MachoBuilder(true, true, testing::kCpuPpc64)
                    .segment(text)
                    .thread(0x1010, 39, 8)
                    .build(0xa00, 302));
  out.push_back(testing::MachoBuilder(false, false, testing::kCpuI386)
                    .segment(text)
                    .thread(0x1010, 16, 4)
                    .build(0xa00, 303));
  return out;
}

TEST_F(Oracle, ExecutableOffsetsAgreeWithClamscan) {
  std::mt19937 rng(11);
  std::string ndb, ldb;
  std::map<std::string, std::set<std::string>> want, unwanted;
  auto add = [&](const std::string& sample, const std::string& sig, int target,
                 const std::string& offset, const Bytes& b, uint64_t at, bool expect) {
    if (at + 8 > b.size()) return;
    ndb += sig + ":" + std::to_string(target) + ":" + offset + ":" + hex(b.data() + at, 8) + "\n";
    (expect ? want : unwanted)[sample].insert(sig);
  };
  size_t parsed = 0;
  const std::vector<Bytes> samples = executable_samples(rng);
  for (size_t i = 0; i < samples.size(); ++i) {
    const Bytes& b = samples[i];
    const std::string name = numbered("x", i);
    add_sample(name, b);
    auto r = parse_executable(b.data(), b.size());
    if (!r.is_ok() || r.value().sections.empty()) continue;  // clamscan 1.4.6 crashes on 0
    ++parsed;
    const ExeInfo& info = r.value();
    const int t = static_cast<int>(info.kind);
    add(name, name + "EP", t, "EP+0", b, info.ep, true);
    // One byte further the same bytes must not match (unless they repeat there, as in zeros).
    if (info.ep + 9 <= b.size() &&
        !std::equal(b.begin() + info.ep, b.begin() + info.ep + 8, b.begin() + info.ep + 1)) {
      add(name, name + "EPnext", t, "EP+1", b, info.ep, false);
    }
    add(name, name + "S0", t, "S0+0", b, info.sections[0].raw_offset, true);
    add(name, name + "SL", t, "SL+0", b, info.sections.back().raw_offset, true);
    const std::string n = std::to_string(info.sections.size()), ep = std::to_string(info.ep);
    ldb += name + "Cond;Engine:51-255,Target:" + std::to_string(t) + ",EntryPoint:" + ep + "-" +
           ep + ",NumberOfSections:" + n + "-" + n + ";0;" + hex(b.data(), 4) + "\n";
    want[name].insert(name + "Cond");
  }
  ASSERT_GT(parsed, 30u);
  write(dir_ / "exe.ndb", ndb);
  write(dir_ / "exe.ldb", ldb);
  auto found = clamscan(dir_, {dir_ / "exe.ndb", dir_ / "exe.ldb"});
  for (const auto& [name, sigs] : want) {
    for (const std::string& sig : sigs) EXPECT_EQ(found[name].count(sig), 1u) << sig;
  }
  for (const auto& [name, sigs] : unwanted) {
    for (const std::string& sig : sigs) EXPECT_EQ(found[name].count(sig), 0u) << sig;
  }
}

}  // namespace
}  // namespace vigil::format
