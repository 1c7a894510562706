// Facade of the sig module: everything a set of signature sources turns into before the
// matcher compiles it. load_sources() reads paths and in-memory sources in ClamAV's formats
// (.hdb .hsb .ndb .fp .sfp .ign2, optionally gzip'd), applies ignore lists and functionality
// levels, and reports every problem as a Diagnostic.
#ifndef VIGIL_SIG_SIGNATURE_SET_H_
#define VIGIL_SIG_SIGNATURE_SET_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sig/diagnostic.h"
#include "sig/offset.h"
#include "sig/pattern.h"

namespace vigil::sig {

// The functionality level this engine implements, on ClamAV's scale: signatures whose
// min/max level fields exclude it are skipped, as ClamAV skips them.
inline constexpr uint32_t kEngineFlevel = 216;  // ClamAV 1.4.6's level

enum class HashType : uint8_t { kMd5 = 0, kSha1 = 1, kSha256 = 2 };
inline constexpr size_t kHashTypes = 3;
inline constexpr size_t digest_size(HashType t) {
  return t == HashType::kMd5 ? 16 : t == HashType::kSha1 ? 20 : 32;
}

struct HashSig {
  HashType type = HashType::kMd5;
  bool any_size = false;
  uint64_t size = 0;
  std::array<uint8_t, 32> digest{};
  std::string name;
};

// The pattern is kept as its validated hex text (2 bytes a pattern byte, against ~40 for a
// parsed node): a 100k-signature set stays small until the matcher parses each pattern in
// turn while planning it.
struct BodySig {
  std::string name;
  std::string hex;
  Offset offset;
  uint32_t file_index = 0;  // into SignatureSet::files
  uint32_t line = 0;
};

struct SignatureSet {
  std::vector<std::string> files;
  std::vector<BodySig> body;
  std::vector<HashSig> hashes;
  std::vector<HashSig> allow;
  Diagnostics diags;
  uint64_t ignored = 0;
  uint64_t skipped = 0;
};

struct Source {
  std::string name;  // path, or the display name of an in-memory source
  bool in_memory = false;
  std::string bytes;  // in-memory content
};

struct LoadFlags {
  bool unofficial_suffix = false;
};

// Reads every source; never fails as a whole: problems are diagnostics in the result.
SignatureSet load_sources(const std::vector<Source>& sources, const LoadFlags& flags);

// Parsers for single lines, exposed for tests and fuzzers. Each returns false and appends a
// diagnostic when the line is rejected or skipped.
struct LineContext {
  const std::string* file;
  uint32_t line;
  Diagnostics* diags;
};
bool parse_hash_line(std::string_view line, const LineContext& ctx, HashSig& out);
bool parse_ndb_line(std::string_view line, const LineContext& ctx, BodySig& out);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_SIGNATURE_SET_H_
