// Source formats end to end through load_sources(): each accepted form, each rejected line
// with its file, line and reason, functionality levels, ignore lists, names and gzip.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdio>

#include "deflate_support.h"
#include "scan_support.h"

namespace vigil::sig {
namespace {

using vigil::testing::load;

std::string first_error(const Diagnostics& d) {
  for (const Diagnostic& x : d) {
    if (x.severity == VIGIL_SEVERITY_ERROR) {
      return x.file + ":" + std::to_string(x.line) + ": " + x.message + " [" + x.signature + "]";
    }
  }
  return "";
}

TEST(Sources, HashFormatsAcceptEveryDigestAndSizeForm) {
  auto l =
      load({{"a.hdb",
             "44d88612fea8a8f36de82e1278abb02f:68:Md5.Sig\n"
             "# a comment\n"
             "\n"
             "3395856ce81f2b7382dee72602f798b642f14140:68:Sha1.Sig\n"
             "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F:*:Sha256.Any:73\n"
             "44d88612fea8a8f36de82e1278abb02f:68:Flevel.Ok:60:300\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(first_error(l.diags), "");
  EXPECT_EQ(l.engine->hashes.size(), 4u);
}

TEST(Sources, HashLineErrorsNameFileLineAndReason) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {"44d88612fea8a8f36de82e1278abb02f:68",
       "expected HASH:SIZE:NAME[:MINFL[:MAXFL]], got 2 fields"},
      {"44d88612fea8a8f36de82e1278abb02:68:N",
       "hash must be 32 (MD5), 40 (SHA1) or 64 (SHA256) hex digits"},
      {"44d88612fea8a8f36de82e1278abb0zz:68:N",
       "hash must be 32 (MD5), 40 (SHA1) or 64 (SHA256) hex digits"},
      {"44d88612fea8a8f36de82e1278abb02f:6x8:N", "invalid file size '6x8'"},
      {"44d88612fea8a8f36de82e1278abb02f:*:N",
       "size '*' requires a minimum functionality level field of at least 73"},
      {"44d88612fea8a8f36de82e1278abb02f:*:N:50",
       "size '*' requires a minimum functionality level field of at least 73"},
      {"44d88612fea8a8f36de82e1278abb02f:68:", "empty or invalid signature name"},
      {"44d88612fea8a8f36de82e1278abb02f:68:N:abc", "invalid minimum functionality level 'abc'"},
  };
  for (const Case& c : cases) {
    auto l = load(
        {{"bad.hdb", std::string("902fbdd2b1df0c4f70b4a5d23525e932:3:Good\n") + c.line + "\n"}});
    EXPECT_EQ(first_error(l.diags),
              std::string("bad.hdb:2: ") + c.error + " [" +
                  (std::string(c.line).find(":N") != std::string::npos ? "N" : "") + "]")
        << c.line;
  }
}

TEST(Sources, NdbLineErrorsNameFileLineAndReason) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {"N:0:*", "expected NAME:TARGET:OFFSET:HEX[:MINFL[:MAXFL]], got 3 fields"},
      {"N:x:*:414243", "invalid target type 'x'"},
      {"N:8:*:414243", "target type 8 is not one this engine knows"},
      {"N:13:*:414243", "target type 13 is not one this engine knows"},
      {"N:0:EP+10:414243", "offset 'EP+10' needs target type 1, 6 or 9 (an executable)"},
      {"N:7:S2+4:414243", "offset 'S2+4' needs target type 1, 6 or 9 (an executable)"},
      {"N:0:SL+4:414243", "offset 'SL+4' needs target type 1, 6 or 9 (an executable)"},
      {"N:10:SE1:414243", "offset 'SE1' needs target type 1, 6 or 9 (an executable)"},
      {"N:1:EP+x:414243", "invalid offset 'EP+x': expected EP+n or EP-n"},
      {"N:1:S2-4:414243", "invalid offset 'S2-4': expected Sx+n"},
      {"N:1:SE1,4x:414243", "invalid offset 'SE1,4x': bad maxshift"},
      {"N:1:VI:414243",
       "offset 'VI' needs PE version information, which this engine version does not read"},
      {"N:0:$32:414243", "offset '$32': a macro group is $n with n from 0 to 31"},
      {"N:0:EOF-x:414243", "invalid offset 'EOF-x': expected EOF-n"},
      {"N:0:10,x:414243", "invalid offset '10,x': bad maxshift"},
      {"N:0:ten:414243", "invalid offset 'ten': expected *, n, EOF-n or n,maxshift"},
      {"N:0:*:4142(43", "invalid hex pattern: column 5: unbalanced '('"},
      {"N:0:*:41(42|43)44",
       "pattern has no run of 2 or more fixed bytes outside alternatives to search for"},
  };
  for (const Case& c : cases) {
    auto l = load({{"bad.ndb", std::string("Good:0:*:414243\n") + c.line + "\n"}});
    EXPECT_EQ(first_error(l.diags), std::string("bad.ndb:2: ") + c.error + " [N]") << c.line;
    ASSERT_TRUE(l.engine);
    EXPECT_EQ(l.engine->body->signature_count(), 1u) << c.line;
  }
}

TEST(Sources, FunctionalityLevelSkipsAreWarningsNotErrors) {
  auto l = load({{"f.ndb",
                  "Old:0:*:414243:1:20\n"
                  "New:0:*:414243:999\n"
                  "Now:0:*:414243:100:300\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(first_error(l.diags), "");
  EXPECT_EQ(l.engine->body->signature_count(), 1u);
  int flevel = 0;
  for (const Diagnostic& d : l.diags) flevel += d.code == VIGIL_DIAG_FLEVEL;
  EXPECT_EQ(flevel, 2);
}

TEST(Sources, IgnoreListsDropByNameOrByLineMd5) {
  // md5("ByMd5:0:*:444546") = computed by the loader; a wrong MD5 keeps the signature.
  auto l = load({{"sigs.ndb",
                  "ByName:0:*:414243\n"
                  "ByMd5:0:*:444546\n"
                  "WrongMd5:0:*:474849\n"
                  "Kept:0:*:4a4b4c\n"},
                 {"local.ign2",
                  "ByName\n"
                  "ByMd5:2c1a5e5c0bbd6b0e4e1c7a3b9f5d2e10\n"
                  "WrongMd5:00000000000000000000000000000000\n"}});
  ASSERT_TRUE(l.engine);
  auto hits = vigil::testing::scan(*l.engine, "ABC DEF GHI JKL");
  // ByMd5's real line MD5 differs from the one given, so it stays.
  EXPECT_EQ(hits, (std::vector<std::string>{"ByMd5@4", "WrongMd5@8", "Kept@12"}));
  EXPECT_EQ(l.engine->stats.ignored_signatures, 1u);
}

TEST(Sources, IgnoreListMatchesTheExactLineMd5) {
  unsigned char md[16];
  const std::string line = "ByMd5:0:*:444546";
  unsigned int n = 0;
  EVP_Digest(line.data(), line.size(), md, &n, EVP_md5(), nullptr);
  char hex[33];
  for (int i = 0; i < 16; ++i) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  auto l = load(
      {{"sigs.ndb", line + "\nKept:0:*:4a4b4c\n"}, {"x.ign2", std::string("ByMd5:") + hex + "\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(vigil::testing::scan(*l.engine, "DEF JKL"), (std::vector<std::string>{"Kept@4"}));
}

TEST(Sources, UnofficialSuffixOnlyWhenAsked) {
  auto plain = load({{"a.ndb", "Name.X:0:*:414243\n"}});
  auto suffixed = load({{"a.ndb", "Name.X:0:*:414243\n"}}, true);
  EXPECT_EQ(vigil::testing::scan(*plain.engine, "ABC"), (std::vector<std::string>{"Name.X@0"}));
  EXPECT_EQ(vigil::testing::scan(*suffixed.engine, "ABC"),
            (std::vector<std::string>{"Name.X.UNOFFICIAL@0"}));
}

std::string gzip(const std::string& text) {
  return vigil_test::deflate_bytes(text, 16 + MAX_WBITS);
}

TEST(Sources, GzipSourcesInflateAndCorruptOnesAreReported) {
  std::string gz = gzip("Gz:0:*:414243\n");
  auto l = load({{"x.ndb.gz", gz}});
  EXPECT_EQ(vigil::testing::scan(*l.engine, "zzABC"), (std::vector<std::string>{"Gz@2"}));
  auto bad = load({{"y.ndb.gz", gz.substr(0, gz.size() / 2)}});
  EXPECT_EQ(first_error(bad.diags), "y.ndb.gz:0: y.ndb.gz: truncated gzip data []");
  auto junk = load({{"z.ndb.gz", gz + "trailing junk"}});
  EXPECT_EQ(first_error(junk.diags), "z.ndb.gz:0: z.ndb.gz: corrupt gzip data []");
}

TEST(Sources, ConcatenatedGzipMembersAllLoad) {
  auto l = load({{"cat.ndb.gz", gzip("One:0:*:414243\n") + gzip("Two:0:*:444546\n")}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(l.engine->body->signature_count(), 2u);
}

TEST(Sources, UnknownAndUnsupportedFormatsAreErrorsWhenNamed) {
  auto l = load({{"x.txt", "whatever\n"}, {"y.imp", "a;b\n"}, {"ok.ndb", "A:0:*:414243\n"}});
  ASSERT_GE(l.diags.size(), 2u);
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_UNKNOWN_FORMAT);
  EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_ERROR);
  EXPECT_EQ(l.diags[1].code, VIGIL_DIAG_UNSUPPORTED);
  EXPECT_EQ(l.diags[1].message, "the .imp format is not supported by this engine version");
}

TEST(Sources, AllowlistMakesAMatchingFileClean) {
  // md5("ABC") = 902fbdd2b1df0c4f70b4a5d23525e932
  auto l = load(
      {{"a.ndb", "Body:0:*:414243\n"}, {"a.fp", "902fbdd2b1df0c4f70b4a5d23525e932:3:Allowed\n"}});
  vigil_scan_result r{};
  EXPECT_TRUE(vigil::testing::scan(*l.engine, "ABC", match::kDefaultWindow, true, &r).empty());
  EXPECT_EQ(r.allowlisted, 1u);
  EXPECT_EQ(vigil::testing::scan(*l.engine, "ABCD"), (std::vector<std::string>{"Body@0"}));
}

}  // namespace
}  // namespace vigil::sig
