// Where a body signature may start: anywhere ("*"), at an absolute offset ("n"), relative to
// the end ("EOF-n"), to an executable's entry point ("EP+n", "EP-n"), to the start of its
// section x ("Sx+n") or of its last section ("SL+n"), or anywhere inside section x ("SEx");
// all but "*" and "SEx" may float over a window (",maxshift"). Executable-relative offsets are
// resolved against the anchors the scan finds in the file's headers; without them they never
// allow a match.
#ifndef VIGIL_SIG_OFFSET_H_
#define VIGIL_SIG_OFFSET_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::sig {

// A section of an executable as its file holds it.
struct SectionSpan {
  uint64_t offset = 0;  // raw (file) offset
  uint64_t size = 0;    // raw size
};

// What executable-relative offsets are resolved against: the entry point as a file offset and
// the sections in header order. `valid` is false for a file that is not a parsed executable.
struct ExeAnchors {
  bool valid = false;
  bool has_ep = false;
  uint64_t ep = 0;
  const SectionSpan* sections = nullptr;
  uint32_t count = 0;
};

struct Offset {
  enum class Kind : uint8_t {
    kAny,
    kAbsolute,
    kFromEnd,
    kEntryPoint,      // EP+n
    kEntryPointBack,  // EP-n
    kSection,         // Sx+n (x in `section`)
    kSectionWhole,    // SEx: anywhere in section x
    kLastSection,     // SL+n
  };
  static constexpr uint8_t kLastKind = static_cast<uint8_t>(Kind::kLastSection);
  Kind kind = Kind::kAny;
  uint64_t base = 0;     // n, or n of EOF-n / EP±n / Sx+n / SL+n
  uint64_t shift = 0;    // start may float over [base, base + shift]
  uint32_t section = 0;  // x of Sx+n and SEx

  bool exe_relative() const { return kind >= Kind::kEntryPoint; }

  // The allowed start range for a file of `size` bytes; false if none.
  bool start_range(uint64_t size, const ExeAnchors& exe, uint64_t& lo, uint64_t& hi) const;
  bool start_range(uint64_t size, uint64_t& lo, uint64_t& hi) const {
    return start_range(size, ExeAnchors{}, lo, hi);
  }
  bool allows(uint64_t start, uint64_t size, const ExeAnchors& exe = ExeAnchors{}) const {
    uint64_t lo, hi;
    return start_range(size, exe, lo, hi) && start >= lo && start <= hi;
  }
};

// Parses the .ndb / .ldb offset field. VIGIL_ERR_UNSUPPORTED for the forms this engine does
// not resolve (VI; $n macro groups, which only .ndb signatures join, see ndb_source.cc),
// VIGIL_ERR_SIGNATURE for malformed text; the message says which.
common::Result<Offset> parse_offset(std::string_view text);

// The canonical text of an offset, which parse_offset reads back.
std::string format_offset(const Offset& offset);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_OFFSET_H_
