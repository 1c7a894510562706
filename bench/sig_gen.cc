// Deterministic benchmark signatures, hash databases and scan inputs (see sig_gen.h).
// Every signature starts and ends with a literal run of at least 4 bytes and every literal
// run is random and non-degenerate, so each one gives the matcher a selective fragment and
// loads without diagnostics.
#include "sig_gen.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace vigil::bench {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, uint8_t b) {
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 15]);
}

// Random bytes that are not all one value.
std::vector<uint8_t> random_run(Rng& rng, size_t n) {
  std::vector<uint8_t> v(n);
  do {
    for (auto& b : v) b = rng.byte();
  } while (std::all_of(v.begin(), v.end(), [&](uint8_t b) { return b == v[0]; }));
  return v;
}

uint64_t mix(uint64_t seed, uint64_t index) {
  return seed * 0x9e3779b97f4a7c15ull ^ (index + 0x632be59bd9b4e019ull);
}

}  // namespace

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Signature make_signature(uint64_t seed, size_t index) {
  Rng rng(mix(seed, index));
  const size_t kind = index % 10;
  Signature sig;
  if (kind < 7) {
    sig.push_back({SigPart::kLiteral, random_run(rng, rng.between(12, 32))});
  } else if (kind < 9) {
    const uint32_t length = rng.between(12, 32);
    std::vector<uint8_t> data = random_run(rng, length);
    std::vector<bool> hole(length, false);
    for (uint32_t holes = rng.between(1, 3); holes > 0; --holes) {
      hole[rng.between(4, length - 5)] = true;
    }
    SigPart run{SigPart::kLiteral, {}};
    for (uint32_t i = 0; i < length; ++i) {
      if (!hole[i]) {
        run.bytes.push_back(data[i]);
        continue;
      }
      if (!run.bytes.empty()) sig.push_back(std::move(run));
      run = {SigPart::kLiteral, {}};
      sig.push_back({SigPart::kAnyByte, {}});
    }
    sig.push_back(std::move(run));
  } else {
    const uint32_t runs = rng.between(2, 3);
    for (uint32_t r = 0; r < runs; ++r) {
      if (r > 0) {
        const uint32_t hi = rng.between(1, 32);
        sig.push_back({SigPart::kGap, {}, rng.between(0, hi), hi});
      }
      sig.push_back({SigPart::kLiteral, random_run(rng, rng.between(6, 16))});
    }
  }
  return sig;
}

std::string to_ndb_hex(const Signature& sig) {
  std::string out;
  for (const SigPart& part : sig) {
    switch (part.kind) {
      case SigPart::kLiteral:
        for (uint8_t b : part.bytes) append_hex(out, b);
        break;
      case SigPart::kAnyByte:
        out += "??";
        break;
      case SigPart::kGap:
        // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "literal" + std::string.
        out += '{';
        out += std::to_string(part.min_gap);
        out += '-';
        out += std::to_string(part.max_gap);
        out += '}';
        break;
    }
  }
  return out;
}

std::vector<uint8_t> instantiate(const Signature& sig, Rng& rng) {
  std::vector<uint8_t> out;
  for (const SigPart& part : sig) {
    switch (part.kind) {
      case SigPart::kLiteral:
        out.insert(out.end(), part.bytes.begin(), part.bytes.end());
        break;
      case SigPart::kAnyByte:
        out.push_back(rng.byte());
        break;
      case SigPart::kGap:
        for (uint32_t n = rng.between(part.min_gap, part.max_gap); n > 0; --n) {
          out.push_back(rng.byte());
        }
        break;
    }
  }
  return out;
}

std::string make_ndb(size_t count, uint64_t seed) {
  std::string out;
  out.reserve(count * 64);
  for (size_t i = 0; i < count; ++i) {
    out += "Bench.Sig.";
    out += std::to_string(i);
    out += ":0:*:";
    out += to_ndb_hex(make_signature(seed, i));
    out += '\n';
  }
  return out;
}

std::string make_hash_db(size_t count, HashAlgo algo, uint64_t hit_size, uint64_t seed) {
  const size_t digest_len = algo == HashAlgo::kMd5 ? 16 : algo == HashAlgo::kSha1 ? 20 : 32;
  Rng rng(mix(seed, 0x4a5b));
  std::string out;
  out.reserve(count * (digest_len * 2 + 32));
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < digest_len; ++k) append_hex(out, rng.byte());
    // Sizes near the hit size but never equal to it, except on even entries.
    const uint64_t size = i % 2 == 0 ? hit_size : hit_size + 1 + rng.between(0, 1u << 20);
    out += ':';
    out += std::to_string(size);
    out += ":Bench.Hash.";
    out += std::to_string(i);
    out += '\n';
  }
  return out;
}

std::vector<uint8_t> make_data(size_t size, DataKind kind, uint64_t seed) {
  std::vector<uint8_t> out(size);
  Rng rng(mix(seed, 0xda7a));
  switch (kind) {
    case DataKind::kRandom:
      for (size_t i = 0; i < size; i += 8) {
        const uint64_t r = rng.next();
        for (size_t k = 0; k < 8 && i + k < size; ++k)
          out[i + k] = static_cast<uint8_t>(r >> 8 * k);
      }
      break;
    case DataKind::kText: {
      static constexpr std::array<const char*, 24> kWords = {
          "the",   "of",    "and",    "to",     "in",     "is",      "file",   "scan",
          "data",  "virus", "return", "int",    "const",  "static",  "void",   "for",
          "while", "error", "buffer", "engine", "signal", "pattern", "offset", "match"};
      static constexpr std::array<char, 6> kPunct = {' ', ' ', ' ', '\n', ',', '.'};
      size_t i = 0;
      while (i < size) {
        for (const char* w = kWords[rng.between(0, kWords.size() - 1)]; *w && i < size; ++w) {
          out[i++] = static_cast<uint8_t>(*w);
        }
        if (i < size) out[i++] = static_cast<uint8_t>(kPunct[rng.between(0, kPunct.size() - 1)]);
      }
      break;
    }
    case DataKind::kZeros:
      std::fill(out.begin(), out.end(), 0);
      break;
  }
  return out;
}

const char* data_kind_name(DataKind kind) {
  switch (kind) {
    case DataKind::kRandom:
      return "random";
    case DataKind::kText:
      return "text";
    case DataKind::kZeros:
      return "zeros";
  }
  return "?";
}

}  // namespace vigil::bench
