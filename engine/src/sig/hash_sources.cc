// Parses hash-signature lines: .hdb/.hsb detections and .fp/.sfp allowlists share one shape,
// "HASH:SIZE:NAME[:MINFL[:MAXFL]]", and PE section hashes (.mdb/.msb) the same fields with
// size and hash swapped, "SIZE:HASH:NAME[...]". The hash type follows from the digest length
// (32 hex MD5, 40 SHA1, 64 SHA256). SIZE "*" matches any size and, as in ClamAV, must carry
// a minimum functionality level of at least 73.
#include <string>

#include "common/hex.h"
#include "sig/fields.h"
#include "sig/signature_set.h"

namespace vigil::sig {
namespace {

constexpr uint32_t kWildcardSizeFlevel = 73;

bool parse_digest(std::string_view hex, HashSig& out) {
  if (hex.size() == 32) {
    out.type = HashType::kMd5;
  } else if (hex.size() == 40) {
    out.type = HashType::kSha1;
  } else if (hex.size() == 64) {
    out.type = HashType::kSha256;
  } else {
    return false;
  }
  return common::decode_hex(hex, out.digest.data());
}

}  // namespace

namespace {

bool parse_hash_fields(std::string_view line, const LineContext& ctx, HashSig& out,
                       bool size_first) {
  std::vector<std::string_view> f = split_fields(line, ':');
  std::string_view name = f.size() >= 3 ? f[2] : std::string_view();
  if (f.size() < 3 || f.size() > 5) {
    return report_error(ctx, name,
                        std::string(size_first ? "expected SIZE:HASH:NAME[:MINFL[:MAXFL]], got "
                                               : "expected HASH:SIZE:NAME[:MINFL[:MAXFL]], got ") +
                            std::to_string(f.size()) + " fields");
  }
  if (size_first) std::swap(f[0], f[1]);
  if (!valid_name(name)) return report_error(ctx, name, "empty or invalid signature name");
  if (!parse_digest(f[0], out)) {
    return report_error(ctx, name, "hash must be 32 (MD5), 40 (SHA1) or 64 (SHA256) hex digits");
  }
  if (f[1] == "*") {
    out.any_size = true;
    uint32_t level = 0;
    if (f.size() < 4 || !parse_number(f[3], level) || level < kWildcardSizeFlevel) {
      return report_error(ctx, name,
                          "size '*' requires a minimum functionality level field of at least " +
                              std::to_string(kWildcardSizeFlevel));
    }
  } else if (!parse_number(f[1], out.size)) {
    return report_error(ctx, name,
                        std::string(size_first ? "invalid section size '" : "invalid file size '") +
                            std::string(f[1]) + "'");
  }
  if (!check_flevel(ctx, name, f.size() > 3 ? &f[3] : nullptr, f.size() > 4 ? &f[4] : nullptr)) {
    return false;
  }
  out.name.assign(name);
  return true;
}

}  // namespace

bool parse_hash_line(std::string_view line, const LineContext& ctx, HashSig& out) {
  return parse_hash_fields(line, ctx, out, /*size_first=*/false);
}

bool parse_section_hash_line(std::string_view line, const LineContext& ctx, HashSig& out) {
  return parse_hash_fields(line, ctx, out, /*size_first=*/true);
}

}  // namespace vigil::sig
