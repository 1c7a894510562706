// Byte-compare subsignatures of logical signatures, "TRIGGER(>>OFFSET#OPTIONS#CMP[,CMP])":
// a number read at a distance from where another subsignature matched, compared with one or
// two constants. The parser and the evaluator live together so the grammar and its meaning
// stay in one place; the layout is fixed because the scan module stores it in DATs as it is.
#ifndef VIGIL_SIG_BYTE_COMPARE_H_
#define VIGIL_SIG_BYTE_COMPARE_H_

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace vigil::sig {

// How the bytes read are a number: hex digits, decimal digits, hex when they start with "0x"
// and decimal otherwise, or the raw bytes of a binary integer.
enum class ByteBase : uint8_t { kHex = 0, kDecimal, kAuto, kRaw, kLast = kRaw };
enum class ByteCmpOp : uint8_t { kLess = 0, kGreater, kEqual, kLast = kEqual };

// Longest reads: ClamAV refuses hex reads over 18 characters and raw reads other than 1, 2, 4
// or 8 bytes; decimal reads it does not bound, this engine bounds at kMaxTextRead. Auto reads
// shorter than kMinAutoRead never match in ClamAV, and are refused here.
inline constexpr uint32_t kMaxHexRead = 18;
inline constexpr uint32_t kMinAutoRead = 3;
inline constexpr uint32_t kMaxTextRead = 4096;

struct ByteCompare {
  uint64_t offset = 0;      // distance from the trigger's match start
  int64_t values[2] = {};   // the comparisons' constants
  uint32_t length = 0;      // bytes read
  uint8_t subsig = 0;       // its own index in the logical signature
  uint8_t trigger = 0;      // the subsignature whose match start it reads from
  uint8_t base = 0;         // ByteBase
  uint8_t little = 0;       // 1: little-endian
  uint8_t exact = 0;        // 1: every byte read must be part of the number
  uint8_t backward = 0;     // 1: "<<", the offset is subtracted
  uint8_t ops[2] = {};      // ByteCmpOp
  uint8_t comparisons = 0;  // 1 or 2; both must hold
  uint8_t reserved[11] = {};
};
static_assert(sizeof(ByteCompare) == 48, "stored in DATs: keep the layout fixed");

// Parses one subsignature of the form above (`index` is its place in the signature; the
// trigger's kind is checked by the caller, which knows the other subsignatures). Errors name
// the part that is wrong.
common::Result<ByteCompare> parse_byte_compare(std::string_view text, uint32_t index,
                                               uint32_t subsigs);

// Checks a ByteCompare read from a file, for a signature of `subsigs` subsignatures.
common::Status validate_byte_compare(const ByteCompare& b, uint32_t subsigs);

// Whether the comparison holds when the trigger matched at `trigger_start` in data[0, size).
// A read that falls outside the data, starts at its first byte (as in ClamAV), or holds no
// number of the kind asked for does not hold.
bool byte_compare_holds(const ByteCompare& b, const uint8_t* data, uint64_t size,
                        uint64_t trigger_start);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_BYTE_COMPARE_H_
