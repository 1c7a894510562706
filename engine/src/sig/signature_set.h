// Facade of the sig module: everything a set of signature sources turns into before the
// matcher compiles it. load_sources() reads paths and in-memory sources in ClamAV's formats
// (.hdb .hsb .mdb .msb .ndb .ldb .fp .sfp .ign2, optionally gzip'd), applies ignore lists and
// functionality levels, and reports every problem as a Diagnostic. A logical signature (.ldb)
// becomes a LogicalSig (conditions and expression) plus one BodySig per subsignature form.
#ifndef VIGIL_SIG_SIGNATURE_SET_H_
#define VIGIL_SIG_SIGNATURE_SET_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sig/byte_compare.h"
#include "sig/diagnostic.h"
#include "sig/logical_expr.h"
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

// ClamAV's target types (the .ndb TARGET field, the .ldb Target key).
inline constexpr uint8_t kTargetAny = 0;
inline constexpr uint8_t kTargetPe = 1;
inline constexpr uint8_t kTargetHtml = 3;
inline constexpr uint8_t kTargetAscii = 7;
inline constexpr uint8_t kMaxTarget = 12;
inline constexpr bool known_target(uint32_t t) { return t <= kMaxTarget && t != 8; }
// PE, ELF and Mach-O: the targets whose files have an entry point and sections, the only ones
// executable-relative offsets and the EntryPoint/NumberOfSections conditions may name.
inline constexpr bool executable_target(uint32_t t) { return t == 1 || t == 6 || t == 9; }

// Subsignature modifiers: "::i" (letters match either case), "::w" (each byte followed by 00),
// "::f" (delimited by non-alphanumeric bytes or the input's edges). "::wa" (ASCII and wide)
// is two BodySigs, one with kModWide and one without; "::a" alone is the ASCII form.
inline constexpr uint8_t kModNocase = 1;
inline constexpr uint8_t kModWide = 2;
inline constexpr uint8_t kModFullword = 4;

inline constexpr uint32_t kNotLogical = UINT32_MAX;
// Macro groups ("$n" in a .ndb offset field, "${min-max}n$" in a .ldb): ClamAV allows 32.
inline constexpr uint32_t kMacroGroups = 32;
inline constexpr uint8_t kNoMacroGroup = UINT8_MAX;

// The pattern is kept as its validated hex text (2 bytes a pattern byte, against ~40 for a
// parsed node): a 100k-signature set stays small until the matcher parses each pattern in
// turn while planning it.
struct BodySig {
  std::string name;
  std::string hex;
  Offset offset;
  uint32_t file_index = 0;  // into SignatureSet::files
  uint32_t line = 0;
  uint8_t target = kTargetAny;
  uint8_t modifiers = 0;
  uint8_t subsig = 0;              // its index in the logical signature
  uint16_t max_hits = 1;           // occurrences its logical expression can count
  uint32_t logical = kNotLogical;  // index into SignatureSet::logical, or a plain signature
  // A .ndb signature whose offset is "$n" is a member of macro group n: it is never reported
  // itself, its matches feed the macro subsignatures naming the group.
  uint8_t macro_group = kNoMacroGroup;
  bool counted() const { return logical != kNotLogical || macro_group != kNoMacroGroup; }
};

// ClamAV container types a logical signature's "Container" condition can name. Codes are
// stored in DATs: append only.
enum class ContainerType : uint8_t {
  kNone = 0,  // no condition
  kAny,
  kZip,
  kRar,
  k7z,
  kGzip,
  kBzip2,
  kXz,
  kTar,
  kCpio,
  kCab,
  kArj,
  kIso9660,
  kMail,
  kMsOle2,
  kPdf,
  kOoxmlWord,
  kOoxmlPpt,
  kOoxmlXl,
  kAutoit,
  kNsis,
  kChm,
  kSwf,
  kHtml,
  kXar,
  kDmg,
  // The slices of a fat/universal Mach-O are scanned inside a CL_TYPE_MACHO_UNIBIN container
  // (clamscan: Container:CL_TYPE_MACHO_UNIBIN matches in a slice, CL_TYPE_ANY does not).
  kMachoUnibin,
  kLast = kMachoUnibin,
};
// kNone for a name this engine does not know.
ContainerType container_type(std::string_view cl_type_name);
// The most layers an "Intermediates" condition can list (ClamAV's limit).
inline constexpr size_t kMaxIntermediates = 16;

// An inclusive range condition of a logical signature's target description.
struct Range {
  uint64_t lo = 0;
  uint64_t hi = UINT64_MAX;
  bool contains(uint64_t v) const { return v >= lo && v <= hi; }
};

// A PCRE subsignature, "[OFFSET:]TRIGGER/REGEX/FLAGS": the regex runs only when the trigger
// expression holds over the other subsignatures; its matches count as the subsignature's.
struct PcreSubsig {
  uint8_t subsig = 0;
  uint16_t max_hits = 1;
  Program trigger;
  Offset offset;
  std::string pattern;  // between the slashes, as written
  std::string flags;
};

// A macro subsignature, "${MIN-MAX}GROUP$": it counts where a member of the macro group starts
// MIN to MAX bytes (inclusive) after a match of the subsignature before it, a pattern
// subsignature; see scan/logical.h for the exact rule clamscan follows.
struct MacroSubsig {
  uint8_t subsig = 0;
  uint8_t group = 0;
  uint32_t min = 0;
  uint32_t max = 0;
};

// A logical signature: its conditions and expression. Its pattern subsignatures are the
// BodySigs whose `logical` is its index; its PCRE and byte-compare subsignatures are listed
// here, as are its macro subsignatures. A byte compare's trigger, and the subsignature before a
// macro, are pattern subsignatures.
struct LogicalSig {
  std::string name;
  std::string text;  // the source line as read, for a DAT's IR
  uint8_t target = kTargetAny;
  uint8_t subsigs = 0;  // subsignature count
  ContainerType container = ContainerType::kNone;
  // "Intermediates": the innermost containers holding the input, outermost first, each a type
  // or kAny for any one; empty for no condition.
  std::vector<ContainerType> intermediates;
  bool has_file_size = false;
  bool has_entry_point = false;
  bool has_sections = false;
  Range file_size;
  Range entry_point;
  Range sections;
  Program program;
  std::vector<PcreSubsig> pcres;           // in subsignature order
  std::vector<ByteCompare> byte_compares;  // in subsignature order
  std::vector<MacroSubsig> macros;         // in subsignature order
  uint32_t file_index = 0;
  uint32_t line = 0;
};

struct SignatureSet {
  std::vector<std::string> files;
  std::vector<BodySig> body;
  std::vector<LogicalSig> logical;
  std::vector<HashSig> hashes;
  std::vector<HashSig> section_hashes;  // .mdb/.msb: a PE section's raw data, by its size
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
bool parse_section_hash_line(std::string_view line, const LineContext& ctx, HashSig& out);
bool parse_ndb_line(std::string_view line, const LineContext& ctx, BodySig& out);
// A .ldb line: the signature and its subsignatures' body forms (in subsignature order; an
// "::a" subsignature gives two).
bool parse_ldb_line(std::string_view line, const LineContext& ctx, LogicalSig& out,
                    std::vector<BodySig>& subsigs);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_SIGNATURE_SET_H_
