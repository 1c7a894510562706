// The format module: which ClamAV target type a file is, and where an executable's entry point
// and sections lie in the file, as ClamAV 1.4.6 decides them for target-typed signatures and
// executable-relative offsets (EP+n, Sx+n, SEx, SL+n, EntryPoint:, NumberOfSections:).
// Where ClamAV's documentation is silent the rules follow clamscan itself, probed with synthesized
// files; identify.cc, pe.cc, elf.cc and macho.cc say which rule came from where.
#ifndef VIGIL_FORMAT_FORMAT_H_
#define VIGIL_FORMAT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace vigil::format {

// ClamAV's target type numbers (signature "Target" field).
enum class TargetType : uint8_t {
  kAny = 0,
  kPe = 1,
  kOle2 = 2,
  kHtml = 3,
  kMail = 4,
  kGraphics = 5,
  kElf = 6,
  kAscii = 7,
  kMachO = 9,
  kPdf = 10,
  kFlash = 11,
  kJava = 12
};

// identify() looks at no more than this many leading bytes: ClamAV types a file from its first
// 1024 bytes (clamscan: "%PDF-1." or "<html>" ending at byte 1024 still counts, one byte later
// it does not).
inline constexpr size_t kIdentifyBytes = 1024;

// The file's type as ClamAV's built-in file typing would decide it for matching target-typed
// signatures; kAny when none of the specific types applies (plain binary data). Only
// data[0, min(size, kIdentifyBytes)) is read.
TargetType identify(const uint8_t* data, size_t size);

// Whole-file typing. ClamAV goes on looking for HTML through all of a clean text file (kAscii
// whose leading kIdentifyBytes hold no control bytes), so a page whose first tag comes late is
// still HTML. This is identify() plus that search over data[0, size).
TargetType identify_file(const uint8_t* data, size_t size);

// The same search for a file that arrives in pieces (a stream): feed every piece in order after
// identify() said kAscii and text_is_clean() held for the leading bytes; found() then tells
// whether the file is HTML. Holds at most a few bytes of state; never reads outside a piece.
bool text_is_clean(const uint8_t* data, size_t size);
class HtmlTagFinder {
 public:
  void feed(const uint8_t* data, size_t size);
  bool found() const { return found_; }

 private:
  static constexpr size_t kCarry = 6;  // the longest marker ("<script") minus one
  // Looks at the markers starting at data[from, to) that end within data[0, size); `base` is
  // the stream position of data[0].
  void scan(const uint8_t* data, size_t size, size_t from, size_t to, uint64_t base);
  uint8_t carry_[kCarry] = {};
  size_t carry_len_ = 0;
  uint64_t fed_ = 0;                 // stream bytes seen before the current piece
  uint64_t href_from_ = UINT64_MAX;  // where an href may start: just past the first "<a "
  bool found_ = false;
};

struct Section {
  uint64_t rva;
  uint64_t vsize;
  uint64_t raw_offset;
  uint64_t raw_size;
};

struct ExeInfo {
  TargetType kind = TargetType::kAny;  // kPe, kElf or kMachO
  bool has_ep = false;
  uint64_t ep = 0;  // entry point as a FILE OFFSET (what EP+n is relative to)
  // True when the headers name no entry point ClamAV can use (an ELF without program headers, a
  // Mach-O without a PowerPC thread state): ClamAV then takes file offset 0, and so does ep.
  bool ep_is_default = false;
  std::vector<Section> sections;  // in header order, as ClamAV counts them for Sx / SL /
                                  // NumberOfSections
};

// Most sections accepted in one executable: every section count a PE or ELF header can hold
// (16 bits). A Mach-O may declare more across its segments; parse_executable() refuses it rather
// than allocate for all of them.
inline constexpr size_t kMaxSections = 65535;

// Parses the headers of a PE32/PE32+, ELF32/64 (both endians) or Mach-O (32/64, both endians) at
// data[0, size). A fat/universal Mach-O is not one executable: ClamAV scans each architecture's
// slice as a Mach-O file of its own, with EP and section offsets relative to the slice, and no
// executable offsets at all for the fat file; parse_executable() says VIGIL_ERR_UNSUPPORTED for
// it and macho_fat_slices() lists the slices to parse instead (the scan module descends into
// them as the members of a container of type CL_TYPE_MACHO_UNIBIN).
// Errors (VIGIL_ERR_CORRUPT / VIGIL_ERR_UNSUPPORTED with a message naming the problem) for
// malformed or non-executable input. Never reads out of bounds, loops forever or allocates
// unboundedly (section counts are capped by kMaxSections).
common::Result<ExeInfo> parse_executable(const uint8_t* data, uint64_t size);

// One architecture of a fat/universal Mach-O, as its fat_arch entry places it.
struct FatSlice {
  uint64_t offset;    // where the slice starts in the file (may be at or past its end)
  uint64_t size;      // its bytes in the file: data[offset, offset + size), cut at the file's end
  uint64_t declared;  // the size fat_arch declares; more than `size` when the file ends first
  // The first earlier slice whose bytes this one shares, or -1. clamscan scans both anyway.
  int32_t overlaps = -1;
};

// A fat Mach-O's architecture table, read as far as it is sound.
struct FatLayout {
  std::vector<FatSlice> slices;  // in table order, up to the first unusable entry
  // Empty, or why the table ends before nfat_arch entries: an entry past the end of the file, or
  // one whose slice starts inside the fat header ("Mach-O fat: architecture 1: offset 0x1c is
  // inside the fat header (0x30 bytes)"). clamscan too scans the slices before such an entry and
  // stops there.
  std::string damage;
};

// The slices of a fat Mach-O: magic CAFEBABE and fewer than 0x20 architectures, where identify()
// over the leading kIdentifyBytes says kMachO (HTML and PDF markers win over the weak magic, and
// a Java class is told apart by the count: class versions start at 45). VIGIL_ERR_UNSUPPORTED
// for anything else; a damaged table is not an error but a FatLayout whose `damage` says why.
// Reads only the header and table (at most 8 + 31 * 20 bytes).
common::Result<FatLayout> macho_fat_slices(const uint8_t* data, uint64_t size);

}  // namespace vigil::format

#endif  // VIGIL_FORMAT_FORMAT_H_
