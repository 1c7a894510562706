// Where a body signature may start: anywhere ("*"), at an absolute offset ("n"), relative to
// the end ("EOF-n"), each optionally floating over a window (",maxshift"). Executable-relative
// forms (EP, Sx, SEx, SL) are recognised so they can be rejected precisely.
#ifndef VIGIL_SIG_OFFSET_H_
#define VIGIL_SIG_OFFSET_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::sig {

struct Offset {
  enum class Kind : uint8_t { kAny, kAbsolute, kFromEnd };
  Kind kind = Kind::kAny;
  uint64_t base = 0;   // n, or n of EOF-n
  uint64_t shift = 0;  // start may float over [base, base + shift]

  // The allowed start range for a file of `size` bytes; false if none.
  bool start_range(uint64_t size, uint64_t& lo, uint64_t& hi) const {
    if (kind == Kind::kAny) {
      lo = 0;
      hi = size;
      return true;
    }
    if (kind == Kind::kAbsolute) {
      lo = base;
    } else {
      if (base > size) return false;
      lo = size - base;
    }
    hi = (shift > UINT64_MAX - lo) ? UINT64_MAX : lo + shift;
    return lo <= size;
  }
  bool allows(uint64_t start, uint64_t size) const {
    uint64_t lo, hi;
    return start_range(size, lo, hi) && start >= lo && start <= hi;
  }
};

// Parses the .ndb offset field. VIGIL_ERR_UNSUPPORTED for executable-relative forms,
// VIGIL_ERR_SIGNATURE for malformed text; the message says which.
common::Result<Offset> parse_offset(std::string_view text);

// The canonical text of an offset, which parse_offset reads back: "*", "n", "EOF-n", ",shift".
std::string format_offset(const Offset& offset);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_OFFSET_H_
