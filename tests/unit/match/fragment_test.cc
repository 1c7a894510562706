// Fragment planning: the prefilter literal avoids bytes that fire everywhere (00/FF runs,
// repeats), prefers varied bytes, stays within the size cap, and is absent when no run of
// fixed bytes is long enough.
#include "match/fragment.h"

#include <gtest/gtest.h>

#include "sig/pattern.h"

namespace vigil::match {
namespace {

std::optional<Fragment> plan(const char* hex) {
  auto p = sig::parse_hex_pattern(hex);
  EXPECT_TRUE(p.is_ok()) << hex;
  return choose_fragment(p.value());
}

TEST(Fragment, PrefersVariedBytesOverZeroAndFillRuns) {
  auto f = plan("0000000000000000??4d5a9000");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->bytes, std::string("\x4d\x5a\x90\x00", 4));
  EXPECT_EQ(f->begin, 9u);
  EXPECT_LT(fragment_score(std::string(8, '\0')), fragment_score("MZ\x90\x03"));
  EXPECT_LT(fragment_score("AAAAAAAA"), fragment_score("ABCDEFGH"));
}

TEST(Fragment, CapsTheLiteralAndPicksTheBestWindow) {
  auto f = plan("00000000000000000000616263646566676869");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->bytes.size(), kMaxFragmentBytes);
  EXPECT_EQ(f->bytes, "abcdefgh");  // equal scores: the earliest window wins
}

TEST(Fragment, NoneWithoutTwoFixedBytesOutsideAlternatives) {
  EXPECT_FALSE(plan("41??42??43"));
  EXPECT_FALSE(plan("(4142|4344)??45"));
  EXPECT_TRUE(plan("41??4243"));
}

TEST(Fragment, FixedTailStartsAfterTheLastGapOfVaryingLength) {
  struct Case {
    const char* hex;
    size_t tail;  // in top-level nodes
  };
  const Case cases[] = {
      {"41424344", 0},           // all fixed
      {"4142{2}4344", 0},        // a fixed gap
      {"4142??4344", 0},         // a wildcard byte
      {"4142{1-5}4344", 3},      // 41 42 gap | 43 44
      {"4142*4344{2-3}45", 6},   // the last varying node counts
      {"41(42|4344)4546", 0},    // alternatives of unequal lengths do not split a pattern
      {"41(4243|4445)4647", 0},  // of equal lengths: fixed
  };
  for (const Case& c : cases) {
    auto p = sig::parse_hex_pattern(c.hex);
    ASSERT_TRUE(p.is_ok()) << c.hex;
    EXPECT_EQ(fixed_tail(p.value()), c.tail) << c.hex;
  }
  // A fragment from the tail on, which may be the weaker run.
  auto p = sig::parse_hex_pattern("4d5a9000{1-5}4142");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(choose_fragment(p.value())->bytes, std::string("\x4d\x5a\x90\x00", 4));
  EXPECT_EQ(choose_fragment(p.value(), false, fixed_tail(p.value()))->bytes, "AB");
  EXPECT_FALSE(choose_fragment(sig::parse_hex_pattern("41424344{1-5}45").value(), false, 5));
}

}  // namespace
}  // namespace vigil::match
