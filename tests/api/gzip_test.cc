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
      {"second member cut in its header", gz + gz.substr(0, 12)},
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
