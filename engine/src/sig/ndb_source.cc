// Parses extended body signatures, "NAME:TARGET:OFFSET:HEX[:MINFL[:MAXFL]]". The target type
// and the offset are kept as they are: the scan types each file once and resolves executable-
// relative offsets against its headers. An offset "$n" makes the signature a member of macro
// group n: it may start anywhere and only feeds .ldb macro subsignatures.
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
  if (!known_target(target)) {
    report(ctx, VIGIL_DIAG_UNSUPPORTED, VIGIL_SEVERITY_ERROR, name,
           "target type " + std::to_string(target) + " is not one this engine knows");
    return false;
  }
  uint8_t group = kNoMacroGroup;
  if (f[2].starts_with("$") && !parse_macro_group(f[2].substr(1), group)) {
    return report_error(ctx, name,
                        "offset '" + std::string(f[2]) +
                            "': a macro group is $n with n from 0 to " +
                            std::to_string(kMacroGroups - 1));
  }
  auto offset = group != kNoMacroGroup ? common::Result<Offset>(Offset{}) : parse_offset(f[2]);
  if (!offset.is_ok()) {
    bool unsupported = offset.status().code() == VIGIL_ERR_UNSUPPORTED;
    report(ctx, unsupported ? VIGIL_DIAG_UNSUPPORTED : VIGIL_DIAG_SYNTAX, VIGIL_SEVERITY_ERROR,
           name, offset.status().message());
    return false;
  }
  if (offset.value().exe_relative() && !executable_target(target)) {
    return report_error(
        ctx, name,
        "offset '" + std::string(f[2]) + "' needs target type 1, 6 or 9 (an executable)");
  }
  auto pattern = parse_hex_pattern(f[3]);
  if (!pattern.is_ok()) {
    return report_error(ctx, name, "invalid hex pattern: " + pattern.status().message());
  }
  out.name.assign(name);
  out.offset = offset.value();
  out.hex.assign(f[3]);
  out.line = ctx.line;
  out.target = static_cast<uint8_t>(target);
  out.macro_group = group;
  // A macro counts from the positions of its group's matches: every one is reported.
  out.max_hits = group != kNoMacroGroup ? uint16_t{kMaxCount + 1} : uint16_t{1};
  return true;
}

}  // namespace vigil::sig
