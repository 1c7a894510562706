// The intermediate representation of a body pattern, produced by the one hex lexer in
// hex_pattern.cc and consumed by the matcher's fragment planner and confirmer. A pattern is a
// sequence of nodes: single bytes under a nibble mask, gaps (bounded or not), alternatives
// (possibly negated, nested, of varying length) and zero-width / one-byte character classes.
#ifndef VIGIL_SIG_PATTERN_H_
#define VIGIL_SIG_PATTERN_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::sig {

inline constexpr uint32_t kUnbounded = std::numeric_limits<uint32_t>::max();

// Parser limits, which also bound the confirmer's recursion: alternatives nest at most
// kMaxPatternDepth deep, and a pattern has at most kMaxBranchingNodes ranged gaps and
// alternatives.
inline constexpr int kMaxPatternDepth = 16;
inline constexpr uint32_t kMaxGap = 1u << 30;  // largest gap bound ({n}, {n-m})
inline constexpr size_t kMaxBranchingNodes = 512;

enum class NodeKind : uint8_t {
  kByte,  // (data & mask) == value; mask 0xFF exact, 0x00 for "??", 0xF0/0x0F for nibbles
  kGap,   // skip min..max bytes (max == kUnbounded for "*" and "{n-}")
  kAlt,   // one of the branches; negated: any same-length bytes matching none of them
  kClass  // (B) delimiter, (L) line end, (W) non-alphanumeric: see ClassEdge
};

// kNonAlnumWide is the fullword edge of wide text (modifier "::wf"), judged on 16-bit units.
enum class ClassKind : uint8_t { kWordBoundary, kLineBoundary, kNonAlnum, kNonAlnumWide };

// As in ClamAV: a class at the very start (end) of a pattern tests the byte before (after) the
// match without consuming it, and a file edge satisfies it; in the middle it consumes one byte
// ((L) in the middle becomes the byte LF at parse time: ClamAV 1.4 does not match CRLF there).
enum class ClassEdge : uint8_t { kMiddle, kBefore, kAfter };

struct Node;
using Sequence = std::vector<Node>;

struct Node {
  NodeKind kind = NodeKind::kByte;
  uint8_t value = 0;
  uint8_t mask = 0xFF;
  bool negated = false;
  ClassKind cls = ClassKind::kWordBoundary;
  ClassEdge edge = ClassEdge::kMiddle;
  uint32_t min = 0;
  uint32_t max = 0;
  std::vector<Sequence> branches;

  static Node byte(uint8_t v, uint8_t m = 0xFF) {
    Node n;
    n.value = v & m;
    n.mask = m;
    return n;
  }
  static Node gap(uint32_t lo, uint32_t hi) {
    Node n;
    n.kind = NodeKind::kGap;
    n.min = lo;
    n.max = hi;
    return n;
  }
  bool is_exact_byte() const { return kind == NodeKind::kByte && mask == 0xFF; }
};

// Length bounds of a sequence in bytes; max is kUnboundedLength when a gap is unbounded.
inline constexpr uint64_t kUnboundedLength = std::numeric_limits<uint64_t>::max();
struct LengthRange {
  uint64_t min = 0;
  uint64_t max = 0;
};
LengthRange sequence_length(const Node* first, size_t count);
inline LengthRange sequence_length(const Sequence& seq) {
  return sequence_length(seq.data(), seq.size());
}

// Where a pattern comes from. A body signature of fixed bytes only must be at least 3 bytes
// long; a logical signature's subsignature 2 (ClamAV accepts "726d"), and may end with a fixed
// gap ("5068{4}": four more bytes must follow).
enum class HexRules : uint8_t { kBody, kSubsig };

// Parses ClamAV body-signature hex ("de ad ?? {2-4} (aa|bb) *...") into a Sequence.
// Errors name the column: "column 12: unbalanced '('".
common::Result<Sequence> parse_hex_pattern(std::string_view text, HexRules rules = HexRules::kBody);

// A letter byte under modifier "::i": it matches either case, as the byte node
// (value & 0xDF, mask 0xDF). The matcher searches such bytes with a caseless prefilter.
inline bool is_caseless_letter(const Node& n) {
  return n.kind == NodeKind::kByte && n.mask == 0xDF && n.value >= 'A' && n.value <= 'Z';
}

// Rewrites a parsed pattern for .ldb subsignature modifiers (sig::kModNocase, kModWide,
// kModFullword; see signature_set.h): wide puts a 00 byte after every byte (gaps unchanged),
// nocase makes letters caseless, fullword requires a non-alphanumeric byte (or the input's
// edge) on both sides.
void apply_modifiers(Sequence& pattern, uint8_t modifiers);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_PATTERN_H_
