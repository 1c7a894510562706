// Digests of a whole input, computed in one pass for just the hash types a lookup needs.
#ifndef VIGIL_HASH_DIGEST_H_
#define VIGIL_HASH_DIGEST_H_

#include <array>
#include <cstdint>

#include "common/status.h"
#include "sig/signature_set.h"

namespace vigil::hash {

struct Digests {
  std::array<bool, sig::kHashTypes> have{};
  std::array<std::array<uint8_t, 32>, sig::kHashTypes> value{};
};

// Computes the digests flagged in `want` over data[0, size), filling `out.value` for each and
// setting `out.have`. Types already present in `out` are not recomputed.
common::Status compute_digests(const uint8_t* data, uint64_t size,
                               const std::array<bool, sig::kHashTypes>& want, Digests& out);

}  // namespace vigil::hash

#endif  // VIGIL_HASH_DIGEST_H_
