// Confirmation: given a prefilter hit of a signature's fragment, decide whether the whole
// pattern matches around it. The nodes left of the fragment are matched backwards from the
// hit, the nodes right of it forwards; the two sides are independent given the hit, so each
// is an existential search (backtracking over gaps and alternatives) with failure memoised
// per (node, position), which bounds the work to nodes x positions.
#ifndef VIGIL_MATCH_CONFIRM_H_
#define VIGIL_MATCH_CONFIRM_H_

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "sig/offset.h"
#include "sig/pattern.h"

namespace vigil::match {

// A body signature ready to confirm. Patterns of fixed bytes only (most real signatures) keep
// just those bytes in `literal` and confirm with two memcmp; the rest keep their parsed nodes.
struct PlannedSig {
  sig::Sequence pattern;  // empty for literal signatures
  std::string literal;    // the whole pattern, for literal signatures
  sig::Offset offset;
  uint32_t frag_begin = 0;
  uint32_t frag_end = 0;
  uint64_t left_min = 0;  // length bounds of pattern[0, frag_begin)
  uint64_t left_max = 0;
  bool is_literal() const { return pattern.empty(); }
};

// Per-thread memo tables, reused across confirms to avoid allocation.
struct ConfirmMemo {
  struct Key {
    uint64_t pos;
    uint32_t node;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.pos * 0x9E3779B97F4A7C15ull ^ k.node; }
  };
  std::unordered_set<Key, KeyHash> failed_left;
  std::unordered_set<Key, KeyHash> failed_right;
  uint64_t budget = 0;
};

// Steps one confirm may take before it gives up (a pathological pattern on hostile data).
inline constexpr uint64_t kConfirmBudget = uint64_t{1} << 26;

// True if `sig` matches data[0, size) with its fragment at frag_pos; sets match_start.
bool confirm_match(const PlannedSig& sig, const uint8_t* data, uint64_t size, uint64_t frag_pos,
                   ConfirmMemo& memo, uint64_t& match_start);

}  // namespace vigil::match

#endif  // VIGIL_MATCH_CONFIRM_H_
