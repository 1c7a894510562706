// The two-pass prefilter of logical signatures (match/passes.h) and the first pass's databases
// by input type: which subsignatures a signature is anchored on, which wait for the second
// pass, and that the split never changes a verdict: deferred parts before or after their
// anchors, negated deferred parts, PCRE triggers, text layers, first-match mode, streams in
// pieces (scan_support.h) and the same engine loaded from its DAT.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scan/engine_dat.h"
#include "scan/text_layers.h"
#include "scan_support.h"
#include "sig/logical_expr.h"

namespace vigil {
namespace {

using testing::scan;

std::optional<sig::AnchorSet> anchors_of(const std::string& expr, std::vector<int> scores) {
  auto program = sig::parse_expression(expr, static_cast<uint32_t>(scores.size()));
  EXPECT_TRUE(program.is_ok()) << expr;
  std::vector<std::optional<sig::AnchorSet>> leaf;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] < 0) {
      leaf.push_back(std::nullopt);  // as a PCRE subsignature whose trigger can hold unmatched
    } else {
      leaf.push_back(sig::AnchorSet{uint64_t{1} << i, scores[i]});
    }
  }
  return sig::anchors(program.value().data(), program.value().size(), leaf);
}

TEST(TwoPass, AnchorsAreASetOneOfWhichMustMatch) {
  struct Case {
    const char* expr;
    std::vector<int> scores;
    int64_t mask;  // -1: none (the expression can hold with nothing matched)
    int score;
  };
  const Case cases[] = {
      {"0&1&2", {10, 50, 30}, 0b010, 50},        // the rarest of an AND
      {"0|1", {10, 50}, 0b11, 10},               // both sides of an OR, as weak as the weaker
      {"(0|1)&2", {40, 40, 30}, 0b011, 40},      // the group beats the single weaker part
      {"(0|1)&2", {40, 20, 30}, 0b100, 30},      // ... unless its weaker member is weaker
      {"0&1", {30, 30}, 0b01, 30},               // a tie: the first
      {"0=0", {50}, -1, 0},                      // negation holds on nothing
      {"0<2", {50}, -1, 0},                      // so does "fewer than"
      {"1&0=0", {50, 20}, 0b10, 20},             // the negated part is never an anchor
      {"0>2", {50}, 0b1, 50},                    // a count above zero needs a match
      {"0=2", {50}, 0b1, 50},                    // so does an exact count above zero
      {"(0|1|2)>5,2", {40, 20, 60}, 0b111, 20},  // a group's count: any member
      {"(0&1)>1", {40, 20}, 0b01, 40},           // an AND group counts only when it holds
      {"(0|1)=0&2", {40, 40, 15}, 0b100, 15},    // a negated group is never an anchor
      {"0&1", {-1, 30}, 0b10, 30},               // a part with no anchor of its own
      {"0|1", {-1, 30}, -1, 0},                  // ... makes an OR unanchored
      {"(0=0|1)&2", {40, 40, 25}, 0b100, 25},
  };
  for (const Case& c : cases) {
    auto got = anchors_of(c.expr, c.scores);
    if (c.mask < 0) {
      EXPECT_FALSE(got.has_value()) << c.expr;
      continue;
    }
    ASSERT_TRUE(got.has_value()) << c.expr;
    EXPECT_EQ(got->mask, static_cast<uint64_t>(c.mask)) << c.expr;
    EXPECT_EQ(got->score, c.score) << c.expr;
  }
}

// may_hold() against evaluate() by brute force: whenever some counts of the open subsignatures
// make the expression true, may_hold() must say so; with nothing open it must equal evaluate().
TEST(TwoPass, MayHoldNeverRulesOutWhatCouldMatch) {
  const char* exprs[] = {
      "0&1&2",       "0|1|2",         "0&((1|2|3)=0)", "(0|1)>2",
      "(0|1|2)>1,2", "0=0",           "0<2",           "(0&1)=2",
      "0&1=0",       "(0|1)=0&2",     "(0|1|2)=3,2",   "((0|1)>1)&(2<3)",
      "0>2|1=1",     "(0&1)|(2&3)>1", "(0|1)<2,2",     "0=2&1>1",
      "(0=0|1)&2",   "((0|1)=1)=1",   "3&(0|1|2)<1",   "(0>1,1|1)&2=0",
  };
  constexpr uint16_t kTop = 4;  // counts 0..4 cover every threshold in these expressions
  size_t ruled_out = 0;
  for (const char* text : exprs) {
    uint32_t n = 0;
    for (const char* c = text; *c != '\0'; ++c) {
      if (*c >= '0' && *c <= '3' &&
          (c == text || (c[-1] != '>' && c[-1] != '<' && c[-1] != '=' && c[-1] != ','))) {
        n = std::max<uint32_t>(n, static_cast<uint32_t>(*c - '0') + 1);
      }
    }
    auto program = sig::parse_expression(text, n);
    ASSERT_TRUE(program.is_ok()) << text;
    const uint32_t* p = program.value().data();
    const size_t size = program.value().size();
    uint32_t combos = 1;
    for (uint32_t i = 0; i < n; ++i) combos *= kTop + 1;
    for (uint32_t open_mask = 0; open_mask < (1u << n); ++open_mask) {
      uint8_t open[4] = {};
      for (uint32_t i = 0; i < n; ++i) open[i] = (open_mask >> i) & 1;
      for (uint32_t known = 0; known < combos; ++known) {
        uint16_t counts[4] = {};
        bool skip = false;
        for (uint32_t i = 0, k = known; i < n; ++i, k /= kTop + 1) {
          counts[i] = static_cast<uint16_t>(k % (kTop + 1));
          skip = skip || (open[i] != 0 && counts[i] != 0);  // an open count is not read
        }
        if (skip) continue;
        bool could = false;
        for (uint32_t guess = 0; guess < combos && !could; ++guess) {
          uint16_t full[4];
          bool fits = true;
          for (uint32_t i = 0, k = guess; i < n; ++i, k /= kTop + 1) {
            full[i] = static_cast<uint16_t>(k % (kTop + 1));
            fits = fits && (open[i] != 0 || full[i] == counts[i]);
          }
          could = fits && sig::evaluate(p, size, full);
        }
        const bool may = sig::may_hold(p, size, counts, open);
        if (could) {
          EXPECT_TRUE(may) << text << " open " << open_mask << " known " << known;
        }
        if (open_mask == 0) {
          EXPECT_EQ(may, sig::evaluate(p, size, counts)) << text;
        }
        if (!may) ++ruled_out;
      }
    }
  }
  EXPECT_GT(ruled_out, 1000u);  // it does rule things out
  // The cases the second pass depends on: a negated group beside a part seen not to match,
  // and a count an open part can still reach.
  auto eval = [](const char* text, std::vector<uint16_t> counts, std::vector<uint8_t> open) {
    auto program = sig::parse_expression(text, static_cast<uint32_t>(counts.size()));
    return sig::may_hold(program.value().data(), program.value().size(), counts.data(),
                         open.data());
  };
  EXPECT_FALSE(eval("0&((1|2|3)=0)", {0, 0, 0, 0}, {0, 1, 1, 1}));
  EXPECT_TRUE(eval("0&((1|2|3)=0)", {1, 0, 0, 0}, {0, 1, 1, 1}));
  EXPECT_TRUE(eval("(0|1)>2", {1, 0}, {0, 1}));
  EXPECT_FALSE(eval("(0|1)>2", {1, 0}, {0, 0}));
  EXPECT_FALSE(eval("0=0&1", {1, 0}, {0, 1}));
}

constexpr const char* kStrong = "5f5374726f6e675f";  // "_Strong_": one rare 8-byte fragment

struct Engines {
  testing::Loaded sources;
  std::unique_ptr<scan::Engine> dat;
};

// The engine from the sources, and the same loaded from its DAT.
Engines load_both(const std::vector<std::pair<std::string, std::string>>& sources) {
  Engines e{testing::load(sources), testing::load_from_dat(sources)};
  EXPECT_TRUE(e.sources.engine);
  for (const sig::Diagnostic& d : e.sources.diags) ADD_FAILURE() << d.message;
  return e;
}

// The detections of both engines, which must agree (sorted: a DAT orders its signatures by
// name, so two logical detections may come in another order).
std::vector<std::string> verdict(const Engines& e, std::string_view data, bool all = true) {
  std::vector<std::string> got = scan(*e.sources.engine, data, match::kDefaultWindow, all);
  std::sort(got.begin(), got.end());
  if (e.dat) {
    std::vector<std::string> from_dat = scan(*e.dat, data, match::kDefaultWindow, all);
    std::sort(from_dat.begin(), from_dat.end());
    EXPECT_EQ(from_dat, got) << "DAT engine on " << data;
  }
  return got;
}

TEST(TwoPass, WeakPartsWaitForTheSecondPassWhereverTheyAre) {
  // 0 is rare, 1 and 2 are two common bytes each: 0 anchors, 1 and 2 are deferred.
  const std::string line =
      std::string("T;Engine:51-255,Target:0;0&1&2;") + kStrong + ";4242;4343\n";
  Engines e = load_both({{"t.ldb", line}});
  ASSERT_TRUE(e.sources.engine);
  const match::BodyMatcher& body = *e.sources.engine->body;
  ASSERT_EQ(body.signature_count(), 3u);
  EXPECT_FALSE(body.is_deferred(0));
  EXPECT_TRUE(body.is_deferred(1));
  EXPECT_TRUE(body.is_deferred(2));
  ASSERT_TRUE(e.dat);
  EXPECT_EQ(e.dat->body->deferred(), body.deferred());

  const std::vector<std::string> found = {"T@-"};
  EXPECT_EQ(verdict(e, "BB..CC.._Strong_"), found);  // deferred parts before the anchor
  EXPECT_EQ(verdict(e, "_Strong_..CC..BB"), found);
  EXPECT_EQ(verdict(e, "_Strong_..CC..BB", false), found);
  EXPECT_TRUE(verdict(e, "BB..CC.._Strong").empty());  // no anchor: no second pass either
  EXPECT_TRUE(verdict(e, "_Strong_..CC....").empty());
  // The second pass runs after each input's first: counts never carry over.
  auto scratch = scan::make_scratch(*e.sources.engine);
  ASSERT_TRUE(scratch.is_ok());
  std::vector<std::string> hits;
  vigil_scan_result r{};
  for (std::string_view data : {"BB..CC", "_Strong_"}) {
    ASSERT_TRUE(scan::scan_bytes(*e.sources.engine, *scratch.value(),
                                 reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                 VIGIL_SCAN_ALLMATCH, scan::Callback{&testing::collect, &hits}, r)
                    .is_ok());
  }
  EXPECT_TRUE(hits.empty());
}

TEST(TwoPass, NegatedAndCountedDeferredPartsAreStillSearched) {
  // "1=0": a deferred part that must be absent; the second pass must look for it.
  const std::string neg = std::string("N;Engine:51-255,Target:0;0&1=0;") + kStrong + ";4242\n";
  // "1>2": more than two of a deferred part.
  const std::string cnt = std::string("C;Engine:51-255,Target:0;0&1>2;") + kStrong + ";4343\n";
  Engines e = load_both({{"t.ldb", neg + cnt}});
  ASSERT_TRUE(e.sources.engine);
  EXPECT_EQ(verdict(e, "_Strong_"), std::vector<std::string>{"N@-"});
  EXPECT_TRUE(verdict(e, "BB_Strong_").empty());
  EXPECT_EQ(verdict(e, "CC_Strong_CC.CC"), (std::vector<std::string>{"C@-", "N@-"}));
  EXPECT_EQ(verdict(e, "CC_Strong_CC.BB"), std::vector<std::string>{});
}

TEST(TwoPass, PcreTriggersAndTextLayersSeeDeferredParts) {
  // The PCRE's trigger names deferred part 1; the text signature's weak part is found in the
  // normalized (lowercased) layer.
  const std::string pcre =
      std::string("P;Engine:81-255,Target:0;0&1&2;") + kStrong + ";4242;1/x[0-9]+y/\n";
  const std::string text = "X;Engine:51-255,Target:7;0&1;5f6c6f776572656e;7a7a\n";
  Engines e = load_both({{"t.ldb", pcre + text}});
  ASSERT_TRUE(e.sources.engine);
  EXPECT_EQ(verdict(e, "x12y_Strong_BB\x01"), std::vector<std::string>{"P@-"});
  EXPECT_TRUE(verdict(e, "x12y_Strong_\x01").empty());
  EXPECT_TRUE(verdict(e, "xy_Strong_BB\x01").empty());
  // ASCII text: "_LOWEREN" matches lowercased only, "zz" raw and lowercased.
  EXPECT_EQ(verdict(e, "some ZZ text _LOWEREN\n"), std::vector<std::string>{"X@-"});
  EXPECT_TRUE(verdict(e, "some text _LOWEREN\n").empty());
}

TEST(TwoPass, PartsThatDependOnDeferredOnesStillCallForTheSecondPass) {
  // Q holds on its PCRE alone, whose trigger needs deferred part 1; B on a byte compare that
  // reads after deferred part 1's match. Both must still be found, and neither without part 1.
  const std::string pcre =
      std::string("Q;Engine:81-255,Target:0;2;") + kStrong + ";4242;0&1/x[0-9]+y/\n";
  const std::string bcomp =
      std::string("B;Engine:81-255,Target:0;0&2;") + kStrong + ";4343;1(>>2#ib1#=0x41)\n";
  Engines e = load_both({{"t.ldb", pcre + bcomp}});
  ASSERT_TRUE(e.sources.engine);
  EXPECT_TRUE(e.sources.engine->body->is_deferred(1));
  EXPECT_TRUE(e.sources.engine->body->is_deferred(3));
  EXPECT_EQ(verdict(e, "x12y_Strong_BB\x01"), std::vector<std::string>{"Q@-"});
  EXPECT_EQ(verdict(e, "_Strong_.CCA\x01"), std::vector<std::string>{"B@-"});
  EXPECT_EQ(verdict(e, "CCA_Strong_x1y.BB\x01"), (std::vector<std::string>{"B@-", "Q@-"}));
  EXPECT_TRUE(verdict(e, "x12y_Strong_CCB\x01").empty());
  EXPECT_TRUE(verdict(e, "x12y_Strong\x01.BB.CCA").empty());
}

TEST(TwoPass, TypedSignaturesOnlyInTheirTypesDatabase) {
  // A PE-only body signature, an ELF-only logical one and one for any type: each input type's
  // first-pass database holds its own and the any-type fragments.
  const std::string sources_ndb =
      std::string("PeOnly:1:*:") + kStrong + "\nAny:0:*:616e792d74797065\n";
  const std::string elf = "ElfOnly;Engine:51-255,Target:6;0;656c662d6f6e6c79\n";
  Engines e = load_both({{"t.ndb", sources_ndb}, {"t.ldb", elf}});
  ASSERT_TRUE(e.sources.engine);
  std::string pe(512, '\0');
  pe.replace(0, 2, "MZ");
  pe[0x3c] = 0x40;
  pe.replace(0x40, 4, std::string("PE\0\0", 4));
  std::string elf_file = std::string(
                             "\x7f"
                             "ELF\x02\x01\x01",
                             7) +
                         std::string(120, '\0');
  const std::string payload = "_Strong_ any-type elf-only";
  EXPECT_EQ(verdict(e, std::string("xy\0\0", 4) + payload), std::vector<std::string>{"Any@13"});
  EXPECT_EQ(verdict(e, elf_file + payload), (std::vector<std::string>{"Any@136", "ElfOnly@-"}));
  EXPECT_EQ(verdict(e, pe + payload), (std::vector<std::string>{"Any@521", "PeOnly@512"}));
}

TEST(TwoPass, FragmentsSharedAcrossPassesAreSearchedInBothAndCountedOnce) {
  // "BBB" is a PE-only body signature's fragment and a deferred part of an any-type logical
  // signature: a file of another type must still find it. "CCC" is an any-type body
  // signature's and a deferred part counted exactly: found in both passes, it counts once.
  const std::string ndb = "PeWeak:1:*:424242\nAnyWeak:0:*:434343\n";
  const std::string ldb = std::string("Shared;Engine:51-255,Target:0;0&1;") + kStrong +
                          ";424242\nOnce;Engine:51-255,Target:0;0&1=1;" + kStrong + ";434343\n";
  Engines e = load_both({{"t.ndb", ndb}, {"t.ldb", ldb}});
  ASSERT_TRUE(e.sources.engine);
  EXPECT_EQ(verdict(e, std::string("xy\0\0BBB_Strong_", 15)), std::vector<std::string>{"Shared@-"});
  EXPECT_EQ(verdict(e, std::string("xy\0\0CCC_Strong_", 15)),
            (std::vector<std::string>{"AnyWeak@4", "Once@-"}));
  EXPECT_EQ(verdict(e, std::string("xy\0\0CCC_Strong_CCC", 18)),
            (std::vector<std::string>{"AnyWeak@4"}));
}

TEST(TwoPass, DeferredPartsAtAFewPositionsAreComparedInPlace) {
  // Parts pinned by their offset: "BB" starting within [10, 14], exactly two "CC" starting
  // within [20, 26], "DD" three bytes before the end. "CC" is also a deferred part searched
  // everywhere (S), so the database reports it too: K must still count each occurrence once.
  const std::string strong = kStrong;
  const std::string ldb = "A;Engine:51-255,Target:0;0&1;" + strong + ";10,4:4242\n" +
                          "K;Engine:51-255,Target:0;0&1=2;" + strong + ";20,6:4343\n" +
                          "S;Engine:51-255,Target:0;0&1>2;" + strong + ";4343\n" +
                          "E;Engine:51-255,Target:0;0&1;" + strong + ";EOF-3:4444\n" +
                          "Z;Engine:51-255,Target:0;0&1;" + strong + ";10,4:5a{2-3}4646\n";
  Engines e = load_both({{"t.ldb", ldb}});
  ASSERT_TRUE(e.sources.engine);
  const match::BodyMatcher& body = *e.sources.engine->body;
  for (uint32_t s : {1u, 3u, 5u, 7u, 9u}) EXPECT_TRUE(body.is_deferred(s)) << s;
  for (uint32_t s : {1u, 3u, 7u, 9u}) EXPECT_TRUE(body.is_direct(s)) << s;
  EXPECT_FALSE(body.is_direct(5));  // S's "CC" may be anywhere
  auto at = [](std::initializer_list<std::pair<size_t, const char*>> parts) {
    std::string out(48, '.');
    for (const auto& [pos, text] : parts) out.replace(pos, std::string(text).size(), text);
    return out;
  };
  const std::vector<std::string> a = {"A@-"};
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {10, "BB"}})), a);
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {14, "BB"}})), a);
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {9, "BB"}})).empty());
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {15, "BB"}})).empty());
  EXPECT_TRUE(verdict(e, at({{30, "_Strong_"}, {10, "B"}})).empty());
  // K counts "CC" at 20 and 24 (not 40); S needs three anywhere.
  const std::vector<std::string> k = {"K@-"};
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {20, "CC"}, {24, "CC"}})), k);
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {20, "CC"}, {24, "CC"}, {40, "CC"}})),
            (std::vector<std::string>{"K@-", "S@-"}));
  // "CCC" at 20 is two occurrences (20 and 21): K sees three and fails, S holds.
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {20, "CCC"}, {24, "CC"}})),
            std::vector<std::string>{"S@-"});
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {20, "CC"}, {27, "CC"}})).empty());
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {45, "DD"}})), std::vector<std::string>{"E@-"});
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {44, "DD"}})).empty());
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {46, "DD"}})).empty());
  EXPECT_EQ(verdict(e, "_Strong_DD."), std::vector<std::string>{"E@-"});
  EXPECT_TRUE(verdict(e, "_Strong_DD").empty());
  // Z: "Z", two or three bytes, "FF", starting within [10, 14]: its fragment "FF" lies
  // within [13, 18].
  const std::vector<std::string> z = {"Z@-"};
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {10, "Z..FF"}})), z);
  EXPECT_EQ(verdict(e, at({{0, "_Strong_"}, {14, "Z...FF"}})), z);
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {15, "Z..FF"}})).empty());
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {9, "Z...FF"}})).empty());
  EXPECT_TRUE(verdict(e, at({{0, "_Strong_"}, {12, "Z....FF"}})).empty());
}

TEST(TwoPass, FragmentsReportedAtTheirFirstOccurrenceOnlyWhereThatDecides) {
  // "abcd" is a body signature's whole pattern (its first occurrence decides it) and a part
  // counted more than twice, so its every occurrence is still reported; "efgh" is only a part
  // that one occurrence decides. Small windows cut the input between occurrences.
  const std::string strong = kStrong;
  const std::string ndb = "Plain:0:*:61626364\nSingle:0:*:7778797a\n";
  const std::string ldb = "Cnt;Engine:51-255,Target:0;0&1>2;" + strong + ";61626364\n" +
                          "One;Engine:51-255,Target:0;0&1;" + strong + ";65666768\n";
  Engines e = load_both({{"t.ndb", ndb}, {"t.ldb", ldb}});
  ASSERT_TRUE(e.sources.engine);
  struct Case {
    const char* data;
    std::vector<std::string> found;
  };
  const Case cases[] = {
      {"abcd.abcd.abcd._Strong_", {"Cnt@-", "Plain@0"}},
      {"..abcd.abcd._Strong_.abcd", {"Cnt@-", "Plain@2"}},
      {"abcd.abcd._Strong_", {"Plain@0"}},
      {"efgh.efgh._Strong_.efgh", {"One@-"}},
      {"_Strong_....efgh", {"One@-"}},
      {"...wxyz...wxyz.wxyz", {"Single@3"}},  // reported at its first occurrence
      {"wxyzabcd.abcd.abcd_Strong_wxyz", {"Cnt@-", "Plain@4", "Single@0"}},
  };
  // Windows as small as the longest fragment allows (9 bytes, overlapping by 7) cut the input
  // between occurrences.
  for (const Case& c : cases) {
    for (uint64_t window : {match::kDefaultWindow, uint64_t{9}, uint64_t{12}}) {
      for (const scan::Engine* engine : {e.sources.engine.get(), e.dat.get()}) {
        std::vector<std::string> got = scan(*engine, c.data, window);
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, c.found) << c.data << " in windows of " << window
                                << (engine == e.dat.get() ? ", from the DAT" : "");
      }
    }
  }
}

// The text layer the second pass (and the first) searches: ASCII letters folded, every run of
// whitespace one space; checked against the rule written out byte by byte.
TEST(TwoPass, NormalizedTextFoldsCaseAndCollapsesWhitespace) {
  auto rule = [](std::string_view data) {  // the rule written out byte by byte
    std::string want;
    bool in_space = false;
    for (unsigned char c : data) {
      bool sp = c == ' ' || (c >= '\t' && c <= '\r');
      if (sp && in_space) continue;
      want.push_back(sp ? ' ' : static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c));
      in_space = sp;
    }
    return want;
  };
  auto normalized = [](std::string_view data) {
    std::string got = "kept:";
    scan::normalize_text(reinterpret_cast<const uint8_t*>(data.data()), data.size(), got);
    std::string bytewise = "kept:";
    scan::normalize_text_bytewise(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                  bytewise);
    EXPECT_EQ(got, bytewise);
    return got;
  };
  // From dense whitespace to prose-like text, with every byte value, cut at unaligned starts
  // and ends: the vector path (where the processor has one) and the bytewise one both follow
  // the rule.
  for (uint32_t one_in : {5u, 12u, 40u}) {
    std::string data;
    uint32_t x = 12345 + one_in;
    for (int i = 0; i < 100000; ++i) {
      x = x * 1103515245 + 12345;
      data.push_back(
          static_cast<char>((x >> 16) % one_in == 0 ? "\t\n\v\f\r "[(x >> 8) % 6] : x >> 24));
    }
    for (size_t cut : {size_t{0}, size_t{7}, size_t{16}}) {
      std::string_view part = std::string_view(data).substr(cut, data.size() - 2 * cut);
      EXPECT_EQ(normalized(part), "kept:" + rule(part)) << one_in << " " << cut;
    }
  }
  // A run of whitespace across a 64-byte block boundary collapses to one space.
  const std::string edge = std::string(63, 'A') + "  \t" + std::string(61, 'Z') + " \r\n";
  EXPECT_EQ(normalized(edge), "kept:" + std::string(63, 'a') + " " + std::string(61, 'z') + " ");
  // ... and across the 16 KiB chunks normalize_text folds its input in.
  const std::string chunk_edge = std::string(16383, 'B') + "\t \n" + std::string(16383, 'C');
  EXPECT_EQ(normalized(chunk_edge),
            "kept:" + std::string(16383, 'b') + " " + std::string(16383, 'c'));
  std::string empty;
  scan::normalize_text(nullptr, 0, empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace vigil
