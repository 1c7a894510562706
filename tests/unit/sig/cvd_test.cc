// .cvd/.cld containers, built in memory with libarchive's writer: members load as sources named
// "x.cvd/member", every header field and integrity check fails with its own exact error, and
// ClamAV's signed test containers (from the shared signature data, when present) load.
#include "sig/cvd.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/hex.h"
#include "scan_support.h"

namespace vigil::sig {
namespace {

struct Entry {
  std::string name;
  std::string data;
  unsigned type = AE_IFREG;
  std::string link;  // symlink target, or hard link source when type is 0
};

la_ssize_t append(archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

std::string make_tar(const std::vector<Entry>& entries, bool gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_ustar(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append, nullptr), ARCHIVE_OK);
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    if (e.type == 0) {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.link.c_str());
    } else {
      archive_entry_set_filetype(entry, e.type);
      if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    }
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, e.type == AE_IFREG ? static_cast<la_int64_t>(e.data.size()) : 0);
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    archive_entry_free(entry);
    if (e.type == AE_IFREG && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string digest_hex(std::string_view data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return common::encode_hex(out, len);
}

struct Fields {
  std::string time = "27 Nov 2025 10-00 +0000";
  std::string version = "7";
  std::string sigs = "4";
  std::string flevel = "90";
  std::string md5;  // computed from the archive when empty
  std::string dsig = "c2lnbmF0dXJl";
  std::string builder = "vigil-test";
  std::string secs = "1764237600";

  std::string line(const std::string& md5_field, const std::string& dsig_field) const {
    return "ClamAV-VDB:" + time + ":" + version + ":" + sigs + ":" + flevel + ":" + md5_field +
           ":" + dsig_field + ":" + builder + ":" + secs;
  }
};

std::string container(const std::string& archive, const Fields& f = {}) {
  std::string header = f.line(f.md5.empty() ? digest_hex(archive, EVP_md5()) : f.md5, f.dsig);
  header.resize(std::max<size_t>(header.size(), kCvdHeaderSize), ' ');
  return header + archive;
}

// A .info manifest vouching for every entry but COPYING, as ClamAV's containers carry one.
Entry manifest(const std::vector<Entry>& entries, const Fields& f = {}) {
  std::string text = f.line("X", "X") + "\n";
  for (const Entry& e : entries) {
    if (e.name == "COPYING") continue;
    text += e.name + ":" + std::to_string(e.data.size()) + ":" + digest_hex(e.data, EVP_sha256()) +
            "\n";
  }
  return Entry{"x.info", text + "DSIG:bm90IHZlcmlmaWVk\n"};
}

const std::vector<Entry> kMembers = {
    {"COPYING", "license text\n"},
    {"x.hdb", "902fbdd2b1df0c4f70b4a5d23525e932:3:Hash.ABC\n"},  // md5("ABC")
    {"x.ndb", "Body.DEF:0:*:444546\n"},
    {"x.fp", "9ab51743f9b05886fa17c98dd17e5393:4:Allowed\n"},
    {"x.ldb", "Logical;Target:0;0;414243\n"},
    {"x.imp", "1024:0123456789abcdef0123456789abcdef:Imports\n"},
};

std::vector<Entry> with_manifest(std::vector<Entry> entries, const Fields& f = {}) {
  entries.insert(entries.begin() + 1, manifest(entries, f));
  return entries;
}

std::string unpack_error(const std::string& bytes, const std::string& name = "x.cvd") {
  auto r = unpack_cvd(bytes, name);
  EXPECT_FALSE(r.is_ok()) << name;
  return r.is_ok() ? "" : r.status().message();
}

std::vector<std::string> render(const Diagnostics& diags, vigil_diag_severity sev) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diags) {
    if (d.severity == sev) out.push_back(d.file + ":" + std::to_string(d.line) + ": " + d.message);
  }
  return out;
}

TEST(Cvd, MembersLoadAsSourcesNamedAfterTheContainer) {
  std::string cvd = container(make_tar(with_manifest(kMembers), true));
  CvdHeader header;
  std::vector<std::string> skipped;
  auto members = unpack_cvd(cvd, "x.cvd", &header, &skipped);
  ASSERT_TRUE(members.is_ok()) << members.status().message();
  std::vector<std::string> names;
  for (const Source& s : members.value()) names.push_back(s.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"x.cvd/x.hdb", "x.cvd/x.ndb", "x.cvd/x.fp", "x.cvd/x.ldb"}));
  EXPECT_EQ(members.value()[1].bytes, "Body.DEF:0:*:444546\n");
  EXPECT_EQ(skipped, (std::vector<std::string>{"x.cvd/x.imp"}));
  EXPECT_EQ(header.version, 7u);
  EXPECT_EQ(header.builder, "vigil-test");

  auto l = vigil::testing::load({{"x.cvd", cvd}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(render(l.diags, VIGIL_SEVERITY_ERROR), std::vector<std::string>{});
  EXPECT_EQ(render(l.diags, VIGIL_SEVERITY_WARNING),
            std::vector<std::string>{
                "x.cvd/x.imp:0: skipped: the .imp format is not supported by this engine version"});
  EXPECT_EQ(vigil::testing::scan(*l.engine, "zzDEF"), (std::vector<std::string>{"Body.DEF@2"}));
  EXPECT_EQ(vigil::testing::scan(*l.engine, "ABC"),
            (std::vector<std::string>{"Logical@-", "Hash.ABC@-"}));
  vigil_scan_result r{};
  EXPECT_TRUE(vigil::testing::scan(*l.engine, "DEFG", match::kDefaultWindow, true, &r).empty());
  EXPECT_EQ(r.allowlisted, 1u);  // md5("DEFG") is allowlisted by x.fp
}

TEST(Cvd, LineDiagnosticsNameTheMemberInsideTheContainer) {
  std::vector<Entry> entries = {{"daily.ndb", "Good:0:*:414243\nN:x:*:414243\n"}};
  auto l = vigil::testing::load({{"daily.cvd", container(make_tar(entries, true))}});
  EXPECT_EQ(render(l.diags, VIGIL_SEVERITY_ERROR),
            std::vector<std::string>{"daily.cvd/daily.ndb:2: invalid target type 'x'"});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(l.engine->body->signature_count(), 1u);
}

TEST(Cvd, IgnoreListMembersApplyToOtherSources) {
  std::vector<Entry> entries = {{"x.ndb", "Dropped:0:*:414243\nKept:0:*:444546\n"},
                                {"x.ign2", "Dropped\n"}};
  auto l = vigil::testing::load({{"x.cvd", container(make_tar(entries, true))}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(vigil::testing::scan(*l.engine, "ABCDEF"), (std::vector<std::string>{"Kept@3"}));
}

TEST(Cvd, CldIsAPlainTarCheckedThroughItsManifestNotTheHeaderMd5) {
  Fields stale;
  stale.md5 = "0123456789abcdef0123456789abcdef";  // an update rewrote the tar, not the header
  std::string cld = container(make_tar(with_manifest(kMembers), false), stale);
  auto l = vigil::testing::load({{"daily.cld", cld}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(render(l.diags, VIGIL_SEVERITY_ERROR), std::vector<std::string>{});
  EXPECT_EQ(vigil::testing::scan(*l.engine, "DEF"), (std::vector<std::string>{"Body.DEF@0"}));
  // A gzip'd .cld loads too, as ClamAV's does; the same bytes as a .cvd fail the MD5.
  EXPECT_TRUE(
      unpack_cvd(container(make_tar(with_manifest(kMembers), true), stale), "a.cld").is_ok());
  EXPECT_EQ(unpack_error(cld, "a.cvd").substr(0, 26), "a.cvd: MD5 of the archive ");
}

TEST(Cvd, CldWithoutManifestIsRejected) {
  EXPECT_EQ(unpack_error(container(make_tar(kMembers, false)), "daily.cld"),
            "daily.cld: no .info manifest, which a .cld needs to be verified");
}

TEST(Cvd, HeaderFieldErrors) {
  struct Case {
    std::string header;
    std::string error;
  };
  const std::string md5(32, 'a');
  const std::string tail = ":" + md5 + ":sig:builder:1764237600";
  const Case cases[] = {
      {"ClamAV-VDX:t:1:2:90" + tail, "does not start with 'ClamAV-VDB:'"},
      {"ClamAV-VDB:t:1:2:90:" + md5 + ":sig:builder", "expected 9 colon-separated fields, found 8"},
      {"ClamAV-VDB:t:1:2:90" + tail + ":extra", "expected 9 colon-separated fields, found 10"},
      {"ClamAV-VDB:t:1x:2:90" + tail, "version '1x' is not a decimal number"},
      {"ClamAV-VDB:t:-1:2:90" + tail, "version '-1' is not a decimal number"},
      {"ClamAV-VDB:t:4294967296:2:90" + tail, "version '4294967296' is out of range"},
      {"ClamAV-VDB:t:1::90" + tail, "signature count '' is not a decimal number"},
      {"ClamAV-VDB:t:1:2:+90" + tail, "functionality level '+90' is not a decimal number"},
      {"ClamAV-VDB:t:1:2:90:" + md5 + ":sig:builder:17642x",
       "build time in seconds '17642x' "
       "is not a decimal number"},
      {"ClamAV-VDB::1:2:90" + tail, "empty build time"},
      {"ClamAV-VDB:t:1:2:90:" + md5 + "::builder:1", "empty digital signature"},
      {"ClamAV-VDB:t:1:2:90:" + md5 + ":sig::1", "empty builder"},
      {"ClamAV-VDB:t\x01:1:2:90" + tail, "byte 0x01 at offset 12 is not printable text"},
      {"ClamAV-VDB:t:1:2:90" + tail + std::string("\0x", 2),
       "byte 0x00 at offset 75 is not printable text"},
  };
  for (const Case& c : cases) {
    std::string header = c.header;
    header.resize(kCvdHeaderSize, ' ');
    auto parsed = parse_cvd_header(header);
    ASSERT_FALSE(parsed.is_ok()) << c.header;
    EXPECT_EQ(parsed.status().code(), VIGIL_ERR_CORRUPT);
    EXPECT_EQ(parsed.status().message(), "CVD header: " + c.error) << c.header;
    EXPECT_EQ(unpack_error(header + make_tar(kMembers, true)), "x.cvd: CVD header: " + c.error);
  }
  EXPECT_EQ(parse_cvd_header("ClamAV-VDB:").status().message(),
            "CVD header: truncated (512 bytes needed, 11 present)");
  Fields bad_md5;
  bad_md5.md5 = "X";
  EXPECT_EQ(unpack_error(container(make_tar(kMembers, true), bad_md5)),
            "x.cvd: CVD header: MD5 'X' is not 32 hex digits");
}

TEST(Cvd, HeaderParsesEveryFieldAndItsPadding) {
  std::string h = Fields{}.line(std::string(32, 'b'), "sig") + std::string(3, '\0');
  h.resize(kCvdHeaderSize, ' ');
  auto parsed = parse_cvd_header(h + "anything after the header");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  const CvdHeader& c = parsed.value();
  EXPECT_EQ(c.build_time, "27 Nov 2025 10-00 +0000");
  EXPECT_EQ(c.version, 7u);
  EXPECT_EQ(c.signatures, 4u);
  EXPECT_EQ(c.flevel, 90u);
  EXPECT_EQ(c.md5, std::string(32, 'b'));
  EXPECT_EQ(c.dsig, "sig");
  EXPECT_EQ(c.builder, "vigil-test");
  EXPECT_EQ(c.build_secs, 1764237600u);
}

TEST(Cvd, WrongMd5NamesBothDigests) {
  std::string tar = make_tar(kMembers, true);
  Fields f;
  f.md5 = digest_hex(tar, EVP_md5());
  std::string cvd = container(tar, f);
  cvd.back() ^= 1;  // the gzip trailer's last byte
  EXPECT_EQ(unpack_error(cvd), "x.cvd: MD5 of the archive is " +
                                   digest_hex(cvd.substr(kCvdHeaderSize), EVP_md5()) +
                                   ", the header says " + f.md5);
  auto l = vigil::testing::load({{"x.cvd", cvd}, {"ok.ndb", "A:0:*:414243\n"}});
  ASSERT_FALSE(l.diags.empty());
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_IO);
  EXPECT_EQ(l.diags[0].file, "x.cvd");
  EXPECT_EQ(l.diags[0].message.substr(0, 29), "x.cvd: MD5 of the archive is ");
}

TEST(Cvd, TruncatedOrMissingArchive) {
  std::string tar = make_tar(kMembers, true);
  EXPECT_EQ(unpack_error(container(tar.substr(0, tar.size() / 2))),
            "x.cvd: archive: truncated gzip input");
  std::vector<Entry> big = {{"x.ndb", std::string(4000, '#') + "\nA:0:*:414243\n"}};
  std::string plain = make_tar(with_manifest(big), false);
  EXPECT_EQ(unpack_error(container(plain.substr(0, 3000)), "x.cld"),
            "x.cld: archive: member 'x.ndb': Truncated tar archive");
  EXPECT_EQ(unpack_error(container("")), "x.cvd: no archive after the header");
  EXPECT_EQ(unpack_error(container("not a tar at all")),
            "x.cvd: archive: Unrecognized archive format");
}

TEST(Cvd, MembersMustBePlainRegularFiles) {
  struct Case {
    Entry entry;
    std::string error;
  };
  const Case cases[] = {
      {{"sub/", "", AE_IFDIR}, "member 'sub/' is a directory, not a regular file"},
      {{"link.ndb", "", AE_IFLNK, "/etc/passwd"},
       "member 'link.ndb' is a symbolic link, not a regular file"},
      {{"hard.ndb", "", 0, "x.ndb"}, "member 'hard.ndb' is a hard link, not a regular file"},
      {{"fifo.ndb", "", AE_IFIFO}, "member 'fifo.ndb' is a special file, not a regular file"},
      {{"../up.ndb", "A:0:*:414243\n"}, "member '../up.ndb' does not have a plain file name"},
      {{"sub/x.ndb", "A:0:*:414243\n"}, "member 'sub/x.ndb' does not have a plain file name"},
      {{"/abs.ndb", "A:0:*:414243\n"}, "member '/abs.ndb' does not have a plain file name"},
      {{"a\x01.ndb", "A:0:*:414243\n"}, "member 'a\\x01.ndb' does not have a plain file name"},
      {{"..", "A:0:*:414243\n"}, "member '..' does not have a plain file name"},
      {{"x.ndb", "B:0:*:444546\n"}, "member 'x.ndb' appears twice"},
  };
  for (const Case& c : cases) {
    std::vector<Entry> entries = {{"x.ndb", "A:0:*:414243\n"}, c.entry};
    EXPECT_EQ(unpack_error(container(make_tar(entries, true))), "x.cvd: " + c.error);
  }
}

TEST(Cvd, UnknownMemberExtensionsAreSkippedWithAWarning) {
  std::vector<Entry> entries = {{"notes.txt", "hello\n"}, {"x.ndb", "A:0:*:414243\n"}};
  auto l = vigil::testing::load({{"x.cvd", container(make_tar(entries, true))}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(render(l.diags, VIGIL_SEVERITY_WARNING),
            std::vector<std::string>{
                "x.cvd/notes.txt:0: skipped: not a signature format this engine reads"});
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_UNKNOWN_FORMAT);
  EXPECT_EQ(l.engine->body->signature_count(), 1u);
}

TEST(Cvd, ManifestMismatches) {
  std::vector<Entry> good = with_manifest(kMembers);
  auto tampered = good;
  tampered[2].data = "902fbdd2b1df0c4f70b4a5d23525e932:3:Hash.ABd\n";
  EXPECT_EQ(unpack_error(container(make_tar(tampered, true))),
            "x.cvd: member 'x.hdb' does not match its SHA256 in x.info");
  tampered[2].data += "\n";
  EXPECT_EQ(unpack_error(container(make_tar(tampered, true))),
            "x.cvd: member 'x.hdb' is 45 bytes; x.info says 44");
  auto extra = good;
  extra.push_back({"extra.ndb", "E:0:*:414243\n"});
  EXPECT_EQ(unpack_error(container(make_tar(extra, false)), "x.cld"),
            "x.cld: member 'extra.ndb' is not listed in x.info");
  // A member the manifest lists but the archive lacks is fine (ClamAV loads such a .cld too).
  auto dropped = good;
  dropped.pop_back();
  EXPECT_TRUE(unpack_cvd(container(make_tar(dropped, false)), "x.cld").is_ok());

  Fields other;
  other.version = "8";
  auto disagree = kMembers;
  disagree.insert(disagree.begin(), manifest(kMembers, other));
  EXPECT_EQ(unpack_error(container(make_tar(disagree, true))),
            "x.cvd: x.info:1: header line has version 8, the container header 7");
  other = Fields{};
  other.secs = "1764237601";
  disagree[0] = manifest(kMembers, other);
  EXPECT_EQ(unpack_error(container(make_tar(disagree, true))),
            "x.cvd: x.info:1: header line has build time in seconds 1764237601, the container "
            "header 1764237600");
  auto garbled = kMembers;
  Entry info = manifest(kMembers);
  info.data.insert(info.data.find('\n') + 1, "x.hdb:44\n");
  garbled.insert(garbled.begin(), info);
  EXPECT_EQ(unpack_error(container(make_tar(garbled, true))),
            "x.cvd: x.info:2: expected NAME:SIZE:SHA256");
  auto two = good;
  two.push_back(Entry{"y.info", good[1].data});
  EXPECT_EQ(unpack_error(container(make_tar(two, true))),
            "x.cvd: more than one .info manifest ('x.info', 'y.info')");
}

TEST(Cvd, NewerFunctionalityLevelWarnsAndStillLoads) {
  Fields f;
  f.flevel = "999";
  auto l = vigil::testing::load({{"x.cvd", container(make_tar(kMembers, true), f)}});
  ASSERT_TRUE(l.engine);
  ASSERT_FALSE(l.diags.empty());
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_FLEVEL);
  EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_WARNING);
  EXPECT_EQ(l.diags[0].file + ": " + l.diags[0].message,
            "x.cvd: the container needs functionality level 999; this engine implements " +
                std::to_string(kEngineFlevel));
  EXPECT_EQ(l.engine->stats.body_signatures, 1u);
  EXPECT_EQ(l.engine->stats.logical_signatures, 1u);
}

TEST(Cvd, MemberCountIsBounded) {
  std::vector<Entry> many;
  for (size_t i = 0; i <= kMaxCvdMembers; ++i) {
    Entry e{std::to_string(i), ""};
    e.name += ".txt";
    many.push_back(e);
  }
  auto r = unpack_cvd(container(make_tar(many, true)), "x.cvd");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), VIGIL_ERR_LIMIT);
  EXPECT_EQ(r.status().message(), "x.cvd: more than 1024 members");
  many.pop_back();
  EXPECT_TRUE(unpack_cvd(container(make_tar(many, true)), "x.cvd").is_ok());
}

TEST(Cvd, PathsAndDirectoriesOfContainersLoad) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("vigil-cvd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "main.cvd", std::ios::binary) << container(make_tar(kMembers, true));
  std::ofstream(dir / "local.ndb", std::ios::binary) << "Local:0:*:4a4b4c\n";
  SignatureSet set = load_sources({Source{dir.string(), false, {}}}, LoadFlags{});
  std::vector<std::string> bodies;
  for (const BodySig& b : set.body) {
    if (b.logical == kNotLogical) bodies.push_back(set.files[b.file_index] + " " + b.name);
  }
  EXPECT_EQ(set.logical.size(), 1u);
  EXPECT_EQ(bodies, (std::vector<std::string>{dir.string() + "/local.ndb Local",
                                              dir.string() + "/main.cvd/x.ndb Body.DEF"}));
  EXPECT_EQ(set.hashes.size(), 1u);
  SignatureSet missing = load_sources({Source{(dir / "nope.cvd").string(), false, {}}}, {});
  ASSERT_EQ(missing.diags.size(), 1u);
  EXPECT_EQ(missing.diags[0].code, VIGIL_DIAG_IO);
  std::filesystem::remove_all(dir);
}

// ClamAV's own signed test container, when the shared signature data is present: its header
// reads as sigtool --info prints it, its manifest verifies, and the same members load from it
// repacked as a .cld (a plain tar, as freshclam leaves one).
TEST(Cvd, ClamavSignedTestContainer) {
  const std::string path = std::string(VIGIL_SHARED_DIR) +
                           "/sigdata/clamav-unit-test-sigs/unit_tests/input/freshclam_testfiles/"
                           "test-3.cvd";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << path << " is absent";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string cvd = ss.str();
  CvdHeader h;
  std::vector<std::string> skipped;
  auto members = unpack_cvd(cvd, "test-3.cvd", &h, &skipped);
  ASSERT_TRUE(members.is_ok()) << members.status().message();
  EXPECT_EQ(h.build_time, "22 Jun 2021 20-40 -0400");
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.signatures, 11u);
  EXPECT_EQ(h.flevel, 81u);
  EXPECT_EQ(h.md5, "75c84c7f1a2d37d9c2a37b2bc9b3a670");
  EXPECT_EQ(h.builder, "raynman");
  EXPECT_EQ(h.build_secs, 1624408809u);
  std::vector<std::string> names;
  for (const Source& s : members.value()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"test-3.cvd/test.hdb", "test-3.cvd/test.hsb",
                                             "test-3.cvd/test.mdb", "test-3.cvd/test.msb",
                                             "test-3.cvd/test.ndb", "test-3.cvd/test.ldb",
                                             "test-3.cvd/test.fp", "test-3.cvd/test.sfp"}));
  EXPECT_EQ(skipped.size(), 10u);

  SignatureSet set = load_sources({Source{path, false, {}}}, LoadFlags{});
  EXPECT_EQ(render(set.diags, VIGIL_SEVERITY_ERROR), std::vector<std::string>{});
  EXPECT_EQ(set.hashes.size(), 3u);  // two in test.hdb, one in test.hsb
  EXPECT_EQ(set.allow.size(), 2u);
  EXPECT_EQ(set.body.size(), 0u);  // test.ndb's one signature is for functionality levels <= 38
  EXPECT_EQ(set.hashes[0].name, "Eicar-Test-Signature");

  // As a .cld: the archive inflated, the header kept (its MD5 now stale).
  std::string tar;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  ASSERT_EQ(archive_read_open_memory(a, cvd.data() + kCvdHeaderSize, cvd.size() - kCvdHeaderSize),
            ARCHIVE_OK);
  archive_entry* e = nullptr;
  ASSERT_EQ(archive_read_next_header(a, &e), ARCHIVE_OK);
  char buf[4096];
  for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) tar.append(buf, n);
  archive_read_free(a);
  std::string cld = cvd.substr(0, kCvdHeaderSize) + tar;
  auto from_cld = unpack_cvd(cld, "test.cld");
  ASSERT_TRUE(from_cld.is_ok()) << from_cld.status().message();
  EXPECT_EQ(from_cld.value().size(), 8u);
  size_t at = cld.find("Clamav.Test.File-6");
  ASSERT_NE(at, std::string::npos);
  cld[at + 17] = '7';  // what ClamAV rejects as "Invalid checksum for file test.hdb"
  EXPECT_EQ(unpack_error(cld, "test.cld"),
            "test.cld: member 'test.hdb' does not match its SHA256 in test.info");
}

}  // namespace
}  // namespace vigil::sig
