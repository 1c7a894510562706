// A naive reference for body patterns, used as the fuzzers' oracle. It computes the set of
// positions reachable after each node, forwards over the whole input (O(nodes x size) with
// prefix sums for gaps), so it needs no fragment, no backtracking and no budget, and shares
// nothing with the engine's confirmer except the parsed pattern. Character classes are left
// out on purpose: their edge semantics follow ClamAV and are pinned by unit tests, not here.
#ifndef VIGIL_TESTS_FUZZ_REFERENCE_MATCHER_H_
#define VIGIL_TESTS_FUZZ_REFERENCE_MATCHER_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "match/confirm.h"
#include "sig/offset.h"
#include "sig/pattern.h"

namespace vigil::fuzz {

// True if the reference can judge `seq` (it holds no character class).
inline bool reference_supports(const sig::Sequence& seq) {
  for (const sig::Node& n : seq) {
    if (n.kind == sig::NodeKind::kClass) return false;
    for (const sig::Sequence& b : n.branches) {
      if (!reference_supports(b)) return false;
    }
  }
  return true;
}

namespace detail {

inline uint64_t sat_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

inline uint64_t count_nodes(const sig::Sequence& seq) {
  uint64_t n = seq.size();
  for (const sig::Node& nd : seq) {
    for (const sig::Sequence& b : nd.branches) n += count_nodes(b);
  }
  return n;
}

}  // namespace detail

// True if one confirm of `seq` on `size` bytes must finish within the engine's step budget, so
// that a missed match is a bug and not the documented give-up. confirm.h promises that failure
// is memoised per (node, position), which bounds a walk to nodes x positions steps; the left
// and right walks share one budget, and a factor of two more leaves room for bookkeeping.
inline bool within_confirm_budget(const sig::Sequence& seq, uint64_t size) {
  uint64_t work = detail::sat_mul(4 * detail::count_nodes(seq), size + 1);
  return work < match::kConfirmBudget;
}

class ReferenceMatcher {
 public:
  ReferenceMatcher(const uint8_t* data, uint64_t size) : d_(data), n_(size) {}

  // Does `seq` match with its first node at some start the offset allows?
  bool matches_anywhere(const sig::Sequence& seq, const sig::Offset& offset) const {
    Positions s(n_ + 1, 0);
    for (uint64_t p = 0; p <= n_; ++p) s[p] = offset.allows(p, n_) ? 1 : 0;
    return any(run(seq, std::move(s)));
  }

  // Does `seq` match with its first node at `start`?
  bool matches_at(const sig::Sequence& seq, uint64_t start) const {
    if (start > n_) return false;
    Positions s(n_ + 1, 0);
    s[start] = 1;
    return any(run(seq, std::move(s)));
  }

 private:
  using Positions = std::vector<uint8_t>;  // [p] = 1 if a partial match can stand at p

  static bool any(const Positions& s) {
    return std::any_of(s.begin(), s.end(), [](uint8_t v) { return v != 0; });
  }

  bool fits(const sig::Sequence& bytes, uint64_t p) const {
    if (n_ - p < bytes.size()) return false;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if ((d_[p + i] & bytes[i].mask) != bytes[i].value) return false;
    }
    return true;
  }

  Positions run(const sig::Sequence& seq, Positions s) const {
    for (const sig::Node& nd : seq) {
      if (!any(s)) return s;
      s = step(nd, s);
    }
    return s;
  }

  Positions step(const sig::Node& nd, const Positions& s) const {
    Positions t(n_ + 1, 0);
    switch (nd.kind) {
      case sig::NodeKind::kByte:
        for (uint64_t p = 0; p < n_; ++p) {
          if (s[p] && (d_[p] & nd.mask) == nd.value) t[p + 1] = 1;
        }
        break;
      case sig::NodeKind::kGap: {
        std::vector<uint64_t> pre(n_ + 2, 0);  // pre[i] = reachable positions below i
        for (uint64_t p = 0; p <= n_; ++p) pre[p + 1] = pre[p] + s[p];
        for (uint64_t q = nd.min; q <= n_; ++q) {
          uint64_t hi = q - nd.min;  // latest start
          uint64_t lo = (nd.max == sig::kUnbounded || nd.max >= q) ? 0 : q - nd.max;
          if (pre[hi + 1] - pre[lo] != 0) t[q] = 1;
        }
        break;
      }
      case sig::NodeKind::kAlt:
        if (nd.negated) {
          uint64_t len = nd.branches.front().size();
          for (uint64_t p = 0; p + len <= n_; ++p) {
            if (!s[p]) continue;
            bool hit = false;
            for (const sig::Sequence& b : nd.branches) hit = hit || fits(b, p);
            if (!hit) t[p + len] = 1;
          }
        } else {
          for (const sig::Sequence& b : nd.branches) {
            Positions r = run(b, s);
            for (uint64_t p = 0; p <= n_; ++p) t[p] |= r[p];
          }
        }
        break;
      case sig::NodeKind::kClass:
        break;  // unsupported: callers check reference_supports() first
    }
    return t;
  }

  const uint8_t* d_;
  uint64_t n_;
};

}  // namespace vigil::fuzz

#endif  // VIGIL_TESTS_FUZZ_REFERENCE_MATCHER_H_
