// Fragment planning: for each body pattern pick the literal run the prefilter will search for.
// Scored as YARA scores atoms: long runs of varied, uncommon bytes win; 00/FF/CC/90/20 runs
// and repeated bytes score low, because they fire on every binary and cost a confirm each.
#ifndef VIGIL_MATCH_FRAGMENT_H_
#define VIGIL_MATCH_FRAGMENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "sig/pattern.h"

namespace vigil::match {

inline constexpr size_t kMaxFragmentBytes = 8;
inline constexpr size_t kMinFragmentBytes = 2;

struct Fragment {
  uint32_t begin = 0;  // first top-level node of the fragment
  uint32_t end = 0;    // one past the last
  std::string bytes;   // caseless: letters in lower case
  int score = 0;
  bool caseless = false;
};

// The best fragment of top-level exact bytes from node `from` on, or nullopt when none has
// kMinFragmentBytes. With `caseless`, letters that match either case (sig::is_caseless_letter)
// count as fixed too, and a fragment holding any is searched for without regard to case.
std::optional<Fragment> choose_fragment(const sig::Sequence& pattern, bool caseless = false,
                                        size_t from = 0);

// Where the pattern's tail after its last gap of varying length ("{n-m}", "*") starts; 0 when it
// has none. ClamAV splits a pattern at such gaps and counts a match per occurrence of its last
// part, so a fragment in that tail makes each confirmed hit one counted match. (Alternatives
// of unequal lengths do not split it: they count once per start.)
size_t fixed_tail(const sig::Sequence& pattern);

// Score of a candidate literal (exposed for tests).
int fragment_score(std::string_view bytes);

}  // namespace vigil::match

#endif  // VIGIL_MATCH_FRAGMENT_H_
