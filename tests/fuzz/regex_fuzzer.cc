// Fuzzes the PCRE subsignature regex engine (internal API): compiling any pattern and flags,
// searching any data through any offset window, and loading any bytes as a serialized regex.
// Beyond not crashing, every search must keep the window and ordering rules, the Hyperscan
// path must report exactly what PCRE2 alone reports, and a serialized regex must come back
// searching the same way.
//
// Input: pattern NUL flags NUL w a b data... where w picks the window (no offset, an anchored
// offset a, or offset a with maxshift b) and data is searched. Missing parts are empty. The
// whole input is also offered to Regex::deserialize.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "match/regex.h"

namespace {

using vigil::match::Regex;
using vigil::match::RegexEngine;
using vigil::match::RegexLimits;
using vigil::match::RegexMatch;
using vigil::match::RegexOptions;
using vigil::match::RegexScratch;

constexpr size_t kMaxPattern = 200;  // Hyperscan's compile time grows with the pattern
constexpr size_t kMaxData = 4096;

struct Outcome {
  std::vector<RegexMatch> matches;
  vigil_status code = VIGIL_OK;
};

// Searches and checks what every search must keep.
Outcome search(const Regex& re, std::string_view data, uint64_t lo, uint64_t hi,
               RegexScratch& scratch) {
  Outcome out;
  auto st = re.find(reinterpret_cast<const uint8_t*>(data.data()), data.size(), lo, hi, scratch,
                    [&](RegexMatch m) {
                      out.matches.push_back(m);
                      return true;
                    });
  out.code = st.code();
  FUZZ_CHECK(st.is_ok() || st.code() == VIGIL_ERR_LIMIT);
  FUZZ_CHECK(st.is_ok() || !st.message().empty());
  const bool windowed = hi > lo;
  const bool anchored = re.flags().find('A') != std::string::npos || (!windowed && !re.rolling());
  if (!re.global()) FUZZ_CHECK(out.matches.size() <= 1);
  for (size_t i = 0; i < out.matches.size(); ++i) {
    const RegexMatch& m = out.matches[i];
    FUZZ_CHECK(m.start >= lo && m.start <= m.end && m.end <= data.size());
    if (windowed && !anchored) FUZZ_CHECK(m.start <= hi);
    if (windowed && re.encompass()) FUZZ_CHECK(m.end <= hi);
    if (anchored) FUZZ_CHECK(m.start == (i == 0 ? lo : out.matches[i - 1].end));
    if (i > 0) {
      const RegexMatch& prev = out.matches[i - 1];
      FUZZ_CHECK(m.start >= prev.end);
      FUZZ_CHECK(!(m.start == prev.start && m.end == prev.end));  // progress after empty
    }
  }
  return out;
}

std::string_view take_field(std::string_view& rest) {
  size_t nul = rest.find('\0');
  std::string_view field = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  static RegexScratch scratch(RegexLimits{.match_limit = 20000});

  // Any bytes as a serialized regex: refused cleanly, or a regex that searches.
  auto loaded = Regex::deserialize(input);
  if (!loaded.is_ok()) {
    FUZZ_CHECK(loaded.status().code() == VIGIL_ERR_CORRUPT && !loaded.status().message().empty());
  } else {
    search(loaded.value(), input, 0, UINT64_MAX, scratch);
  }

  std::string_view rest = input;
  std::string_view pattern = take_field(rest);
  std::string_view flags = take_field(rest);
  if (pattern.size() > kMaxPattern || flags.size() > 16) return 0;
  uint8_t w = rest.size() > 0 ? static_cast<uint8_t>(rest[0]) : 0;
  uint64_t a = rest.size() > 1 ? static_cast<uint8_t>(rest[1]) % 64 : 0;
  uint64_t b = rest.size() > 2 ? static_cast<uint8_t>(rest[2]) % 64 : 0;
  std::string_view data = rest.size() > 3 ? rest.substr(3) : std::string_view();
  if (data.size() > kMaxData) data = data.substr(0, kMaxData);
  uint64_t lo = 0, hi = UINT64_MAX;
  if (w % 3 == 1) lo = hi = a;
  if (w % 3 == 2) lo = a, hi = a + b;

  auto re = Regex::compile(pattern, flags);
  auto reference = Regex::compile(pattern, flags, RegexOptions{.allow_hyperscan = false});
  FUZZ_CHECK(re.is_ok() == reference.is_ok());
  if (!re.is_ok()) {
    FUZZ_CHECK(re.status().code() == VIGIL_ERR_SIGNATURE && !re.status().message().empty());
    FUZZ_CHECK(re.status().message() == reference.status().message());
    return 0;
  }
  FUZZ_CHECK(reference.value().engine() == RegexEngine::kPcre2);

  Outcome got = search(re.value(), data, lo, hi, scratch);
  Outcome want = search(reference.value(), data, lo, hi, scratch);
  if (got.code == VIGIL_OK && want.code == VIGIL_OK) {
    if (got.matches != want.matches) {
      std::fprintf(stderr, "engine %d disagrees with PCRE2 alone on /%.*s/%.*s\n",
                   static_cast<int>(re.value().engine()), static_cast<int>(pattern.size()),
                   pattern.data(), static_cast<int>(flags.size()), flags.data());
    }
    FUZZ_CHECK(got.matches == want.matches);
  }

  auto back = Regex::deserialize(re.value().serialize());
  FUZZ_CHECK(back.is_ok());
  FUZZ_CHECK(back.value().engine() == re.value().engine());
  Outcome again = search(back.value(), data, lo, hi, scratch);
  FUZZ_CHECK(again.code == got.code);
  if (got.code == VIGIL_OK) FUZZ_CHECK(again.matches == got.matches);
  return 0;
}
