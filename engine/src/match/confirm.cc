// The backtracking confirmer. Simple nodes (bytes, fixed gaps, classes, negated alternatives)
// are walked iteratively; only ranged gaps and alternatives branch, so recursion depth is the
// number of branching nodes (bounded by the parser). A walk runs forwards or backwards over a
// span of nodes, then hands its end position to a continuation.
#include "match/confirm.h"

#include <cstring>

namespace vigil::match {
namespace {

using sig::ClassKind;
using sig::kUnbounded;
using sig::NodeKind;
using Node = FlatNode;

struct Cont {
  bool (*fn)(const void* self, uint64_t pos);
  const void* self;
  bool operator()(uint64_t pos) const { return fn(self, pos); }
};

bool is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// (B) is a set of delimiter bytes that differs by where the class stands (measured against
// ClamAV 1.4: before a match, after it, and in the middle: the union).
enum DelimSet { kDelimBefore, kDelimAfter, kDelimMiddle };
bool is_delimiter(uint8_t c, DelimSet where) {
  bool before =
      c == 0x20 || c == 0x2d || c == 0x2e || c == 0x2f || c == 0x3c || c == 0x40 || c == 0x5f;
  bool after = c == 0x0a || c == 0x0d || c == 0x20 || c == 0x22 || c == 0x27 || c == 0x2d ||
               c == 0x2f || c == 0x3d || c == 0x3e || c == 0x5f;
  return where == kDelimBefore ? before : where == kDelimAfter ? after : (before || after);
}
bool class_byte(ClassKind cls, uint8_t c, DelimSet where) {
  if (cls == ClassKind::kNonAlnum) return !is_alnum(c);
  if (cls == ClassKind::kWordBoundary) return is_delimiter(c, where);
  return c == '\n';  // (L) in the middle is an LF byte after parsing; kept total for safety
}

template <bool kForward>
class Walker {
 public:
  Walker(const Plan& plan, const uint8_t* data, uint64_t size, ConfirmMemo::Side* memo,
         uint64_t* budget)
      : plan_(plan), d_(data), n_(size), memo_(memo), budget_(budget) {}

  // Walks nodes first[0..count) in direction from pos; `top` marks the signature's own span,
  // whose unbounded gaps keep an exhausted mark (see ConfirmMemo).
  bool walk(const Node* first, size_t count, size_t k, uint64_t pos, Cont cont, bool top) {
    while (k < count) {
      if (*budget_ == 0) return false;
      --*budget_;
      const Node& nd = kForward ? first[k] : first[count - 1 - k];
      switch (nd.node_kind()) {
        case NodeKind::kByte:
          if (!room(pos, 1) || (byte_at(pos, 0) & nd.mask) != nd.value) return false;
          pos = adv(pos, 1);
          break;
        case NodeKind::kClass:
          if (edge(nd) != sig::ClassEdge::kMiddle) {
            if (!edge_ok(nd, pos)) return false;
          } else {
            if (!room(pos, 1) || !class_byte(cls(nd), byte_at(pos, 0), kDelimMiddle)) return false;
            pos = adv(pos, 1);
          }
          break;
        case NodeKind::kGap:
          if (const Operand& g = plan_.operands[nd.operand]; g.a != g.b) {
            return branch_gap(first, count, k, pos, g, cont, top);
          } else {
            if (!room(pos, g.a)) return false;
            pos = adv(pos, g.a);
          }
          break;
        case NodeKind::kAlt:
          if (nd.negated()) {
            // Same-length byte branches (the parser and Plan::validate ensure it).
            const Operand& alt = plan_.operands[nd.operand];
            uint64_t len = plan_.branches[alt.a].count;
            if (!room(pos, len)) return false;
            for (uint32_t b = alt.a; b < alt.a + alt.b; ++b) {
              if (bytes_match(plan_.branches[b], pos)) return false;
            }
            pos = adv(pos, len);
            break;
          }
          return branch_alt(first, count, k, pos, plan_.operands[nd.operand], cont, top);
      }
      ++k;
    }
    return cont(pos);
  }

 private:
  uint8_t byte_at(uint64_t pos, uint64_t i) const {
    return kForward ? d_[pos + i] : d_[pos - 1 - i];
  }
  bool room(uint64_t pos, uint64_t len) const { return kForward ? n_ - pos >= len : pos >= len; }
  uint64_t adv(uint64_t pos, uint64_t len) const { return kForward ? pos + len : pos - len; }

  static sig::ClassKind cls(const Node& nd) { return nd.cls(); }
  static sig::ClassEdge edge(const Node& nd) { return nd.edge(); }

  // Do the byte nodes of span b occupy the b.count bytes next to pos (in walk direction)?
  bool bytes_match(const BranchSpan& b, uint64_t pos) const {
    if (!room(pos, b.count)) return false;
    uint64_t start = kForward ? pos : pos - b.count;
    const Node* bn = plan_.nodes.data() + b.first;
    for (size_t i = 0; i < b.count; ++i) {
      if ((d_[start + i] & bn[i].mask) != bn[i].value) return false;
    }
    return true;
  }

  // A class at a pattern edge: the byte before (after) the match must belong to the class;
  // a file edge always satisfies it. Positions are absolute, so direction does not matter.
  bool edge_ok(const Node& nd, uint64_t pos) const {
    if (cls(nd) == ClassKind::kNonAlnumWide) return wide_edge_ok(edge(nd), pos);
    if (edge(nd) == sig::ClassEdge::kBefore) {
      if (pos == 0) return true;
      uint8_t prev = d_[pos - 1];
      if (cls(nd) == ClassKind::kLineBoundary) return prev == '\n';
      return class_byte(cls(nd), prev, kDelimBefore);
    }
    if (pos >= n_) return true;
    uint8_t next = d_[pos];
    if (cls(nd) == ClassKind::kLineBoundary) {
      return next == '\n' || (next == '\r' && pos + 1 < n_ && d_[pos + 1] == '\n');
    }
    return class_byte(cls(nd), next, kDelimAfter);
  }

  // Wide text's fullword edge, as ClamAV 1.4 judges it (probed byte by byte): the 16-bit unit
  // before must not be an alphanumeric byte then 00 (with fewer than two bytes before, the
  // input's start is the edge); the unit after must not be an alphanumeric byte then 00 or
  // the input's end.
  bool wide_edge_ok(sig::ClassEdge where, uint64_t pos) const {
    if (where == sig::ClassEdge::kBefore) {
      return pos < 2 || !(is_alnum(d_[pos - 2]) && d_[pos - 1] == 0);
    }
    return pos >= n_ || !(is_alnum(d_[pos]) && (pos + 1 >= n_ || d_[pos + 1] == 0));
  }

  // A state is "walk sequence `first` from index k at pos". Every node's continuation is
  // fixed by where it stands in the pattern tree, so a failed state fails wherever it recurs,
  // at any depth of alternatives.
  bool seen_failed(const Node* first, size_t k, uint64_t pos) const {
    return memo_->failed.count({pos, first, static_cast<uint32_t>(k)}) != 0;
  }
  void mark_failed(const Node* first, size_t k, uint64_t pos) {
    // The memo only saves work, so a full one is emptied rather than grown without bound.
    if (memo_->failed.size() >= kMaxMemoStates) memo_->failed.clear();
    memo_->failed.insert({pos, first, static_cast<uint32_t>(k)});
  }

  // Moves p (in walk direction, not past `last`) to the next position where the node after
  // the gap could start, skipping with memchr/memrchr when it is an exact byte. False when no
  // such position is left.
  bool next_candidate(const Node* after, uint64_t& p, uint64_t last) const {
    if (after == nullptr || !after->is_exact_byte()) return true;
    if constexpr (kForward) {
      if (p >= n_) return true;
      uint64_t stop = last < n_ ? last : n_ - 1;
      if (p > stop) return true;
      const void* hit = std::memchr(d_ + p, after->value, stop - p + 1);
      if (hit == nullptr) return false;
      p = static_cast<uint64_t>(static_cast<const uint8_t*>(hit) - d_);
    } else {
      // Backwards the next node's byte sits at p - 1, for p in [last, p].
      if (p == 0) return true;
      uint64_t lo = last == 0 ? 1 : last;
      if (p < lo) return true;
      const void* hit = memrchr(d_ + lo - 1, after->value, p - lo + 1);
      if (hit == nullptr) return false;
      p = static_cast<uint64_t>(static_cast<const uint8_t*>(hit) - d_) + 1;
    }
    return true;
  }

  // For an unbounded gap at top level, memo_->exhausted[k] is the extreme start from which
  // every later position (in walk direction) was tried in vain; kNone when there is none.
  uint64_t exhausted_mark(bool top, size_t k) const {
    return top && k < memo_->exhausted.size() ? memo_->exhausted[k] : ConfirmMemo::kNone;
  }
  void record_exhausted(bool top, size_t k, uint64_t first) {
    if (!top || k >= memo_->exhausted.size()) return;
    uint64_t& e = memo_->exhausted[k];
    if (e == ConfirmMemo::kNone || (kForward ? first < e : first > e)) e = first;
  }

  bool branch_gap(const Node* first, size_t count, size_t k, uint64_t pos, const Operand& gap,
                  Cont cont, bool top) {
    uint64_t avail = kForward ? n_ - pos : pos;
    if (avail < gap.a) return false;
    const bool unbounded = gap.b == kUnbounded;
    uint64_t max = unbounded ? avail : (gap.b < avail ? gap.b : avail);
    const Node* after = nullptr;
    if (k + 1 < count) after = kForward ? &first[k + 1] : &first[count - 2 - k];
    uint64_t p = adv(pos, gap.a);
    const uint64_t start = p;
    uint64_t last = adv(pos, max);
    if (uint64_t e = unbounded ? exhausted_mark(top, k) : ConfirmMemo::kNone;
        e != ConfirmMemo::kNone) {
      // Positions from the exhausted mark on failed before: search only the new ground.
      if (kForward ? start >= e : start <= e) return false;
      last = kForward ? e - 1 : e + 1;
    }
    for (;;) {
      if (!next_candidate(after, p, last) || (kForward ? p > last : p < last)) break;
      // Every position tried costs a step, remembered or not, so the budget bounds the loop
      // whatever the memo holds.
      if (*budget_ == 0) return false;
      --*budget_;
      if (!seen_failed(first, k + 1, p)) {
        if (walk(first, count, k + 1, p, cont, top)) return true;
        // Under a top-level unbounded gap the exhausted mark below covers every position tried,
        // so they are not stored one by one (that would be a state per input byte).
        if (!(unbounded && top)) mark_failed(first, k + 1, p);
      }
      if (*budget_ == 0) return false;  // gave up: nothing was proven
      if (p == last) break;
      p = kForward ? p + 1 : p - 1;
    }
    if (unbounded) record_exhausted(top, k, start);
    return false;
  }

  struct AltRest {
    Walker* self;
    const Node* first;
    size_t count;
    size_t k;
    Cont cont;
    bool top;
  };
  // Continues the enclosing walk after an alternative's branch; memoised like gaps, so a run
  // of alternatives with overlapping branches costs nodes x positions, not branches^n.
  static bool after_branch(const void* raw, uint64_t pos) {
    const AltRest* r = static_cast<const AltRest*>(raw);
    Walker* w = r->self;
    if (w->seen_failed(r->first, r->k + 1, pos)) return false;
    if (w->walk(r->first, r->count, r->k + 1, pos, r->cont, r->top)) return true;
    w->mark_failed(r->first, r->k + 1, pos);
    return false;
  }

  bool branch_alt(const Node* first, size_t count, size_t k, uint64_t pos, const Operand& alt,
                  Cont cont, bool top) {
    AltRest rest{this, first, count, k, cont, top};
    Cont next{&Walker::after_branch, &rest};
    for (uint32_t b = alt.a; b < alt.a + alt.b; ++b) {
      const BranchSpan& span = plan_.branches[b];
      if (walk(plan_.nodes.data() + span.first, span.count, 0, pos, next, false)) return true;
    }
    return false;
  }

  const Plan& plan_;
  const uint8_t* d_;
  uint64_t n_;
  ConfirmMemo::Side* memo_;
  uint64_t* budget_;
};

struct LeftDone {
  const sig::Offset* offset;
  uint64_t size;
  uint64_t* start;
  const sig::ExeAnchors* exe;
};
bool left_done(const void* raw, uint64_t pos) {
  const LeftDone* l = static_cast<const LeftDone*>(raw);
  if (!l->offset->allows(pos, l->size, *l->exe)) return false;
  *l->start = pos;
  return true;
}
bool accept_any(const void*, uint64_t) { return true; }

}  // namespace

bool confirm_match(const Plan& plan, const PlannedSig& sig, uint32_t sig_id, uint32_t scan_gen,
                   const uint8_t* data, uint64_t size, uint64_t frag_pos, ConfirmMemo& memo,
                   uint64_t& match_start, const sig::ExeAnchors& exe) {
  if (sig.is_literal()) {
    // The fragment matched; compare the bytes on either side of it.
    const uint8_t* literal = plan.bytes.data() + sig.begin;
    uint64_t before = sig.frag_begin, after = sig.length - sig.frag_end;
    if (frag_pos < before || size - frag_pos < sig.length - before) return false;
    uint64_t start = frag_pos - before;
    if (!sig.offset().allows(start, size, exe)) return false;
    if (before != 0 && std::memcmp(data + start, literal, before) != 0) return false;
    if (after != 0 && std::memcmp(data + frag_pos + (sig.frag_end - sig.frag_begin),
                                  literal + sig.frag_end, after) != 0) {
      return false;
    }
    match_start = start;
    return true;
  }
  // Cheap range check: can any start consistent with the left part satisfy the offset?
  uint64_t lo, hi;
  const sig::Offset offset = sig.offset();
  if (!offset.start_range(size, exe, lo, hi)) return false;
  if (frag_pos < sig.left_min) return false;
  uint64_t earliest = sig.left_max >= frag_pos ? 0 : frag_pos - sig.left_max;
  uint64_t latest = frag_pos - sig.left_min;
  if (latest < lo || earliest > hi) return false;

  if (memo.owner_sig != sig_id || memo.owner_gen != scan_gen) {
    memo.left.clear(sig.frag_begin);
    memo.right.clear(sig.length - sig.frag_end);
    memo.owner_sig = sig_id;
    memo.owner_gen = scan_gen;
  }
  memo.budget = confirm_budget(sig.length, size);
  const Node* nodes = plan.top(sig);
  uint64_t frag_len = sig.frag_end - sig.frag_begin;
  Walker<true> right(plan, data, size, &memo.right, &memo.budget);
  bool ok = right.walk(nodes + sig.frag_end, sig.length - sig.frag_end, 0, frag_pos + frag_len,
                       Cont{&accept_any, nullptr}, true);
  uint64_t start = frag_pos;
  if (ok) {
    LeftDone done{&offset, size, &start, &exe};
    Walker<false> left(plan, data, size, &memo.left, &memo.budget);
    ok = left.walk(nodes, sig.frag_begin, 0, frag_pos, Cont{&left_done, &done}, true);
  }
  if (memo.budget == 0) {
    memo.owner_sig = UINT32_MAX;  // states marked while giving up are not proofs
    ++memo.abandoned;
  }
  if (!ok) return false;
  match_start = start;
  return true;
}

}  // namespace vigil::match
