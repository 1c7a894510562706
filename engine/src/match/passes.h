// Two-pass prefiltering of logical signatures. Real logical signatures carry many short,
// common subsignatures ("0&1&2" with 2-byte parts): searched for everywhere, they make most of
// a scan's prefilter hits and confirms, though the signature can only hold where its rarest
// part also matched. So each logical signature's subsignatures split into anchors, searched in
// the first pass (a set one of which matches whenever the expression holds, chosen for the
// rarest weakest member), and the rest, searched in a second pass over the same input only when
// an anchor of such a signature was confirmed in the first.
#ifndef VIGIL_MATCH_PASSES_H_
#define VIGIL_MATCH_PASSES_H_

#include <cstdint>
#include <vector>

#include "sig/signature_set.h"

namespace vigil::match {

// For matcher signature k (body signature sigs[kept[k]], whose fragment scored scores[k]):
// 1 when its search can wait for the second pass. Plain signatures, and every subsignature of
// a logical signature whose expression can hold with none of them matched, stay in the first.
std::vector<uint8_t> plan_passes(const std::vector<sig::BodySig>& sigs,
                                 const std::vector<uint32_t>& kept, const std::vector<int>& scores,
                                 const std::vector<sig::LogicalSig>& logical);

}  // namespace vigil::match

#endif  // VIGIL_MATCH_PASSES_H_
