// The DAT container: a fixed header, a table of typed sections each with its digest (SHA-256
// of the SHA-256s of its 1 MiB chunks, so that verification runs on several cores), the
// sections, and a fixed-size signature trailer. The Ed25519 signature covers the header and
// the table (and so, through the hashes, every section), which keeps verification to one
// small signature check plus hashing, and lets a DAT be re-signed without touching the rest.
// This is the one DAT reader and the one DAT writer; what the sections hold is the engine's
// business (scan/engine_dat), not the container's.
#ifndef VIGIL_DAT_CONTAINER_H_
#define VIGIL_DAT_CONTAINER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dat/crypto.h"

namespace vigil::dat {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kSectionEntrySize = 56;
inline constexpr size_t kTrailerSize = 128;
inline constexpr uint32_t kMaxSections = 64;

// The container carries two kinds of file, told apart by their magic: a DAT, and an
// incremental update (a delta) that turns one DAT into the next.
enum class Kind : uint8_t { kDat, kDelta };

enum class SectionType : uint32_t {
  kMeta = 1,           // counts, build target, plan version
  kNames = 2,          // signature names by id
  kBodyPlan = 3,       // the matcher's plan and fragment table
  kHsDatabase = 4,     // the serialized Hyperscan database (may be empty)
  kHashes = 5,         // hash signatures, laid out for lookup
  kAllow = 6,          // allowlist entries, laid out for lookup
  kSourceIr = 7,       // every signature in canonical source form (engine-neutral)
  kLogical = 8,        // logical signatures: conditions, expressions, subsignature roles
  kSectionHashes = 9,  // PE section hash signatures, laid out for lookup
  // Delta files:
  kDeltaBase = 16,     // the DAT a delta applies to, and the one it produces
  kDeltaChanges = 17,  // source IR lines removed and added
};
std::string_view section_name(uint32_t type);

struct Header {
  Kind kind = Kind::kDat;
  uint32_t format_version = kFormatVersion;
  uint64_t dat_version = 0;
  uint64_t created = 0;  // seconds since the epoch; 0 when the builder gave none
  uint32_t min_engine_version = 0;
};

struct SectionInput {
  SectionType type;
  std::string bytes;
};

// Lays out an unsigned DAT: sections in the given order, 8-byte aligned.
std::string assemble(const Header& header, const std::vector<SectionInput>& sections);

// Replaces the trailer with a signature by `key` (the rest of the file is unchanged). The DAT
// must be well-formed (checked with open(), signatures not required).
common::Status sign(std::string& dat, const PrivateKey& key);

// The bytes that identify a DAT's content: SHA-256 of header and section table.
using DatId = Sha256;

struct Trust {
  Kind kind = Kind::kDat;  // the kind of file expected
  std::vector<PublicKey> keys;
  bool allow_unsigned = false;
  // Inspect only: report the signer without requiring it to be trusted (vigil-dat info).
  bool skip_signature = false;
  // Accept a DAT made for a newer engine (inspecting or signing it; never for a load).
  bool accept_newer_engine = false;
  // Sections of this type are not hashed by open(): the caller verifies one with
  // check_section() before it reads it (for large sections a load rarely needs).
  std::vector<SectionType> defer_hash;
};

struct Section {
  uint32_t type = 0;
  uint64_t offset = 0;
  std::string_view bytes;
  Sha256 sha256{};  // the chunked digest (see above)
};

struct DatView {
  Header header;
  std::vector<Section> sections;  // in file order
  uint64_t file_size = 0;
  DatId id{};
  bool is_signed = false;
  KeyId signer{};  // zero when unsigned
  const Section* find(SectionType type) const;
};

// Checks a DAT held in memory, in this order: the header's fixed fields and the table's extent,
// the signature (against `trust`), then every section's bounds and SHA-256, then the version
// the DAT requires. Nothing of a section is looked at before its hash is checked. Errors:
// VIGIL_ERR_CORRUPT (named field or section), VIGIL_ERR_UNTRUSTED, VIGIL_ERR_VERSION.
// The view points into `data`, which must outlive it.
common::Result<DatView> open(const uint8_t* data, size_t size, const Trust& trust);

// "1.2.3" for an engine version number (VIGIL_VERSION_NUMBER's encoding).
std::string version_text(uint32_t version);

// Verifies a deferred section's SHA-256 (VIGIL_ERR_CORRUPT naming it on mismatch).
common::Status check_section(const Section& section);

// True if the bytes start like a file of this kind (for telling DATs from signature sources).
bool looks_like(Kind kind, const uint8_t* data, size_t size);
inline bool looks_like_dat(const uint8_t* data, size_t size) {
  return looks_like(Kind::kDat, data, size);
}

// The fixed-size trailer (signature block) at the end of a file open() accepted; deltas carry
// the trailer of the DAT they produce.
std::string_view trailer(std::string_view file);

}  // namespace vigil::dat

#endif  // VIGIL_DAT_CONTAINER_H_
