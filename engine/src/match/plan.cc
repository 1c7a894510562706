// Flattening parsed patterns into the plan's pools, and validating a plan that came from a
// file. A sequence's nodes are contiguous; an alternative's branches are laid out after it, so
// every branch reference points forward, which is what lets validate() rule out cycles with
// one comparison and bound the walk by the parser's own nesting and branching limits.
#include "match/plan.h"

#include <limits>

namespace vigil::match {
namespace {

using common::Status;
using sig::NodeKind;

constexpr uint64_t kMaxIndex = std::numeric_limits<uint32_t>::max();

class Flattener {
 public:
  explicit Flattener(Plan& plan) : plan_(plan) {}

  // Appends seq's nodes contiguously, then (recursively) the branches of its alternatives.
  bool emit(const sig::Sequence& seq, uint32_t& first) {
    if (plan_.nodes.size() + seq.size() > kMaxIndex) return false;
    first = static_cast<uint32_t>(plan_.nodes.size());
    plan_.nodes.resize(plan_.nodes.size() + seq.size());
    for (size_t i = 0; i < seq.size(); ++i) {
      const sig::Node& n = seq[i];
      FlatNode f{};
      f.kind = static_cast<uint8_t>(n.kind);
      f.value = n.value;
      f.mask = n.mask;
      if (n.kind == NodeKind::kClass) {
        f.flags =
            static_cast<uint8_t>(static_cast<uint8_t>(n.cls) | static_cast<uint8_t>(n.edge) << 2);
      }
      if (n.kind == NodeKind::kGap || n.kind == NodeKind::kAlt) {
        if (plan_.operands.size() >= kMaxIndex) return false;
        f.operand = static_cast<uint32_t>(plan_.operands.size());
        plan_.operands.push_back(Operand{n.min, n.max});
      }
      if (n.kind == NodeKind::kAlt) {
        if (n.negated) f.flags = FlatNode::kNegated;
        if (plan_.branches.size() + n.branches.size() > kMaxIndex) return false;
        uint32_t spans = static_cast<uint32_t>(plan_.branches.size());
        plan_.branches.resize(plan_.branches.size() + n.branches.size());
        for (size_t b = 0; b < n.branches.size(); ++b) {
          uint32_t bfirst = 0;
          if (!emit(n.branches[b], bfirst)) return false;
          plan_.branches[spans + b] =
              BranchSpan{bfirst, static_cast<uint32_t>(n.branches[b].size())};
        }
        plan_.operands[f.operand] = Operand{spans, static_cast<uint32_t>(n.branches.size())};
      }
      plan_.nodes[first + i] = f;
    }
    return true;
  }

 private:
  Plan& plan_;
};

class Validator {
 public:
  // `claimed` is shared by every signature's validation: the builder gives each node to one
  // sequence only, so a node reached twice (signatures or branches sharing nodes) is refused,
  // which also keeps validation linear in the plan's size whatever a file claims.
  Validator(const Plan& plan, size_t sig, std::vector<bool>& claimed)
      : plan_(plan), sig_(sig), claimed_(claimed) {}

  bool sequence(uint64_t first, uint64_t count, int depth) {
    if (first > plan_.nodes.size() || count > plan_.nodes.size() - first) {
      return fail("node range out of bounds");
    }
    for (uint64_t i = first; i < first + count; ++i) {
      if (claimed_[i]) return fail("node " + std::to_string(i) + " is shared");
      claimed_[i] = true;
      if (!node(i, depth)) return false;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool node(uint64_t index, int depth) {
    const FlatNode& n = plan_.nodes[index];
    switch (n.node_kind()) {
      case NodeKind::kByte:
        return ((n.value & n.mask) == n.value && n.flags == 0 && n.operand == 0) ||
               fail("bad byte node");
      case NodeKind::kClass:
        // As the parser: classes only at the top level, never inside alternatives.
        return (depth == 0 && n.flags < 16 && n.value == 0 && n.mask == 0 && n.operand == 0 &&
                n.cls() <= sig::ClassKind::kNonAlnumWide && n.edge() <= sig::ClassEdge::kAfter &&
                (n.cls() != sig::ClassKind::kNonAlnumWide ||
                 n.edge() != sig::ClassEdge::kMiddle)) ||
               fail("bad character class");
      case NodeKind::kGap: {
        if (n.operand >= plan_.operands.size() || n.flags != 0) return fail("bad gap");
        const Operand& g = plan_.operands[n.operand];
        if (g.a > g.b) return fail("gap minimum above maximum");
        if (g.a > sig::kMaxGap || (g.b > sig::kMaxGap && g.b != sig::kUnbounded)) {
          return fail("gap bound out of range");
        }
        // As the parser: inside alternatives only fixed gaps ("*" and ranges are top-level).
        if (depth > 0 && g.a != g.b) return fail("ranged gap inside an alternative");
        if (g.a != g.b && ++branching_ > sig::kMaxBranchingNodes) return fail("too many gaps");
        return true;
      }
      case NodeKind::kAlt:
        if (n.operand >= plan_.operands.size() || n.flags > FlatNode::kNegated) {
          return fail("bad alternative");
        }
        return alternative(index, plan_.operands[n.operand], n.negated(), depth);
    }
    return fail("unknown node kind " + std::to_string(n.kind));
  }

  bool alternative(uint64_t index, const Operand& n, bool negated, int depth) {
    if (depth + 1 > sig::kMaxPatternDepth) return fail("alternatives nested too deeply");
    if (++branching_ > sig::kMaxBranchingNodes) return fail("too many alternatives");
    if (n.b == 0 || n.a > plan_.branches.size() || n.b > plan_.branches.size() - n.a) {
      return fail("branch range out of bounds");
    }
    for (uint64_t b = n.a; b < uint64_t{n.a} + n.b; ++b) {
      const BranchSpan& span = plan_.branches[b];
      if (span.first <= index) return fail("branch does not point forward");
      if (negated) {
        if (span.count != plan_.branches[n.a].count || span.count == 0) {
          return fail("negated alternative with branches of different lengths");
        }
        if (span.first > plan_.nodes.size() || span.count > plan_.nodes.size() - span.first) {
          return fail("node range out of bounds");
        }
        for (uint64_t i = span.first; i < uint64_t{span.first} + span.count; ++i) {
          if (plan_.nodes[i].node_kind() != NodeKind::kByte) {
            return fail("negated alternative of something other than bytes");
          }
        }
      }
      if (!sequence(span.first, span.count, depth + 1)) return false;
    }
    return true;
  }

  bool fail(const std::string& why) {
    if (error_.empty()) error_ = "signature " + std::to_string(sig_) + ": " + why;
    return false;
  }

  const Plan& plan_;
  size_t sig_;
  std::vector<bool>& claimed_;
  size_t branching_ = 0;
  std::string error_;
};

}  // namespace

Status Plan::add(const sig::Sequence& pattern, const sig::Offset& offset, uint32_t frag_begin,
                 uint32_t frag_end, const SigTraits& traits) {
  PlannedSig p{};
  p.offset_kind = static_cast<uint8_t>(offset.kind);
  p.offset_base = offset.base;
  p.offset_shift = offset.shift;
  p.offset_section = offset.section;
  p.target = traits.target;
  p.role = traits.subsig ? PlannedSig::kRoleSubsig : 0;
  p.max_hits = traits.max_hits == 0 ? 1 : traits.max_hits;
  p.frag_begin = frag_begin;
  p.frag_end = frag_end;
  sig::LengthRange left = sig::sequence_length(pattern.data(), frag_begin);
  p.left_min = left.min;
  p.left_max = left.max;
  p.length = static_cast<uint32_t>(pattern.size());
  bool literal = true;
  for (const sig::Node& n : pattern) literal = literal && n.is_exact_byte();
  const Status too_big(VIGIL_ERR_LIMIT, "signature set too large for one plan");
  if (literal) {
    if (bytes.size() + pattern.size() > kMaxIndex) return too_big;
    p.literal = 1;
    p.begin = static_cast<uint32_t>(bytes.size());
    for (const sig::Node& n : pattern) bytes.push_back(n.value);
  } else if (!Flattener(*this).emit(pattern, p.begin)) {
    return too_big;
  }
  sigs.push_back(p);
  return Status::ok();
}

Status Plan::validate() const {
  std::vector<bool> claimed(nodes.size(), false);
  for (size_t i = 0; i < sigs.size(); ++i) {
    const PlannedSig& s = sigs[i];
    auto bad = [i](const std::string& why) {
      return Status(VIGIL_ERR_CORRUPT, "signature " + std::to_string(i) + ": " + why);
    };
    const bool bad_role = s.role > 3 || (s.is_deferred() && !s.is_subsig());
    if (s.offset_kind > sig::Offset::kLastKind || s.literal > 1 || bad_role ||
        s.target > sig::kMaxTarget || s.max_hits == 0 || s.reserved != 0 || s.reserved2 != 0) {
      return bad("bad offset kind or flags");
    }
    if (s.frag_begin >= s.frag_end || s.frag_end > s.length || s.left_min > s.left_max) {
      return bad("fragment out of range");
    }
    if (s.is_literal()) {
      if (uint64_t{s.begin} + s.length > bytes.size()) return bad("bytes out of bounds");
      continue;
    }
    Validator v(*this, i, claimed);
    if (!v.sequence(s.begin, s.length, 0)) return Status(VIGIL_ERR_CORRUPT, v.error());
    for (uint32_t k = s.frag_begin; k < s.frag_end; ++k) {
      const FlatNode& n = nodes[s.begin + k];
      if (!n.is_exact_byte() && !n.is_caseless_letter()) return bad("fragment is not fixed bytes");
    }
  }
  return Status::ok();
}

namespace {

uint64_t sat_add(uint64_t a, uint64_t b) {
  return b > sig::kUnboundedLength - a ? sig::kUnboundedLength : a + b;
}

uint64_t span_max(const Plan& plan, const FlatNode* first, size_t count) {
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    const FlatNode& n = first[i];
    switch (n.node_kind()) {
      case NodeKind::kByte:
        total = sat_add(total, 1);
        break;
      case NodeKind::kClass:
        if (n.edge() == sig::ClassEdge::kMiddle) total = sat_add(total, 1);
        break;
      case NodeKind::kGap: {
        const Operand& g = plan.operands[n.operand];
        total = sat_add(total, g.b == sig::kUnbounded ? sig::kUnboundedLength : g.b);
        break;
      }
      case NodeKind::kAlt: {
        const Operand& alt = plan.operands[n.operand];
        uint64_t widest = 0;
        for (uint32_t b = alt.a; b < alt.a + alt.b; ++b) {
          const BranchSpan& span = plan.branches[b];
          uint64_t len = span_max(plan, plan.nodes.data() + span.first, span.count);
          if (len > widest) widest = len;
        }
        total = sat_add(total, widest);
        break;
      }
    }
  }
  return total;
}

}  // namespace

uint64_t Plan::right_span_max(const PlannedSig& s) const {
  if (s.is_literal()) return s.length - s.frag_end;
  return span_max(*this, top(s) + s.frag_end, s.length - s.frag_end);
}

}  // namespace vigil::match
