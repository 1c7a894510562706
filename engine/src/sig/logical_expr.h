// The logical expression of a .ldb signature ("(0|1)&2>3,2"), compiled to a small postfix
// program that is stored in DATs as it is and evaluated against per-subsignature hit counts.
// Operands are subsignature indices; operators are '&', '|' and the count comparisons
// "=X", "=X,Y", ">X", ">X,Y", "<X", "<X,Y" on a subsignature or a parenthesised group.
#ifndef VIGIL_SIG_LOGICAL_EXPR_H_
#define VIGIL_SIG_LOGICAL_EXPR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::sig {

// A logical signature has at most this many subsignatures (ClamAV's limit).
inline constexpr uint32_t kMaxSubsigs = 64;
// Counts above this cannot be asked for ("0>70000" is rejected): hit counters are 16-bit.
inline constexpr uint32_t kMaxCount = 65534;

// One word per step: the operation in the top 8 bits and an operand in the low 24 (kSub: the
// subsignature; kEq/kGt/kLt: X). A comparison with a distinct-subsignature minimum ("=X,Y")
// is followed by a kDistinct word holding Y.
enum class ExprOp : uint8_t { kSub = 1, kAnd, kOr, kEq, kGt, kLt, kDistinct };
inline constexpr uint32_t expr_word(ExprOp op, uint32_t operand) {
  return (static_cast<uint32_t>(op) << 24) | (operand & 0xFFFFFF);
}
inline constexpr ExprOp expr_op(uint32_t word) { return static_cast<ExprOp>(word >> 24); }
inline constexpr uint32_t expr_operand(uint32_t word) { return word & 0xFFFFFF; }

using Program = std::vector<uint32_t>;

// Parses `text` for a signature with `subsigs` subsignatures. Errors name the column. A
// signature's own expression must name its last subsignature (ClamAV refuses it otherwise);
// a PCRE subsignature's trigger need not (`whole` false).
common::Result<Program> parse_expression(std::string_view text, uint32_t subsigs,
                                         bool whole = true);

// Checks a program read from a file: known operations, operands in range, a stack that never
// underflows and ends with one value. Evaluating an unchecked program is undefined.
common::Status validate_program(const uint32_t* program, size_t size, uint32_t subsigs);

// Evaluates a valid program; counts[i] is how often subsignature i matched.
bool evaluate(const uint32_t* program, size_t size, const uint16_t* counts);

// Whether a valid program could still evaluate true when the counts of some subsignatures are
// not known yet: counts[i] is exact where open[i] is 0, and any count at all where it is not.
// Never false when some choice of the open counts makes evaluate() true; it may be true when
// none does (ranges are merged), which costs only work, never a verdict.
bool may_hold(const uint32_t* program, size_t size, const uint16_t* counts, const uint8_t* open);

// How many hits of each subsignature can change the outcome (1 unless a count comparison
// looks at it): the matcher stops counting a subsignature there.
std::vector<uint16_t> hit_caps(const uint32_t* program, size_t size, uint32_t subsigs);

// A set of subsignatures (bit i: subsignature i) and how rare a match of its weakest member
// is expected to be (higher: rarer; see match::fragment_score).
struct AnchorSet {
  uint64_t mask = 0;
  int score = 0;
};

// A set of subsignatures one of which has matched whenever the expression holds, chosen so
// that its weakest member is as rare as possible: a prefilter that searches for these first
// can skip the rest of the signature in an input where none of them matched. leaf[i] is what
// stands for subsignature i (itself, or for a PCRE subsignature its trigger's set; nullopt
// when it can match with no pattern matched). nullopt when the expression can hold with no
// subsignature matched ("0=0", "0<2"). `program` must be valid.
std::optional<AnchorSet> anchors(const uint32_t* program, size_t size,
                                 const std::vector<std::optional<AnchorSet>>& leaf);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_LOGICAL_EXPR_H_
