// HashTable: hash signatures (or allowlist entries) laid out for lookup by (type, size,
// digest): per type, a vector sorted by (size, digest) plus the sorted distinct sizes, so a
// scan learns from one binary search whether a file's size can match at all before any digest
// is computed. Entries with size "*" live in a per-type table keyed by digest alone.
#ifndef VIGIL_HASH_HASH_TABLE_H_
#define VIGIL_HASH_HASH_TABLE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "common/byte_io.h"
#include "common/pod_vector.h"
#include "hash/digest.h"
#include "sig/signature_set.h"

namespace vigil::hash {

class HashTable {
 public:
  // ids[i] is the caller's identifier for sigs[i], reported by lookup().
  void build(const std::vector<sig::HashSig>& sigs, uint32_t first_id);

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Which digest types could match a file of this size.
  std::array<bool, sig::kHashTypes> wanted_for_size(uint64_t size) const;

  // Appends the ids of every entry matching (size, digests) to `out`, in id order per type.
  void lookup(uint64_t size, const Digests& digests, std::vector<uint32_t>& out) const;

  // The sorted tables as stored in a DAT, and back: read() checks the order lookups rely on
  // and that the ids are exactly first_id, first_id + 1, ... (each once), as build() gives
  // them (VIGIL_ERR_CORRUPT naming the table otherwise).
  void write(common::ByteWriter& out) const;
  common::Status read(common::ByteReader& in, uint32_t first_id);

 private:
  struct Entry {
    uint64_t size;
    std::array<uint8_t, 32> digest;
    uint32_t id;
    uint32_t reserved;  // no padding: the entries are stored as bytes
  };
  struct PerType {
    common::PodVector<Entry> sized;     // sorted by (size, digest, id)
    std::vector<uint64_t> sizes;        // distinct sizes, sorted
    common::PodVector<Entry> any_size;  // sorted by (digest, id); size ignored
  };
  std::array<PerType, sig::kHashTypes> types_;
  size_t count_ = 0;
};

}  // namespace vigil::hash

#endif  // VIGIL_HASH_HASH_TABLE_H_
