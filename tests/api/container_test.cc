// Containers through the public API: every archive format and compression libarchive writes,
// generated here, nested, with the test signature at the deepest level and across
// decompression chunk edges; the member path a detection carries; each limit, encryption and
// damage counted in the result, and reported when asked.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "archive_support.h"
#include "member_support.h"

namespace {

using vigil_test::ArchiveSpec;
using vigil_test::Entry;
using vigil_test::make_archive;
using vigil_test::random_bytes;

const std::string kMarker = "VIGIL-CONTAINER-TEST-MARKER";
using vigil_test::hex;

using vigil_test::collect_found;
using vigil_test::Found;

class Containers : public vigil_test::MemberScan {
 protected:
  void SetUp() override { use({{"t.ndb", "Test.Marker:0:*:" + hex(kMarker) + "\n"}}); }

  // First-match unless told otherwise, as a product scans.
  std::vector<Found> scan(const std::string& data, uint32_t flags = 0,
                          vigil_scan_result* result = nullptr) {
    return scan_with(data, flags, result);
  }
};

// The marker straddles 64 KiB (the decompression chunk and the stream batch) in a member of
// incompressible bytes.
std::string payload(uint32_t seed) {
  return random_bytes(65536 - 10, seed) + kMarker + random_bytes(100000, seed + 1);
}

TEST_F(Containers, EveryFormatAndFilterIsOpenedAndTheMemberNamed) {
  const std::vector<ArchiveSpec> specs = {
      {"zip", {}, "zip:compression=deflate", ""},
      {"zip", {}, "zip:compression=store", ""},
      {"7zip", {}, "7zip:compression=lzma2", ""},
      {"7zip", {}, "7zip:compression=lzma1", ""},
      {"7zip", {}, "7zip:compression=bzip2", ""},
      {"7zip", {}, "7zip:compression=deflate", ""},
      {"7zip", {}, "7zip:compression=ppmd", ""},
      {"7zip", {}, "7zip:compression=store", ""},
      {"ustar", {}, "", ""},
      {"pax", {}, "", ""},
      {"gnutar", {}, "", ""},
      {"v7tar", {}, "", ""},
      {"newc", {}, "", ""},
      {"odc", {}, "", ""},
      {"arbsd", {}, "", ""},
      {"arsvr4", {}, "", ""},
      {"iso9660", {}, "", ""},
      {"xar", {}, "", ""},
      {"pax", {"gzip"}, "", ""},
      {"pax", {"bzip2"}, "", ""},
      {"pax", {"xz"}, "", ""},
      {"pax", {"lzma"}, "", ""},
      {"pax", {"lzip"}, "", ""},
      {"pax", {"zstd"}, "", ""},
      {"pax", {"lz4"}, "", ""},
      {"pax", {"compress"}, "", ""},
      {"zip", {"xz"}, "", ""},
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    const ArchiveSpec& spec = specs[i];
    std::string label =
        spec.format + (spec.filters.empty() ? "" : "+" + spec.filters[0]) + " " + spec.options;
    std::string archive = make_archive(
        spec,
        {{"readme.txt", "nothing here\n"}, {"dir/payload.bin", payload(static_cast<uint32_t>(i))}});
    ASSERT_FALSE(archive.empty()) << label;
    vigil_scan_result r{};
    // All matches: a stored member's bytes also match in the archive itself.
    std::vector<Found> found = scan(archive, VIGIL_SCAN_ALLMATCH, &r);
    ASSERT_FALSE(found.empty()) << label;
    const Found& inner = found.front();  // members are scanned before their container's bytes
    EXPECT_EQ(inner.name, "Test.Marker") << label;
    ASSERT_EQ(inner.path.size(), 1u) << label;
    EXPECT_NE(inner.path[0].find("payload"), std::string::npos) << label << ": " << inner.path[0];
    EXPECT_EQ(r.incomplete, 0u) << label;
    vigil_scan_info scanned = info();
    // A compression filter is a level of its own (the tar inside it is the next).
    const uint32_t levels = spec.filters.empty() ? 1u : 2u;
    EXPECT_EQ(scanned.containers, levels) << label;
    EXPECT_EQ(scanned.max_depth, levels) << label;
    EXPECT_EQ(scanned.limits_exceeded, 0u) << label;
  }
}

TEST_F(Containers, CompressedStreamsAreScannedWholeAndUnnamed) {
  for (const char* filter : {"gzip", "bzip2", "xz", "lzma", "lzip", "zstd", "lz4", "compress"}) {
    std::string compressed =
        make_archive(ArchiveSpec{"raw", {filter}, "", ""}, {{"x", payload(7)}});
    ASSERT_FALSE(compressed.empty()) << filter;
    vigil_scan_result r{};
    // All matches: lz4 keeps incompressible bytes as they are, so the marker also matches in
    // the compressed file itself.
    std::vector<Found> found = scan(compressed, VIGIL_SCAN_ALLMATCH, &r);
    ASSERT_FALSE(found.empty()) << filter;
    EXPECT_TRUE(found[0].path.empty()) << filter;
    EXPECT_EQ(info().max_depth, 1u) << filter;
    EXPECT_EQ(r.bytes_scanned, compressed.size() + payload(7).size()) << filter;
  }
  // What follows an archive's end inside a compressed stream is scanned too: the stream's bytes
  // are scanned whole before the tar in them is opened.
  std::string tar = make_archive({"ustar", {}, "", ""}, {{"clean.txt", "clean"}});
  std::string after =
      make_archive({"raw", {"gzip"}, "", ""}, {{"x", tar + std::string(4096, '\0') + kMarker}});
  EXPECT_EQ(scan(after).size(), 1u);
}

TEST_F(Containers, NestedContainersGiveTheWholePath) {
  std::string inner = make_archive({"pax", {"gzip"}, "", ""}, {{"payload.exe", payload(3)}});
  std::string middle = make_archive({"7zip", {}, "", ""}, {{"doc.tar.gz", inner}});
  std::string outer =
      make_archive({"zip", {}, "", ""}, {{"a.txt", "clean"}, {"invoice.7z", middle}});
  vigil_scan_result r{};
  std::vector<Found> found = scan(outer, 0, &r);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, (std::vector<std::string>{"invoice.7z", "doc.tar.gz", "payload.exe"}));
  EXPECT_EQ(info().max_depth, 4u);  // zip, 7z, gzip, tar
  EXPECT_EQ(info().containers, 4u);
  EXPECT_GE(r.bytes_scanned, payload(3).size());
  // All matches: the tar's own bytes (the marker is stored as it is) come after its member.
  std::vector<Found> all = scan(outer, VIGIL_SCAN_ALLMATCH, &r);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].path, found[0].path);
  EXPECT_EQ(all[1].path, (std::vector<std::string>{"invoice.7z", "doc.tar.gz"}));
  EXPECT_GT(r.bytes_scanned, inner.size() + middle.size() + outer.size());
  // Without containers only the outer bytes are scanned.
  EXPECT_TRUE(scan(outer, VIGIL_SCAN_NO_CONTAINERS).empty());
  // The stream API descends too.
  vigil_stream* raw = nullptr;
  ASSERT_EQ(vigil_stream_new(loaded_.engine.get(), 0, 0, &raw), VIGIL_OK);
  vigil_test::Stream stream(raw);
  for (size_t at = 0; at < outer.size(); at += 1000) {
    ASSERT_EQ(vigil_stream_write(stream.get(), scratch_.get(), outer.data() + at,
                                 std::min<size_t>(1000, outer.size() - at)),
              VIGIL_OK);
  }
  std::vector<Found> streamed;
  ASSERT_EQ(vigil_stream_finish(stream.get(), scratch_.get(), collect_found, &streamed, nullptr),
            VIGIL_OK);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].path, found[0].path);
}

TEST_F(Containers, AllMatchReportsEveryMemberAndFirstMatchStops) {
  std::string archive = make_archive(
      {"zip", {}, "", ""}, {{"one", payload(1)}, {"two", "clean"}, {"three", payload(2)}});
  std::vector<Found> all = scan(archive, VIGIL_SCAN_ALLMATCH);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].path, std::vector<std::string>{"one"});
  EXPECT_EQ(all[1].path, std::vector<std::string>{"three"});
  std::vector<Found> first = scan(archive);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(info().members, 1u);  // stopped after the first member
}

TEST_F(Containers, RecursionLimit) {
  std::string data = payload(5);
  for (int level = 0; level < 20; ++level) {
    std::string name = "level";
    name += std::to_string(level);
    name += ".zip";
    data = make_archive({"zip", {}, "", ""}, {{name, data}});
  }
  vigil_scan_result r{};
  EXPECT_TRUE(scan(data, 0, &r).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_RECURSION});
  EXPECT_EQ(info().max_depth, 17u);
  EXPECT_GT(r.incomplete, 0u);
  std::vector<Found> alert = scan(data, VIGIL_SCAN_ALERT_EXCEEDS_MAX);
  ASSERT_EQ(alert.size(), 1u);
  EXPECT_EQ(alert[0].name, "Heuristics.Limits.Exceeded.MaxRecursion");
  EXPECT_EQ(alert[0].kind, VIGIL_SIG_HEURISTIC);
  EXPECT_EQ(alert[0].path.size(), 17u);
  set_limits([](vigil_scan_limits& l) { l.max_recursion = 0; });  // no limit
  EXPECT_EQ(scan(data).size(), 1u);
}

TEST_F(Containers, FilesSizeScanSizeAndRatioLimits) {
  std::vector<Entry> many;
  for (int i = 0; i < 50; ++i) {
    std::string name = "m";
    name += std::to_string(i);
    many.push_back({name, "clean"});
  }
  // Compressed on its own, so the marker shows only once member 40 itself is unpacked.
  many[40].data = make_archive({"raw", {"gzip"}, "", ""}, {{"x", payload(9)}});
  std::string tar = make_archive({"pax", {"gzip"}, "", ""}, many);
  set_limits([](vigil_scan_limits& l) { l.max_files = 10; });
  EXPECT_TRUE(scan(tar).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_FILES});
  EXPECT_EQ(info().members, 11u);  // the decompressed tar, then 10 of its members
  std::vector<Found> alert = scan(tar, VIGIL_SCAN_ALERT_EXCEEDS_MAX);
  ASSERT_EQ(alert.size(), 1u);
  EXPECT_EQ(alert[0].name, "Heuristics.Limits.Exceeded.MaxFiles");

  // A member larger than max_file_size is scanned up to it.
  std::string late = random_bytes(3 << 20, 4) + kMarker;
  std::string early = kMarker + random_bytes(3 << 20, 4);
  set_limits([](vigil_scan_limits& l) { l.max_file_size = 1 << 20; });
  EXPECT_TRUE(scan(make_archive({"zip", {}, "", ""}, {{"late", late}})).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_FILE_SIZE});
  EXPECT_EQ(scan(make_archive({"zip", {}, "", ""}, {{"early", early}})).size(), 1u);

  // The scan-size budget covers every member together.
  set_limits([](vigil_scan_limits& l) { l.max_scan_size = 2 << 20; });
  std::string three = make_archive(
      {"pax", {"gzip"}, "", ""},
      {{"a", random_bytes(1 << 20, 1)}, {"b", random_bytes(1 << 20, 2)}, {"c", many[40].data}});
  EXPECT_TRUE(scan(three).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_SCAN_SIZE});

  // 64 MiB of zeros in bzip2 (some 50 bytes): the ratio stops it long before its end.
  // (Deflate cannot pass about 1030:1; a gzip bomb is stopped by the size limits.)
  set_limits([](vigil_scan_limits& l) { (void)l; });
  std::string zeros(64 << 20, '\0');
  std::string bomb = make_archive({"raw", {"bzip2"}, "", ""}, {{"x", zeros + kMarker}});
  vigil_scan_result r{};
  EXPECT_TRUE(scan(bomb, 0, &r).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_RATIO}) << bomb.size();
  EXPECT_LT(r.bytes_scanned, uint64_t{16} << 20);
  // A member that compresses well but not like a bomb is scanned whole.
  std::string text;
  for (int i = 0; text.size() < (4 << 20); ++i) {
    text += "line ";
    text += std::to_string(i);
    text += " of a log\n";
  }
  EXPECT_EQ(scan(make_archive({"raw", {"gzip"}, "", ""}, {{"x", text + kMarker}})).size(), 1u);
  EXPECT_EQ(info().limits_exceeded, 0u);
}

TEST_F(Containers, EncryptedMembersAreCountedAndAlertedOn) {
  std::string zip =
      make_archive({"zip", {}, "zip:encryption=zipcrypt", "secret"}, {{"locked.bin", payload(11)}});
  ASSERT_FALSE(zip.empty());
  vigil_scan_result r{};
  EXPECT_TRUE(scan(zip, 0, &r).empty());
  EXPECT_EQ(info().encrypted, 1u);
  EXPECT_EQ(r.incomplete, 1u);
  std::vector<Found> alert = scan(zip, VIGIL_SCAN_ALERT_ENCRYPTED);
  ASSERT_EQ(alert.size(), 1u);
  EXPECT_EQ(alert[0].name, "Heuristics.Encrypted.Zip");
  EXPECT_EQ(alert[0].path, std::vector<std::string>{"locked.bin"});
}

TEST_F(Containers, TruncatedContainersAreScannedAsFarAsTheyGo) {
  std::string tgz = make_archive({"pax", {"gzip"}, "", ""},
                                 {{"first", payload(12)}, {"second", random_bytes(300000, 5)}});
  for (size_t cut : {tgz.size() / 2, tgz.size() - 100, size_t{30}}) {
    std::string broken = tgz.substr(0, cut);
    vigil_scan_result r{};
    std::vector<Found> found = scan(broken, VIGIL_SCAN_ALLMATCH, &r);
    if (cut > tgz.size() / 3) {
      ASSERT_FALSE(found.empty()) << cut;  // the first member was whole
      EXPECT_EQ(found[0].path, std::vector<std::string>{"first"});
    }
    EXPECT_GE(info().broken, 1u) << cut;
    EXPECT_GE(r.incomplete, 1u) << cut;
    EXPECT_TRUE(vigil_test::any_named(scan(broken, VIGIL_SCAN_ALERT_BROKEN | VIGIL_SCAN_ALLMATCH),
                                      "Heuristics.Broken.Archive"))
        << cut;
  }
  // Five bytes of a gzip header: unmistakably gzip, and broken.
  std::vector<Found> head = scan(tgz.substr(0, 5), VIGIL_SCAN_ALERT_BROKEN);
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0].name, "Heuristics.Broken.Archive");
  // Data that starts like a cpio by chance (two bytes) is just data.
  EXPECT_TRUE(
      scan(std::string("\xc7\x71", 2) + random_bytes(1000, 1), VIGIL_SCAN_ALERT_BROKEN).empty());
  EXPECT_EQ(info().containers, 0u);
  EXPECT_EQ(info().broken, 0u);
}

TEST_F(Containers, LimitsAndInfoArgumentChecks) {
  EXPECT_EQ(vigil_scan_limits_default(nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  vigil_scan_limits l{};
  EXPECT_EQ(vigil_scan_limits_default(&l), VIGIL_ERR_INVALID_ARGUMENT);  // struct_size 0
  l.struct_size = 8;  // an older, shorter struct gets what fits
  ASSERT_EQ(vigil_scan_limits_default(&l), VIGIL_OK);
  EXPECT_EQ(l.struct_size, 8u);
  EXPECT_EQ(l.max_recursion, 17u);
  EXPECT_EQ(vigil_scratch_set_limits(nullptr, &l), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_scratch_set_limits(scratch_.get(), nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_scratch_get_scan_info(scratch_.get(), nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_scan_buffer(loaded_.engine.get(), scratch_.get(), "x", 1, 1u << 20, nullptr,
                              nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
}

}  // namespace

namespace {

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += t[(v >> k) & 63];
    if (out.size() % 77 == 76) out += "\n";
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out + "\n";
}

std::string message(const std::string& body_parts, const std::string& boundary = "BOUND") {
  return "From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"" +
         boundary + "\"\r\n\r\n" + body_parts + "--" + boundary + "--\r\n";
}

std::string part(const std::string& headers, const std::string& body,
                 const std::string& boundary = "BOUND") {
  return "--" + boundary + "\r\n" + headers + "\r\n\r\n" + body + "\r\n";
}

}  // namespace

TEST_F(Containers, MailAttachmentsAreDecodedAndNamed) {
  std::string zip = make_archive({"zip", {}, "", ""}, {{"payload.bin", payload(21)}});
  std::string mail = message(part("Content-Type: text/plain", "hello") +
                             part("Content-Type: application/zip; name=\"invoice.zip\"\r\n"
                                  "Content-Transfer-Encoding: base64\r\n"
                                  "Content-Disposition: attachment; filename=\"invoice.zip\"",
                                  base64(zip)));
  std::vector<Found> found = scan(mail);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, (std::vector<std::string>{"invoice.zip", "payload.bin"}));

  // Quoted-printable text: the marker is split by a soft line break and escaped.
  std::string qp = "see =56IGIL-CONTAINER-TEST=\r\n-MARKER here";
  std::vector<Found> text = scan(
      message(part("Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable", qp)));
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].path, std::vector<std::string>{"part1"});

  // An attached message is a member, and a container in turn.
  std::string inner = message(part("Content-Type: application/octet-stream\r\n"
                                   "Content-Transfer-Encoding: base64\r\n"
                                   "Content-Disposition: attachment; filename=\"x.bin\"",
                                   base64(payload(22)), "INNER"),
                              "INNER");
  std::vector<Found> nested =
      scan(message(part("Content-Type: message/rfc822", inner)), VIGIL_SCAN_ALLMATCH);
  ASSERT_FALSE(nested.empty());
  EXPECT_EQ(nested[0].path, (std::vector<std::string>{"part1.eml", "x.bin"}));
}

TEST_F(Containers, MboxMessagesAreEachOpened) {
  std::string one = message(part("Content-Type: text/plain", "first, clean"));
  std::string two =
      message(part("Content-Type: application/octet-stream\r\n"
                   "Content-Transfer-Encoding: base64\r\n"
                   "Content-Disposition: attachment; filename=\"second.bin\"",
                   base64(payload(23))));
  std::string mbox = "From a@example.com Thu Jan  1 00:00:00 2026\n" + one +
                     "\nFrom b@example.com Thu Jan  1 00:00:01 2026\n" + two;
  std::vector<Found> found = scan(mbox);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, std::vector<std::string>{"second.bin"});
  EXPECT_EQ(info().members, 2u);
}

TEST_F(Containers, MailWithMorePartsThanTheLimitIsCut) {
  std::string parts;
  for (int i = 0; i < 300; ++i) parts += part("Content-Type: text/plain", "clean");
  parts += part("Content-Type: text/plain", kMarker);
  set_limits([](vigil_scan_limits& l) { l.max_files = 100; });
  vigil_scan_result r{};
  // The marker is also in the message's own bytes: only members are of interest here.
  std::vector<Found> found = scan(message(parts), VIGIL_SCAN_ALLMATCH, &r);
  for (const Found& f : found) EXPECT_TRUE(f.path.empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_FILES});
  EXPECT_LE(info().members, 101u);
  // Text that has header lines but is no MIME message is just text.
  EXPECT_TRUE(scan("From: someone\nSubject: hi\n\nplain text\n").empty());
  EXPECT_EQ(info().containers, 0u);
}

namespace {

uint32_t crc32_of(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put16(std::string& o, uint16_t v) { o.append({char(v), char(v >> 8)}); }
void put32(std::string& o, uint32_t v) {
  put16(o, static_cast<uint16_t>(v));
  put16(o, static_cast<uint16_t>(v >> 16));
}

// A zip of stored members with their sizes in the local headers; `methods` overrides the
// method field of each (99: a method no reader has).
std::string stored_zip(const std::vector<Entry>& entries, const std::vector<uint16_t>& methods) {
  std::string out, central;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const uint32_t offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = crc32_of(e.data), size = static_cast<uint32_t>(e.data.size());
    put32(out, 0x04034B50);
    for (uint16_t v : {uint16_t{20}, uint16_t{0}, methods[i], uint16_t{0}, uint16_t{0x21}}) {
      put16(out, v);
    }
    for (uint32_t v : {crc, size, size}) put32(out, v);
    put16(out, static_cast<uint16_t>(e.name.size()));
    put16(out, 0);
    out += e.name + e.data;
    put32(central, 0x02014B50);
    for (uint16_t v :
         {uint16_t{20}, uint16_t{20}, uint16_t{0}, methods[i], uint16_t{0}, uint16_t{0x21}}) {
      put16(central, v);
    }
    for (uint32_t v : {crc, size, size}) put32(central, v);
    for (uint16_t v : {static_cast<uint16_t>(e.name.size()), uint16_t{0}, uint16_t{0}, uint16_t{0},
                       uint16_t{0}}) {
      put16(central, v);
    }
    put32(central, 0);
    put32(central, offset);
    central += e.name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, 0x06054B50);
  for (uint16_t v : {uint16_t{0}, uint16_t{0}, static_cast<uint16_t>(entries.size()),
                     static_cast<uint16_t>(entries.size())}) {
    put16(out, v);
  }
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, cd_offset);
  put16(out, 0);
  return out;
}

}  // namespace

TEST_F(Containers, AMemberThatCannotBeReadDoesNotHideTheNext) {
  std::string zip =
      stored_zip({{"odd.bin", "method 99 data"}, {"good.bin", "x" + kMarker}}, {99, 0});
  // The stored member shows the marker in the zip's bytes too: all matches, member first.
  vigil_scan_result r{};
  std::vector<Found> found = scan(zip, VIGIL_SCAN_ALLMATCH, &r);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].path, std::vector<std::string>{"good.bin"});
  EXPECT_GE(info().broken, 1u);
  EXPECT_GE(r.incomplete, 1u);
}

TEST_F(Containers, OutOfTimeStillScansEveryLevelsOwnBytes) {
  // A large deflated member takes far more than 1 ms to read; the stored one after it, whose
  // marker shows in the zip's own bytes, is never reached as a member.
  std::string archive =
      make_archive({"zip", {}, "", ""}, {{"big.bin", random_bytes(24 << 20, 31)}});
  archive += "trailing " + kMarker;  // bytes after the archive: the input's own
  set_limits([](vigil_scan_limits& l) { l.max_scan_time_ms = 1; });
  vigil_scan_result r{};
  std::vector<Found> found = scan(archive, 0, &r);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].path.empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_SCAN_TIME});
}

TEST_F(Containers, EachLayerOfCompressionIsALevel) {
  std::string data = payload(41);
  for (int i = 0; i < 3; ++i) data = make_archive({"raw", {"gzip"}, "", ""}, {{"x", data}});
  EXPECT_EQ(scan(data).size(), 1u);
  EXPECT_EQ(info().max_depth, 3u);
  set_limits([](vigil_scan_limits& l) { l.max_recursion = 2; });
  EXPECT_TRUE(scan(data).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_RECURSION});
}

TEST_F(Containers, LargeMailPartsAreNotMistakenForBombs) {
  std::string big = random_bytes(17 << 20, 51) + kMarker;
  std::string mail =
      message(part("Content-Type: application/octet-stream\r\n"
                   "Content-Transfer-Encoding: base64\r\n"
                   "Content-Disposition: attachment; filename=\"big.bin\"",
                   base64(big)));
  std::vector<Found> found = scan(mail);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, std::vector<std::string>{"big.bin"});
  EXPECT_EQ(info().limits_exceeded, 0u);
}

TEST_F(Containers, AnMboxOfManyTinyMessagesIsCutAtTheMemberLimit) {
  std::string mbox;
  for (int i = 0; i < 20000; ++i) mbox += "From x\nFrom: a\nTo: b\nMIME-Version: 1.0\n\nb\n";
  set_limits([](vigil_scan_limits& l) { l.max_files = 100; });
  scan(mbox);
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_FILES});
  EXPECT_LE(info().members, 101u);
}

TEST_F(Containers, BytesThatOnlyStartLikeACompressedStreamAreStillOpenedAsArchives) {
  // A tar whose first name reads as a bzip2 header: the bzip2 view fails, the tar view finds
  // the member after it.
  std::string gz = make_archive({"raw", {"gzip"}, "", ""}, {{"x", payload(61)}});
  std::string tar =
      make_archive({"ustar", {}, "", ""}, {{"BZh91AY&SY-not-bzip2", "clean"}, {"evil.gz", gz}});
  std::vector<Found> found = scan(tar);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, std::vector<std::string>{"evil.gz"});
  // Bytes that start like .Z but are not: not a container, and never their own member.
  std::string z = std::string("\x1f\x9d\x60", 3) + random_bytes(1 << 20, 62);
  vigil_scan_result r{};
  EXPECT_TRUE(scan(z, 0, &r).empty());
  EXPECT_EQ(info().containers, 0u);
  EXPECT_EQ(info().limits_exceeded, 0u);
  EXPECT_EQ(r.bytes_scanned, z.size());
}

TEST_F(Containers, ATruncatedArchiveIsOneBrokenContainer) {
  std::string zip = make_archive({"zip", {}, "", ""}, {{"a.bin", random_bytes(200000, 71)},
                                                       {"b.bin", random_bytes(200000, 72)}});
  std::string cut = zip.substr(0, zip.size() / 4);  // inside a.bin's data
  vigil_scan_result r{};
  scan(cut, VIGIL_SCAN_ALLMATCH, &r);
  EXPECT_EQ(info().broken, 1u);
  std::vector<Found> alerts = scan(cut, VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_ALERT_BROKEN);
  EXPECT_EQ(alerts.size(), 1u);
}
