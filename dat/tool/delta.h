// Comparing two DATs and updating one into the next. Both work on the DATs' source IR (every
// signature as one canonical line): diff groups the lines by signature name, a delta carries
// the lines removed and added per IR file plus what is needed to rebuild the new DAT exactly
// (its header fields, build target and signature trailer), so applying a delta yields a file
// byte-identical to the DAT it was made from, under that DAT's own signature.
//
// Delta layout (a container of Kind::kDelta; every integer little-endian, via ByteWriter):
//   kDeltaBase:    u32 format (1); base id[32]; u64 base version; new id[32]; u64 new version;
//                  u64 new created; u32 new min engine version; u64 new file size;
//                  u32 plan version; u64 ignored signatures; u64 hs cpu features; u32 hs tune;
//                  blob hs version; new trailer[128]
//   kDeltaChanges: u32 file count; per file: blob name; u64 n, n x blob removed line;
//                  u64 n, n x blob added line   (lines without their '\n', each list sorted)
// The ids are dat::DatView::id (SHA-256 of header and section table). Removed and added lines
// are multiset differences of the two DATs' IR files; a file the delta does not list is kept.
#ifndef VIGIL_DAT_TOOL_DELTA_H_
#define VIGIL_DAT_TOOL_DELTA_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dat/container.h"
#include "scan/dat_sections.h"

namespace vigil::dattool {

inline constexpr uint32_t kDeltaFormat = 1;

// What a signature is, by the IR file its lines are in.
enum class SigKind : uint8_t { kBody, kHash, kAllow, kLogical };
// "body", "hash", "allowlist".
std::string_view kind_name(SigKind kind);

struct SigChange {
  std::string name;
  SigKind kind = SigKind::kBody;
  bool operator==(const SigChange&) const = default;
};

// Signatures are compared by (name, kind): all the lines of one name in the body files (or the
// hash files, or the allowlist files) form one signature. Each list is sorted by name, then kind.
struct IrDiff {
  std::vector<SigChange> added;    // only in the new DAT
  std::vector<SigChange> removed;  // only in the old DAT
  std::vector<SigChange> changed;  // in both, with different lines
};

// The signature name of a canonical line of IR file `file` ("ir.ndb": the text before the first
// ':'; hash and allowlist files "digest:size:name[:flevel]": the third field). Empty if the line
// has no such field.
std::string_view signature_name(std::string_view file, std::string_view line);

// How error messages name the files ("<label>: <problem>"); the tool passes their paths.
struct Labels {
  std::string old_dat = "old DAT";
  std::string new_dat = "new DAT";
  std::string delta = "delta";
};

IrDiff diff_ir(const scan::SourceIr& old_ir, const scan::SourceIr& new_ir);
// Decodes both DATs' IR sections (the views must come from dat::open) and diffs them.
common::Result<IrDiff> diff_dats(const dat::DatView& old_dat, const dat::DatView& new_dat,
                                 const Labels& labels = {});

// The decoded sections of a delta.
struct DeltaBase {
  dat::DatId base_id{};
  uint64_t base_version = 0;
  dat::DatId new_id{};
  uint64_t new_version = 0;
  uint64_t new_created = 0;
  uint32_t new_min_engine_version = 0;
  uint64_t new_file_size = 0;
  uint32_t plan_version = 0;
  uint64_t ignored_signatures = 0;
  uint64_t hs_cpu_features = 0;
  uint32_t hs_tune = 0;
  std::string hs_version;
  std::array<uint8_t, dat::kTrailerSize> new_trailer{};
};

struct FileChange {
  std::string name;  // IR file, "ir.ndb" ...
  std::vector<std::string> removed;
  std::vector<std::string> added;
};

struct DeltaContents {
  DeltaBase base;
  std::vector<FileChange> files;
};

// An unsigned delta file with these contents (the inverse of read_delta).
std::string encode_delta(const DeltaContents& delta);

// Decodes the sections of a delta that dat::open (kind kDelta) accepted. VIGIL_ERR_CORRUPT
// naming the section and field for anything malformed.
common::Result<DeltaContents> read_delta(const dat::DatView& delta);

// Makes an unsigned delta that turns OLD into NEW. Both are opened with `trust` (its kind is
// ignored). Errors: those of dat::open, VIGIL_ERR_CORRUPT for a DAT without readable IR or meta,
// VIGIL_ERR_UNSUPPORTED if the two DATs' IRs do not have the same files.
common::Result<std::string> make_delta(std::string_view old_dat, std::string_view new_dat,
                                       const dat::Trust& trust, const Labels& labels = {});

// Rebuilds NEW from OLD and a delta. OLD and the delta are opened with `trust` (the delta as
// Kind::kDelta), and so is the result, which carries NEW's own trailer: an untrusted NEW is
// refused even when the delta is trusted. Errors: VIGIL_ERR_INVALID_ARGUMENT (the delta is for
// another base DAT), VIGIL_ERR_VERSION (this machine cannot rebuild NEW byte for byte: other
// Hyperscan or plan version; fetch the full DAT), VIGIL_ERR_CORRUPT (a malformed delta, one that
// removes a line OLD lacks, or a rebuild that does not give NEW), plus those of dat::open.
common::Result<std::string> apply_delta(std::string_view old_dat, std::string_view delta,
                                        const dat::Trust& trust, const Labels& labels = {});

}  // namespace vigil::dattool

#endif  // VIGIL_DAT_TOOL_DELTA_H_
