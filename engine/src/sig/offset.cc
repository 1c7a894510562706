// Parses the .ndb offset field into an Offset. Kept apart from the line parser because the
// logical-signature (.ldb) subsignatures use the same offset grammar.
#include "sig/offset.h"

#include <string>

#include "sig/fields.h"

namespace vigil::sig {
namespace {

using common::Status;

Status bad(std::string_view text, const std::string& why) {
  return Status(VIGIL_ERR_SIGNATURE, "invalid offset '" + std::string(text) + "': " + why);
}

}  // namespace

common::Result<Offset> parse_offset(std::string_view text) {
  Offset off;
  if (text == "*") return off;
  std::string_view base = text;
  size_t comma = text.find(',');
  if (comma != std::string_view::npos) {
    base = text.substr(0, comma);
    if (!parse_number(text.substr(comma + 1), off.shift)) return bad(text, "bad maxshift");
  }
  if (base.starts_with("EP") || base.starts_with("SL") || base.starts_with("SE") ||
      (base.size() > 1 && base[0] == 'S' && base[1] >= '0' && base[1] <= '9') ||
      base.starts_with("VI") || base.starts_with("$")) {
    return Status(VIGIL_ERR_UNSUPPORTED, "offset '" + std::string(text) +
                                             "' needs an executable parser, which this engine "
                                             "version does not have");
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
  if (offset.kind == Offset::Kind::kAny) return "*";
  std::string text = offset.kind == Offset::Kind::kFromEnd ? "EOF-" : "";
  text += std::to_string(offset.base);
  if (offset.shift != 0) {
    text += ',';
    text += std::to_string(offset.shift);
  }
  return text;
}

}  // namespace vigil::sig
