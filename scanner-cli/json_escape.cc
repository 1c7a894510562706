// Escapes byte strings for JSON output. File names need not be UTF-8, and a JSON document must
// be, so each byte is either part of a well-formed UTF-8 sequence (copied as is) or mapped to
// the code point of the same value (\u00XX). The mapping is lossy for bytes that happen to look
// like Latin-1, which is acceptable: the text output carries the raw bytes.
#include "json_escape.h"

#include <cstdint>
#include <cstdio>

namespace vigil::cli {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none (stray
// continuation byte, truncated sequence, overlong form, surrogate, or beyond U+10FFFF).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t lead = byte(i);
  size_t length;
  uint8_t min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

void append_u00(std::string* out, uint8_t c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04x", c);
  out->append(buf);
}

}  // namespace

void append_json_string(std::string* out, std::string_view bytes) {
  out->push_back('"');
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t c = static_cast<uint8_t>(bytes[i]);
    if (c >= 0x80) {
      size_t length = utf8_sequence_length(bytes, i);
      if (length == 0) {
        append_u00(out, c);
        ++i;
      } else {
        out->append(bytes.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          append_u00(out, c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace vigil::cli
