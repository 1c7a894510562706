// Macro subsignatures ("${MIN-MAX}G$" in a .ldb, "$G" offsets in a .ndb) end to end. Every
// expected verdict is clamscan 1.4.6's on the same signatures and bytes (run with --allmatch);
// every scan is also streamed in pieces (scan_support.h), run with small prefilter windows and
// in first-match mode, and a DAT built from the signatures must give the same verdicts. The
// expressions ask only whether a macro matched: clamscan's counts beyond that follow no
// documented rule (see logical.h), so no case compares a macro's count with more than 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scan/engine_dat.h"
#include "scan_support.h"

namespace vigil {
namespace {

using testing::load;
using testing::scan;

// Group 12: bbb, ccc; group 30: bbd; group 3: AAA (the manual's example, plus two groups).
constexpr const char* kNdb = "D1:0:$12:626262\nD2:0:$12:636363\nD3:0:$30:626264\nE1:0:$3:414141\n";
constexpr const char* kLdb =
    "Doc;Engine:51-255,Target:0;0&1;616161;${6-7}12$\n"
    "Only;Engine:51-255,Target:0;1;616161;${6-7}12$\n"
    "Neg;Engine:51-255,Target:0;0&1=0;616161;${6-7}12$\n"
    "Zero;Engine:51-255,Target:0;0&1;616161;${0-3}12$\n"
    "Empty;Engine:51-255,Target:0;0&1;616161;${7-6}12$\n"
    "Mid;Engine:51-255,Target:0;0&1&2;7a7a;616161;${6-7}12$\n"
    "Other;Engine:51-255,Target:0;0&1;616161;${6-7}30$\n"
    "Wide;Engine:51-255,Target:0;0&1;616161;${2-20}12$\n"
    "Nocase;Engine:51-255,Target:0;0&1;717171::i;${4-4}3$\n"
    "Float;Engine:51-255,Target:0;0&1;0,8:616161;${6-7}12$\n"
    "Two;Engine:51-255,Target:0;0&1&2&3;616161;${6-7}12$;717171;${4-4}3$\n";

struct Case {
  const char* data;
  const char* found;  // the signatures clamscan names, sorted, space-separated
};

// Generated from clamscan runs over the signatures above.
const Case kCases[] = {
    {"aaaxxxbbb", "Neg"},
    {"aaaxxxxbbb", "Neg"},
    {"aaaxxbbb", "Neg"},
    {"aaaxxxxxbbb", "Neg"},
    {"aaaxxxbbbaaa", "Doc Only Wide"},
    {"aaaxxxbbbxaaa", "Doc Only Wide"},
    {"aaaxxxccc", "Neg"},
    {"aaaxxxcccaaa", "Doc Only Wide"},
    {"xxxbbbd", ""},
    {"aaaxxxbbdaaa", "Neg Other"},
    {"aaaxxbbbaaa", "Neg Wide"},
    {"aaaxxxxbbbaaa", "Doc Only Wide"},
    {"aaaxxxxxbbbaaa", "Neg Wide"},
    {"aaaaxxbbb", "Neg"},
    {"bbbxxxaaa", "Neg"},
    {"aaaxxxbbbaaaxxxbbb", "Doc Only Wide"},
    {"aaazzzaaaxxxbbb", "Neg"},
    {"aaazzaaaxxxbbbaaa", "Doc Mid Only Wide"},
    {"aaaxxxbbbcccaaa", "Neg Wide"},
    {"aaaxxxbbbxxcccaaa", "Neg Wide"},
    {"aaaaxxbbbaaa", "Neg Wide"},
    {"aaaaxxxbbbaaa", "Doc Only Wide"},
    {"aaaxxxbbbbbbaaa", "Neg Wide"},
    {"aaaxxxbbbzzzbbbaaa", "Neg Wide"},
    {"aaabbbaaa", "Neg Wide Zero"},
    {"aaabbbbaaa", "Neg Wide"},
    {"aaaxbbbaaa", "Neg Wide"},
    {"aaaxxxbbdxaaa", "Neg Other"},
    {"zzaaaxxxbbbaaa", "Doc Mid Only Wide"},
    {"aaaxxxbbbaaaxzz", "Doc Mid Only Wide"},
    {"aaaxxxxxxxxxxxxxxbbbaaa", "Neg Wide"},
    {"aaaxxxxxxxxxxxxxxxxxxxxbbbaaa", "Neg"},
    {"aaaxxxbbbzzzzzzzzzzzzzzzzzzzzzzzzzzzzzaaa", "Doc Mid Only Wide"},
    {"xxxxxxxxxxaaaxxxbbbaaa", "Doc Only Wide"},
    {"qqqxAAAxxqqq", "Neg Nocase"},
    {"QQQxAAAxqqq", "Neg Nocase"},
    {"qqqxAAAxQQQ", "Neg Nocase"},
    {"qqqxaaaxqqq", "Neg"},
    {"aaaxxxbbbaaaqqqxAAAxqqq", "Doc Nocase Only Two Wide"},
    {"aaaxxxbbbaaaqqqxAAAx", "Doc Only Wide"},
    {"qqqxAAAxqqqaaaxxxbbb", "Neg Nocase"},
};

// The names found, sorted and without offsets (a logical signature has none).
std::string names(std::vector<std::string> hits) {
  for (std::string& h : hits) h = h.substr(0, h.find('@'));
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  std::string out;
  for (const std::string& h : hits) out += (out.empty() ? "" : " ") + h;
  return out;
}

TEST(Macro, CountsAsClamscanDoes) {
  auto l = load({{"t.ndb", kNdb}, {"t.ldb", kLdb}});
  ASSERT_TRUE(l.engine);
  for (const sig::Diagnostic& d : l.diags) ADD_FAILURE() << d.message;
  EXPECT_EQ(l.engine->logical.size(), 11u);
  EXPECT_EQ(l.engine->stats.body_signatures, 4u);  // the group members
  for (const Case& c : kCases) {
    EXPECT_EQ(names(scan(*l.engine, c.data)), c.found) << c.data;
    EXPECT_EQ(names(scan(*l.engine, c.data, 64)), c.found) << c.data << " (window 64)";
    // First-match mode stops at the first detection: it must be one clamscan names.
    std::string first = names(scan(*l.engine, c.data, match::kDefaultWindow, false));
    EXPECT_EQ(first.empty(), std::string(c.found).empty()) << c.data << " (first match)";
    if (!first.empty()) {
      EXPECT_NE((std::string(" ") + c.found + " ").find(" " + first + " "), std::string::npos)
          << c.data << " first match named " << first;
    }
  }
}

TEST(Macro, ADatGivesTheSameVerdicts) {
  auto dat = testing::load_from_dat({{"t.ndb", kNdb}, {"t.ldb", kLdb}});
  ASSERT_TRUE(dat);
  EXPECT_EQ(dat->stats.logical_signatures, 11u);
  EXPECT_EQ(dat->stats.body_signatures, 4u);
  for (const Case& c : kCases) EXPECT_EQ(names(scan(*dat, c.data)), c.found) << c.data;
}

TEST(Macro, FarApartAndAcrossPrefilterWindows) {
  // clamscan: the macro counts at the last "aaa" (the last group match before it is bbb, six
  // bytes after the previous "aaa"), not once a later ccc became the last group match.
  auto l = load({{"t.ndb", kNdb}, {"t.ldb", kLdb}});
  ASSERT_TRUE(l.engine);
  const std::string yes = "aaa" + std::string(5000, 'x') + "aaaxxxbbb" + std::string(3000, 'y') +
                          "aaa" + std::string(100, 'z');
  const std::string no = "aaa" + std::string(5000, 'x') + "aaaxxxbbb" + std::string(3000, 'y') +
                         "ccc" + std::string(100, 'z') + "aaa";
  for (uint64_t window : {uint64_t{64}, uint64_t{1000}, match::kDefaultWindow}) {
    EXPECT_EQ(names(scan(*l.engine, yes, window)), "Doc Mid Only Wide") << window;
    EXPECT_EQ(names(scan(*l.engine, no, window)), "Neg") << window;
  }
}

TEST(Macro, GroupMembersAreNeverReported) {
  // clamscan loads "$n" signatures whether or not a macro uses their group, and never names
  // them; a plain signature next to them still is.
  auto l = load({{"t.ndb", "G:0:$5:626262\nP:0:*:616161\n"}});
  ASSERT_TRUE(l.engine);
  EXPECT_TRUE(l.diags.empty());
  EXPECT_EQ(scan(*l.engine, "xxbbbxxaaa"), std::vector<std::string>{"P@7"});
  EXPECT_EQ(scan(*l.engine, "xxbbbxx"), std::vector<std::string>{});
  auto dat = testing::load_from_dat({{"t.ndb", "G:0:$5:626262\nP:0:*:616161\n"}});
  ASSERT_TRUE(dat);
  EXPECT_EQ(scan(*dat, "xxbbbxxaaa"), std::vector<std::string>{"P@7"});
}

// The starts recorded for macros are bounded per input in all, not only per list: many
// macros on one common predecessor stop recording there, and the scan says it is incomplete.
TEST(Macro, RecordedStartsAreBoundedInAll) {
  std::string ldb;
  for (int i = 0; i < 20; ++i) {
    ldb += "M" + std::to_string(i) + ";Engine:51-255,Target:0;0&1;414243;${0-10}1$\n";
  }
  auto l = load({{"g.ndb", "G:0:$1:58595a\n"}, {"m.ldb", ldb}});
  ASSERT_TRUE(l.engine);
  std::string data;
  for (int i = 0; i < 60000; ++i) data += "ABC";  // 60,000 starts: under one list's cap
  auto scratch = scan::make_scratch(*l.engine);
  ASSERT_TRUE(scratch.is_ok());
  std::vector<std::string> hits;
  vigil_scan_result r{};
  ASSERT_TRUE(scan::scan_bytes(*l.engine, *scratch.value(),
                               reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                               VIGIL_SCAN_ALLMATCH, scan::Callback{&testing::collect, &hits}, r)
                  .is_ok());
  EXPECT_GT(r.incomplete, 0u);  // 20 x 60,000 starts pass the 1,048,576 recorded in all
  EXPECT_TRUE(hits.empty());
}

TEST(Macro, LoadErrorsNameTheProblem) {
  struct {
    const char* line;
    const char* error;
  } ldb[] = {
      {"M;Engine:51-255,Target:0;0&1;616161;${6}12$",
       "subsignature 1: macro subsignature '${6}12$': expected a distance range MIN-MAX in "
       "decimal"},
      {"M;Engine:51-255,Target:0;0&1;616161;${-7}12$",
       "subsignature 1: macro subsignature '${-7}12$': expected a distance range MIN-MAX in "
       "decimal"},
      {"M;Engine:51-255,Target:0;0&1;616161;${6-7}12",
       "subsignature 1: macro subsignature '${6-7}12': missing the closing '$'"},
      {"M;Engine:51-255,Target:0;0&1;616161;${6-7}$",
       "subsignature 1: macro subsignature '${6-7}$': the macro group must be a number from 0 "
       "to 31"},
      {"M;Engine:51-255,Target:0;0&1;616161;${6-7}32$",
       "subsignature 1: macro subsignature '${6-7}32$': the macro group must be a number from "
       "0 to 31"},
      {"M;Engine:51-255,Target:0;0&1;616161;${6-7x$",
       "subsignature 1: macro subsignature '${6-7x$': expected ${MIN-MAX}GROUP$"},
      {"M;Engine:51-255,Target:0;0&1;616161;${6-7}12$::i",
       "subsignature 1: macro subsignature '${6-7}12$::i': missing the closing '$'"},
      {"M;Engine:51-255,Target:0;0&1;${6-7}12$;616161",
       "subsignature 0: macro subsignature: it cannot be subsignature 0 (it measures from the "
       "subsignature before it)"},
      {"M;Engine:51-255,Target:0;0&1&2;616161;${6-7}12$;${6-7}12$",
       "subsignature 2: macro subsignature: subsignature 1 before it is a macro (it must be a "
       "pattern subsignature)"},
      {"M;Engine:81-255,Target:0;0&1&2;616161;0/aaa/;${6-7}12$",
       "subsignature 2: macro subsignature: subsignature 1 before it is a PCRE (it must be a "
       "pattern subsignature)"},
      {"M;Engine:81-255,Target:0;0&1&2;616161;${6-7}12$;1(>>4#ib1#=1)",
       "subsignature 2: byte compare: its trigger, subsignature 1, is a macro (it must be a "
       "pattern subsignature)"},
  };
  for (const auto& c : ldb) {
    auto l = load({{"bad.ldb", "Good;Engine:51-255,Target:0;0;414243\n" + std::string(c.line)}});
    ASSERT_EQ(l.diags.size(), 1u) << c.line;
    EXPECT_EQ(l.diags[0].line, 2u);
    EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_ERROR);
    EXPECT_EQ(l.diags[0].message, c.error) << c.line;
    ASSERT_TRUE(l.engine);
    EXPECT_EQ(l.engine->logical.size(), 1u) << c.line;
  }
  struct {
    const char* line;
    const char* error;
  } ndb[] = {
      {"G:0:$32:626262", "offset '$32': a macro group is $n with n from 0 to 31"},
      {"G:0:$x:626262", "offset '$x': a macro group is $n with n from 0 to 31"},
      {"G:0:$:626262", "offset '$': a macro group is $n with n from 0 to 31"},
      {"G:0:$-1:626262", "offset '$-1': a macro group is $n with n from 0 to 31"},
      {"G:0:$1,5:626262", "offset '$1,5': a macro group is $n with n from 0 to 31"},
  };
  for (const auto& c : ndb) {
    auto l = load({{"bad.ndb", "P:0:*:414243\n" + std::string(c.line)}});
    ASSERT_EQ(l.diags.size(), 1u) << c.line;
    EXPECT_EQ(l.diags[0].line, 2u);
    EXPECT_EQ(l.diags[0].message, c.error) << c.line;
  }
  // A macro group offset belongs to .ndb signatures only.
  auto l = load({{"t.ldb", "M;Engine:51-255,Target:0;0&1;$3:616161;626262"}});
  ASSERT_EQ(l.diags.size(), 1u);
  EXPECT_EQ(l.diags[0].message,
            "skipped: subsignature 0: offset '$3' names a macro group, which only a .ndb "
            "signature can join");
}

}  // namespace
}  // namespace vigil
