// Each hex construct and offset form, positive and negative, at file start, end and across
// prefilter window edges. Data uses a leading 'x' filler so offsets are easy to read.
#include <gtest/gtest.h>

#include "scan_support.h"

namespace vigil::match {
namespace {

using vigil::testing::match_offset;

struct Case {
  const char* hex;
  const char* offset;
  std::string data;
  int64_t expect;  // match start, or -1 for no match
};

const Case kCases[] = {
    // plain bytes; long literals are confirmed on both sides of their prefilter fragment
    {"414243", "*", "xxABCxx", 2},
    {"414243", "*", "xxABxCx", -1},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*", "abcdefghijklmnopqrstu", 0},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*", "xxabcdefghijklmnopqrstu", 2},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*", "abcdefghijklmnopqrstux", 0},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*", "xbcdefghijklmnopqrstu", -1},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*", "abcdefghijklmnopqrst", -1},
    // (Two NUL bytes at offset 2 make the input binary: text is also matched lowercased.)
    {"6162636465666768696a6b6c6d6e6f707172737475", "*",
     std::string("xy\0\0abcdefghijkLmnopqrstu", 25), -1},
    {"6162636465666768696a6b6c6d6e6f707172737475", "*",
     std::string("xy\0\0abcdefghijklmnopqrstu", 25), 4},
    {"6162636465666768696a6b6c6d6e6f707172737475", "EOF-21", "xxabcdefghijklmnopqrstu", 2},
    {"6162636465666768696a6b6c6d6e6f707172737475", "1", "xxabcdefghijklmnopqrstu", -1},
    // ?? and nibbles
    {"4142??43", "*", "xxABzCxx", 2},
    {"4142??43", "*", "xxABzDxx", -1},
    {"41424?", "*", "xxABOxx", 2},  // 'O' = 0x4F
    {"41424?", "*", "xxABPxx", -1},
    {"4142?1", "*", "xxABqxx", 2},  // 'q' = 0x71
    {"4142?1", "*", "xxABrxx", -1},
    // gaps
    {"4142*4344", "*", "xABzzzzzzzzzzzzCDx", 1},
    {"4142*4344", "*", "xCDzzzABx", -1},
    {"4142{2}4344", "*", "xABzzCDx", 1},
    {"4142{2}4344", "*", "xABzCDx", -1},
    {"4142{-2}4344", "*", "xABCDx", 1},
    {"4142{-2}4344", "*", "xABzzCDx", 1},
    {"4142{-2}4344", "*", "xABzzzCDx", -1},
    {"4142{2-}4344", "*", "xABzzzzzzzCDx", 1},
    {"4142{2-}4344", "*", "xABzCDx", -1},
    {"4142{1-3}4344", "*", "xABzzzCDx", 1},
    {"4142{1-3}4344", "*", "xABzzzzCDx", -1},
    {"4142{1-3}4344", "*", "xABCDx", -1},
    // backtracking: the first CD is too near, the second is in range
    {"4142{3-5}4344", "*", "xABCDzCDx", 1},
    // alternatives
    {"4142(43|44)45", "*", "xABDEx", 1},
    {"4142(43|44)45", "*", "xABFEx", -1},
    {"4142(4344|4546)47", "*", "xABEFGx", 1},
    {"4142(4344|4546)47", "*", "xABCFGx", -1},
    {"4142!(43|44)45", "*", "xABzEx", 1},
    {"4142!(43|44)45", "*", "xABCEx", -1},
    {"4142!(4344|4546)47", "*", "xABCFGx", 1},
    {"4142!(4344|4546)47", "*", "xABEFGx", -1},
    // variable-length and nested alternatives, with backtracking into the longer branch
    {"4142(44|4544)4748", "*", "xABEDGHx", 1},
    {"4142(43|44(45|46))4748", "*", "xABDFGHx", 1},
    {"4142(43|44(45|46))4748", "*", "xABDGGHx", -1},
    {"4142(??|4?4?)4748", "*", "xABMNGHx", 1},
    // one-byte anchors [x-y]
    {"41[1-3]424344", "*", "xAzzBCDx", 1},
    {"41[1-3]424344", "*", "xAzzzzBCDx", -1},
    {"414243[0-2]44", "*", "xABCDx", 1},
    {"414243[0-2]44", "*", "xABCzzzDx", -1},
    // (B): edge classes test a neighbour without consuming it; file edges satisfy them
    {"(B)414243", "*", "x ABCx", 2},
    {"(B)414243", "*", "ABCx", 0},
    {"(B)414243", "*", "xyABCx", -1},
    {"414243(B)", "*", "xABC=x", 1},
    {"414243(B)", "*", "xABC", 1},
    {"414243(B)", "*", "xABCdx", -1},
    {"4142(B)4344", "*", "xAB-CDx", 1},
    {"4142(B)4344", "*", "xABzCDx", -1},
    // (W): a non-alphanumeric byte
    {"4142(W)4344", "*", "xAB_CDx", 1},
    {"4142(W)4344", "*", "xAB9CDx", -1},
    {"(W)414243", "*", "x.ABCx", 2},
    {"(W)414243", "*", "xzABCx", -1},
    // (L): LF or CRLF, or a file edge
    {"4142(L)4344", "*", "xAB\nCDx", 1},
    {"4142(L)4344", "*", "xAB\r\nCDx", -1},  // as ClamAV 1.4: LF only in the middle
    {"4142(L)4344", "*", "xAB\rCDx", -1},
    {"(L)414243", "*", "x\nABCx", 2},
    {"(L)414243", "*", "xzABCx", -1},
    {"414243(L)", "*", "xABC\r\nx", 1},
    {"414243(L)", "*", "xABC\rx", -1},
    // offsets: absolute, floating, from the end
    {"414243", "0", "ABCxx", 0},
    {"414243", "0", "xABCx", -1},
    {"414243", "3", "xxxABC", 3},
    {"414243", "2,3", "xxxxxABC", 5},
    {"414243", "2,2", "xxxxxABC", -1},
    {"414243", "EOF-3", "xxxxABC", 4},
    {"414243", "EOF-4", "xxxxABC", -1},
    {"414243", "EOF-5,2", "xxxxABC", 4},
    {"??414243", "1", "xzABC", 1},  // the offset constrains the start, leading ?? included
    {"??414243", "0", "xzABC", -1},
    {"4141*4242", "2", "xxAAzzzBB", 2},
    {"4141*4242", "1", "xxAAzzzBB", -1},
    // matches touching both ends of the input
    {"4142??43", "*", "ABzC", 0},
    {"4142{0-3}4344", "*", "ABCD", 0},
};

TEST(Constructs, EachConstructPositiveAndNegative) {
  for (const Case& c : kCases) {
    EXPECT_EQ(match_offset(c.hex, c.data, c.offset), c.expect)
        << c.hex << " offset " << c.offset << " on '" << c.data << "'";
  }
}

TEST(Constructs, SameVerdictWhenEveryWindowEdgeCutsTheMatch) {
  // Windows as small as the engine allows force each fragment hit across window edges.
  for (const Case& c : kCases) {
    for (uint64_t window : {1, 2, 3, 5}) {
      EXPECT_EQ(match_offset(c.hex, c.data, c.offset, window), c.expect)
          << c.hex << " window " << window << " on '" << c.data << "'";
    }
  }
}

TEST(Constructs, LongGapsAcrossLargeBuffersAndWindows) {
  std::string data(3 << 20, 'z');
  data.replace(100, 8, "HEADMARK");
  data.replace(data.size() - 8, 8, "TAILMARK");
  const std::string hex = "484541444d41524b*5441494c4d41524b";
  EXPECT_EQ(match_offset(hex, data, "*", 1 << 20), 100);
  EXPECT_EQ(match_offset(hex, data, "EOF-" + std::to_string(data.size() - 100), 1 << 16), 100);
  EXPECT_EQ(match_offset("5441494c4d41524b", data, "EOF-8", 4096), int64_t(data.size() - 8));
  data.replace(data.size() - 8, 8, "TAILMARX");
  EXPECT_EQ(match_offset(hex, data, "*", 1 << 20), -1);
}

TEST(Constructs, FirstMatchStopsAndAllMatchReportsEachSignatureOnce) {
  auto l = vigil::testing::load({{"m.ndb",
                                  "One:0:*:414243\n"
                                  "Two:0:*:444546\n"
                                  "Three:0:*:414243\n"}});
  ASSERT_TRUE(l.engine);
  std::string data = "ABC DEF ABC DEF";
  auto all = vigil::testing::scan(*l.engine, data);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"One@0", "Three@0", "Two@4"}));
  auto first = vigil::testing::scan(*l.engine, data, kDefaultWindow, false);
  EXPECT_EQ(first.size(), 1u);
}

TEST(Constructs, ConfirmBudgetBoundsPathologicalPatterns) {
  // Many ranged gaps over data full of candidates must finish (the memo and budget bound it).
  std::string hex = "4141";
  for (int i = 0; i < 12; ++i) hex += "{0-64}4141";
  hex += "4243";
  std::string data(1 << 16, 'A');
  EXPECT_EQ(match_offset(hex, data), -1);
  data.replace(5000, 2, "BC");
  EXPECT_GE(match_offset(hex, data), 0);
}

TEST(Constructs, ChainsOfOverlappingAlternativesAreMemoised) {
  // 24 alternatives of "c" or "cc" before a "d": 2^24 paths without memoisation, and a
  // budget-bound search would wrongly give up.
  std::string hex = "6162";
  for (int i = 0; i < 24; ++i) hex += "(63|6363)";
  hex += "64";
  std::string data = "ab" + std::string(48, 'c') + "d";
  EXPECT_EQ(match_offset(hex, data), 0);
  EXPECT_EQ(match_offset(hex, "ab" + std::string(49, 'c') + "d"), -1);
  // The same chain nested inside one branch of an outer alternative.
  std::string nested = "6162(7a|";
  for (int i = 0; i < 24; ++i) nested += "(63|6363)";
  nested += ")64";
  EXPECT_EQ(match_offset(nested, "ab" + std::string(48, 'c') + "d"), 0);
  EXPECT_EQ(match_offset(nested, "abzd"), 0);
  EXPECT_EQ(match_offset(nested, "ab" + std::string(49, 'c') + "d"), -1);
}

TEST(Constructs, UnboundedGapsSpanTensOfMegabytes) {
  // One candidate whose '*' must cross 32 MiB of bytes that each look like a start of the rest:
  // the search may not give up at a fixed step budget or keep a memo entry per byte.
  std::string data = "QRS" + std::string(32 << 20, 'D') + "DF";
  EXPECT_EQ(match_offset("515253*4446", data), 0);
  data.back() = 'x';
  EXPECT_EQ(match_offset("515253*4446", data), -1);
  std::string noisy = "QRS";
  uint32_t x = 12345;
  while (noisy.size() < (32u << 20)) {
    x = x * 1103515245 + 12345;
    char c = static_cast<char>(x >> 24);
    if (c != 'F' && c != 'Q') noisy += c;
  }
  noisy += "xFG";
  EXPECT_EQ(match_offset("515253*??4647", noisy), 0);
}

TEST(Constructs, ManyCandidatesOfAnUnconfirmableSignatureStayLinear) {
  // Every line holds the fragment, no line holds the rest: each side's search must reuse what
  // earlier candidates proved instead of rescanning the input per candidate. (Not timed: the
  // budget would make a quadratic search give up, and the true match at the end be missed.)
  std::string data;
  for (int i = 0; i < 20000; ++i) data += "ABCD" + std::string(90, 'x') + "Z\n";
  std::string hit = data + "ZZZZ";
  EXPECT_EQ(match_offset("41424344*5a5a5a5a", data), -1);
  EXPECT_EQ(match_offset("41424344*5a5a5a5a", hit), 0);
  EXPECT_EQ(match_offset("57575757*41424344", data), -1);
  EXPECT_EQ(match_offset("57575757*41424344", "WWWW" + data), 0);
}

}  // namespace
}  // namespace vigil::match
