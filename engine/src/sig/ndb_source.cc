// Parses extended body signatures, "NAME:TARGET:OFFSET:HEX[:MINFL[:MAXFL]]". Target types
// other than 0 (any file) and executable-relative offsets need file-type and executable
// parsing that this engine version lacks, so they are rejected precisely, never ignored.
#include <string>

#include "sig/fields.h"
#include "sig/signature_set.h"

namespace vigil::sig {

bool parse_ndb_line(std::string_view line, const LineContext& ctx, BodySig& out) {
  std::vector<std::string_view> f = split_fields(line, ':');
  std::string_view name = f.empty() ? std::string_view() : f[0];
  if (f.size() < 4 || f.size() > 6) {
    return report_error(ctx, name,
                        "expected NAME:TARGET:OFFSET:HEX[:MINFL[:MAXFL]], got " +
                            std::to_string(f.size()) + " fields");
  }
  if (!valid_name(name)) return report_error(ctx, name, "empty or invalid signature name");
  if (!check_flevel(ctx, name, f.size() > 4 ? &f[4] : nullptr, f.size() > 5 ? &f[5] : nullptr)) {
    return false;
  }
  uint32_t target = 0;
  if (!parse_number(f[1], target)) {
    return report_error(ctx, name, "invalid target type '" + std::string(f[1]) + "'");
  }
  if (target != 0) {
    report(ctx, VIGIL_DIAG_UNSUPPORTED, VIGIL_SEVERITY_ERROR, name,
           "target type " + std::to_string(target) +
               " needs file-type recognition, which this engine version does not have");
    return false;
  }
  auto offset = parse_offset(f[2]);
  if (!offset.is_ok()) {
    bool unsupported = offset.status().code() == VIGIL_ERR_UNSUPPORTED;
    report(ctx, unsupported ? VIGIL_DIAG_UNSUPPORTED : VIGIL_DIAG_SYNTAX, VIGIL_SEVERITY_ERROR,
           name, offset.status().message());
    return false;
  }
  auto pattern = parse_hex_pattern(f[3]);
  if (!pattern.is_ok()) {
    return report_error(ctx, name, "invalid hex pattern: " + pattern.status().message());
  }
  out.name.assign(name);
  out.offset = offset.value();
  out.hex.assign(f[3]);
  out.line = ctx.line;
  return true;
}

}  // namespace vigil::sig
