// The PCRE subsignature regex engine: offset windows, flags and global matching as ClamAV 1.4
// applies them (the match starts and counts in kCases were checked against clamscan 1.4.6
// with a one-line .ldb and a crafted file, except empty global matches, where ClamAV spins;
// ends are PCRE2's), run through both engines; Hyperscan against PCRE2 alone on generated
// patterns; errors, serialization, hostile serialized bytes, work limits; and the real PCRE
// subsignatures of main-dev.ldb.
#include "match/regex.h"

#include <gtest/gtest.h>
#include <hs/hs.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace vigil::match {
namespace {

constexpr uint64_t kMax = UINT64_MAX;

struct Found {
  std::vector<RegexMatch> matches;
  common::Status status;
};

Found find_all(const Regex& re, std::string_view data, uint64_t lo, uint64_t hi,
               RegexScratch& scratch) {
  Found out;
  out.status = re.find(reinterpret_cast<const uint8_t*>(data.data()), data.size(), lo, hi, scratch,
                       [&](RegexMatch m) {
                         out.matches.push_back(m);
                         return true;
                       });
  return out;
}

Regex compile_ok(std::string_view pattern, std::string_view flags, bool hyperscan = true) {
  auto re = Regex::compile(pattern, flags, RegexOptions{.allow_hyperscan = hyperscan});
  EXPECT_TRUE(re.is_ok()) << pattern << ": " << re.status().message();
  return re.take();
}

std::string x(size_t n, std::string_view tail = "") {
  return std::string(n, 'x') + std::string(tail);
}

using M = std::vector<RegexMatch>;

struct Case {
  const char* pattern;
  const char* flags;
  std::string data;
  uint64_t lo;
  uint64_t hi;
  M expect;
};

const Case kCases[] = {
    // No maxshift: anchored at the offset unless rolling; the subject begins at the offset.
    {"abc", "", x(10, "abcyy"), 10, 10, {{10, 13}}},
    {"abc", "", x(11, "abcyy"), 10, 10, {}},
    {"abc", "r", x(11, "abcyy"), 10, 10, {{11, 14}}},
    {"abc", "r", x(9, "abcyy"), 10, 10, {}},
    {"^abc", "", x(10, "abc"), 10, 10, {{10, 13}}},
    {"^abc", "r", x(11, "abc"), 10, 10, {}},
    {"(?<=x)abc", "", x(10, "abc"), 10, 10, {}},
    {"\\babc", "", x(10, "abc"), 10, 10, {{10, 13}}},
    {"abc", "e", x(10, "abcyy"), 10, 10, {{10, 13}}},  // e needs a maxshift
    {"abc", "re", x(12, "abcyy"), 10, 10, {{12, 15}}},
    // A maxshift: the start lies in [lo, hi]; with e the whole match does.
    {"abc", "", x(15, "abcyy"), 10, 15, {{15, 18}}},
    {"abc", "", x(16, "abcyy"), 10, 15, {}},
    {"abc", "", x(9, "abcyy"), 10, 15, {}},
    {"abc", "r", x(16, "abcyy"), 10, 15, {}},
    {"abc", "e", x(12, "abcyy"), 10, 15, {{12, 15}}},
    {"abc", "e", x(13, "abcyy"), 10, 15, {}},
    {"abc$", "e", x(12, "abcyyyyy"), 10, 15, {{12, 15}}},
    {"abc$", "", x(12, "abcyyyyy"), 10, 15, {}},
    {"^abc", "", x(12, "abc"), 10, 15, {}},
    {"abc(?=y)", "", x(12, "abcy"), 10, 15, {{12, 15}}},
    {"abc(?=y)", "e", x(12, "abcy"), 10, 15, {}},
    {"(?<=x)abc", "", x(12, "abc"), 10, 15, {{12, 15}}},
    {"abc", "A", x(12, "abc"), 10, 15, {}},
    {"abc", "A", x(10, "abc"), 10, 15, {{10, 13}}},
    {"abc", "", "xxabcxx", 0, kMax, {{2, 5}}},
    {"abc", "", "xxabc", 7, kMax, {}},
    // Global: searches resume at the previous end, in the same subject.
    {"aa", "g", "aaaa", 0, kMax, {{0, 2}, {2, 4}}},
    {"aa", "", "aaaa", 0, kMax, {{0, 2}}},
    {"a+?", "g", "aaaa", 0, kMax, {{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
    {"a+", "gU", "aa", 0, kMax, {{0, 1}, {1, 2}}},
    {"ab", "g", x(10, "ababababab"), 10, 15, {{10, 12}, {12, 14}, {14, 16}}},
    {"ab", "ge", x(10, "ababababab"), 10, 15, {{10, 12}, {12, 14}}},
    {"ab", "g", x(10, "abxabxxxxxxxx"), 10, 15, {{10, 12}, {13, 15}}},
    {"ab", "g", x(10, "ababababab"), 10, 10, {{10, 12}, {12, 14}, {14, 16}, {16, 18}, {18, 20}}},
    {"ab", "g", x(10, "abxxxababab"), 10, 10, {{10, 12}}},
    {"ab", "gA", "abababxab", 0, kMax, {{0, 2}, {2, 4}, {4, 6}}},
    {"^ab", "g", "ababab", 0, kMax, {{0, 2}}},
    {"(?<!b)ab", "g", "ababab", 0, kMax, {{0, 2}}},
    {"ab|cd|abcd", "g", "abcd", 0, kMax, {{0, 2}, {2, 4}}},          // a match hidden behind "abcd"
    {"a*", "g", "baab", 0, kMax, {{0, 0}, {1, 3}, {3, 3}, {4, 4}}},  // Perl's m//g after empty
    {"a*", "g", "baa", 0, kMax, {{0, 0}, {1, 3}}},  // and none resumes at the end, as in ClamAV
    {"(?:c|$)", "g", "xabcxx", 0, kMax, {{3, 4}, {6, 6}}},
    // PCRE flags.
    {"ABC", "i", "xabc", 0, kMax, {{1, 4}}},
    {"a.c", "", "a\nc", 0, kMax, {}},
    {"a.c", "s", "a\nc", 0, kMax, {{0, 3}}},
    {"a b c", "x", "abc", 0, kMax, {{0, 3}}},
    {"abc$", "", "abc\n", 0, kMax, {{0, 3}}},
    {"abc$", "E", "abc\n", 0, kMax, {}},
    {"^abc", "m", "x\nabc", 0, kMax, {{2, 5}}},
    {"\\Aabc", "m", "x\nabc", 0, kMax, {}},
    {"abc", "A", "xabc", 0, kMax, {}},
    {"abc", "A", "abcx", 0, kMax, {{0, 3}}},
    // Leftmost-first, not longest: the end is the one PCRE's backtracking order picks.
    {"a|ab", "", "ab", 0, kMax, {{0, 1}}},
    {"ab|a", "", "ab", 0, kMax, {{0, 2}}},
    {"b|ab", "", "xab", 0, kMax, {{1, 3}}},
    {"a.*?b", "", "a1b2b", 0, kMax, {{0, 3}}},
    {"a.*b", "", "a1b2b", 0, kMax, {{0, 5}}},
    {"a.*b", "U", "a1b2b", 0, kMax, {{0, 3}}},
    {"a.*?b", "U", "a1b2b", 0, kMax, {{0, 5}}},
    {"a\\w*?c", "g", "abcabbc", 0, kMax, {{0, 3}, {3, 7}}},
    // Back-references (PCRE2 only), bytes, escapes.
    {"(a+)b\\1", "", "xaabaa", 0, kMax, {{1, 6}}},
    {"(a+)b\\1", "", "xaaba", 0, kMax, {{2, 5}}},
    {"(?P<q>[\"'])x(?P=q)", "", "\"x' 'x'", 0, kMax, {{4, 7}}},
    {"\\x41\\x00B", "", std::string("zA\0B", 4), 0, kMax, {{1, 4}}},
    {"[\\x80-\\xff]{2}", "", "a\xe9\xff", 0, kMax, {{1, 3}}},
    {"\\w{2}",
     "",
     "\xe9\xe9"
     "ab",
     0,
     kMax,
     {{2, 4}}},  // no Unicode: \w is ASCII
    {"a/b", "", "a/b", 0, kMax, {{0, 3}}},
    {"a\\/b", "", "a/b", 0, kMax, {{0, 3}}},
};

TEST(Regex, ClamAVSemanticsOnBothEngines) {
  RegexScratch scratch;
  for (bool hyperscan : {true, false}) {
    for (const Case& c : kCases) {
      Regex re = compile_ok(c.pattern, c.flags, hyperscan);
      Found f = find_all(re, c.data, c.lo, c.hi, scratch);
      ASSERT_TRUE(f.status.is_ok()) << f.status.message();
      std::string where = std::string("/") + c.pattern + "/" + c.flags + " window [" +
                          std::to_string(c.lo) + "," + std::to_string(c.hi) + "] on \"" + c.data +
                          "\" engine " + std::to_string(int(re.engine()));
      ASSERT_EQ(f.matches.size(), c.expect.size()) << where;
      for (size_t i = 0; i < c.expect.size(); ++i) {
        EXPECT_EQ(f.matches[i].start, c.expect[i].start) << where << " match " << i;
        EXPECT_EQ(f.matches[i].end, c.expect[i].end) << where << " match " << i;
      }
    }
  }
}

TEST(Regex, EnginesChosenByWhatHyperscanAccepts) {
  EXPECT_EQ(compile_ok("abc", "").engine(), RegexEngine::kHyperscan);
  EXPECT_EQ(compile_ok("a.*?b", "si").engine(), RegexEngine::kHyperscan);
  EXPECT_EQ(compile_ok("(a+)b\\1", "").engine(), RegexEngine::kHyperscanPrefilter);
  EXPECT_EQ(compile_ok("abc$", "E").engine(), RegexEngine::kHyperscanPrefilter);
  EXPECT_EQ(compile_ok("a*", "").engine(), RegexEngine::kPcre2);  // matches empty
  EXPECT_EQ(compile_ok("abc", "", false).engine(), RegexEngine::kPcre2);
  EXPECT_TRUE(compile_ok("abc", "").uses_hyperscan());
  EXPECT_FALSE(compile_ok("abc", "", false).uses_hyperscan());
  Regex re = compile_ok("a\\/b", "gre");
  EXPECT_EQ(re.pattern(), "a\\/b");
  EXPECT_EQ(re.flags(), "gre");
  EXPECT_TRUE(re.global() && re.rolling() && re.encompass());
}

TEST(Regex, StopsWhenTheCallbackSaysSo) {
  RegexScratch scratch;
  for (bool hyperscan : {true, false}) {
    Regex re = compile_ok("ab", "g", hyperscan);
    int calls = 0;
    std::string data = "abababab";
    auto st = re.find(reinterpret_cast<const uint8_t*>(data.data()), data.size(), 0, kMax, scratch,
                      [&](RegexMatch) { return ++calls < 2; });
    EXPECT_TRUE(st.is_ok());
    EXPECT_EQ(calls, 2);
  }
}

TEST(Regex, BadPatternsAndFlagsAreSignatureErrors) {
  struct Bad {
    const char* pattern;
    const char* flags;
    const char* message;
  };
  const Bad kBad[] = {
      {"", "", "empty regex"},
      {"(abc", "", "bad regex at offset 4: missing closing parenthesis"},
      {"a{2,1}", "", "bad regex at offset 5: numbers out of order in {} quantifier"},
      {"abc", "z", "unknown PCRE flag 'z' (known: g r e i s m x A E U)"},
      {"abc", "g\x01", "unknown PCRE flag byte 1 (known: g r e i s m x A E U)"},
      {"(*UTF)abc", "", "bad regex at offset 6: using UTF is disabled by the application"},
      {"(*UCP)abc", "", "bad regex at offset 6: using UCP is disabled by the application"},
      {"\\x{100}", "",
       "bad regex at offset 6: character code point value in \\x{} or \\o{} is too large"},
  };
  for (const Bad& b : kBad) {
    auto re = Regex::compile(b.pattern, b.flags);
    ASSERT_FALSE(re.is_ok()) << b.pattern;
    EXPECT_EQ(re.status().code(), VIGIL_ERR_SIGNATURE);
    EXPECT_EQ(re.status().message(), b.message);
  }
}

TEST(Regex, SerializeRoundTripsEveryEngine) {
  RegexScratch scratch;
  const std::string data = "xx ab a1b2b aab\naaXbaab abab";
  struct Source {
    const char* pattern;
    const char* flags;
    bool hyperscan;
    RegexEngine engine;
  };
  const Source kSources[] = {{"a.*?b", "g", true, RegexEngine::kHyperscan},
                             {"ab", "gi", true, RegexEngine::kHyperscan},
                             {"(a)\\1b", "g", true, RegexEngine::kHyperscanPrefilter},
                             {"a\\w*b", "gm", false, RegexEngine::kPcre2}};
  for (const Source& s : kSources) {
    Regex re = compile_ok(s.pattern, s.flags, s.hyperscan);
    ASSERT_EQ(re.engine(), s.engine) << s.pattern;
    std::string bytes = re.serialize();
    EXPECT_EQ(bytes, re.serialize());  // deterministic
    auto back = Regex::deserialize(bytes);
    ASSERT_TRUE(back.is_ok()) << back.status().message();
    EXPECT_EQ(back.value().engine(), s.engine);
    EXPECT_EQ(back.value().pattern(), s.pattern);
    EXPECT_EQ(back.value().flags(), s.flags);
    EXPECT_EQ(back.value().serialize(), bytes);
    Found a = find_all(re, data, 0, kMax, scratch);
    Found b = find_all(back.value(), data, 0, kMax, scratch);
    EXPECT_FALSE(a.matches.empty()) << s.pattern;
    EXPECT_EQ(a.matches, b.matches) << s.pattern;
    auto pcre_only = Regex::deserialize(bytes, RegexOptions{.allow_hyperscan = false});
    ASSERT_TRUE(pcre_only.is_ok());
    EXPECT_EQ(pcre_only.value().engine(), RegexEngine::kPcre2);
    EXPECT_EQ(find_all(pcre_only.value(), data, 0, kMax, scratch).matches, a.matches);
  }
}

void expect_corrupt(std::string_view bytes, std::string_view message_part) {
  auto re = Regex::deserialize(bytes);
  ASSERT_FALSE(re.is_ok());
  EXPECT_EQ(re.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_NE(re.status().message().find(message_part), std::string::npos) << re.status().message();
}

TEST(Regex, HostileSerializedBytesAreRefused) {
  const std::string hs = compile_ok("a.*?bc", "gs").serialize();
  const std::string pcre = compile_ok("(a)\\1", "", false).serialize();
  for (size_t n = 0; n < hs.size(); n += (n < 64 ? 1 : 97)) {
    expect_corrupt(hs.substr(0, n), "serialized regex");
  }
  for (size_t n = 0; n < pcre.size(); ++n) expect_corrupt(pcre.substr(0, n), "serialized regex");
  expect_corrupt("", "magic: truncated");
  expect_corrupt("XRX1" + hs.substr(4), "magic: not a serialized regex");
  expect_corrupt(hs + "z", "1 bytes left over");
  std::string engine = hs;
  engine[4] = 7;
  expect_corrupt(engine, "unknown engine 7");
  engine[4] = 0;  // says PCRE2 alone but carries a database
  expect_corrupt(engine, "present for a PCRE2 regex");
  std::string no_db = pcre;
  no_db[4] = 2;
  expect_corrupt(no_db, "hyperscan database: missing");
  std::string bad_pattern = pcre;
  bad_pattern[4 + 1 + 8] = '(';  // "(a)\1" -> "((a)\1": unbalanced
  bad_pattern[4 + 1 + 8 + 1] = '(';
  expect_corrupt(bad_pattern, "serialized regex: bad regex");
  std::string huge_length = pcre;
  huge_length[4 + 1 + 7] = '\x7f';
  expect_corrupt(huge_length, "pattern: length");
  // Bytes flipped inside the Hyperscan database: Hyperscan's checks (magic, version, CRC of
  // the bytecode) refuse nearly all; the few it takes (padding) must still search safely.
  RegexScratch scratch;
  const std::string data = "xxa--bc a-b-c abc";
  const auto want = find_all(compile_ok("a.*?bc", "gs"), data, 0, kMax, scratch).matches;
  size_t refused = 0, tried = 0;
  for (size_t i = 4 + 1 + 8 + 6 + 8 + 2 + 8; i < hs.size(); i += 7, ++tried) {
    std::string flipped = hs;
    flipped[i] ^= 0x5a;
    auto re = Regex::deserialize(flipped);
    if (!re.is_ok()) {
      EXPECT_EQ(re.status().code(), VIGIL_ERR_CORRUPT) << re.status().message();
      ++refused;
      continue;
    }
    Found f = find_all(re.value(), data, 0, kMax, scratch);
    EXPECT_TRUE(f.status.is_ok()) << "byte " << i;
    EXPECT_EQ(f.matches, want) << "byte " << i;  // PCRE2 measures every match Hyperscan finds
  }
  EXPECT_GT(refused * 10, tried * 9);
}

TEST(Regex, CatastrophicBacktrackingHitsTheLimit) {
  const std::string data = std::string(40, 'a') + "!";
  RegexScratch scratch;
  Regex pcre = compile_ok("^(\\w+\\s?)+$", "", false);
  Found f = find_all(pcre, data, 0, kMax, scratch);
  EXPECT_EQ(f.status.code(), VIGIL_ERR_LIMIT);
  EXPECT_NE(f.status.message().find("regex /^(\\w+\\s?)+$/ at offset 0: match limit exceeded"),
            std::string::npos)
      << f.status.message();
  // Hyperscan knows at once that nothing matches: no backtracking, no limit.
  Regex hs = compile_ok("^(\\w+\\s?)+$", "");
  ASSERT_EQ(hs.engine(), RegexEngine::kHyperscan);
  f = find_all(hs, data, 0, kMax, scratch);
  EXPECT_TRUE(f.status.is_ok());
  EXPECT_TRUE(f.matches.empty());
  // A back-reference keeps it with PCRE2 after a prefilter hit; the limit ends it again.
  Regex backref = compile_ok("(\\w+\\s?)+\\1!", "");
  ASSERT_EQ(backref.engine(), RegexEngine::kHyperscanPrefilter);
  f = find_all(backref, std::string(40, 'a') + "b!", 0, kMax, scratch);
  EXPECT_EQ(f.status.code(), VIGIL_ERR_LIMIT);
  // The scratch's limits are the caller's: a generous one lets the same search finish.
  RegexScratch generous(RegexLimits{.match_limit = 100000000});
  f = find_all(pcre, std::string(16, 'a') + "!", 0, kMax, generous);
  EXPECT_TRUE(f.status.is_ok()) << f.status.message();
  EXPECT_EQ(generous.limits().match_limit, 100000000u);
}

TEST(Regex, OneScratchServesRegexesOfAnySize) {
  RegexScratch scratch;
  Regex small = compile_ok("ab", "");
  Regex large = compile_ok("(a|b|c){1,40}d[0-9]{20}", "");
  ASSERT_EQ(large.engine(), RegexEngine::kHyperscan);
  std::string data = "zzabcabc" + std::string("d") + std::string(20, '7');
  EXPECT_EQ(find_all(small, data, 0, kMax, scratch).matches, (M{{2, 4}}));
  EXPECT_EQ(find_all(large, data, 0, kMax, scratch).matches, (M{{2, 29}}));
  EXPECT_EQ(find_all(small, data, 0, kMax, scratch).matches, (M{{2, 4}}));
  RegexScratch moved = std::move(scratch);
  EXPECT_EQ(find_all(large, data, 0, kMax, moved).matches, (M{{2, 29}}));
}

// Hyperscan scratch allocations, counted through Hyperscan's own allocator hook.
size_t g_scratch_allocs = 0;
void* counting_alloc(size_t size) {
  ++g_scratch_allocs;
  return std::malloc(size);
}

TEST(Regex, ScratchIsGrownOncePerDatabaseNotPerSearch) {
  ASSERT_EQ(hs_set_scratch_allocator(counting_alloc, std::free), HS_SUCCESS);
  g_scratch_allocs = 0;
  {
    RegexScratch scratch;
    Regex small = compile_ok("ab", "");
    Regex large = compile_ok("(a|b|c){1,40}d[0-9]{20}", "");
    Regex prefilter = compile_ok("(\\w+\\s?)+\\1!", "");
    ASSERT_EQ(small.engine(), RegexEngine::kHyperscan);
    ASSERT_EQ(prefilter.engine(), RegexEngine::kHyperscanPrefilter);
    const std::string data = "zzabcabc" + std::string("d") + std::string(20, '7') + " aa aa!";
    size_t after_first_round = 0;
    for (int round = 0; round < 50; ++round) {
      EXPECT_EQ(find_all(small, data, 0, kMax, scratch).matches, (M{{2, 4}}));
      EXPECT_EQ(find_all(large, data, 0, kMax, scratch).matches, (M{{2, 29}}));
      EXPECT_EQ(find_all(prefilter, data, 0, kMax, scratch).matches.size(), 1u);
      if (round == 0) after_first_round = g_scratch_allocs;
    }
    // Grown while each database was new, never again however many searches ran.
    EXPECT_GE(after_first_round, 1u);
    EXPECT_EQ(g_scratch_allocs, after_first_round);
    // A scratch of its own is grown on its first search, and only then.
    RegexScratch other;
    EXPECT_EQ(find_all(large, data, 0, kMax, other).matches, (M{{2, 29}}));
    const size_t after_other = g_scratch_allocs;
    EXPECT_GT(after_other, after_first_round);
    EXPECT_EQ(find_all(large, data, 0, kMax, other).matches, (M{{2, 29}}));
    EXPECT_EQ(g_scratch_allocs, after_other);
  }
  ASSERT_EQ(hs_set_scratch_allocator(nullptr, nullptr), HS_SUCCESS);
}

TEST(Regex, ScratchRegrowsForALargerDatabaseOfANewRegex) {
  // Regexes made and freed one after another may reuse addresses: the scratch must still grow
  // for each new, larger database.
  RegexScratch scratch;
  std::string data = "q";
  for (int n = 1; n <= 24; ++n) {
    data += "a";
    Regex re = compile_ok("q(a|b){" + std::to_string(n) + "}", "");
    ASSERT_NE(re.engine(), RegexEngine::kPcre2);
    const Found f = find_all(re, data, 0, kMax, scratch);
    ASSERT_TRUE(f.status.is_ok()) << f.status.message();
    EXPECT_EQ(f.matches, (M{{0, static_cast<uint64_t>(n) + 1}})) << n;
  }
}

// Generated patterns over a small alphabet, with the constructs Hyperscan takes, compared
// between Hyperscan (exact or prefilter) and PCRE2 alone on generated data and windows.
class PatternMaker {
 public:
  explicit PatternMaker(uint32_t seed) : rng_(seed) {}
  std::string pattern() {
    std::string p = pick(4) == 0 ? "^" : "";
    p += alternation(0);
    if (pick(5) == 0) p += "$";
    return p;
  }
  std::string flags() {
    std::string f;
    for (char c : std::string("gimsUAre")) {
      if (pick(4) == 0) f += c;
    }
    return f;
  }
  std::string data() {
    std::string d;
    for (uint32_t n = pick(40); n > 0; --n) d += "abc \nab"[pick(7)];
    return d;
  }
  uint32_t pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }

 private:
  std::string alternation(int depth) {
    std::string s = sequence(depth);
    for (uint32_t n = pick(3) == 0 ? 1 + pick(2) : 0; n > 0; --n) {
      s += '|';
      s += sequence(depth);
    }
    return s;
  }
  std::string sequence(int depth) {
    static const char* kAtoms[] = {"a", "b", "c", "ab", ".", "[ab]", "[^a]", "\\w", "\\s", "\\b"};
    // Back-references and lookarounds send a pattern to the prefilter or to PCRE2 alone.
    static const char* kRare[] = {"(?=a)", "(?<=b)", "(?!c)", "\\1"};
    static const char* kQuants[] = {"",   "",   "",   "*",     "+",   "?",
                                    "*?", "+?", "??", "{1,3}", "{2}", "{0,2}?"};
    std::string s;
    for (uint32_t n = 1 + pick(4); n > 0; --n) {
      if (depth < 2 && pick(6) == 0) {
        s += pick(2) ? "(" : "(?:";
        s += alternation(depth + 1);
        s += ')';
      } else if (pick(12) == 0) {
        s += kRare[pick(std::size(kRare))];
        continue;  // no quantifier
      } else {
        s += kAtoms[pick(std::size(kAtoms))];
        if (s.ends_with("\\b")) continue;
      }
      s += kQuants[pick(std::size(kQuants))];
    }
    return s;
  }
  std::mt19937 rng_;
};

TEST(Regex, HyperscanAgreesWithPcre2OnGeneratedPatterns) {
  // VIGIL_REGEX_SEED=n runs another set (for longer runs by hand).
  const char* seed = std::getenv("VIGIL_REGEX_SEED");
  PatternMaker maker(seed != nullptr ? std::strtoul(seed, nullptr, 10) : 20240611);
  RegexScratch scratch(RegexLimits{.match_limit = 1000000});
  int exact = 0, prefilter = 0, matched = 0, limited = 0;
  for (int i = 0; i < 800; ++i) {
    std::string pattern = maker.pattern(), flags = maker.flags();
    auto hs = Regex::compile(pattern, flags);
    auto pcre = Regex::compile(pattern, flags, RegexOptions{.allow_hyperscan = false});
    ASSERT_EQ(hs.is_ok(), pcre.is_ok()) << pattern;
    if (!hs.is_ok()) continue;
    exact += hs.value().engine() == RegexEngine::kHyperscan;
    prefilter += hs.value().engine() == RegexEngine::kHyperscanPrefilter;
    for (int j = 0; j < 8; ++j) {
      std::string data = maker.data();
      uint64_t lo = 0, hi = kMax;
      if (j % 3 == 1) lo = hi = maker.pick(6);
      if (j % 3 == 2) {
        lo = maker.pick(6);
        hi = lo + maker.pick(8);
      }
      Found a = find_all(hs.value(), data, lo, hi, scratch);
      Found b = find_all(pcre.value(), data, lo, hi, scratch);
      if (!a.status.is_ok() || !b.status.is_ok()) {  // exponential patterns exist among these
        EXPECT_TRUE(a.status.is_ok() || a.status.code() == VIGIL_ERR_LIMIT) << a.status.message();
        EXPECT_TRUE(b.status.is_ok() || b.status.code() == VIGIL_ERR_LIMIT) << b.status.message();
        ++limited;
        continue;
      }
      ASSERT_EQ(a.matches, b.matches) << "/" << pattern << "/" << flags << " on \"" << data
                                      << "\" window [" << lo << "," << hi << "]";
      matched += !a.matches.empty();
    }
  }
  // The comparison is only worth something if Hyperscan took part and things matched.
  EXPECT_GT(exact, 300);
  EXPECT_GT(prefilter, 80);
  EXPECT_GT(matched, 1000);
  EXPECT_LT(limited, 40);
  std::printf("generated: %d exact Hyperscan, %d prefilter, %d finds with matches, %d limited\n",
              exact, prefilter, matched, limited);
}

// The PCRE subsignatures ("[Offset:]Trigger/Regex/[Flags]") of a real .ldb, found the simple
// way: a field after the third with a '/' whose text before it is [offset:]trigger.
std::vector<std::pair<std::string, std::string>> real_pcre_subsignatures(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  std::string text;
  char buf[65536];
  for (int n; (n = gzread(f, buf, sizeof(buf))) > 0;) text.append(buf, n);
  gzclose(f);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    for (int field = 0; !line.empty(); ++field) {
      size_t semi = line.find(';');
      std::string_view sub = line.substr(0, semi);
      line = semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
      size_t first = sub.find('/'), last = sub.rfind('/');
      if (field < 3 || first == std::string_view::npos || last == first) continue;
      std::string_view trigger = sub.substr(0, first);
      if (size_t colon = trigger.rfind(':'); colon != std::string_view::npos) {
        trigger = trigger.substr(colon + 1);
      }
      if (trigger.empty() || trigger.find_first_not_of("0123456789&|()=<>,") != trigger.npos) {
        continue;
      }
      out.emplace_back(sub.substr(first + 1, last - first - 1), sub.substr(last + 1));
    }
  }
  return out;
}

TEST(Regex, RealSubsignaturesCompileAndAgree) {
  const std::string path = VIGIL_SHARED_DIR "/sigdata/clamav-cvd-extract/main-dev.ldb.gz";
  auto subs = real_pcre_subsignatures(path);
  if (subs.empty()) GTEST_SKIP() << path << " absent (needs ../shared)";
  EXPECT_EQ(subs.size(), 253u);
  using Clock = std::chrono::steady_clock;
  double pcre_ms = 0, all_ms = 0;
  int exact = 0, prefilter = 0;
  std::vector<Regex> both, pcre_only;
  std::string corpus =
      "function save(b) { try { navigator.msSaveBlob(b); } catch (e) {} }\n"
      "HUD.jar Kuji.exe Drawing.exe TT1717.exe HMRC201707.exe swift copy.exe B-CO.exe\n"
      "TELEX RELEASE.exe DriveTest1.exe Tax Returns.jar Lista_Itens.jar Renv_Bruna.jar\n";
  for (const auto& [pattern, flags] : subs) {
    corpus += pattern + "\r\n" + flags + " Invoice_2017-1234.exe\n";
    auto t0 = Clock::now();
    auto p = Regex::compile(pattern, flags, RegexOptions{.allow_hyperscan = false});
    auto t1 = Clock::now();
    auto h = Regex::compile(pattern, flags);
    auto t2 = Clock::now();
    pcre_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    all_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    ASSERT_TRUE(p.is_ok() && h.is_ok()) << pattern << ": " << p.status().message();
    exact += h.value().engine() == RegexEngine::kHyperscan;
    prefilter += h.value().engine() == RegexEngine::kHyperscanPrefilter;
    pcre_only.push_back(p.take());
    both.push_back(h.take());
  }
  std::printf(
      "%zu real PCRE subsignatures: Hyperscan exact %d, prefilter %d, PCRE2 alone %zu; "
      "compile PCRE2 %.0f ms, PCRE2+Hyperscan %.0f ms\n",
      subs.size(), exact, prefilter, subs.size() - exact - prefilter, pcre_ms, all_ms);
  EXPECT_GE(exact, 220);
  EXPECT_GE(exact + prefilter, 250);
  RegexScratch scratch(RegexLimits{.match_limit = 1000000});
  int with_matches = 0;
  for (size_t i = 0; i < both.size(); ++i) {
    Found a = find_all(both[i], corpus, 0, kMax, scratch);
    Found b = find_all(pcre_only[i], corpus, 0, kMax, scratch);
    ASSERT_TRUE(a.status.is_ok() && b.status.is_ok()) << subs[i].first;
    ASSERT_EQ(a.matches, b.matches) << subs[i].first;
    with_matches += !a.matches.empty();
  }
  // The corpus holds the patterns' own text and some of the file names they look for.
  EXPECT_GT(with_matches, 15);
}

}  // namespace
}  // namespace vigil::match
