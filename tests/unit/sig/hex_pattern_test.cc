// The hex lexer: every construct parses to the right nodes, and every malformed pattern is
// rejected with the column and reason a signature author needs.
#include <gtest/gtest.h>

#include "sig/pattern.h"

namespace vigil::sig {
namespace {

struct Bad {
  const char* text;
  const char* error;
};

TEST(HexPattern, ParsesEveryConstruct) {
  struct Good {
    const char* text;
    size_t nodes;
    uint64_t min_len;
    uint64_t max_len;
  };
  const Good good[] = {
      {"414243", 3, 3, 3},
      {"4142??43", 4, 4, 4},
      {"4142a?4?", 4, 4, 4},
      {"4142*4344", 5, 4, kUnboundedLength},
      {"4142{3}4344", 5, 7, 7},
      {"4142{-3}4344", 5, 4, 7},
      {"4142{3-}4344", 5, 7, kUnboundedLength},
      {"4142{3-5}4344", 5, 7, 9},
      {"4142(43|44)45", 4, 4, 4},
      {"4142(4344|4546)47", 4, 5, 5},
      {"4142!(43|44)45", 4, 4, 4},
      {"4142(43|4445|46(47|4849))4a", 4, 4, 6},
      {"41[1-4]424344", 5, 5, 8},
      {"414243[0-2]44", 5, 4, 6},
      {"(B)414243(B)", 5, 3, 3},
      {"4142(W)4344", 5, 5, 5},
      {"4142(L)4344", 5, 5, 5},
      {"4142{2}{3}4344", 5, 9, 9},
      {"4142(??|4?)4344", 5, 5, 5},
  };
  for (const Good& g : good) {
    auto r = parse_hex_pattern(g.text);
    ASSERT_TRUE(r.is_ok()) << g.text << ": " << r.status().message();
    EXPECT_EQ(r.value().size(), g.nodes) << g.text;
    LengthRange len = sequence_length(r.value());
    EXPECT_EQ(len.min, g.min_len) << g.text;
    EXPECT_EQ(len.max, g.max_len) << g.text;
  }
}

TEST(HexPattern, NibblesAndClassesBecomeTheRightNodes) {
  auto r = parse_hex_pattern("(B)41a??bff(W)42(L)");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Sequence& s = r.value();
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(s[0].kind, NodeKind::kClass);
  EXPECT_EQ(s[0].edge, ClassEdge::kBefore);
  EXPECT_EQ(s[2].mask, 0xF0);
  EXPECT_EQ(s[2].value, 0xA0);
  EXPECT_EQ(s[3].mask, 0x0F);
  EXPECT_EQ(s[3].value, 0x0B);
  EXPECT_EQ(s[5].kind, NodeKind::kClass);
  EXPECT_EQ(s[5].edge, ClassEdge::kMiddle);
  EXPECT_EQ(s[7].kind, NodeKind::kClass);
  EXPECT_EQ(s[7].edge, ClassEdge::kAfter);
}

TEST(HexPattern, RejectsMalformedPatternsWithColumn) {
  const Bad bad[] = {
      {"", "column 1: empty pattern"},
      {"414", "column 3: odd number of hex digits"},
      {"41g2", "column 3: unexpected character 'g'"},
      {"414g", "column 4: invalid hex digit"},
      {"4142 43", "column 5: whitespace is not allowed in hex patterns"},
      {"4142(43|44", "column 5: unbalanced '('"},
      {"414243)", "column 7: unbalanced ')'"},
      {"4142(|43)44", "column 6: empty alternative"},
      {"*414243", "column 1: pattern starts with a gap"},
      {"414243{2}", "column 9: pattern ends with a gap"},
      {"4142{5-3}4344", "column 5: gap range {n-m} with m < n"},
      {"4142{x}4344", "column 6: expected a number after '{'"},
      {"4142{34", "column 5: unterminated '{'"},
      {"4142{99999999999}43", "column 6: number out of range (limit 1073741824)"},
      {"4142(43*44)45", "column 8: '*' is not allowed inside alternatives"},
      {"4142(43{1-2}44)45", "column 8: only fixed gaps {n} are allowed inside alternatives"},
      {"4142!(43|4445)46", "column 5: negated alternatives must all have the same length"},
      {"4142!(4?|44)46", "column 5: negated alternatives may hold only fixed bytes"},
      {"4142!43", "column 5: '!' must be followed by '('"},
      {"4142[1-2]4344", "column 5: '[x-y]' must follow the first byte or precede the last byte"},
      {"41[0-33]4243", "column 3: '[x-y]' needs 0 <= x <= y <= 32"},
      {"4142(43|(B))44", "column 9: character classes are not allowed inside alternatives"},
      {"4142", "column 1: a pattern of fixed bytes only must be at least 3 bytes long"},
      {"4142%", "column 5: unexpected character '%'"},
  };
  for (const Bad& b : bad) {
    auto r = parse_hex_pattern(b.text);
    ASSERT_FALSE(r.is_ok()) << b.text;
    EXPECT_EQ(r.status().message(), b.error) << b.text;
  }
}

TEST(HexPattern, BoundsNestingDepth) {
  std::string deep = "4142";
  for (int i = 0; i < 40; ++i) deep += "(43|";
  deep += "44";
  for (int i = 0; i < 40; ++i) deep += ")";
  auto r = parse_hex_pattern(deep);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace vigil::sig
