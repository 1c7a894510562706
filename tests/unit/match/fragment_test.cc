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

}  // namespace
}  // namespace vigil::match
