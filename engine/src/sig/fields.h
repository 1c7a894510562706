// Field splitting and the checks every ClamAV line format shares (numbers, names, the optional
// functionality-level fields), so the per-format parsers hold only what is theirs.
#ifndef VIGIL_SIG_FIELDS_H_
#define VIGIL_SIG_FIELDS_H_

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "sig/signature_set.h"

namespace vigil::sig {

inline std::vector<std::string_view> split_fields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = line.find(sep, start);
    out.push_back(
        line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

template <typename T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// A macro group number, 0 to kMacroGroups - 1, in decimal ("012" is 12, as ClamAV reads it).
inline bool parse_macro_group(std::string_view s, uint8_t& out) {
  uint32_t g = 0;
  if (!parse_number(s, g) || g >= kMacroGroups) return false;
  out = static_cast<uint8_t>(g);
  return true;
}

inline void report(const LineContext& ctx, vigil_diag_code code, vigil_diag_severity sev,
                   std::string_view name, std::string message) {
  ctx.diags->push_back(
      Diagnostic{code, sev, *ctx.file, ctx.line, std::string(name), std::move(message)});
}

inline bool report_error(const LineContext& ctx, std::string_view name, std::string message) {
  report(ctx, VIGIL_DIAG_SYNTAX, VIGIL_SEVERITY_ERROR, name, std::move(message));
  return false;
}

inline bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Checks optional min/max functionality-level fields. Returns false (with a diagnostic) when
// the fields are malformed or exclude this engine.
inline bool check_flevel(const LineContext& ctx, std::string_view name, const std::string_view* min,
                         const std::string_view* max) {
  uint32_t lo = 0, hi = UINT32_MAX;
  if (min && !min->empty() && !parse_number(*min, lo)) {
    return report_error(ctx, name,
                        "invalid minimum functionality level '" + std::string(*min) + "'");
  }
  if (max && !max->empty() && !parse_number(*max, hi)) {
    return report_error(ctx, name,
                        "invalid maximum functionality level '" + std::string(*max) + "'");
  }
  if (kEngineFlevel < lo || kEngineFlevel > hi) {
    report(ctx, VIGIL_DIAG_FLEVEL, VIGIL_SEVERITY_WARNING, name,
           "skipped: requires functionality level " + std::to_string(lo) + "-" +
               (hi == UINT32_MAX ? std::string("") : std::to_string(hi)) + ", engine has " +
               std::to_string(kEngineFlevel));
    return false;
  }
  return true;
}

}  // namespace vigil::sig

#endif  // VIGIL_SIG_FIELDS_H_
