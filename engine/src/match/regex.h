// The regex engine behind ClamAV's PCRE subsignatures (`[Offset:]Trigger/Regex/[Flags]` in an
// .ldb). A Regex is compiled once, is immutable and is shared by any number of threads; each
// thread brings its own RegexScratch. PCRE2 (JIT when available) defines what matches; where
// Hyperscan accepts the expression it scans the input first, so a file without a match costs
// one Hyperscan pass and no backtracking, and PCRE2 only runs where a match is known to start.
//
// Semantics follow ClamAV 1.4 (documentation and clamscan observed on crafted files):
//  - The subject is the data from the offset on: `^`, `\A`, `\b` and lookbehind see it begin
//    at `lo`, never before.
//  - No maxshift (lo == hi): the match must start at lo ("auto-anchored") unless the `r`
//    (rolling) flag is given, which lets it start anywhere from lo on.
//  - A maxshift (lo < hi): the match must start in [lo, hi]; `r` changes nothing. With `e`
//    (encompass) the subject also ends at hi, so the whole match lies within [lo, hi].
//  - Without `g` the first (leftmost) match is reported, with `g` every match: each search
//    resumes where the previous match ended, within the same subject (so `^` does not match
//    there again, lookbehind sees the bytes before it). An anchored search stays anchored: the
//    next match must start exactly where the previous one ended. After an empty match the
//    search retries at the same place for a non-empty one, then moves on one byte (Perl's
//    m//g; ClamAV 1.4 spins there until its scan-time limit instead). As in ClamAV, no search
//    resumes at the end of the subject (so no empty match is found there after a match).
//  - `i s m x A E U` are PCRE2's CASELESS, DOTALL, MULTILINE, EXTENDED, ANCHORED,
//    DOLLAR_ENDONLY and UNGREEDY. Newline is LF; bytes are bytes: `(*UTF)` and `(*UCP)` are
//    refused, as ClamAV's documentation asks.
//  - Each reported match counts once towards the subsignature's count in the logical
//    expression (`1=3`, `1>2`); without `g` the count is 0 or 1.
//  - Work is bounded per search attempt by PCRE2's match, depth and heap limits (ClamAV's
//    PCREMatchLimit and PCRERecMatchLimit defaults) and the JIT stack size; hitting one ends the
//    find with VIGIL_ERR_LIMIT. PCRE2 restarts its match count at each start position it tries,
//    so an unanchored PCRE2 search may take (positions tried) x (match limit) steps: Hyperscan
//    is what keeps that small (one PCRE2 attempt per match with an exact database; with a
//    prefilter, none unless it reports, and none past its last report). With the JIT the match
//    limit counts differently from ClamAV's interpreter, so searches near it may end
//    differently. A regex that can match the empty string stays with PCRE2 alone.
#ifndef VIGIL_MATCH_REGEX_H_
#define VIGIL_MATCH_REGEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "match/hs_database.h"

namespace vigil::match {

// A match: absolute offsets into the data given to find(), end exclusive.
struct RegexMatch {
  uint64_t start;
  uint64_t end;
  bool operator==(const RegexMatch&) const = default;
};

// How a compiled Regex searches.
enum class RegexEngine : uint8_t {
  kPcre2 = 0,               // PCRE2 alone (Hyperscan refused the expression, or was not asked)
  kHyperscanPrefilter = 1,  // Hyperscan scans an approximation that matches at least every
                            // place the expression does; PCRE2 searches only if it reports
  kHyperscan = 2,           // Hyperscan finds exactly where matches start; PCRE2 measures
                            // each match from there (leftmost-first end, greedy or lazy)
};

struct RegexOptions {
  bool allow_hyperscan = true;               // false: PCRE2 alone (a reference, or faster compile)
  HsTarget target = HsTarget{.host = true};  // what a Hyperscan database is compiled for
};

// Per-attempt work limits. An attempt is one PCRE2 search (which restarts its match count at
// each start position it tries) or one Hyperscan pass.
struct RegexLimits {
  uint32_t match_limit = 10000;         // PCRE2 match limit (ClamAV's PCREMatchLimit default)
  uint32_t depth_limit = 2000;          // PCRE2 depth limit, interpreter only (PCRERecMatchLimit)
  uint32_t heap_limit_kib = 64 * 1024;  // PCRE2 backtracking memory, interpreter only
  uint32_t jit_stack_kib = 1024;        // the JIT's stack
};

class Regex;
struct RegexCompiled;      // regex_internal.h
struct RegexScratchState;  // regex_internal.h

// Per-thread scratch for any number of Regex objects: PCRE2 match data, match context and JIT
// stack, a Hyperscan scratch grown to fit every database it has served, and the buffer of
// Hyperscan reports. Not shareable between concurrent finds; movable.
class RegexScratch {
 public:
  explicit RegexScratch(const RegexLimits& limits = {});
  ~RegexScratch();
  RegexScratch(RegexScratch&&) noexcept;
  RegexScratch& operator=(RegexScratch&&) noexcept;
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;

  const RegexLimits& limits() const;

 private:
  friend class Regex;
  std::unique_ptr<RegexScratchState> state_;
};

class Regex {
 public:
  // pattern: the text between the slashes as written in the signature (a '/' in it may be
  // escaped or not; ';' must already be written \x3B); flags: the letters after the last slash,
  // any of "greismxAEU", repeats allowed. VIGIL_ERR_SIGNATURE with a message naming the problem
  // for an empty pattern, bad syntax, (*UTF)/(*UCP), or an unknown flag.
  static common::Result<Regex> compile(std::string_view pattern, std::string_view flags,
                                       const RegexOptions& options = {});

  // The compiled form for a DAT: the pattern and flags (PCRE2 is recompiled from them, since
  // its own serialized code is not safe to load from untrusted bytes) and the Hyperscan
  // database bytes. deserialize() checks every field; bytes that do not parse, a pattern that
  // does not compile, or a Hyperscan database that fails Hyperscan's checks (magic, CRC) are
  // VIGIL_ERR_CORRUPT. A database built by another Hyperscan version or for CPU features this
  // machine lacks is recompiled from the pattern, not refused.
  std::string serialize() const;
  static common::Result<Regex> deserialize(std::string_view bytes,
                                           const RegexOptions& options = {});

  // Calls on_match for each match whose start lies in the offset window [lo, hi] (hi may be
  // UINT64_MAX; both from the subsignature's offset, e.g. sig::Offset::start_range), in order,
  // as described at the top of this file; at most once without the `g` flag. Stops when
  // on_match returns false. VIGIL_ERR_LIMIT when a work limit ends the search (matches
  // reported before it stand), VIGIL_ERR_BACKEND or VIGIL_ERR_NOMEM when a library fails.
  common::Status find(const uint8_t* data, uint64_t size, uint64_t lo, uint64_t hi,
                      RegexScratch& scratch, const std::function<bool(RegexMatch)>& on_match) const;

  RegexEngine engine() const;
  bool uses_hyperscan() const { return engine() != RegexEngine::kPcre2; }
  const std::string& pattern() const;
  const std::string& flags() const;
  bool global() const;     // g
  bool rolling() const;    // r
  bool encompass() const;  // e

 private:
  explicit Regex(std::shared_ptr<const RegexCompiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const RegexCompiled> compiled_;
};

}  // namespace vigil::match

#endif  // VIGIL_MATCH_REGEX_H_
