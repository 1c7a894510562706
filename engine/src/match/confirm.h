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

#include "match/plan.h"

namespace vigil::match {

// Per-thread memo of failed (node, position) states. Each side's continuation depends only on
// the signature and the input (the right side accepts any end, the left side checks the offset
// against the input size), so what failed for one candidate fails for every later candidate of
// the same signature in the same scan: the memo is kept across those and cleared otherwise.
// For an unbounded gap ("*", "{n-}") it also keeps the extreme start from which the whole rest
// of the input was searched in vain; a later search that covers no new ground stops at once.
// This keeps a signature whose fragment hits often but never confirms at O(input) per scan.
struct ConfirmMemo {
  struct Key {
    uint64_t pos;
    const FlatNode* seq;  // the sequence being walked
    uint32_t index;       // next node of it
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return (k.pos * 0x9E3779B97F4A7C15ull) ^ (reinterpret_cast<uintptr_t>(k.seq) >> 3) ^
             (uint64_t{k.index} << 40);
    }
  };
  struct Side {
    std::unordered_set<Key, KeyHash> failed;
    std::vector<uint64_t> exhausted;  // per node: see above; kNone when unset
    void clear(size_t nodes) {
      failed.clear();
      exhausted.assign(nodes, kNone);
    }
  };
  static constexpr uint64_t kNone = UINT64_MAX;
  Side left;
  Side right;
  uint64_t budget = 0;
  uint32_t owner_sig = UINT32_MAX;  // (signature, scan generation) the memo belongs to
  uint32_t owner_gen = 0;
  uint32_t abandoned = 0;  // confirms given up at the budget (the caller reads and resets it)
};

// Beyond this many remembered states a side's memo is emptied rather than grown, which bounds a
// scratch's memo memory (kMemoSlots x 2 sides x 64Ki states) to tens of MiB whatever the pattern.
inline constexpr size_t kMaxMemoStates = size_t{1} << 16;

// Steps one confirm may take before it gives up. The memo bounds a confirm to about
// nodes x positions x gap width, so the budget grows with pattern and input; it only ends
// confirms that the memo cap (kMaxMemoStates) has made pathological, and each give-up is
// counted so a scan can say its verdict is incomplete.
inline constexpr uint64_t kConfirmBudget = uint64_t{1} << 26;
inline uint64_t confirm_budget(uint64_t nodes, uint64_t input_size) {
  constexpr uint64_t kCap = uint64_t{1} << 40;
  uint64_t scaled =
      (nodes + 1) > kCap / 16 / (input_size + 1) ? kCap : 16 * (nodes + 1) * (input_size + 1);
  return scaled > kConfirmBudget ? scaled : kConfirmBudget;
}

// True if `sig` matches data[0, size) with its fragment at frag_pos; sets match_start.
// (sig_id, scan_gen) identify the signature and the scan, for reusing the memo; `exe` resolves
// executable-relative offsets.
bool confirm_match(const Plan& plan, const PlannedSig& sig, uint32_t sig_id, uint32_t scan_gen,
                   const uint8_t* data, uint64_t size, uint64_t frag_pos, ConfirmMemo& memo,
                   uint64_t& match_start, const sig::ExeAnchors& exe = sig::ExeAnchors{});

}  // namespace vigil::match

#endif  // VIGIL_MATCH_CONFIRM_H_
