// OLE2 compound files through the public API: each stream a member named by its storage path,
// in the mini stream or in regular sectors; an Ole10Native (Packager) object's file a member of
// its own; hostile tables (FAT loops, chains leaving the file, directory cycles, streams sharing
// sectors, truncation) end in bounded work; the Container condition; ClamAV's own test document.
#include <cstring>
#include <string>
#include <vector>

#include "archive_support.h"
#include "member_support.h"

namespace {

using vigil_test::hex;
using vigil_test::Paths;
using vigil_test::random_bytes;

const std::string kMarker = "VIGIL-OLE2-TEST-MARKER";
constexpr uint32_t kEnd = 0xFFFFFFFE, kFree = 0xFFFFFFFF, kFatSect = 0xFFFFFFFD;
constexpr uint32_t kNone = 0xFFFFFFFF;

void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

struct Node {
  std::string name;
  std::string data;
  std::vector<Node> children;  // a storage when non-empty
};

// A version 3 compound file (512-byte sectors, 64-byte mini sectors below 4096 bytes). Siblings
// are chained through their right pointers. `edit` may change the directory entries and the
// FAT (as written, in sector numbers) before they are laid out.
struct Compound {
  struct Entry {
    std::string name;
    uint8_t type;
    uint32_t left = kNone, right = kNone, child = kNone, start = kEnd;
    uint32_t size = 0;
    std::string data;
  };
  std::vector<Entry> entries;
  std::vector<uint32_t> fat;
  std::string body;  // the sectors after the FAT

  void add(const std::vector<Node>& nodes, size_t parent) {
    uint32_t prev = kNone;
    for (const Node& n : nodes) {
      const uint32_t index = static_cast<uint32_t>(entries.size());
      entries.push_back({n.name, static_cast<uint8_t>(n.children.empty() ? 2 : 1)});
      entries.back().data = n.data;
      if (prev == kNone) {
        entries[parent].child = index;
      } else {
        entries[prev].right = index;
      }
      prev = index;
      if (!n.children.empty()) add(n.children, index);
    }
  }
  uint32_t chain(const std::string& data) {  // regular sectors, numbered after the FAT later
    const uint32_t first = static_cast<uint32_t>(fat.size());
    const size_t count = (data.size() + 511) / 512;
    for (size_t i = 0; i < count; ++i) fat.push_back(i + 1 < count ? first + i + 1 : kEnd);
    std::string padded = data;
    padded.resize(count * 512, '\0');
    body += padded;
    return count == 0 ? kEnd : first;
  }
};

std::string compound_file(const std::vector<Node>& top, void (*edit)(Compound&) = nullptr) {
  Compound c;
  c.entries.push_back({"Root Entry", 5});
  c.add(top, 0);
  std::string mini;
  std::vector<uint32_t> mini_fat;
  for (Compound::Entry& e : c.entries) {
    if (e.type != 2) continue;
    e.size = static_cast<uint32_t>(e.data.size());
    if (e.data.empty() || e.data.size() >= 4096) continue;
    const uint32_t first = static_cast<uint32_t>(mini_fat.size());
    const size_t count = (e.data.size() + 63) / 64;
    for (size_t i = 0; i < count; ++i) mini_fat.push_back(i + 1 < count ? first + i + 1 : kEnd);
    e.start = first;
    mini += e.data;
    mini.resize(mini_fat.size() * 64, '\0');
  }
  std::string directory((c.entries.size() + 3) / 4 * 512, '\0');
  const uint32_t dir_start = c.chain(directory);
  std::string mini_fat_bytes(mini_fat.size() * 4, '\0');
  for (size_t i = 0; i < mini_fat.size(); ++i) put32(mini_fat_bytes, 4 * i, mini_fat[i]);
  const uint32_t mini_fat_start = c.chain(mini_fat_bytes);
  c.entries[0].start = c.chain(mini);
  c.entries[0].size = static_cast<uint32_t>(mini.size());
  for (Compound::Entry& e : c.entries) {
    if (e.type == 2 && e.data.size() >= 4096) e.start = c.chain(e.data);
  }
  if (edit != nullptr) edit(c);
  uint32_t fat_sectors = 1;
  while (fat_sectors * 128 < fat_sectors + c.fat.size()) ++fat_sectors;
  auto shift = [&](uint32_t s) { return s < 0xFFFFFFFA ? s + fat_sectors : s; };
  for (Compound::Entry& e : c.entries) {
    const bool regular = e.type == 5 || (e.type == 2 && e.size >= 4096);
    std::string entry(128, '\0');
    for (size_t i = 0; i < e.name.size() && i < 31; ++i) entry[2 * i] = e.name[i];
    entry[0x40] = static_cast<char>(2 * (std::min<size_t>(e.name.size(), 31) + 1));
    entry[0x42] = static_cast<char>(e.type);
    entry[0x43] = 1;
    put32(entry, 0x44, e.left);
    put32(entry, 0x48, e.right);
    put32(entry, 0x4C, e.child);
    put32(entry, 0x74, regular ? shift(e.start) : e.start);
    put32(entry, 0x78, e.size);
    const size_t index = static_cast<size_t>(&e - c.entries.data());
    c.body.replace(dir_start * 512 + index * 128, 128, entry);
  }
  std::string header(512, '\0');
  std::memcpy(header.data(), "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  header[0x18] = 0x3E;
  header[0x1A] = 3;
  header[0x1C] = '\xFE';
  header[0x1D] = '\xFF';
  header[0x1E] = 9;
  header[0x20] = 6;
  put32(header, 0x2C, fat_sectors);
  put32(header, 0x30, shift(dir_start));
  put32(header, 0x38, 4096);
  put32(header, 0x3C, mini_fat.empty() ? kEnd : shift(mini_fat_start));
  put32(header, 0x40, static_cast<uint32_t>((mini_fat_bytes.size() + 511) / 512));
  put32(header, 0x44, kEnd);
  for (uint32_t i = 0; i < 109; ++i) put32(header, 0x4C + 4 * i, i < fat_sectors ? i : kFree);
  std::string fat(fat_sectors * 512, '\xFF');
  for (uint32_t i = 0; i < fat_sectors; ++i) put32(fat, 4 * i, kFatSect);
  for (size_t i = 0; i < c.fat.size(); ++i) put32(fat, 4 * (fat_sectors + i), shift(c.fat[i]));
  return header + fat + c.body;
}

// An Ole10Native stream as the Packager writes it.
std::string ole10_native(const std::string& label, const std::string& data) {
  std::string path = "C:\\" + label;
  std::string package = std::string("\x02\x00", 2) + label + '\0' + path + '\0' +
                        std::string("\x00\x00\x03\x00", 4) + "    " + path + '\0' + "    " + data;
  put32(package, 2 + label.size() + 1 + path.size() + 1 + 4,
        static_cast<uint32_t>(path.size() + 1));
  put32(package, package.size() - data.size() - 4, static_cast<uint32_t>(data.size()));
  std::string out = "    " + package;
  put32(out, 0, static_cast<uint32_t>(package.size()));
  return out;
}

class Ole2 : public vigil_test::MemberScan {
 protected:
  void SetUp() override { use({{"t.ndb", "Test.Marker:0:*:" + hex(kMarker) + "\n"}}); }
};

// The marker split across sector edges: 64-byte mini sectors and 512-byte sectors.
std::string spread(size_t before, size_t after, uint32_t seed) {
  return random_bytes(before, seed) + kMarker + random_bytes(after, seed + 1);
}

TEST_F(Ole2, StreamsAreMembersNamedByTheirStoragePath) {
  const std::string file = compound_file({
      {"WordDocument", random_bytes(5000, 1), {}},
      {"\x05SummaryInformation", spread(50, 100, 2), {}},  // the mini stream
      {"Macros", "", {{"VBA", "", {{"Module1", spread(4090, 3000, 3), {}}}}}},
      {"Data", spread(1020, 9000, 4), {}},
  });
  // The members, then the file's own bytes (where the markers also lie, in sector order).
  EXPECT_EQ(paths(file), (Paths{{"_SummaryInformation"}, {"Macros/VBA/Module1"}, {"Data"}, {}}));
  EXPECT_EQ(info().members, 4u);
}

TEST_F(Ole2, AnOle10NativeObjectsFileIsAMemberOfItsOwn) {
  // A signature anchored at offset 0 of the file: only the extracted file starts there (the
  // stream starts with the Package header).
  const std::string payload = "MZ" + kMarker + random_bytes(3000, 5);
  use({{"t.ndb", "Test.AtStart:0:0:" + hex(payload.substr(0, 16)) + "\n"}});
  const std::string file = compound_file(
      {{"ObjectPool",
        "",
        {{"_1279313719", "", {{"\x01Ole10Native", ole10_native("a.exe", payload), {}}}}}}});
  EXPECT_EQ(paths(file), (Paths{{"ObjectPool/_1279313719/_Ole10Native/a.exe"}}));
  EXPECT_EQ(info().members, 2u);  // the stream (scanned, not opened) and its file
  // A data size beyond the stream (cut short): the file is what the stream holds of it.
  std::string cut = ole10_native("a.exe", payload);
  cut.resize(cut.size() - 10);
  EXPECT_EQ(paths(compound_file({{"\x01OLE10NATIVE", cut, {}}})),
            (Paths{{"_OLE10NATIVE/a.exe"}}));  // names compare without case
  // A Package header that does not parse (no end to its label): only the stream.
  EXPECT_TRUE(
      paths(compound_file(
                {{"\x01Ole10Native", std::string("    \x02\x00", 6) + std::string(100, 'x'), {}}}))
          .empty());
  EXPECT_EQ(info().members, 1u);
}

TEST_F(Ole2, HostileTablesEndInBoundedWork) {
  const std::vector<Node> tree = {{"A", spread(10, 6000, 6), {}}, {"B", spread(10, 20, 7), {}}};
  // A FAT loop: A's second sector points back to its first.
  std::string loop = compound_file(tree, [](Compound& c) {
    for (const Compound::Entry& e : c.entries) {
      if (e.name == "A") c.fat[e.start + 1] = e.start;
    }
  });
  EXPECT_EQ(paths(loop), (Paths{{"A"}, {"B"}, {}}));
  // The same loop under a declared size of 4 GiB: the chain ends where it comes back, so the
  // stream is never longer than the file.
  std::string huge = compound_file(tree, [](Compound& c) {
    for (Compound::Entry& e : c.entries) {
      if (e.name == "A") {
        c.fat[e.start + 1] = e.start;
        e.size = 0xFFFFFFFF;
      }
    }
  });
  vigil_scan_result looped{};
  EXPECT_EQ(vigil_scan_buffer(loaded_.engine.get(), scratch_.get(), huge.data(), huge.size(), 0,
                              nullptr, nullptr, &looped),
            VIGIL_OK);
  EXPECT_LE(looped.bytes_scanned, 3 * huge.size());
  // A chain that leaves the file, and a directory that points at itself.
  std::string away = compound_file(tree, [](Compound& c) {
    for (Compound::Entry& e : c.entries) {
      if (e.name == "A") c.fat[e.start] = 0x00FFFFFF;
      if (e.name == "B") e.left = e.right = 1;
    }
  });
  EXPECT_EQ(paths(away), (Paths{{"A"}, {"B"}, {}}));  // A's first sector holds the marker
  // Cut in half: the directory sits early, so the streams are still listed; what is missing
  // reads as nothing.
  std::string whole = compound_file(tree);
  vigil_scan_result r{};
  std::string half = whole.substr(0, whole.size() / 2);
  EXPECT_EQ(vigil_scan_buffer(loaded_.engine.get(), scratch_.get(), half.data(), half.size(), 0,
                              nullptr, nullptr, &r),
            VIGIL_OK);
  // Two streams over the same sectors: the second is scanned but not opened.
  const std::string zip = vigil_test::make_archive({"zip", {}, "", ""},
                                                   {{"inner.bin", random_bytes(100, 8) + kMarker}});
  std::string shared =
      compound_file({{"A", zip + random_bytes(5000, 9), {}}, {"B", "x", {}}}, [](Compound& c) {
        c.entries[2].start = c.entries[1].start;
        c.entries[2].size = c.entries[1].size;
      });
  EXPECT_EQ(paths(shared), (Paths{{"A", "inner.bin"}}));
}

TEST_F(Ole2, StoragesNestedPastTheDepthLimitAreNotWalked) {
  // Storages S0/S1/.../S79, a marked stream in S9 and one in S79: the first is a member with
  // its whole path, the second lies deeper than 64 storages and is only in the file's bytes.
  Node deepest{"Deep", spread(10, 10, 12), {}};
  std::vector<Node> level = {deepest};
  auto storage_name = [](int i) {
    std::string name = "S";  // appended, not "S" + ...: GCC 12 warns wrongly on the latter
    name += std::to_string(i);
    return name;
  };
  std::string path;
  for (int i = 79; i >= 0; --i) {
    Node storage{storage_name(i), "", level};
    if (i == 9) storage.children.push_back({"Shallow", spread(20, 20, 13), {}});
    level = {storage};
  }
  for (int i = 0; i <= 9; ++i) path += storage_name(i) + "/";
  EXPECT_EQ(paths(compound_file(level)), (Paths{{path + "Shallow"}, {}}));
}

TEST_F(Ole2, ContainerConditionNamesMsOle2) {
  use({{"t.ldb",
        "Only.In.Ole2;Engine:51-255,Container:CL_TYPE_MSOLE2,Target:0;0;" + hex(kMarker) + "\n"}});
  EXPECT_EQ(paths(compound_file({{"Contents", spread(10, 10, 10), {}}})), (Paths{{"Contents"}}));
  EXPECT_TRUE(paths(spread(10, 10, 10)).empty());
}

TEST_F(Ole2, ClamavTestDocumentCarriesClamExe) {
  // clamscan -d clamav.hdb clam.ole.doc: "ClamAV-Test-File.UNOFFICIAL FOUND" (clam.exe,
  // inserted as a Packager object).
  std::string absent;
  auto found = vigil_test::scan_clamav_testfile("clam.ole.doc", absent);
  if (!found) GTEST_SKIP() << absent;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "ClamAV-Test-File.UNOFFICIAL");
  EXPECT_EQ((*found)[0].path,
            std::vector<std::string>{"ObjectPool/_1279313719/_Ole10Native/Clam.exe"});
}

}  // namespace
