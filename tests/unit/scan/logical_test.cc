// Logical signatures end to end: the expression forms and their counting rules, subsignature
// modifiers, target types, executable-relative offsets and target-description conditions,
// each checked on inputs that do and do not satisfy them (the expected verdicts are ClamAV
// 1.4's on the same signatures and inputs). Every scan is also streamed in pieces by
// scan_support.h, which must give the same verdict.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/hex.h"
#include "scan/engine_dat.h"
#include "scan_support.h"

namespace vigil {
namespace {

using testing::load;
using testing::scan;

// "T" with subsignatures AAAA, BBBB, CCCC (as many as the expression names).
std::string ldb(const std::string& expr, int subsigs = 3, const std::string& tdb = "Target:0") {
  static const char* kSubs[] = {"41414141", "42424242", "43434343"};
  std::string line = "T;Engine:51-255," + tdb + ";" + expr;
  for (int i = 0; i < subsigs; ++i) line += std::string(";") + kSubs[i];
  return line + "\n";
}

bool detects(const std::string& sigs, std::string_view data, bool all = true) {
  auto l = load({{"t.ldb", sigs}});
  EXPECT_TRUE(l.engine);
  if (!l.engine) return false;
  for (const sig::Diagnostic& d : l.diags) ADD_FAILURE() << d.message;
  auto hits = scan(*l.engine, data, match::kDefaultWindow, all);
  return !hits.empty();
}

TEST(Logical, ExpressionsAndCounts) {
  struct Case {
    const char* expr;
    int subsigs;
    const char* data;
    bool found;
  };
  const Case cases[] = {
      {"0&1", 2, "AAAA..BBBB", true},
      {"0&1", 2, "AAAA......", false},
      {"0|1", 2, "....BBBB", true},
      {"0|1", 2, "........", false},
      // Every occurrence counts, overlapping ones too: AAAAAA holds AAAA three times.
      {"0>2", 1, "AAAA.AAAA.AAAA", true},
      {"0>2", 1, "AAAAAA", true},
      {"0>2", 1, "AAAA.AAAA", false},
      {"0=2", 1, "AAAA.AAAA", true},
      {"0=2", 1, "AAAA.AAAA.AAAA", false},
      {"1&0<2", 2, "BBBB.AAAA", true},
      {"1&0<2", 2, "BBBB.AAAA.AAAA", false},
      // "=0" is negation.
      {"1&0=0", 2, "BBBB", true},
      {"1&0=0", 2, "BBBB.AAAA", false},
      // A group counts the matches of its members; ",Y" asks for Y distinct subsignatures.
      {"(0|1|2)>5,2", 3, "AAAA.AAAA.AAAA.BBBB.BBBB.BBBB", true},
      {"(0|1|2)>5,2", 3, "AAAA.AAAA.AAAA.AAAA.AAAA.AAAA", false},
      {"(0|1|2)=3,2", 3, "AAAA.AAAA.BBBB", true},
      {"0=3,2", 1, "AAAA.AAAA.AAAA", true},  // on one subsignature the ",Y" is ignored
      {"(0|1|2)=3,2", 3, "AAAA.AAAA.AAAA", false},
      // An '&' group counts only when it holds.
      {"(0&1)>2", 2, "AAAA.AAAA.BBBB", true},
      {"(0&1)>2", 2, "AAAA.AAAA.AAAA", false},
      // A count binds to the operand before it: 0&1>2 is 0&(1>2).
      {"0&1>2", 2, "AAAA.AAAA.BBBB", false},
      {"0&1>2", 2, "AAAA.BBBB.BBBB.BBBB", true},
      // Chains of mixed operators group from the right: 0&1|2 is 0&(1|2).
      {"0&1|2", 3, "CCCC", false},
      {"0&1|2", 3, "AAAA.CCCC", true},
      {"0|1&2", 3, "AAAA", true},
      {"2|0&1", 3, "CCCC", true},
      // ... and inside parentheses from the left: (0&1|2) is ((0&1)|2).
      {"(0&1|2)", 3, "CCCC", true},
      {"(0|1&2)", 3, "AAAA", false},
      {"(2|0&1)", 3, "CCCC", false},
      {"(2|0&1)", 3, "CCCC.BBBB", true},
      {"((0|1)&(2))", 3, "BBBB.CCCC", true},
      {"0 & 1", 2, "AAAA.BBBB", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(detects(ldb(c.expr, c.subsigs), c.data), c.found) << c.expr << " on " << c.data;
    EXPECT_EQ(detects(ldb(c.expr, c.subsigs), c.data, false), c.found)
        << c.expr << " on " << c.data << " (first match)";
  }
}

TEST(Logical, CountsStayWithinOneInput) {
  auto l = load({{"t.ldb", ldb("0&1", 2)}});
  auto scratch = scan::make_scratch(*l.engine);
  ASSERT_TRUE(scratch.is_ok());
  std::vector<std::string> hits;
  vigil_scan_result r{};
  for (std::string_view data : {"AAAA", "BBBB"}) {
    ASSERT_TRUE(scan::scan_bytes(*l.engine, *scratch.value(),
                                 reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                 VIGIL_SCAN_ALLMATCH, scan::Callback{&testing::collect, &hits}, r)
                    .is_ok());
  }
  EXPECT_TRUE(hits.empty());
}

// A counted subsignature of varying length counts its distinct match ends, as clamscan 1.4.6
// counts them: two starts that reach one end are one match, one start that reaches two ends
// two.
TEST(Logical, CountsAreOfDistinctMatchEnds) {
  const std::string binary("\x00\x01\x02", 3);
  // Alternatives of unequal lengths do not split a pattern: one start, one match.
  EXPECT_TRUE(detects("C;Engine:81-255,Target:0;0=1;616263(64|6464)6464\n", binary + "abcdddd"));
  EXPECT_FALSE(detects("C;Engine:81-255,Target:0;0>1;616263(64|6464)6464\n", binary + "abcdddd"));
  for (const char* subsig : {"4141{1-5}4242", "4141*4242"}) {
    struct Case {
      const char* data;
      int matches;
    };
    const Case cases[] = {
        {"AA.AA.BB", 1}, {"AA.BB.BB", 2}, {"AA.AA.BB..AA.BB", 2}, {"AA.BB", 1}, {"BB.AA", 0}};
    for (const Case& c : cases) {
      for (int n = 1; n <= 3; ++n) {  // each case counted
        const std::string sig = "C;Engine:51-255,Target:0;0=" + std::to_string(n) + ";" + subsig;
        EXPECT_EQ(detects(sig + "\n", binary + c.data), n == c.matches)
            << subsig << " over " << c.data << ", count " << n;
      }
    }
  }
}

TEST(Logical, ModifiersMatchAsClamAvReadsThem) {
  struct Case {
    const char* subsig;
    std::string data;
    bool found;
  };
  using namespace std::string_literals;
  const std::string wide = "h\0e\0l\0l\0o\0"s;
  const Case cases[] = {
      {"68656c6c6f::i", "..HeLLo..", true},
      {"48454c4c4f::i", "..hello..", true},
      {"6?454c4c4f::i", "..HELLO..", false},  // nibbles are not case-folded
      {"68656c6c6f::w", ".." + wide + "..", true},
      {"68656c6c6f::w", "..hello..", false},
      {"68656c6c6f::w", "..h\0e\0l\0l\0o."s, false},  // the last byte is wide too
      {"68656c6c6f::wa", ".." + wide + "..", true},
      {"68656c6c6f::aw", "..hello..", true},
      {"68656c6c6f::a", "..hello..", true},
      {"68656c6c6f::a", ".." + wide + "..", false},  // "::a" alone is the ASCII form only
      {"68656c6c6f::", "..hello..", true},           // no letters: no modifier
      {"68656c6c6f::wi", "..H\0E\0L\0L\0O\0"s, true},
      {"68??6c6c6f::w", "h\0X\0l\0l\0o\0"s, true},        // a wildcard byte is widened
      {"6865{3}6c6c6f::w", "h\0e\0ABCl\0l\0o\0"s, true},  // a gap stays a byte count
      {"68656c6c6f::f", "_hello_", true},
      {"5068{4}", "Ph1234", true},  // a subsignature may end with a fixed gap
      {"5068{4}", "Ph12", false},
      {"68656c6c6f::f", "hello", true},
      {"68656c6c6f::f", "xhello.", false},
      {"68656c6c6f::f", ".hello1", false},
      {"68656c6c6f::fi", "(HELLO)", true},
      {"(68|6a)656c6c6f::w", "j\0e\0l\0l\0o\0"s, true},
      // Wide and fullword: the neighbours are 16-bit units, as clamscan 1.4.6 judges them.
      {"616263::wf", " \0a\0b\0c\0 \0"s, true},
      {"616263::wf", "_\0a\0b\0c\0_\0"s, true},
      {"616263::wf", "z\0a\0b\0c\0 \0"s, false},  // a letter unit before
      {"616263::wf", "1\0a\0b\0c\0 \0"s, false},  // a digit unit before
      {"616263::wf", " \0a\0b\0c\0Z\0"s, false},  // a letter unit after
      {"616263::wf", "xza\0b\0c\0 \0"s, true},    // the unit before is "xz": no letter
      {"616263::wf", "z\1a\0b\0c\0 \0"s, true},   // nor is "z" then 01
      {"616263::wf", " \0a\0b\0c\0z "s, true},    // nor "z " after
      {"616263::wf", " \0a\0b\0c\0z"s, false},    // a letter, then the input's end
      {"616263::wf", " \0a\0b\0c\0"s, true},      // the input's end
      {"616263::wfa", "zabc.", false},            // the ASCII form keeps byte neighbours
      {"616263::wfa", ".abc.", true},
  };
  // A binary prefix keeps the inputs from being text, which is also matched lowercased.
  const std::string binary("\x00\x01\x02\x03\xff\xfe", 6);
  for (const Case& c : cases) {
    std::string sig = std::string("T;Engine:51-255,Target:0;0;") + c.subsig + "\n";
    EXPECT_EQ(detects(sig, binary + c.data), c.found) << c.subsig << ", case " << (&c - cases);
  }
  // With one byte before wide text, the input's start is its edge.
  EXPECT_TRUE(detects("T;Engine:51-255,Target:0;0;616263::wf\n", "za\0b\0c\0\1\2"s));
}

// A PE32 with `sections` sections of 0x200 raw bytes each (section i at file offset
// 0x200 * (i + 1), RVA 0x1000 * (i + 1)) and its entry point at `ep_rva`.
std::string make_pe(int sections, uint32_t ep_rva) {
  std::string f(0x200 * (sections + 1), '\0');
  auto put16 = [&f](size_t at, uint16_t v) { std::memcpy(&f[at], &v, 2); };
  auto put32 = [&f](size_t at, uint32_t v) { std::memcpy(&f[at], &v, 4); };
  f[0] = 'M';
  f[1] = 'Z';
  put32(0x3C, 0x40);
  std::memcpy(&f[0x40], "PE\0\0", 4);
  put16(0x44, 0x14C);  // i386
  put16(0x46, static_cast<uint16_t>(sections));
  put16(0x54, 0xE0);    // optional header size
  put16(0x56, 0x0102);  // executable, 32-bit
  const size_t opt = 0x58;
  put16(opt, 0x10B);  // PE32
  put32(opt + 16, ep_rva);
  put32(opt + 28, 0x400000);  // image base
  put32(opt + 32, 0x1000);    // section alignment
  put32(opt + 36, 0x200);     // file alignment
  put16(opt + 40, 4);         // OS version
  put16(opt + 48, 4);         // subsystem version
  put32(opt + 56, 0x1000 * (sections + 1));
  put32(opt + 60, 0x200);
  put16(opt + 68, 2);  // GUI subsystem
  put32(opt + 92, 16);
  for (int i = 0; i < sections; ++i) {
    size_t s = opt + 0xE0 + 40 * static_cast<size_t>(i);
    std::memcpy(&f[s], i == 0 ? ".text" : ".data", 5);
    put32(s + 8, 0x200);
    put32(s + 12, 0x1000 * (i + 1));
    put32(s + 16, 0x200);
    put32(s + 20, 0x200 * (i + 1));
    put32(s + 36, 0x60000020);
  }
  return f;
}

std::string with(std::string file, size_t at, std::string_view bytes) {
  file.replace(at, bytes.size(), bytes);
  return file;
}

TEST(Logical, TargetTypesAndExecutableOffsets) {
  const std::string pe = make_pe(3, 0x1010);  // entry point at file offset 0x210
  const std::string plain(pe.size(), '.');
  struct Case {
    const char* sig;
    std::string data;
    bool found;
  };
  const Case cases[] = {
      {"T;Engine:51-255,Target:1;0;41414141", with(pe, 0x300, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;41414141", with(plain, 0x300, "AAAA"), false},
      {"T;Engine:51-255,Target:0;0;41414141", with(plain, 0x300, "AAAA"), true},
      {"T;Engine:51-255,Target:6;0;41414141", with(pe, 0x300, "AAAA"), false},
      {"T;Engine:51-255,Target:1;0;EP+0:41414141", with(pe, 0x210, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;EP+0:41414141", with(pe, 0x211, "AAAA"), false},
      {"T;Engine:51-255,Target:1;0;EP+2:41414141", with(pe, 0x212, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;EP-16:41414141", with(pe, 0x200, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;EP+0,4:41414141", with(pe, 0x214, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;EP+0,3:41414141", with(pe, 0x214, "AAAA"), false},
      {"T;Engine:51-255,Target:1;0;S1+0:41414141", with(pe, 0x400, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;S1+16:41414141", with(pe, 0x410, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;S1+0:41414141", with(pe, 0x600, "AAAA"), false},
      {"T;Engine:51-255,Target:1;0;S3+0:41414141", with(pe, 0x600, "AAAA"), false},
      {"T;Engine:51-255,Target:1;0;SL+0:41414141", with(pe, 0x600, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;SE1:41414141", with(pe, 0x4F0, "AAAA"), true},
      {"T;Engine:51-255,Target:1;0;SE1:41414141", with(pe, 0x300, "AAAA"), false},
      {"T;Engine:51-255,Target:1,NumberOfSections:3-3;0;41414141", with(pe, 0x300, "AAAA"), true},
      {"T;Engine:51-255,Target:1,NumberOfSections:4-9;0;41414141", with(pe, 0x300, "AAAA"), false},
      {"T;Engine:51-255,Target:1,EntryPoint:528-528;0;41414141", with(pe, 0x300, "AAAA"), true},
      {"T;Engine:51-255,Target:1,EntryPoint:0-527;0;41414141", with(pe, 0x300, "AAAA"), false},
      {"T;Engine:51-255,Target:0,FileSize:10-10;0;41414141", "AAAA......", true},
      {"T;Engine:51-255,Target:0,FileSize:11-20;0;41414141", "AAAA......", false},
      {"T;Engine:51-255,Target:0,Container:CL_TYPE_ANY;0;41414141", "AAAA", true},
      {"T;Engine:51-255,Target:0,Container:CL_TYPE_ZIP;0;41414141", "AAAA", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(detects(std::string(c.sig) + "\n", c.data), c.found) << c.sig;
  }
  // .ndb signatures take target types and executable offsets too.
  auto l = load({{"t.ndb", "N:1:EP+0:41414141\nZ:0:*:5a5a5a5a\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(scan(*l.engine, with(pe, 0x210, "AAAA")), std::vector<std::string>{"N@528"});
  EXPECT_TRUE(scan(*l.engine, with(plain, 0x210, "AAAA")).empty());
}

TEST(Logical, PcreSubsignaturesRunWhenTheirTriggerHolds) {
  struct Case {
    const char* sig;
    const char* data;
    bool found;
  };
  const Case cases[] = {
      {"T;Engine:51-255,Target:0;0&1;41414141;0/B{2,}C/", "AAAA.BBBC", true},
      {"T;Engine:51-255,Target:0;0&1;41414141;0/B{2,}C/", "AAAA.BC", false},
      {"T;Engine:51-255,Target:0;0&1;41414141;0/b{2,}c/i", "AAAA.BBBC", true},
      // The trigger does not hold: the regex does not run.
      {"T;Engine:51-255,Target:0;0|1;41414141;0>1/x/", "AAAA.x", true},
      {"T;Engine:51-255,Target:0;1;41414141;0>1/x/", "AAAA.x", false},
      {"T;Engine:51-255,Target:0;1;41414141;0>1/x/", "AAAA.AAAA.x", true},
      // Counting: a global regex counts every match; the trigger's counts are kept too.
      {"T;Engine:51-255,Target:0;1>2;41414141;0>2/x/g", "AAAA.AAAA.AAAA.xxx", true},
      {"T;Engine:51-255,Target:0;1>2;41414141;0>2/x/g", "AAAA.AAAA.xxx", false},
      {"T;Engine:51-255,Target:0;1>2;41414141;0/x/", "AAAA.xxx", false},
      // An offset: the match starts there (no maxshift: anchored), or within a window (the
      // input starts with two bytes that keep it from being text).
      {"T;Engine:51-255,Target:0;0&1;41414141;7:0/x+/", "AAAA.xx", true},
      {"T;Engine:51-255,Target:0;0&1;41414141;6:0/x+/", "AAAA.xx", false},
      {"T;Engine:51-255,Target:0;0&1;41414141;5,2:0/x+/", "AAAA.xx", true},
      {"T;Engine:51-255,Target:0;0&1;41414141;5,1:0/x+/", "AAAA.xx", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(detects(std::string(c.sig) + "\n", std::string("\xfe\xff") + c.data), c.found)
        << c.sig << " on " << c.data;
  }
  // A regex that does not compile drops its signature, naming the subsignature.
  auto bad = load({{"b.ldb", "T;Engine:51-255,Target:0;0&1;41414141;0/a(b/\n"}});
  ASSERT_TRUE(bad.engine);
  EXPECT_EQ(bad.engine->logical.size(), 0u);
  ASSERT_EQ(bad.diags.size(), 1u);
  EXPECT_EQ(bad.diags[0].message.rfind("subsignature 1: ", 0), 0u) << bad.diags[0].message;
}

TEST(Logical, TextIsAlsoMatchedNormalizedAndHtmlOnlySo) {
  const char* const kTwoScripts =
      "<html><script>var a = b;\n function F( X ) { return X; } // done\n</script><p>t</p>"
      "<script>x = 1; /*c*/</script></html>";
  struct Case {
    const char* sig;
    const char* data;
    bool found;
  };
  const Case cases[] = {
      // ASCII text: target 0 sees the raw bytes and the lowercased, whitespace-collapsed form;
      // target 7 the normalized form only.
      {"T;Engine:51-255,Target:0;0;48656c6c6f20202057", "Hello   WORLD\n", true},
      {"T;Engine:51-255,Target:0;0;68656c6c6f20776f726c64", "Hello   WORLD\n", true},
      {"T;Engine:51-255,Target:7;0;68656c6c6f20776f726c64", "Hello   WORLD\n", true},
      {"T;Engine:51-255,Target:7;0;48656c6c6f20202057", "Hello   WORLD\n", false},
      // Subsignatures found in different layers do not combine.
      {"T;Engine:51-255,Target:0;0&1;48656c6c6f;68656c6c6f20776f", "Hello   World\n", false},
      // HTML: never its raw bytes; its markup and its text, normalized.
      {"T;Engine:51-255,Target:0;0;3c212d2d", "<html><!-- x --><p>Hi</p></html>", false},
      {"T;Engine:51-255,Target:3;0;3c703e6869", "<HTML><P>  Hi</P></HTML>", true},
      {"T;Engine:51-255,Target:3;0;3c703e68693c2f703e", "<html><p>H&#105;</p></html>", true},
      {"T;Engine:51-255,Target:3;0;206869206d6f6d20", "<html><p>Hi <b>mom</b></p></html>",
       true},  // the text layer
      {"T;Engine:51-255,Target:3;0;7661723d31", "<html><![CDATA[var=1]]></html>", false},
      {"T;Engine:51-255,Target:3;0;22612220616c743d", "<html><img src=\"a\"alt=\"b\"></html>",
       true},  // attributes spaced apart
      // ... but not within the tag's name (up to its first whitespace), nor before '='; the
      // whitespace around '=' and before '>' dropped; every quote in a tag a double one.
      {"T;Engine:51-255,Target:3;0;3c696d67783d226122616c743d2262223e",
       "<html><imgx=\"a\"alt=\"b\"></html>", true},
      {"T;Engine:51-255,Target:3;0;783d2261223d62", "<html><img x=\"a\"=b></html>", true},
      {"T;Engine:51-255,Target:3;0;3c696d6720783d22612220793d2262223e",
       "<html><img x = \"a\"y = \"b\"></html>", true},
      {"T;Engine:51-255,Target:3;0;3c696d6720783d613e", "<html><img x = a ></html>", true},
      {"T;Engine:51-255,Target:3;0;783d22612220793d2262223e", "<html><img x='a' y='b'></html>",
       true},
      {"T;Engine:51-255,Target:3;0;783d6122623e", "<html><img x=a'b></html>", true},
      {"T;Engine:51-255,Target:3;0;3c70202778273e", "<html><p 'x'></html>", true},  // not a value
      {"T;Engine:51-255,Target:3;0;783d793d207a3e", "<html><a x=y= z></html>", true},
      {"T;Engine:51-255,Target:3;0;3a662822582229",
       "<html><a href=\"javascript:f('X')\">t</a></html>", true},  // the link text too
      // No space after a value holding whitespace or '>'; within a tag's name a quote opens no
      // value, so its '>' ends the tag.
      {"T;Engine:51-255,Target:3;0;2270207122783d78", "<html><a title=\"P Q\"x=X>t</a></html>",
       true},
      {"T;Engine:51-255,Target:3;0;6222793e7a7a", "<html><imgx=\"a>b\"y>zz</html>", true},
      // The first href of an <a> and src of an <img> are text too, in their own case.
      {"T;Engine:51-255,Target:3;0;687474703a2f2f582e636f6d2f70206c696e6b",
       "<html><a href=\"http://X.com/p\">Link</a></html>", true},
      {"T;Engine:51-255,Target:3;0;205820", "<html><img SRC=X></html>", true},
      {"T;Engine:51-255,Target:3;0;4142432074", "<html><a href=\"&#65;B&#x43;\">t</a></html>",
       true},
      // In a quoted value a run of whitespace is its first byte, a line feed a space, a
      // carriage return nothing.
      {"T;Engine:51-255,Target:3;0;783d22610962223e", "<html><img x=\"a\t \nb\"></html>", true},
      {"T;Engine:51-255,Target:3;0;783d226162223e", "<html><img x=\"a\rb\"></html>", true},
      {"T;Engine:51-255,Target:3;0;783d22612062223e", "<html><img x=\"a\r\n\tb\"></html>", true},
      {"T;Engine:51-255,Target:3;0;752074", "<html><a href=\"u\" href=\"v\">t</a></html>", true},
      {"T;Engine:51-255,Target:3;0;762074", "<html><a href=\"u\" href=\"v\">t</a></html>", false},
      {"T;Engine:51-255,Target:7;0;3c703e6869", "<html><p>hi</p></html>", false},
      // Scripts, as clamscan 1.4.6 reads them (each case checked with it): in the markup with no
      // whitespace at all; not in the text layer; and as a layer of their own, each
      // "<script>...</script>" on its own line, a space only between words, // and /* */ dropped
      // (the words after // kept) and declared names renamed n000... per script.
      {"T;Engine:51-255,Target:3;0;0:3c7363726970743e3c212d2d766172",
       "<SCRIPT><!--var x=1;//--></script>", true},
      {"T;Engine:51-255,Target:3;0;7a7a7a", "<script>a</script><!-- zzz --><p>b</p>", false},
      {"T;Engine:51-255,Target:3;0;7a7a7a", "<script>a</script><p>zzz</p>", true},
      {"T;Engine:51-255,Target:3;0;3c212d2d767a7a", "<script x=\"<b\"><!--vzz x--></script>", true},
      {"T;Engine:51-255,Target:3;0;666f7228693d303b693c333b692b2b29783d792b7a3b",
       "<script>for (i=0; i<3; i++) x = y + z;\nvar a = b;</script>", true},
      {"T;Engine:51-255,Target:3;0;76617220613d623b",
       "<script>for (i=0; i<3; i++) x = y + z;\nvar a = b;</script>", false},
      {"T;Engine:51-255,Target:3;0;6162206364", "<html><p>ab</p><script>cd</script></html>", false},
      {"T;Engine:51-255,Target:3;0;6162206364", "<html><p>ab</p><i>cd</i></html>", true},
      {"T;Engine:51-255,Target:3;0;766172206e3030303d623b", kTwoScripts, true},
      {"T;Engine:51-255,Target:3;0;"
       "66756e6374696f6e206e303031286e303032297b72657475726e206e3030323b7d646f6e653c2f7363726970743"
       "e",
       kTwoScripts, true},
      {"T;Engine:51-255,Target:3;0;3c2f7363726970743e0a3c7363726970743e783d313b3c2f7363726970743e",
       kTwoScripts, true},
      {"T;Engine:51-255,Target:3;0;"
       "766172613d623b66756e6374696f6e662878297b72657475726e783b7d2f2f646f6e65",
       kTwoScripts, true},
      {"T;Engine:51-255,Target:3;0;2f2a632a2f", kTwoScripts, true},
      {"T;Engine:51-255,Target:3;0;3c2f7363726970743e3c7363726970743e", kTwoScripts, false},
      // Quotes in scripts: single ones written as double in the markup (even inside strings),
      // strings in double quotes with line breaks as spaces in the script layer.
      {"T;Engine:51-255,Target:3;0;623d2278223b633d2269742273223b",
       "<html><script>b='x'; c=\"it's\";</script></html>", true},
      {"T;Engine:51-255,Target:3;0;"
       "3c7363726970743e623d2278223b633d2269742773223b3c2f7363726970743e",
       "<html><script>b='x'; c=\"it's\";</script></html>", true},
      {"T;Engine:51-255,Target:3;0;623d22782079223b", "<html><script>b = 'X\nY';</script></html>",
       true},
      {"T;Engine:51-255,Target:3;0;766172613d2261626364223b",
       "<html><script>var a = \"ABC d\";</script></html>", true},
      // A quote inside a quoted value does not reopen it: the tag ends, the script is seen.
      {"T;Engine:51-255,Target:3;0;3c7363726970743e7a717828293c2f7363726970743e",
       "<html><div title=\"a='\"><script>zqx()</script></div></html>", true},
      // '<' opens a tag only before a letter, '/', '!' or '?' (whitespace after it dropped);
      // otherwise it is text.
      {"T;Engine:51-255,Target:3;0;223c222b612b2269643d2269645f37226f6e703d226628293b223e223b",
       "<html><body>x=\"<\"+a+\"id=\"id_7\"onp=\"f();\">\";</body></html>", true},
      {"T;Engine:51-255,Target:3;0;61203c62", "<html><body><p>a < b</p></body></html>", true},
      {"T;Engine:51-255,Target:3;0;61203c2062", "<html><body><p>a < b</p></body></html>", false},
      {"T;Engine:51-255,Target:3;0;3c703e613c313c2f703e", "<html><body><p>a<1</p></body></html>",
       true},
      // In a quoted attribute value (a quote after '='), '<' and '>' are the value's bytes;
      // a quote elsewhere in a tag is just a byte.
      {"T;Engine:51-255,Target:3;0;687265663d223c253d78253e3f79223e",
       "<html><a href=\"<%=x%>?y\">is</a></html>", true},
      {"T;Engine:51-255,Target:3;0;7365727665727661726961626c657328222073637269707422292d3e",
       "<html><a href=\"servervariables(\" script\")-> x\">is</a></html>", true},
      // FileSize is the file's, not the normalized layer's (14 bytes, 12 normalized).
      {"T;Engine:51-255,Target:7,FileSize:14-14;0;68656c6c6f", "Hello   WORLD\n", true},
      {"T;Engine:51-255,Target:7,FileSize:12-12;0;68656c6c6f", "Hello   WORLD\n", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(detects(std::string(c.sig) + "\n", c.data), c.found) << c.sig << " on " << c.data;
  }
}

std::string md5_hex(std::string_view bytes) {
  unsigned char d[16];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_md5(), nullptr);
  return common::encode_hex(d, 16);
}

TEST(Logical, PeSectionHashesAndTheDatKeepEverything) {
  std::string pe = with(make_pe(3, 0x1010), 0x400, "section one's data");
  const std::string s1 = md5_hex(pe.substr(0x400, 0x200));
  const std::vector<std::pair<std::string, std::string>> sources = {
      {"s.mdb", "512:" + s1 + ":Sect.One\n1024:" + s1 + ":Sect.OtherSize\n"},
      {"l.ldb", "Logi;Engine:51-255,Target:1,NumberOfSections:3-3;0&1;EP+0:414243;S1+0:73656374\n"},
  };
  auto l = load(sources);
  ASSERT_TRUE(l.engine);
  EXPECT_TRUE(l.diags.empty());
  const std::string hit = with(pe, 0x210, "ABC");
  const std::vector<std::string> want = {"Logi@-", "Sect.One@-"};
  EXPECT_EQ(scan(*l.engine, hit), want);
  // Section hashes are for PE files: the same bytes after a non-PE header are not looked up.
  EXPECT_TRUE(scan(*l.engine, "ZZ" + hit.substr(2)).empty());

  std::unique_ptr<scan::Engine> loaded = testing::load_from_dat(sources);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(scan(*loaded, hit), want);
  EXPECT_EQ(loaded->stats.logical_signatures, 1u);
  EXPECT_EQ(loaded->stats.section_hash_signatures, 2u);

  // Bad lines name the problem in the format's own field order.
  auto bad = load({{"bad.mdb", "512:" + s1 + ":Good\nabc:" + s1 + ":N\n512:xyz:N\n" + s1 +
                                   ":512:N\n512:" + s1 + "\n"}});
  std::vector<std::string> messages;
  for (const sig::Diagnostic& d : bad.diags) messages.push_back(d.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{"invalid section size 'abc'",
                                      "hash must be 32 (MD5), 40 (SHA1) or 64 (SHA256) hex digits",
                                      "hash must be 32 (MD5), 40 (SHA1) or 64 (SHA256) hex digits",
                                      "expected SIZE:HASH:NAME[:MINFL[:MAXFL]], got 2 fields"}));
}

TEST(Logical, ReportedAfterBodyAndBeforeHashSignatures) {
  auto l = load({{"a.ldb", ldb("0&1", 2)},
                 {"b.ndb", "Plain:0:*:43434343\n"},
                 {"c.hdb", "2bbc2737e20c8f365a8547ca8577e3be:14:Hash\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_EQ(scan(*l.engine, "AAAA.BBBB.CCCC"),
            (std::vector<std::string>{"Plain@10", "T@-", "Hash@-"}));
  // First-match mode names the body signature alone.
  EXPECT_EQ(scan(*l.engine, "AAAA.BBBB.CCCC", match::kDefaultWindow, false),
            std::vector<std::string>{"Plain@10"});
  EXPECT_EQ(scan(*l.engine, "AAAA.BBBB.....", match::kDefaultWindow, false),
            std::vector<std::string>{"T@-"});
}

TEST(Logical, LoadErrorsNameTheProblem) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {"N;Target:0", "expected NAME;TARGETDESC;EXPRESSION;SUBSIG0[;SUBSIG1...], got 2 fields"},
      {"N;Engine:51-255;0;414243", "target description has no Target"},
      {"N;Engine:51-255,Target:0,FileSize:10;0;414243", "invalid FileSize '10': expected min-max"},
      {"N;Engine:51-255,Target:0,EntryPoint:1-9;0;414243",
       "EntryPoint and NumberOfSections need target type 1, 6 or 9 (an executable)"},
      {"N;Engine:51-255,Target:0;0&1;414243",
       "invalid logical expression: column 3: subsignature "
       "1 does not exist (the signature has 1)"},
      {"N;Engine:51-255,Target:0;0&1;414243;444546;474849",
       "the signature has 3 subsignatures but its expression's highest is 1 (they must agree)"},
      {"N;Engine:51-255,Target:0;(0&1;414243;444546",
       "invalid logical expression: column 5: missing ')'"},
      {"N;Engine:51-255,Target:0;0>;414243",
       "invalid logical expression: column 3: expected a count after '>'"},
      {"N;Engine:51-255,Target:0;0&1;414243;EP+0:444546",
       "subsignature 1: offset 'EP+0' needs target type 1, 6 or 9 (an executable)"},
      {"N;Engine:51-255,Target:0;0;414243::x", "subsignature 0: unknown modifier 'x'"},
      {"N;Engine:51-255,Target:0;0;41(42|43::i",
       "subsignature 0: invalid hex pattern: column 3: unbalanced '('"},
      {"N;Engine:51-255,Target:0;0;41!(42|43)44::i",
       "subsignature 0: a negated alternative cannot take modifiers"},
      {"N;Engine:51-255,Target:0;0;41",
       "subsignature 0: invalid hex pattern: column 1: a pattern "
       "of fixed bytes only must be at least 2 bytes long"},
  };
  for (const Case& c : cases) {
    auto l =
        load({{"bad.ldb", std::string("Good;Engine:51-255,Target:0;0;414243\n") + c.line + "\n"}});
    ASSERT_FALSE(l.diags.empty()) << c.line;
    EXPECT_EQ(l.diags[0].line, 2u) << c.line;
    EXPECT_EQ(l.diags[0].message, c.error) << c.line;
    ASSERT_TRUE(l.engine);
    EXPECT_EQ(l.engine->logical.size(), 1u) << c.line;
  }
  // Constructs this engine does not run are UNSUPPORTED, per signature.
  const char* unsupported[] = {
      "N;Engine:51-255,Target:1,IconGroup1:FOO;0;414243",
      "N;Engine:51-255,Target:1,HandlerType:CL_TYPE_ZIP;0;414243",
      "N;Engine:51-255,Target:0,Container:CL_TYPE_BOGUS;0;414243",
      "N;Engine:51-255,Target:1;0;VI:414243",
      "N;Engine:51-255,Target:0;0=0;414243",
      "N;Engine:51-255,Target:0,Bogus:1;0;414243",
      "N;Engine:51-255,Target:99;0;414243",
  };
  for (const char* line : unsupported) {
    auto l = load({{"u.ldb", std::string(line) + "\n"}});
    ASSERT_EQ(l.diags.size(), 1u) << line;
    EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_UNSUPPORTED) << line << ": " << l.diags[0].message;
    EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_WARNING) << line;
    EXPECT_EQ(l.diags[0].message.rfind("skipped: ", 0), 0u) << l.diags[0].message;
  }
  // A subsignature the matcher cannot search for drops its whole signature.
  auto dropped = load({{"d.ldb", "N;Engine:51-255,Target:0;0&1;414243;41(42|43)\n"}});
  ASSERT_TRUE(dropped.engine);
  EXPECT_EQ(dropped.engine->logical.size(), 0u);
  ASSERT_EQ(dropped.diags.size(), 2u);
  EXPECT_EQ(dropped.diags[1].message,
            "logical signature dropped: a subsignature could not be planned");
  EXPECT_TRUE(scan(*dropped.engine, "ABC.ABD").empty());
  // A functionality level outside the Engine range skips the signature.
  auto skipped = load({{"s.ldb", "N;Engine:217-255,Target:0;0;414243\n"}});
  ASSERT_EQ(skipped.diags.size(), 1u);
  EXPECT_EQ(skipped.diags[0].code, VIGIL_DIAG_FLEVEL);
}

}  // namespace
}  // namespace vigil
