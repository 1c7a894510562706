// What the engine keeps in a DAT's sections, besides the matcher's and hash tables' own
// layouts: the meta record (counts, plan version, the build target of the precompiled
// database) and the source IR, every signature as one canonical source line. The IR is
// engine-neutral: it is what a DAT is rebuilt from when its precompiled parts cannot be used,
// and what diff and delta compare.
#ifndef VIGIL_SCAN_DAT_SECTIONS_H_
#define VIGIL_SCAN_DAT_SECTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "dat/container.h"
#include "sig/signature_set.h"

namespace vigil::scan {

// Bumped whenever the body plan's or the hash tables' stored layout changes; a DAT with
// another plan version is rebuilt from its IR.
inline constexpr uint32_t kPlanVersion = 9;

struct DatMeta {
  uint32_t plan_version = kPlanVersion;
  uint32_t flevel = sig::kEngineFlevel;
  uint64_t body_signatures = 0;
  uint64_t hash_signatures = 0;
  uint64_t allowlist_entries = 0;
  uint64_t ignored_signatures = 0;
  uint64_t fragments = 0;
  uint64_t hs_cpu_features = 0;  // what the precompiled database was built for
  uint32_t hs_tune = 0;
  std::string hs_version;
};

std::string encode_meta(const DatMeta& meta);
common::Result<DatMeta> decode_meta(std::string_view bytes);

// The IR: one in-memory source per format ("ir.ndb", "ir.hdb", "ir.hsb", "ir.fp", "ir.sfp",
// "ir.ldb", "ir.mdb", "ir.msb"), each a sorted list of canonical lines.
inline constexpr uint32_t kMaxIrFiles = 16;  // a bound for readers; a DAT has five

struct SourceIr {
  std::vector<sig::Source> files;
};

// Canonical line of each signature (as the format's parser reads it back).
std::string ir_line(const sig::BodySig& s);
std::string ir_line(const sig::HashSig& s);
std::string ir_section_line(const sig::HashSig& s);  // "SIZE:HASH:NAME", as .mdb/.msb read it

// Canonical lines of a set's body, hash and allowlist entries, index-aligned with them.
struct CanonicalSet {
  std::vector<std::string> body;     // a subsignature's entry is a sort key, not a line
  std::vector<std::string> logical;  // the .ldb lines
  std::vector<std::string> hashes;
  std::vector<std::string> allow;
  std::vector<std::string> sections;  // .mdb/.msb lines
};

// Sorts the set's body, hash and allowlist entries by their canonical lines (so that the same
// signatures give the same engine whatever the order of the sources) and returns the lines.
// Needs the body signatures' hex text, so call it before the engine build consumes it.
CanonicalSet canonicalize(sig::SignatureSet& set);

// The IR of the sorted set, with only the body and logical signatures whose indices are in
// `kept_body` and `kept_logical` (those the engine took).
SourceIr make_ir(const CanonicalSet& lines, const sig::SignatureSet& set,
                 const std::vector<uint32_t>& kept_body, const std::vector<uint32_t>& kept_logical);

std::string encode_ir(const SourceIr& ir);
common::Result<SourceIr> decode_ir(std::string_view bytes);

// The section of `type`, or VIGIL_ERR_CORRUPT naming the missing section.
common::Result<std::string_view> require_section(const dat::DatView& view, dat::SectionType type);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_DAT_SECTIONS_H_
