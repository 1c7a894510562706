// Byte-compare subsignatures end to end: how the number is read (hex, decimal, auto, raw;
// either byte order; exact or not), where (from the trigger's last match, forward or back),
// how it is compared, and the load errors. Every expected verdict is clamscan 1.4.6's on the
// same signature and bytes; every scan is also streamed in pieces (scan_support.h), and a DAT
// built from the signatures must give the same verdicts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "scan/engine_dat.h"
#include "scan_support.h"

namespace vigil {
namespace {

using testing::load;
using testing::scan;

// "T" whose subsignature 0 is MARK and subsignature 1 the byte compare.
std::string sig(const std::string& expr, const std::string& compare) {
  return "T;Engine:81-255,Target:0;" + expr + ";4d41524b;" + compare + "\n";
}

struct Case {
  const char* expr;
  const char* compare;
  const char* data;
  bool found;
};

// Generated from clamscan runs: each case's bytes were a file, its signature a .ldb.
const Case kCases[] = {
    {"1", "0(>>4#hb4#=0x1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hb4#=0x1235)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#db4#=1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hl4#=0x3412)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hl4#=0x1234)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#hb2#=0x12)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hb8#=0x1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hbe8#=0x1234)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#hbe4#=0x1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hb4#=4660)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>0x4#hb4#=4660)", "xxxxMARK1234yyyy", true},
    {"1", "0(<<4#hb4#=0x1234)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#hb4#>0x1233,<0x1235)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#hb4#>0x1233,<0x1234)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#hb4#<0x1235,>0x1233)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#db4#>1233)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#d4#=1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#ab4#=1234)", "xxxxMARK1234yyyy", true},
    {"1", "0(>>4#ab4#=0x1234)", "xxxxMARK1234yyyy", false},
    {"1", "0(>>4#ib4#=0x01020304)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#il4#=0x04030201)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#ib1#=1)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#ib2#=0x0102)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#il2#=0x0201)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#ib8#=0x0102030405060708)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>4#il8#=0x0807060504030201)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>12#ib4#=0x7a7a7a7a)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>13#ib4#>0)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>4#ib8#>0x7FFFFFFFFFFFFFFF)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>4#ib4#=-1)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>4#ib4#>-1)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(>>0#ib4#=0x4d41524b)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>1#ib4#=0x41524b01)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", true},
    {"1", "0(<<0#ib4#=0x4d41524b)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>99999999999#ib1#>-1)", "MARK\x01\x02\x03\x04\x05\x06\x07\x08zzzz", false},
    {"1", "0(>>4#ib8#<0)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", true},
    {"1", "0(>>4#ib8#=-1)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", true},
    {"1", "0(>>4#ib4#=0xFFFFFFFF)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", true},
    {"1", "0(>>4#ib4#=-1)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", false},
    {"1", "0(>>12#ib1#=0x80)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", true},
    {"1", "0(>>12#ib1#<0)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", false},
    {"1", "0(>>11#ib2#=0xff80)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", true},
    {"1", "0(>>4#ib8#=0x7FFFFFFFFFFFFFFF)", "MARK\xff\xff\xff\xff\xff\xff\xff\xff\x80zzzz", false},
    {"1", "0(>>4#hb16#=0x123456789abcdef0)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#hb16#<0)", "MARK123456789abcdef0123456789ABCDEF0123zz", false},
    {"1", "0(>>4#hb17#>-1)", "MARK123456789abcdef0123456789ABCDEF0123zz", false},
    {"1", "0(>>4#hb18#>-1)", "MARK123456789abcdef0123456789ABCDEF0123zz", false},
    {"1", "0(>>4#db18#=123456789)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#db21#>-1)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#db40#>-1)", "MARK123456789abcdef0123456789ABCDEF0123zz", false},
    {"1", "0(>>4#hl8#=0x78563412)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#hl3#=0x2301)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#hl3#=0x123)", "MARK123456789abcdef0123456789ABCDEF0123zz", false},
    {"1", "0(>>12#hl4#=0xbc9a)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#ab22#>-1)", "MARK123456789abcdef0123456789ABCDEF0123zz", true},
    {"1", "0(>>4#hb17#=1)", "MARK00000000000000001zz", true},
    {"1", "0(>>4#hb17#=0x123456789abcdef0)", "MARK123456789abcdef0zz", true},
    {"1", "0(>>4#hl8#=0x3412)", "MARK12345yyyyyyyyyyy", true},
    {"1", "0(>>4#hl8#=0x452301)", "MARK12345yyyyyyyyyyy", false},
    {"1", "0(>>4#hl5#=0x452301)", "MARK12345yyyyyyyyyyy", true},
    {"1", "0(>>4#ab4#=26)", "MARK0x1Azzzzz", true},
    {"1", "0(>>4#al4#=26)", "MARK0x1Azzzzz", true},
    {"1", "0(>>4#abe8#=26)", "MARK0x1Azzzzz", false},
    {"1", "0(>>4#ab8#=26)", "MARK0x1Azzzzz", true},
    {"1", "0(>>4#ab3#=1)", "MARK0x1Azzzzz", true},
    {"1", "0(>>4#hb4#=0x1a)", "MARK0x1Azzzzz", true},
    {"1", "0(>>4#hl8#=0x12)", "MARK123yyyyyyyy", true},
    {"1", "0(>>4#hb8#=0x123)", "MARK123yyyyyyyy", true},
    {"1", "0(>>4#hl8#=0x563412)", "MARK1234567yyyy", true},
    {"1", "0(>>4#hb8#=0x1234567)", "MARK1234567yyyy", true},
    {"1", "0(>>4#db19#>-1)", "MARK9999999999999999999zz", false},
    {"1", "0(>>4#db19#<0)", "MARK9999999999999999999zz", false},
    {"1", "0(>>4#db20#>-1)", "MARK99999999999999999999zz", false},
    {"1", "0(>>4#db4#=-12)", "MARK -12zz", true},
    {"1", "0(>>4#dbe4#=-12)", "MARK -12zz", false},
    {"1", "0(>>4#db3#=-12)", "MARK-12zz", true},
    {"1", "0(>>4#dbe3#=-12)", "MARK-12zz", true},
    {"1", "0(>>4#db3#=12)", "MARK+12zz", true},
    {"1", "0(>>4#hb16#>-1)", "MARKFFFFFFFFFFFFFFFFzz", false},
    {"1", "0(<<4#ib4#=0x31323334)", "WXYZ1234MARKabcd", true},
    {"1", "0(<<8#ib4#=0x5758595a)", "WXYZ1234MARKabcd", false},
    {"1", "0(<<7#ib4#=0x58595a31)", "WXYZ1234MARKabcd", true},
    {"1", "0(<<9#ib1#>-1)", "WXYZ1234MARKabcd", false},
    {"1", "0(>>4#hb4#=0xabcd)", "WXYZ1234MARKabcd", true},
    {"1", "0(>>5#hbe4#>-1)", "WXYZ1234MARKabcd", false},
    {"1", "0(>>0#ib4#=0x4d41524b)", "abcdMARKefgh", true},
    {"1", "0(<<4#ib4#=0x61626364)", "abcdMARKefgh", false},
    {"1", "0(>>4#ab4#=17)", "MARK0017zzzz", true},
    {"1", "0(>>4#al4#>-1)", "MARK1234zzzz", false},
    {"1", "0(>>4#hl4#=0x1a)", "MARK0x1Azzzz", true},
    {"1", "0(>>4#hbe4#=0x1a)", "MARK0x1Azzzz", true},
    {"1", "0(>>4#hl6#=0x3412)", "MARK0x1234zz", true},
    {"1", "0(>>4#al6#=0x3412)", "MARK0x1234zz", true},
    {"1", "0(>>4#hb6#=0x1234)", "MARK0x1234zz", true},
    {"1", "0(>>4#hb3#=0x1a)", "MARK 1Azzzzz", true},
    {"1", "0(>>4#hbe3#=0x1a)", "MARK 1Azzzzz", false},
    {"1", "0(>>4#hl3#=0x1a)", "MARK 1Azzzzz", true},
    {"1", "0(>>4#hl4#=0x1200)", "MARK0012zzzz", true},
    {"1", "0(>>4#db4#=2)", "MARK0001....MARK0002....MARK0003....", false},
    {"1", "0(>>4#db4#=3)", "MARK0001....MARK0002....MARK0003....", true},
    {"1=1", "0(>>4#db4#>1)", "MARK0001....MARK0002....MARK0003....", true},
    {"1=2", "0(>>4#db4#>1)", "MARK0001....MARK0002....MARK0003....", false},
    {"0=3&1", "0(>>4#db4#=3)", "MARK0001....MARK0002....MARK0003....", true},
    {"0>2&1", "0(>>4#db4#=1)", "MARK0001....MARK0002....MARK0003....", false},
};

std::unique_ptr<scan::Engine> from_dat(const std::string& sigs) {
  return testing::load_from_dat({{"t.ldb", sigs}});
}

TEST(ByteCompare, ReadsAndComparesAsClamAvDoes) {
  for (const Case& c : kCases) {
    const std::string line = sig(c.expr, c.compare);
    auto l = load({{"t.ldb", line}});
    ASSERT_TRUE(l.engine) << line;
    for (const sig::Diagnostic& d : l.diags) ADD_FAILURE() << line << ": " << d.message;
    EXPECT_EQ(!scan(*l.engine, c.data).empty(), c.found) << line << " on " << c.data;
    EXPECT_EQ(!scan(*l.engine, c.data, match::kDefaultWindow, false).empty(), c.found)
        << line << " on " << c.data << " (first match)";
  }
}

TEST(ByteCompare, ADatGivesTheSameVerdicts) {
  // One DAT holding every case's signature under its own name.
  std::string sigs;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    sigs += "T" + std::to_string(i) + sig(kCases[i].expr, kCases[i].compare).substr(1);
  }
  auto fresh = load({{"t.ldb", sigs}});
  auto dat = from_dat(sigs);
  ASSERT_TRUE(fresh.engine);
  ASSERT_TRUE(dat);
  EXPECT_EQ(dat->stats.logical_signatures, std::size(kCases));
  for (size_t i = 0; i < std::size(kCases); ++i) {
    // The DAT orders its signatures by their text, so compare the names found, not the order.
    std::vector<std::string> hits = scan(*dat, kCases[i].data);
    std::vector<std::string> want = scan(*fresh.engine, kCases[i].data);
    std::sort(hits.begin(), hits.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(hits, want) << kCases[i].data;
    bool named = std::find(hits.begin(), hits.end(), "T" + std::to_string(i) + "@-") != hits.end();
    EXPECT_EQ(named, kCases[i].found) << kCases[i].compare << " on " << kCases[i].data;
  }
}

TEST(ByteCompare, OnlyTheTriggersLastMatchIsRead) {
  // 300 MARKs each followed by its number: the comparison holds only for the last, however
  // the prefilter windows cut the input, and a count comparison on the trigger still works.
  std::string data;
  for (int i = 0; i < 300; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "MARK%04d..", i);
    data += buf;
  }
  struct {
    const char* expr;
    const char* compare;
    bool found;
  } cases[] = {
      {"1", "0(>>4#db4#=299)", true},       {"1", "0(>>4#db4#=255)", false},
      {"1", "0(>>4#db4#=5)", false},        {"0>250&1", "0(>>4#db4#=299)", true},
      {"0=300&1", "0(>>4#db4#=299)", true}, {"1=1", "0(>>4#db4#>0)", true},
      {"1>1", "0(>>4#db4#>0)", false},
  };
  for (const auto& c : cases) {
    auto l = load({{"t.ldb", sig(c.expr, c.compare)}});
    ASSERT_TRUE(l.engine);
    for (uint64_t window : {uint64_t{64}, uint64_t{1000}, match::kDefaultWindow}) {
      EXPECT_EQ(!scan(*l.engine, data, window).empty(), c.found)
          << c.expr << " " << c.compare << " window " << window;
    }
  }
}

TEST(ByteCompare, TriggersAnyPatternSubsignatureAndFeedsPcreTriggers) {
  const char* sigs =
      "Fwd;Engine:81-255,Target:0;0&2;4d41524b;4e4f5045;0(>>4#ib1#=0x41)\n"
      // A trigger after the byte compare, with modifiers.
      "Wide;Engine:81-255,Target:0;0&1;1(>>10#ib1#=0x21);4d41524b::w\n"
      // A PCRE whose trigger is a byte compare.
      "Pcre;Engine:81-255,Target:0;2;4d41524b;0(>>4#ib1#=0x41);1/MARK.BC/\n";
  auto l = load({{"t.ldb", sigs}});
  ASSERT_TRUE(l.engine);
  for (const sig::Diagnostic& d : l.diags) ADD_FAILURE() << d.message;
  EXPECT_EQ(scan(*l.engine, "..MARKABC"), (std::vector<std::string>{"Fwd@-", "Pcre@-"}));
  EXPECT_EQ(scan(*l.engine, "..MARKBBC"), std::vector<std::string>{});
  EXPECT_EQ(scan(*l.engine, std::string("..M\0A\0R\0K\0..!", 13)),
            std::vector<std::string>{"Wide@-"});
}

TEST(ByteCompare, LoadErrorsNameTheProblem) {
  struct {
    const char* compare;
    const char* error;
  } cases[] = {
      {"0(>>4#hb4#=1", "expected TRIGGER(>>OFFSET#OPTIONS#COMPARISONS), got '0(>>4#hb4#=1'"},
      {"x(>>4#hb4#=1)", "trigger 'x' is not a subsignature number"},
      {"(>>4#hb4#=1)", "trigger '' is not a subsignature number"},
      {"2(>>4#hb4#=1)", "trigger subsignature 2 does not exist (the signature has 2)"},
      {"1(>>4#hb4#=1)", "a byte compare cannot trigger on itself"},
      {"0(>>4#hb4)", "expected OFFSET#OPTIONS#COMPARISONS inside the parentheses, got '>>4#hb4'"},
      {"0(>>4#hb4#=1#)",
       "expected OFFSET#OPTIONS#COMPARISONS inside the parentheses, got '>>4#hb4#=1#'"},
      {"0(4#hb4#=1)", "offset '4' must start with >> or <<"},
      {"0(>>-4#hb4#=1)", "offset '>>-4' is not a decimal or 0x number"},
      {"0(>>4##=1)", "options '': empty"},
      {"0(>>4#xb4#=1)", "options 'xb4': the first letter must be h, d, a or i"},
      {"0(>>4#dl4#=1)", "options 'dl4': decimal reads are big-endian, 'l' is not allowed"},
      {"0(>>4#h4#=1)", "options 'h4': needs an endianness, l or b, after the base"},
      {"0(>>4#ie4#=1)", "options 'ie4': needs an endianness, l or b, after the base"},
      {"0(>>4#hb0#=1)", "options 'hb0': the length must be a number of bytes, at least 1"},
      {"0(>>4#heb4#=1)", "options 'heb4': needs an endianness, l or b, after the base"},
      {"0(>>4#hbe#=1)", "options 'hbe': the length must be a number of bytes, at least 1"},
      {"0(>>4#ib3#=1)", "options 'ib3': raw reads take 1, 2, 4 or 8 bytes"},
      {"0(>>4#hb19#=1)", "options 'hb19': hex reads are at most 18 characters"},
      {"0(>>4#db4097#=1)", "options 'db4097': text reads are at most 4096 characters"},
      {"0(>>4#ab2#=1)",
       "options 'ab2': auto reads are at least 3 characters (ClamAV never matches shorter ones)"},
      {"0(>>4#hb4#)", "comparison '' must start with <, > or ="},
      {"0(>>4#hb4#!1)", "comparison '!1' must start with <, > or ="},
      {"0(>>4#hb4#=1,)", "comparison '' must start with <, > or ="},
      {"0(>>4#hb4#=1,<2,>0)", "at most two comparisons, got '=1,<2,>0'"},
      {"0(>>4#hb4#=)",
       "comparison value '' is not a decimal or 0x number in the signed 64-bit range"},
      {"0(>>4#hb4#=1 )",
       "comparison value '1 ' is not a decimal or 0x number in the signed 64-bit range"},
      {"0(>>4#hb4#=0x1234yyyy)",
       "comparison value '0x1234yyyy' is not a decimal or 0x number in the signed 64-bit range"},
      {"0(>>4#ib8#=0xFFFFFFFFFFFFFFFF)",
       "comparison value '0xFFFFFFFFFFFFFFFF' is not a decimal or 0x number in the signed "
       "64-bit range"},
  };
  for (const auto& c : cases) {
    auto l = load({{"bad.ldb", "Good;Engine:81-255,Target:0;0;414243\n" + sig("0&1", c.compare)}});
    ASSERT_EQ(l.diags.size(), 1u) << c.compare;
    EXPECT_EQ(l.diags[0].line, 2u);
    EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_ERROR);
    EXPECT_EQ(l.diags[0].message, std::string("subsignature 1: byte compare: ") + c.error)
        << c.compare;
    ASSERT_TRUE(l.engine);
    EXPECT_EQ(l.engine->logical.size(), 1u) << c.compare;
  }
  // The trigger must be a pattern subsignature.
  auto l = load({{"t.ldb",
                  "P;Engine:81-255,Target:0;0&1&2;4d41524b;0/MARK/;1(>>4#ib1#=1)\n"
                  "B;Engine:81-255,Target:0;0&1&2;4d41524b;0(>>4#ib1#=1);1(>>4#ib1#=1)\n"}});
  ASSERT_EQ(l.diags.size(), 2u);
  EXPECT_EQ(l.diags[0].message,
            "subsignature 2: byte compare: its trigger, subsignature 1, is a PCRE (it must be a "
            "pattern subsignature)");
  EXPECT_EQ(l.diags[1].message,
            "subsignature 2: byte compare: its trigger, subsignature 1, is a byte compare (it "
            "must be a pattern subsignature)");
}

}  // namespace
}  // namespace vigil
