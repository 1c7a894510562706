// Deterministic generator of benchmark signatures and data for the Google Benchmark targets.
// Same mix as bench/gen_sigs.py (by index: 70% plain 12-32 random bytes, 20% with 1-3 '??'
// wildcards, 10% with 2-3 literal runs joined by '{n-m}' gaps, m <= 32), but self-contained so
// the benchmarks need no files. Signature i depends only on (seed, i): the 1k set is a prefix
// of the 100k set. Uses its own PRNG so the output is the same with every standard library.
#ifndef VIGIL_BENCH_SIG_GEN_H_
#define VIGIL_BENCH_SIG_GEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::bench {

// SplitMix64: tiny, fast, and fully specified, unlike the std:: distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [lo, hi] (bias irrelevant at these ranges).
  uint32_t between(uint32_t lo, uint32_t hi) { return lo + next() % (hi - lo + 1); }
  uint8_t byte() { return static_cast<uint8_t>(next() >> 56); }

 private:
  uint64_t state_;
};

// One piece of a body signature.
struct SigPart {
  enum Kind { kLiteral, kAnyByte, kGap } kind;
  std::vector<uint8_t> bytes;  // kLiteral only
  uint32_t min_gap = 0;        // kGap only
  uint32_t max_gap = 0;        // kGap only
};
using Signature = std::vector<SigPart>;

Signature make_signature(uint64_t seed, size_t index);
// The ClamAV hex body, e.g. "0a1b??2c3d{4-9}5e6f".
std::string to_ndb_hex(const Signature& sig);
// Concrete bytes that match @p sig, wildcards and gaps filled from @p rng.
std::vector<uint8_t> instantiate(const Signature& sig, Rng& rng);

// A whole .ndb source: "Bench.Sig.<i>:0:*:<hex>\n" for i in [0, count).
std::string make_ndb(size_t count, uint64_t seed);

// Hash algorithms for make_hash_db().
enum class HashAlgo { kMd5, kSha1, kSha256 };
// A .hdb (MD5) or .hsb (SHA-1/SHA-256) source with @p count random digests, none of which is
// the digest of any buffer the benchmarks scan. Every other entry has size @p hit_size, so a
// buffer of that size takes the digest path; the rest get sizes near it but never equal.
std::string make_hash_db(size_t count, HashAlgo algo, uint64_t hit_size, uint64_t seed);

// Kinds of scan input for make_data().
enum class DataKind {
  kRandom,  // uniform random bytes: no accidental fragment hits
  kText,    // English-like words and punctuation: many short-prefix hits for the prefilter
  kZeros,   // one byte value throughout: the degenerate case
};
std::vector<uint8_t> make_data(size_t size, DataKind kind, uint64_t seed);
const char* data_kind_name(DataKind kind);

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_SIG_GEN_H_
