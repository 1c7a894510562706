// Hex digits: the one decoder (and encoder) the text formats share (hash digests, MD5s in
// ignore lists, body patterns' bytes, key ids), and hex numbers for binary formats' messages.
#ifndef VIGIL_COMMON_HEX_H_
#define VIGIL_COMMON_HEX_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::common {

// 0-15 for a hex digit (either case), -1 otherwise.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes an even-length hex string into hex.size() / 2 bytes at out; false on any bad digit.
inline bool decode_hex(std::string_view hex, uint8_t* out) {
  if (hex.size() % 2 != 0) return false;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_digit_value(hex[i]), lo = hex_digit_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Lowercase hex of data[0, size).
inline std::string encode_hex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

// "0x1c": a number as binary formats' messages quote offsets and sizes.
inline std::string hex_number(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + out;
}

}  // namespace vigil::common

#endif  // VIGIL_COMMON_HEX_H_
