// Subsignature modifiers as rewrites of the parsed pattern, so that the matcher plans and
// confirms a modified subsignature like any other pattern: wide text is the pattern with 00
// after every byte (wildcard bytes too; gaps stay byte counts, as ClamAV 1.4 reads them),
// case-insensitivity is a mask on letter bytes, and fullword is a pair of zero-width
// non-alphanumeric classes at the pattern's ends (of 16-bit units for wide text).
#include "sig/pattern.h"
#include "sig/signature_set.h"

namespace vigil::sig {
namespace {

void widen(Sequence& seq) {
  Sequence out;
  out.reserve(seq.size() * 2);
  for (Node& n : seq) {
    switch (n.kind) {
      case NodeKind::kByte:
        out.push_back(std::move(n));
        out.push_back(Node::byte(0x00));
        break;
      case NodeKind::kGap:  // gaps stay raw byte counts under "::w", as in ClamAV
      case NodeKind::kClass:
        out.push_back(std::move(n));
        break;
      case NodeKind::kAlt:
        for (Sequence& b : n.branches) widen(b);
        out.push_back(std::move(n));
        break;
    }
  }
  seq = std::move(out);
}

void fold_case(Sequence& seq) {
  for (Node& n : seq) {
    if (n.kind == NodeKind::kByte && n.mask == 0xFF) {
      uint8_t upper = n.value & 0xDF;
      if (upper >= 'A' && upper <= 'Z') {
        n.value = upper;
        n.mask = 0xDF;
      }
    } else if (n.kind == NodeKind::kAlt) {
      for (Sequence& b : n.branches) fold_case(b);
    }
  }
}

}  // namespace

void apply_modifiers(Sequence& pattern, uint8_t modifiers) {
  if ((modifiers & kModWide) != 0) widen(pattern);
  if ((modifiers & kModNocase) != 0) fold_case(pattern);
  if ((modifiers & kModFullword) != 0) {
    Node before;
    before.kind = NodeKind::kClass;
    before.mask = 0;  // as the parser makes class nodes
    before.cls = (modifiers & kModWide) != 0 ? ClassKind::kNonAlnumWide : ClassKind::kNonAlnum;
    before.edge = ClassEdge::kBefore;
    Node after = before;
    after.edge = ClassEdge::kAfter;
    pattern.insert(pattern.begin(), before);
    pattern.push_back(after);
  }
}

}  // namespace vigil::sig
