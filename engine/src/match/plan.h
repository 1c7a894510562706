// The compiled form of body signatures that the confirmer walks: fixed-layout records in a
// few flat pools instead of a tree of vectors. Planning fills them from parsed patterns; a DAT
// stores the pools as byte arrays and a load copies them back, with no parsing and no
// per-signature allocation. validate() is what makes a loaded plan safe to walk.
#ifndef VIGIL_MATCH_PLAN_H_
#define VIGIL_MATCH_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/pod_vector.h"
#include "common/status.h"
#include "sig/offset.h"
#include "sig/pattern.h"
#include "sig/signature_set.h"

namespace vigil::match {

// One pattern node (see sig::Node), 8 bytes: most nodes are bytes, and a DAT stores millions.
// Gaps and alternatives keep their two numbers in Plan::operands; an alternative's branches
// are a run of BranchSpans.
struct FlatNode {
  uint8_t kind = 0;      // sig::NodeKind
  uint8_t value = 0;     // kByte
  uint8_t mask = 0xFF;   // kByte
  uint8_t flags = 0;     // kAlt: kNegated; kClass: ClassKind | ClassEdge << 2
  uint32_t operand = 0;  // kGap, kAlt: index into Plan::operands

  static constexpr uint8_t kNegated = 1;
  sig::NodeKind node_kind() const { return static_cast<sig::NodeKind>(kind); }
  bool is_exact_byte() const { return node_kind() == sig::NodeKind::kByte && mask == 0xFF; }
  bool is_caseless_letter() const {
    return node_kind() == sig::NodeKind::kByte && mask == 0xDF && value >= 'A' && value <= 'Z';
  }
  bool negated() const { return (flags & kNegated) != 0; }
  sig::ClassKind cls() const { return static_cast<sig::ClassKind>(flags & 3); }
  sig::ClassEdge edge() const { return static_cast<sig::ClassEdge>((flags >> 2) & 3); }
};

// kGap: (min, max); kAlt: (first branch in Plan::branches, branch count).
struct Operand {
  uint32_t a;
  uint32_t b;
};

// Nodes [first, first + count) of Plan::nodes.
struct BranchSpan {
  uint32_t first;
  uint32_t count;
};

// A body signature ready to confirm. Literal signatures (fixed bytes only, most real ones)
// keep their bytes in Plan::bytes and confirm with memcmp; the rest keep nodes.
struct PlannedSig {
  uint64_t offset_base = 0;  // sig::Offset
  uint64_t offset_shift = 0;
  uint64_t left_min = 0;  // length bounds of the part left of the fragment
  uint64_t left_max = 0;
  uint32_t begin = 0;       // literal: first byte in Plan::bytes; else first node in Plan::nodes
  uint32_t length = 0;      // literal: byte count; else top-level node count
  uint32_t frag_begin = 0;  // the fragment: top-level nodes (or bytes) [frag_begin, frag_end)
  uint32_t frag_end = 0;
  uint8_t offset_kind = 0;  // sig::Offset::Kind
  uint8_t literal = 0;
  uint8_t target = 0;     // sig target type: only files of this type (0: any)
  uint8_t role = 0;       // kRoleSubsig: a logical signature's part, never ends a scan
  uint16_t max_hits = 1;  // occurrences worth reporting in one scan
  uint16_t reserved = 0;
  uint32_t offset_section = 0;  // sig::Offset::section
  uint32_t reserved2 = 0;

  static constexpr uint8_t kRoleSubsig = 1;
  // A subsignature searched for in the second pass only (see match/passes.h).
  static constexpr uint8_t kRoleDeferred = 2;
  bool is_literal() const { return literal != 0; }
  bool is_subsig() const { return (role & kRoleSubsig) != 0; }
  bool is_deferred() const { return (role & kRoleDeferred) != 0; }
  // Whether an input matched as `type` (see InputFacts) is one this signature is for.
  bool for_type(uint8_t type) const { return target == sig::kTargetAny || target == type; }
  // Whether it is searched for in an input of this type in this pass (deferred signatures in
  // the second pass only, the others in the first only).
  bool in_pass(uint8_t type, bool second) const {
    return is_deferred() == second && for_type(type);
  }
  sig::Offset offset() const {
    return sig::Offset{static_cast<sig::Offset::Kind>(offset_kind), offset_base, offset_shift,
                       offset_section};
  }
};

// How a signature takes part in scans, besides its pattern and offset.
struct SigTraits {
  uint8_t target = 0;
  bool subsig = false;
  uint16_t max_hits = 1;
};

struct Plan {
  common::PodVector<PlannedSig> sigs;
  common::PodVector<FlatNode> nodes;
  common::PodVector<Operand> operands;
  common::PodVector<BranchSpan> branches;
  common::PodVector<uint8_t> bytes;

  const FlatNode* top(const PlannedSig& s) const { return nodes.data() + s.begin; }

  // The most bytes the part of `s` right of its fragment can span (sig::kUnboundedLength when
  // a gap there is unbounded). Walks those nodes: for a validated plan only.
  uint64_t right_span_max(const PlannedSig& s) const;

  // Appends a signature; its fragment is top-level nodes [frag_begin, frag_end) of `pattern`.
  // Fails (VIGIL_ERR_LIMIT) only when a pool would outgrow 32-bit indices.
  common::Status add(const sig::Sequence& pattern, const sig::Offset& offset, uint32_t frag_begin,
                     uint32_t frag_end, const SigTraits& traits = SigTraits{});

  // Checks every index, range, enum value and structural rule a walk relies on (branches
  // point forward, nesting within the parser's limits, negated alternatives of equal-length
  // bytes), so a plan read from a file cannot make the confirmer loop or read out of bounds.
  // The error names the signature and the rule.
  common::Status validate() const;
};

}  // namespace vigil::match

#endif  // VIGIL_MATCH_PLAN_H_
