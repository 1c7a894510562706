// gzip streams through the public API, built here member by member (zlib's raw deflate and a
// hand-written header and trailer) so that each part of the format can be varied: optional
// header fields, concatenated members, bytes after the last member, a wrong checksum, a
// stream cut short. libarchive writes the plain case, which container_test covers.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "deflate_support.h"
#include "member_support.h"

namespace {

using vigil_test::any_named;
using vigil_test::Found;
using vigil_test::hex;

const std::string kMarker = "VIGIL-GZIP-TEST-MARKER";

constexpr int kFHcrc = 2, kFExtra = 4, kFName = 8, kFComment = 16;

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// One gzip member of `data`, with the optional header fields `flags` names.
std::string member(const std::string& data, int flags = 0) {
  std::string out = {'\x1f', '\x8b', '\x08', static_cast<char>(flags), 0, 0, 0, 0, 0, '\x03'};
  if (flags & kFExtra) {
    const std::string extra = "XY" + std::string("\x04\x00", 2) + "abcd";
    out.push_back(static_cast<char>(extra.size()));
    out.push_back(0);
    out += extra;
  }
  if (flags & kFName) out += std::string("name.txt") + '\0';
  if (flags & kFComment) out += std::string("a comment") + '\0';
  if (flags & kFHcrc) {
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(out.data()), out.size());
    out.push_back(static_cast<char>(crc & 0xFF));
    out.push_back(static_cast<char>(crc >> 8 & 0xFF));
  }
  out += vigil_test::deflate_bytes(data, -MAX_WBITS);
  put_le32(out, crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
  put_le32(out, static_cast<uint32_t>(data.size()));
  return out;
}

// Lines of a log: compressible, so no run of it (the marker included) is stored verbatim in a
// member and a detection can only come from the decompressed bytes.
std::string text(size_t bytes, int seed) {
  std::string out;
  for (int i = 0; out.size() < bytes; ++i) {
    out += "line ";
    out += std::to_string(i * 7 + seed);
    out += " of the log\n";
  }
  return out;
}

class Gzip : public vigil_test::MemberScan {
 protected:
  void SetUp() override { use({{"t.ndb", "Test.Gzip:0:*:" + hex(kMarker) + "\n"}}); }
};

TEST_F(Gzip, OptionalHeaderFieldsAreSkipped) {
  const std::string data = text(70000, 1) + kMarker + text(5000, 2);
  for (int flags : {0, kFExtra, kFName, kFComment, kFHcrc, kFExtra | kFName | kFComment | kFHcrc}) {
    const std::string gz = member(data, flags);
    ASSERT_EQ(gz.find(kMarker), std::string::npos);
    vigil_scan_result r{};
    std::vector<Found> found = scan(gz, &r);
    ASSERT_EQ(found.size(), 1u) << flags;
    EXPECT_TRUE(found[0].path.empty()) << flags;
    EXPECT_EQ(info().broken, 0u) << flags;
    EXPECT_EQ(r.incomplete, 0u) << flags;
  }
}

TEST_F(Gzip, ConcatenatedMembersAreOneStream) {
  // The marker is split between the members: only their concatenation holds it.
  const size_t half = kMarker.size() / 2;
  const std::string a = text(100000, 3) + kMarker.substr(0, half);
  const std::string b = kMarker.substr(half) + text(1000, 4);
  vigil_scan_result r{};
  EXPECT_TRUE(any_named(scan(member(a) + member(b, kFName) + member(""), &r), "Test.Gzip"));
  EXPECT_EQ(info().broken, 0u);
  EXPECT_EQ(r.bytes_scanned,
            member(a).size() + member(b, kFName).size() + member("").size() + a.size() + b.size());
  // A later member with a reserved flag bit is decoded too: gunzip refuses it, other readers
  // do not, and what they would read is scanned.
  const std::string odd = member(text(500, 11)) + member(text(100, 12) + kMarker, 0x20);
  ASSERT_EQ(odd.find(kMarker), std::string::npos);
  EXPECT_TRUE(any_named(scan(odd), "Test.Gzip"));
}

TEST_F(Gzip, BytesAfterTheLastMemberAreIgnoredAsGunzipDoes) {
  const std::string gz = member(text(1000, 5) + kMarker);
  ASSERT_EQ(gz.find(kMarker), std::string::npos);
  for (const std::string& tail : {std::string("trailing text"), std::string(600, '\0')}) {
    std::vector<Found> found = scan(gz + tail);
    EXPECT_TRUE(any_named(found, "Test.Gzip"));
    EXPECT_EQ(info().broken, 0u);
  }
}

TEST_F(Gzip, DamageIsReportedAfterEveryByteBeforeItIsScanned) {
  const std::string data = kMarker + text(200000, 6);
  const std::string gz = member(data);
  ASSERT_EQ(gz.find(kMarker), std::string::npos);
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 1;
  std::string bad_length = gz;
  bad_length[bad_length.size() - 1] ^= 1;
  std::string bad_block = gz;
  bad_block[10] = '\x07';  // a deflate block of the reserved type
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"CRC-32", bad_crc},
      {"length", bad_length},
      {"cut in the data", gz.substr(0, gz.size() / 2)},
      {"cut in the trailer", gz.substr(0, gz.size() - 3)},
      {"second member cut in its data", gz + gz.substr(0, 12)},
      {"second member cut in its header", gz + gz.substr(0, 6)},
      {"bad block", bad_block},
  };
  for (const auto& [label, bytes] : cases) {
    vigil_scan_result r{};
    std::vector<Found> found = scan(bytes, &r);
    if (label != "bad block") EXPECT_TRUE(any_named(found, "Test.Gzip")) << label;
    EXPECT_EQ(info().broken, 1u) << label;
    EXPECT_GE(r.incomplete, 1u) << label;
    EXPECT_TRUE(any_named(scan_with(bytes, VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_ALERT_BROKEN),
                          "Heuristics.Broken.Archive"))
        << label;
  }
}

// How many bytes zlib decodes from a gzip member before it stops (at its end or at damage).
size_t zlib_decodes(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  const size_t n = z.total_out;
  inflateEnd(&z);
  return n;
}

TEST_F(Gzip, DamageInALaterMemberKeepsTheBytesBeforeIt) {
  // The first member leaves 25,536 bytes of the first 64 KiB read for the second, whose
  // marker lies past that. Damage at many places of the second: wherever zlib decodes past
  // the marker before it stops, the marker must be scanned (the decoder may meet the damage
  // with bytes decoded but not handed out yet).
  std::string letters;  // compressible about 2:1, so the damage lands in the first 64 KiB
  for (uint32_t x = 1; letters.size() < 200000;) {
    x = x * 1103515245 + 12345;
    letters.push_back("etaoin shrdlu"[(x >> 16) % 13]);
  }
  const std::string first = member(text(40000, 8));
  const std::string plain = letters.substr(0, 30000) + kMarker + letters.substr(30000);
  const size_t marker_end = 30000 + kMarker.size();
  const std::string second = member(plain);
  ASSERT_EQ(second.find(kMarker), std::string::npos);
  int both = 0;
  for (size_t at = second.size() / 10; at < second.size() * 3 / 10; at += 97) {
    std::string damaged = second;
    damaged[at] ^= 0x55;
    const bool reaches = zlib_decodes(damaged) >= marker_end;
    both += reaches ? 1 : 0;
    vigil_scan_result r{};
    EXPECT_EQ(any_named(scan(first + damaged, &r), "Test.Gzip"), reaches) << at;
    EXPECT_EQ(info().broken, 1u) << at;
  }
  EXPECT_GE(both, 10);  // the damage falls past the marker often enough to matter
}

TEST_F(Gzip, ContainerConditionNamesGzip) {
  use({{"c.ldb",
        "Test.InGzip;Engine:81-255,Container:CL_TYPE_GZ,Target:0;0;" + hex(kMarker) + "\n"}});
  std::vector<Found> found = scan(member(text(100, 7) + kMarker));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "Test.InGzip");
  EXPECT_TRUE(scan(text(100, 7) + kMarker).empty());
}

TEST_F(Gzip, RatioLimitStopsABomb) {
  // 1000:1 or so is deflate's most; a low ratio limit catches it past the 1 MiB floor.
  set_limits([](vigil_scan_limits& l) { l.max_ratio = 50; });
  const std::string bomb = member(std::string(32 << 20, '\0') + kMarker);
  vigil_scan_result r{};
  EXPECT_FALSE(any_named(scan(bomb, &r), "Test.Gzip"));
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_RATIO});
  EXPECT_LT(r.bytes_scanned, uint64_t{4} << 20);
}

}  // namespace
