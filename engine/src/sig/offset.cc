// Parses the .ndb offset field into an Offset and resolves offsets against a file. Kept apart
// from the line parsers because .ndb signatures and .ldb subsignatures share the grammar.
#include "sig/offset.h"

#include <string>

#include "sig/fields.h"

namespace vigil::sig {
namespace {

using common::Status;

Status bad(std::string_view text, const std::string& why) {
  return Status(VIGIL_ERR_SIGNATURE, "invalid offset '" + std::string(text) + "': " + why);
}

uint64_t add_clamped(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

}  // namespace

bool Offset::start_range(uint64_t size, const ExeAnchors& exe, uint64_t& lo, uint64_t& hi) const {
  switch (kind) {
    case Kind::kAny:
      lo = 0;
      hi = size;
      return true;
    case Kind::kAbsolute:
      lo = base;
      break;
    case Kind::kFromEnd:
      if (base > size) return false;
      lo = size - base;
      break;
    case Kind::kEntryPoint:
      if (!exe.valid || !exe.has_ep) return false;
      lo = add_clamped(exe.ep, base);
      break;
    case Kind::kEntryPointBack:
      if (!exe.valid || !exe.has_ep || base > exe.ep) return false;
      lo = exe.ep - base;
      break;
    case Kind::kSection:
      if (!exe.valid || section >= exe.count) return false;
      lo = add_clamped(exe.sections[section].offset, base);
      break;
    case Kind::kSectionWhole: {  // a start from the section's first byte to one past its last
      if (!exe.valid || section >= exe.count) return false;
      const SectionSpan& s = exe.sections[section];
      lo = s.offset;
      hi = add_clamped(add_clamped(s.offset, s.size), shift);
      return lo <= size;
    }
    case Kind::kLastSection:
      if (!exe.valid || exe.count == 0) return false;
      lo = add_clamped(exe.sections[exe.count - 1].offset, base);
      break;
  }
  hi = add_clamped(lo, shift);
  return lo <= size;
}

common::Result<Offset> parse_offset(std::string_view text) {
  Offset off;
  if (text == "*") return off;
  std::string_view base = text;
  size_t comma = text.find(',');
  if (comma != std::string_view::npos) {
    base = text.substr(0, comma);
    if (!parse_number(text.substr(comma + 1), off.shift)) return bad(text, "bad maxshift");
  }
  if (base.starts_with("VI") || base.starts_with("$")) {
    return Status(VIGIL_ERR_UNSUPPORTED,
                  "offset '" + std::string(text) +
                      (base[0] == '$' ? "' names a macro group, which only a .ndb signature can "
                                        "join"
                                      : "' needs PE version information, which this engine "
                                        "version does not read"));
  }
  if (base.starts_with("EP+") || base.starts_with("EP-")) {
    off.kind = base[2] == '+' ? Offset::Kind::kEntryPoint : Offset::Kind::kEntryPointBack;
    if (!parse_number(base.substr(3), off.base)) return bad(text, "expected EP+n or EP-n");
    return off;
  }
  if (base.starts_with("SL+")) {
    off.kind = Offset::Kind::kLastSection;
    if (!parse_number(base.substr(3), off.base)) return bad(text, "expected SL+n");
    return off;
  }
  if (base.starts_with("SE")) {
    off.kind = Offset::Kind::kSectionWhole;
    if (!parse_number(base.substr(2), off.section)) return bad(text, "expected SEx");
    return off;
  }
  if (base.size() > 1 && base[0] == 'S' && base[1] >= '0' && base[1] <= '9') {
    off.kind = Offset::Kind::kSection;
    size_t plus = base.find('+');
    if (plus == std::string_view::npos || !parse_number(base.substr(1, plus - 1), off.section) ||
        !parse_number(base.substr(plus + 1), off.base)) {
      return bad(text, "expected Sx+n");
    }
    return off;
  }
  if (base.starts_with("EOF-")) {
    off.kind = Offset::Kind::kFromEnd;
    if (!parse_number(base.substr(4), off.base)) return bad(text, "expected EOF-n");
    return off;
  }
  off.kind = Offset::Kind::kAbsolute;
  if (!parse_number(base, off.base)) return bad(text, "expected *, n, EOF-n or n,maxshift");
  return off;
}

std::string format_offset(const Offset& offset) {
  std::string text;
  switch (offset.kind) {
    case Offset::Kind::kAny:
      return "*";
    case Offset::Kind::kSectionWhole:
      text = "SE";
      text += std::to_string(offset.section);
      if (offset.shift != 0) {
        text += ',';
        text += std::to_string(offset.shift);
      }
      return text;
    case Offset::Kind::kAbsolute:
      break;
    case Offset::Kind::kFromEnd:
      text = "EOF-";
      break;
    case Offset::Kind::kEntryPoint:
      text = "EP+";
      break;
    case Offset::Kind::kEntryPointBack:
      text = "EP-";
      break;
    case Offset::Kind::kSection:
      text = "S";
      text += std::to_string(offset.section);
      text += '+';
      break;
    case Offset::Kind::kLastSection:
      text = "SL+";
      break;
  }
  text += std::to_string(offset.base);
  if (offset.shift != 0) {
    text += ',';
    text += std::to_string(offset.shift);
  }
  return text;
}

}  // namespace vigil::sig
