// Hash signatures: size-gated digest computation, every digest type, "*" sizes, and several
// signatures sharing one hash.
#include <gtest/gtest.h>

#include "hash/hash_table.h"
#include "scan_support.h"

namespace vigil::hash {
namespace {

// "ABC": md5 902fbdd2b1df0c4f70b4a5d23525e932, sha1 3c01bdbb26f358bab27f267924aa2c9a03fcfdb8,
// sha256 b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78.
TEST(Hash, EachDigestTypeMatchesOnlyAtItsSize) {
  auto l = vigil::testing::load(
      {{"a.hdb",
        "902fbdd2b1df0c4f70b4a5d23525e932:3:Md5\n"
        "3c01bdbb26f358bab27f267924aa2c9a03fcfdb8:3:Sha1\n"
        "b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78:3:Sha256\n"
        "902fbdd2b1df0c4f70b4a5d23525e932:4:WrongSize\n"}});
  ASSERT_TRUE(l.engine);
  auto hits = vigil::testing::scan(*l.engine, "ABC");
  std::sort(hits.begin(), hits.end());
  EXPECT_EQ(hits, (std::vector<std::string>{"Md5@-", "Sha1@-", "Sha256@-"}));
  EXPECT_TRUE(vigil::testing::scan(*l.engine, "ABD").empty());
}

TEST(Hash, WildcardSizeMatchesAnySizeAndSharedHashesAllReport) {
  auto l = vigil::testing::load(
      {{"a.hsb",
        "b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78:*:Any:73\n"
        "b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78:3:Sized\n"}});
  auto hits = vigil::testing::scan(*l.engine, "ABC");
  std::sort(hits.begin(), hits.end());
  EXPECT_EQ(hits, (std::vector<std::string>{"Any@-", "Sized@-"}));
}

TEST(Hash, TableAsksForDigestsOnlyWhenASizeCanMatch) {
  std::vector<sig::HashSig> sigs(2);
  sigs[0].type = sig::HashType::kMd5;
  sigs[0].size = 100;
  sigs[1].type = sig::HashType::kSha256;
  sigs[1].size = 200;
  HashTable t;
  t.build(sigs, 0);
  EXPECT_EQ(t.wanted_for_size(100), (std::array<bool, 3>{true, false, false}));
  EXPECT_EQ(t.wanted_for_size(200), (std::array<bool, 3>{false, false, true}));
  EXPECT_EQ(t.wanted_for_size(150), (std::array<bool, 3>{false, false, false}));
}

TEST(Hash, EmptyInputHasDigestsToo) {
  // md5("") = d41d8cd98f00b204e9800998ecf8427e
  auto l = vigil::testing::load({{"e.hdb", "d41d8cd98f00b204e9800998ecf8427e:0:Empty\n"}});
  EXPECT_EQ(vigil::testing::scan(*l.engine, ""), (std::vector<std::string>{"Empty@-"}));
}

}  // namespace
}  // namespace vigil::hash
