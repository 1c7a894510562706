// Encoding of the meta record and the source IR. Canonical lines are exactly what the source
// parsers read back, so rebuilding from the IR goes through the same loader as any source;
// sorting the set by those lines is what makes a build independent of source order.
#include "scan/dat_sections.h"

#include <algorithm>
#include <numeric>

#include "common/byte_io.h"
#include "common/hex.h"

namespace vigil::scan {
namespace {

constexpr uint32_t kWildcardSizeFlevel = 73;  // a "*" size needs this minimum level
constexpr const char* kIrNames[] = {"ir.ndb", "ir.hdb", "ir.hsb", "ir.fp",
                                    "ir.sfp", "ir.ldb", "ir.mdb", "ir.msb"};

// Reorders v by the keys' order (stable for equal keys), returns the sorted keys, and fills
// `moved_to` (if given) with each old index's new one.
template <typename T>
std::vector<std::string> sort_by_lines(std::vector<T>& v, std::vector<std::string> lines,
                                       std::vector<uint32_t>* moved_to = nullptr) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&lines](size_t a, size_t b) { return lines[a] < lines[b]; });
  std::vector<T> sorted;
  std::vector<std::string> sorted_lines;
  sorted.reserve(v.size());
  sorted_lines.reserve(v.size());
  if (moved_to != nullptr) moved_to->assign(v.size(), 0);
  for (size_t i : order) {
    if (moved_to != nullptr) (*moved_to)[i] = static_cast<uint32_t>(sorted.size());
    sorted.push_back(std::move(v[i]));
    sorted_lines.push_back(std::move(lines[i]));
  }
  v = std::move(sorted);
  return sorted_lines;
}

template <typename T>
std::vector<std::string> sort_by_lines(std::vector<T>& v) {
  std::vector<std::string> lines;
  lines.reserve(v.size());
  for (const T& x : v) lines.push_back(ir_line(x));
  return sort_by_lines(v, std::move(lines));
}

void append_hash_lines(std::string& out, const std::vector<std::string>& lines,
                       const std::vector<sig::HashSig>& sigs, bool md5) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if ((sigs[i].type == sig::HashType::kMd5) != md5) continue;
    out += lines[i];
    out += '\n';
  }
}

}  // namespace

std::string encode_meta(const DatMeta& m) {
  common::ByteWriter w;
  w.u32(m.plan_version);
  w.u32(m.flevel);
  w.u64(m.body_signatures);
  w.u64(m.hash_signatures);
  w.u64(m.allowlist_entries);
  w.u64(m.ignored_signatures);
  w.u64(m.fragments);
  w.u64(m.hs_cpu_features);
  w.u32(m.hs_tune);
  w.blob(m.hs_version);
  return w.take();
}

common::Result<DatMeta> decode_meta(std::string_view bytes) {
  DatMeta m;
  common::ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "meta");
  std::string_view hs;
  r.u32(m.plan_version, "plan version");
  r.u32(m.flevel, "functionality level");
  r.u64(m.body_signatures, "body signatures");
  r.u64(m.hash_signatures, "hash signatures");
  r.u64(m.allowlist_entries, "allowlist entries");
  r.u64(m.ignored_signatures, "ignored signatures");
  r.u64(m.fragments, "fragments");
  r.u64(m.hs_cpu_features, "database CPU features");
  r.u32(m.hs_tune, "database tuning");
  r.blob(hs, "Hyperscan version");
  if (r.ok() && hs.size() > 256) r.fail("Hyperscan version", "too long");
  if (r.ok() && !r.at_end()) r.fail("end", "trailing bytes");
  if (!r.ok()) return r.status();
  m.hs_version.assign(hs);
  return m;
}

std::string ir_line(const sig::BodySig& s) {
  std::string line = s.name;
  line += ':';
  line += std::to_string(s.target);
  line += ':';
  // A macro group member's offset is its group: "$n" (it may start anywhere).
  line += s.macro_group != sig::kNoMacroGroup ? "$" + std::to_string(s.macro_group)
                                              : sig::format_offset(s.offset);
  line += ':';
  line += s.hex;
  return line;
}

std::string ir_line(const sig::HashSig& s) {
  std::string line = common::encode_hex(s.digest.data(), sig::digest_size(s.type)) + ":";
  line += s.any_size ? "*" : std::to_string(s.size);
  line += ":" + s.name;
  if (s.any_size) line += ":" + std::to_string(kWildcardSizeFlevel);
  return line;
}

std::string ir_section_line(const sig::HashSig& s) {
  std::string line = s.any_size ? "*" : std::to_string(s.size);
  line += ":" + common::encode_hex(s.digest.data(), sig::digest_size(s.type));
  line += ":" + s.name;
  if (s.any_size) line += ":" + std::to_string(kWildcardSizeFlevel);
  return line;
}

CanonicalSet canonicalize(sig::SignatureSet& set) {
  CanonicalSet lines;
  std::vector<std::string> texts;
  for (const sig::LogicalSig& l : set.logical) texts.push_back(l.text);
  std::vector<uint32_t> moved;
  lines.logical = sort_by_lines(set.logical, std::move(texts), &moved);
  // A subsignature sorts by its signature's text and its place there, after every plain
  // signature (a line starts with its name, and 0xFF never occurs in UTF-8 text).
  std::vector<std::string> keys;
  for (sig::BodySig& b : set.body) {
    if (b.logical == sig::kNotLogical) {
      keys.push_back(ir_line(b));
      continue;
    }
    b.logical = moved[b.logical];
    std::string key = "\xff\xff" + lines.logical[b.logical];
    key += '\0';
    key += static_cast<char>(b.subsig);
    key += static_cast<char>(b.modifiers);
    keys.push_back(std::move(key));
  }
  lines.body = sort_by_lines(set.body, std::move(keys));
  lines.hashes = sort_by_lines(set.hashes);
  lines.allow = sort_by_lines(set.allow);
  std::vector<std::string> section_lines;
  for (const sig::HashSig& h : set.section_hashes) section_lines.push_back(ir_section_line(h));
  lines.sections = sort_by_lines(set.section_hashes, std::move(section_lines));
  return lines;
}

SourceIr make_ir(const CanonicalSet& lines, const sig::SignatureSet& set,
                 const std::vector<uint32_t>& kept_body,
                 const std::vector<uint32_t>& kept_logical) {
  SourceIr ir;
  for (const char* name : kIrNames) ir.files.push_back(sig::Source{name, true, {}});
  for (uint32_t i : kept_body) {
    if (set.body[i].logical != sig::kNotLogical) continue;  // in its signature's line
    ir.files[0].bytes += lines.body[i];
    ir.files[0].bytes += '\n';
  }
  for (uint32_t i : kept_logical) {
    ir.files[5].bytes += lines.logical[i];
    ir.files[5].bytes += '\n';
  }
  append_hash_lines(ir.files[1].bytes, lines.hashes, set.hashes, true);
  append_hash_lines(ir.files[2].bytes, lines.hashes, set.hashes, false);
  append_hash_lines(ir.files[3].bytes, lines.allow, set.allow, true);
  append_hash_lines(ir.files[4].bytes, lines.allow, set.allow, false);
  append_hash_lines(ir.files[6].bytes, lines.sections, set.section_hashes, true);
  append_hash_lines(ir.files[7].bytes, lines.sections, set.section_hashes, false);
  return ir;
}

std::string encode_ir(const SourceIr& ir) {
  common::ByteWriter w;
  w.u32(static_cast<uint32_t>(ir.files.size()));
  for (const sig::Source& f : ir.files) {
    w.blob(f.name);
    w.blob(f.bytes);
  }
  return w.take();
}

common::Result<SourceIr> decode_ir(std::string_view bytes) {
  common::ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                       "signature sources");
  uint32_t count = 0;
  r.u32(count, "file count");
  if (r.ok() && count > kMaxIrFiles) r.fail("file count", "too many files");
  SourceIr ir;
  for (uint32_t i = 0; r.ok() && i < count; ++i) {
    std::string_view name, text;
    r.blob(name, "file name");
    r.blob(text, "file text");
    if (!r.ok()) break;
    if (std::find(std::begin(kIrNames), std::end(kIrNames), name) == std::end(kIrNames)) {
      r.fail("file name", "unexpected '" + std::string(name.substr(0, 64)) + "'");
      break;
    }
    ir.files.push_back(sig::Source{std::string(name), true, std::string(text)});
  }
  if (r.ok() && !r.at_end()) r.fail("end", "trailing bytes");
  if (!r.ok()) return r.status();
  return ir;
}

common::Result<std::string_view> require_section(const dat::DatView& view, dat::SectionType type) {
  const dat::Section* s = view.find(type);
  if (s == nullptr) {
    return common::Status(
        VIGIL_ERR_CORRUPT,
        "DAT has no " + std::string(dat::section_name(static_cast<uint32_t>(type))) + " section");
  }
  return s->bytes;
}

}  // namespace vigil::scan
