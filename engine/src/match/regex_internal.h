// What regex.cc (compiling, serializing) and regex_find.cc (searching) share: the compiled
// form behind a Regex, the state behind a RegexScratch, and RAII owners for PCRE2's objects.
// Internal to the match module; outside it, include match/regex.h.
#ifndef VIGIL_MATCH_REGEX_INTERNAL_H_
#define VIGIL_MATCH_REGEX_INTERNAL_H_

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "match/hs_database.h"
#include "match/regex.h"

namespace vigil::match {

struct PcreCodeFree {
  void operator()(pcre2_code* p) const { pcre2_code_free(p); }
};
struct PcreMatchDataFree {
  void operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }
};
struct PcreMatchContextFree {
  void operator()(pcre2_match_context* p) const { pcre2_match_context_free(p); }
};
struct PcreJitStackFree {
  void operator()(pcre2_jit_stack* p) const { pcre2_jit_stack_free(p); }
};
using PcreCode = std::unique_ptr<pcre2_code, PcreCodeFree>;
using PcreMatchData = std::unique_ptr<pcre2_match_data, PcreMatchDataFree>;
using PcreMatchContext = std::unique_ptr<pcre2_match_context, PcreMatchContextFree>;
using PcreJitStack = std::unique_ptr<pcre2_jit_stack, PcreJitStackFree>;

// The signature's flag letters, parsed.
struct RegexFlagSet {
  bool global = false;          // g
  bool rolling = false;         // r
  bool encompass = false;       // e
  bool anchored = false;        // A
  bool extended = false;        // x
  bool dollar_endonly = false;  // E
  uint32_t pcre_options = 0;    // PCRE2_* compile options for i s m x A E U
  unsigned hs_flags = 0;        // HS_FLAG_* for i s m
};

// A number no other RegexCompiled of this process has had: how a scratch remembers which
// databases its Hyperscan scratch fits (an address could be reused once a Regex is freed).
inline uint64_t new_regex_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

struct RegexCompiled {
  uint64_t id = new_regex_id();
  std::string pattern;
  std::string flags;
  RegexFlagSet flag_set;
  RegexEngine engine = RegexEngine::kPcre2;
  PcreCode search;    // unanchored, for searches
  PcreCode anchored;  // the same pattern compiled anchored, for attempts at one position (the
                      // JIT does not take PCRE2_ANCHORED at match time)
  HsDatabase hs;      // kHyperscan / kHyperscanPrefilter
  uint64_t hs_fixed_width = 0;  // kHyperscan without start-of-match tracking: every match is
                                // this long, so a report's start is its end minus this
};

// One Hyperscan report: [start, end) relative to the subject; start is unknown (0) for a
// prefilter database.
struct HsReport {
  uint64_t start;
  uint64_t end;
};

struct RegexScratchState {
  RegexLimits limits;
  PcreMatchData match_data;  // one ovector pair: only the whole match is read
  PcreMatchContext match_context;
  PcreJitStack jit_stack;
  // Grown once for each regex database it serves (match::grow_scratch), which `hs_fitted` lists
  // by RegexCompiled::id; emptied whenever a growth fails.
  HsScratch hs_scratch;
  std::unordered_set<uint64_t> hs_fitted;
  std::vector<HsReport> reports;
  std::vector<uint64_t> suffix_min_start;  // over reports[i..]: the least start
  bool reports_overflowed = false;
};

// PCRE2's message for an error code.
inline std::string pcre2_error_text(int code) {
  PCRE2_UCHAR buf[256];
  return pcre2_get_error_message(code, buf, sizeof(buf)) < 0
             ? "PCRE2 error " + std::to_string(code)
             : std::string(reinterpret_cast<char*>(buf));
}

// More Hyperscan reports than this in one pass (e.g. \w+ over a large text) make the search
// PCRE2's alone, which keeps the report buffer within 1 MiB.
inline constexpr size_t kMaxHsReports = size_t{1} << 16;

}  // namespace vigil::match

#endif  // VIGIL_MATCH_REGEX_INTERNAL_H_
