// Builds and queries HashTable. Sorted vectors rather than a hash map: they are compact
// (no per-node allocation for 80k+ entries), cache-friendly for binary search, and the same
// layout can later be written into a DAT section and searched in place.
#include "hash/hash_table.h"

#include <algorithm>
#include <tuple>

namespace vigil::hash {
namespace {

template <typename E>
bool by_size_digest(const E& a, const E& b) {
  return std::tie(a.size, a.digest, a.id) < std::tie(b.size, b.digest, b.id);
}
template <typename E>
bool by_digest(const E& a, const E& b) {
  return std::tie(a.digest, a.id) < std::tie(b.digest, b.id);
}

}  // namespace

void HashTable::build(const std::vector<sig::HashSig>& sigs, uint32_t first_id) {
  types_ = {};
  count_ = sigs.size();
  for (size_t i = 0; i < sigs.size(); ++i) {
    const sig::HashSig& s = sigs[i];
    PerType& t = types_[static_cast<size_t>(s.type)];
    Entry e{s.any_size ? 0 : s.size, {}, first_id + static_cast<uint32_t>(i)};
    std::copy_n(s.digest.begin(), sig::digest_size(s.type), e.digest.begin());
    (s.any_size ? t.any_size : t.sized).push_back(e);
  }
  for (PerType& t : types_) {
    std::sort(t.sized.begin(), t.sized.end(), by_size_digest<Entry>);
    std::sort(t.any_size.begin(), t.any_size.end(), by_digest<Entry>);
    for (const Entry& e : t.sized) {
      if (t.sizes.empty() || t.sizes.back() != e.size) t.sizes.push_back(e.size);
    }
    t.sized.shrink_to_fit();
    t.any_size.shrink_to_fit();
  }
}

void HashTable::write(common::ByteWriter& out) const {
  for (const PerType& t : types_) {
    out.array(t.sized);
    out.array(t.any_size);
  }
}

common::Status HashTable::read(common::ByteReader& in, uint32_t first_id) {
  types_ = {};
  count_ = 0;
  for (size_t i = 0; i < sig::kHashTypes; ++i) {
    PerType& t = types_[i];
    in.array(t.sized, "entries by size");
    in.array(t.any_size, "entries of any size");
    if (!in.ok()) return in.status();
    const size_t digest_len = sig::digest_size(static_cast<sig::HashType>(i));
    auto valid = [&](const Entry& e) {
      return e.reserved == 0 && std::all_of(e.digest.begin() + digest_len, e.digest.end(),
                                            [](uint8_t b) { return b == 0; });
    };
    if (!std::all_of(t.sized.begin(), t.sized.end(), valid) ||
        !std::all_of(t.any_size.begin(), t.any_size.end(), valid) ||
        !std::is_sorted(t.sized.begin(), t.sized.end(), by_size_digest<Entry>) ||
        !std::is_sorted(t.any_size.begin(), t.any_size.end(), by_digest<Entry>)) {
      in.fail("entries", "out of order, or an id or digest out of range");
      return in.status();
    }
    for (const Entry& e : t.sized) {
      if (t.sizes.empty() || t.sizes.back() != e.size) t.sizes.push_back(e.size);
    }
    count_ += t.sized.size() + t.any_size.size();
  }
  // Each id in [first_id, first_id + count) exactly once.
  std::vector<bool> seen(count_, false);
  for (const PerType& t : types_) {
    for (const auto* entries : {&t.sized, &t.any_size}) {
      for (const Entry& e : *entries) {
        uint64_t k = uint64_t{e.id} - first_id;
        if (e.id < first_id || k >= count_ || seen[k]) {
          in.fail("ids", "not each signature once");
          return in.status();
        }
        seen[k] = true;
      }
    }
  }
  return common::Status::ok();
}

std::array<bool, sig::kHashTypes> HashTable::wanted_for_size(uint64_t size) const {
  std::array<bool, sig::kHashTypes> want{};
  for (size_t i = 0; i < sig::kHashTypes; ++i) {
    const PerType& t = types_[i];
    want[i] = !t.any_size.empty() || std::binary_search(t.sizes.begin(), t.sizes.end(), size);
  }
  return want;
}

void HashTable::lookup(uint64_t size, const Digests& digests, std::vector<uint32_t>& out) const {
  for (size_t i = 0; i < sig::kHashTypes; ++i) {
    if (!digests.have[i]) continue;
    const PerType& t = types_[i];
    Entry key{size, digests.value[i], 0};
    auto lo = std::lower_bound(t.sized.begin(), t.sized.end(), key, by_size_digest<Entry>);
    for (; lo != t.sized.end() && lo->size == size && lo->digest == key.digest; ++lo) {
      out.push_back(lo->id);
    }
    auto alo = std::lower_bound(t.any_size.begin(), t.any_size.end(), key, by_digest<Entry>);
    for (; alo != t.any_size.end() && alo->digest == key.digest; ++alo) out.push_back(alo->id);
  }
}

}  // namespace vigil::hash
