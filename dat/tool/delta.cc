// DAT diffs and deltas, on the source IR. A delta is the per-file multiset difference of IR
// lines plus NEW's header fields, build target and trailer; applying it rebuilds NEW's IR,
// compiles it with the one DAT builder and checks that the result has NEW's id and signature.
// Nothing of NEW's compiled sections travels, so a delta grows with the change, not the DAT,
// and a rebuilt file that is not byte-identical to NEW is refused, never installed.
#include "delta.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/byte_io.h"
#include "common/hex.h"
#include "match/hs_database.h"
#include "scan/engine_dat.h"
#include "sig/signature_set.h"

namespace vigil::dattool {
namespace {

using common::Status;
using dat::SectionType;
using Lines = std::vector<std::string_view>;

constexpr size_t kMaxFileName = 64;
constexpr size_t kMaxHsVersion = 256;

Status with_label(const std::string& label, const Status& st) {
  return Status(st.code(), label + ": " + st.message());
}

std::string short_id(const dat::DatId& id) { return common::encode_hex(id.data(), 8); }

SigKind kind_of(std::string_view file) {
  if (file.ends_with(".ndb")) return SigKind::kBody;
  if (file.ends_with(".ldb")) return SigKind::kLogical;
  if (file.ends_with(".fp") || file.ends_with(".sfp")) return SigKind::kAllow;
  return SigKind::kHash;
}

// The lines of an IR file, without their '\n', sorted.
Lines sorted_lines(std::string_view text) {
  Lines out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Lines minus(const Lines& a, const Lines& b) {
  Lines out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

const sig::Source* find_file(const scan::SourceIr& ir, std::string_view name) {
  for (const sig::Source& f : ir.files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

common::Result<dat::DatView> open_as(std::string_view bytes, dat::Trust trust, dat::Kind kind,
                                     const std::string& label) {
  trust.kind = kind;
  auto view = dat::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), trust);
  if (!view.is_ok()) return with_label(label, view.status());
  return view;
}

common::Result<scan::SourceIr> read_ir(const dat::DatView& view, const std::string& label) {
  auto bytes = scan::require_section(view, SectionType::kSourceIr);
  if (!bytes.is_ok()) return with_label(label, bytes.status());
  auto ir = scan::decode_ir(bytes.value());
  if (!ir.is_ok()) return with_label(label, ir.status());
  return ir;
}

common::Result<scan::DatMeta> read_meta(const dat::DatView& view, const std::string& label) {
  auto bytes = scan::require_section(view, SectionType::kMeta);
  if (!bytes.is_ok()) return with_label(label, bytes.status());
  auto meta = scan::decode_meta(bytes.value());
  if (!meta.is_ok()) return with_label(label, meta.status());
  return meta;
}

// Lines of each (name, kind), sorted, so that two groups compare as multisets.
using Groups = std::map<std::pair<std::string_view, SigKind>, Lines>;

Groups group_by_name(const scan::SourceIr& ir) {
  Groups groups;
  for (const sig::Source& f : ir.files) {
    const SigKind kind = kind_of(f.name);
    for (std::string_view line : sorted_lines(f.bytes)) {
      groups[{signature_name(f.name, line), kind}].push_back(line);
    }
  }
  for (auto& [key, lines] : groups) std::sort(lines.begin(), lines.end());
  return groups;
}

std::string encode_base(const DeltaBase& b) {
  common::ByteWriter w;
  w.u32(kDeltaFormat);
  w.bytes(b.base_id.data(), b.base_id.size());
  w.u64(b.base_version);
  w.bytes(b.new_id.data(), b.new_id.size());
  w.u64(b.new_version);
  w.u64(b.new_created);
  w.u32(b.new_min_engine_version);
  w.u64(b.new_file_size);
  w.u32(b.plan_version);
  w.u64(b.ignored_signatures);
  w.u64(b.hs_cpu_features);
  w.u32(b.hs_tune);
  w.blob(b.hs_version);
  w.bytes(b.new_trailer.data(), b.new_trailer.size());
  return w.take();
}

template <size_t N>
void read_fixed(common::ByteReader& r, std::array<uint8_t, N>& out, const char* field) {
  const uint8_t* p = nullptr;
  if (r.bytes(N, p, field)) std::copy_n(p, N, out.data());
}

common::Result<DeltaBase> decode_base(std::string_view bytes) {
  common::ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "delta base");
  DeltaBase b;
  uint32_t format = 0;
  std::string_view hs;
  if (r.u32(format, "format") && format != kDeltaFormat) {
    return Status(VIGIL_ERR_VERSION, "delta format " + std::to_string(format) +
                                         " (this tool reads format " +
                                         std::to_string(kDeltaFormat) + ")");
  }
  read_fixed(r, b.base_id, "base id");
  r.u64(b.base_version, "base version");
  read_fixed(r, b.new_id, "new id");
  r.u64(b.new_version, "new version");
  r.u64(b.new_created, "new creation time");
  r.u32(b.new_min_engine_version, "new minimum engine version");
  r.u64(b.new_file_size, "new file size");
  r.u32(b.plan_version, "plan version");
  r.u64(b.ignored_signatures, "ignored signatures");
  r.u64(b.hs_cpu_features, "database CPU features");
  r.u32(b.hs_tune, "database tuning");
  if (r.blob(hs, "Hyperscan version") && hs.size() > kMaxHsVersion) {
    r.fail("Hyperscan version", "too long");
  }
  read_fixed(r, b.new_trailer, "new trailer");
  if (r.ok() && !r.at_end()) r.fail("end", "trailing bytes");
  if (!r.ok()) return r.status();
  b.hs_version.assign(hs);
  return b;
}

template <typename LineList>
void write_lines(common::ByteWriter& w, const LineList& lines) {
  w.u64(lines.size());
  for (std::string_view line : lines) w.blob(line);
}

bool read_lines(common::ByteReader& r, std::vector<std::string>& out, const char* field) {
  uint64_t n = 0;
  if (!r.u64(n, field)) return false;
  if (n > r.remaining() / 8) return r.fail(field, "line count exceeds the bytes left");
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view line;
    if (!r.blob(line, field)) return false;
    if (line.empty() || line.find('\n') != std::string_view::npos) {
      return r.fail(field, "empty line or line with a line break");
    }
    out.emplace_back(line);
  }
  return true;
}

common::Result<std::vector<FileChange>> decode_changes(std::string_view bytes) {
  common::ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                       "delta changes");
  uint32_t count = 0;
  if (r.u32(count, "file count") && count > scan::kMaxIrFiles)
    r.fail("file count", "too many files");
  std::vector<FileChange> files;
  for (uint32_t i = 0; r.ok() && i < count; ++i) {
    FileChange f;
    std::string_view name;
    if (!r.blob(name, "file name")) break;
    if (name.empty() || name.size() > kMaxFileName) {
      r.fail("file name", "empty or too long");
      break;
    }
    f.name.assign(name);
    for (const FileChange& seen : files) {
      if (seen.name == f.name) r.fail("file name", "'" + f.name + "' listed twice");
    }
    if (!read_lines(r, f.removed, "removed lines") || !read_lines(r, f.added, "added lines")) {
      break;
    }
    files.push_back(std::move(f));
  }
  if (r.ok() && !r.at_end()) r.fail("end", "trailing bytes");
  if (!r.ok()) return r.status();
  return files;
}

// OLD's file with the change applied, as IR text (sorted lines, each ending in '\n').
common::Result<std::string> patch_file(std::string_view old_text, const FileChange& change) {
  Lines old_lines = sorted_lines(old_text);
  Lines removed(change.removed.begin(), change.removed.end());
  Lines added(change.added.begin(), change.added.end());
  std::sort(removed.begin(), removed.end());
  std::sort(added.begin(), added.end());
  Lines kept = minus(old_lines, removed);
  if (kept.size() + removed.size() != old_lines.size()) {
    Lines missing = minus(removed, old_lines);
    return Status(VIGIL_ERR_CORRUPT, change.name +
                                         ": removes a line the base DAT does not have: '" +
                                         std::string(missing.front().substr(0, 120)) + "'");
  }
  Lines merged;
  merged.reserve(kept.size() + added.size());
  std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(merged));
  std::string text;
  for (std::string_view line : merged) {
    text += line;
    text += '\n';
  }
  return text;
}

}  // namespace

std::string_view kind_name(SigKind kind) {
  constexpr std::string_view kNames[] = {"body", "hash", "allowlist", "logical"};
  return kNames[static_cast<size_t>(kind)];
}

std::string_view signature_name(std::string_view file, std::string_view line) {
  if (kind_of(file) == SigKind::kLogical) return line.substr(0, line.find(';'));
  size_t skip = kind_of(file) == SigKind::kBody ? 0 : 2;  // fields before the name
  size_t start = 0;
  for (; skip > 0; --skip) {
    size_t colon = line.find(':', start);
    if (colon == std::string_view::npos) return {};
    start = colon + 1;
  }
  return line.substr(start, line.find(':', start) - start);
}

IrDiff diff_ir(const scan::SourceIr& old_ir, const scan::SourceIr& new_ir) {
  Groups before = group_by_name(old_ir);
  Groups after = group_by_name(new_ir);
  IrDiff diff;
  auto change = [](const Groups::value_type& g) {
    return SigChange{std::string(g.first.first), g.first.second};
  };
  auto a = before.begin();
  auto b = after.begin();
  while (a != before.end() || b != after.end()) {
    if (b == after.end() || (a != before.end() && a->first < b->first)) {
      diff.removed.push_back(change(*a++));
    } else if (a == before.end() || b->first < a->first) {
      diff.added.push_back(change(*b++));
    } else {
      if (a->second != b->second) diff.changed.push_back(change(*b));
      ++a;
      ++b;
    }
  }
  return diff;
}

common::Result<IrDiff> diff_dats(const dat::DatView& old_dat, const dat::DatView& new_dat,
                                 const Labels& labels) {
  auto before = read_ir(old_dat, labels.old_dat);
  if (!before.is_ok()) return before.status();
  auto after = read_ir(new_dat, labels.new_dat);
  if (!after.is_ok()) return after.status();
  return diff_ir(before.value(), after.value());
}

common::Result<DeltaContents> read_delta(const dat::DatView& delta) {
  auto base_bytes = scan::require_section(delta, SectionType::kDeltaBase);
  if (!base_bytes.is_ok()) return base_bytes.status();
  auto change_bytes = scan::require_section(delta, SectionType::kDeltaChanges);
  if (!change_bytes.is_ok()) return change_bytes.status();
  auto base = decode_base(base_bytes.value());
  if (!base.is_ok()) return base.status();
  auto files = decode_changes(change_bytes.value());
  if (!files.is_ok()) return files.status();
  return DeltaContents{base.take(), files.take()};
}

common::Result<std::string> make_delta(std::string_view old_dat, std::string_view new_dat,
                                       const dat::Trust& trust, const Labels& labels) {
  auto old_view = open_as(old_dat, trust, dat::Kind::kDat, labels.old_dat);
  if (!old_view.is_ok()) return old_view.status();
  auto new_view = open_as(new_dat, trust, dat::Kind::kDat, labels.new_dat);
  if (!new_view.is_ok()) return new_view.status();
  auto old_ir = read_ir(old_view.value(), labels.old_dat);
  if (!old_ir.is_ok()) return old_ir.status();
  auto new_ir = read_ir(new_view.value(), labels.new_dat);
  if (!new_ir.is_ok()) return new_ir.status();
  auto meta = read_meta(new_view.value(), labels.new_dat);
  if (!meta.is_ok()) return meta.status();

  const dat::Header& nh = new_view.value().header;
  DeltaBase b;
  b.base_id = old_view.value().id;
  b.base_version = old_view.value().header.dat_version;
  b.new_id = new_view.value().id;
  b.new_version = nh.dat_version;
  b.new_created = nh.created;
  b.new_min_engine_version = nh.min_engine_version;
  b.new_file_size = new_dat.size();
  b.plan_version = meta.value().plan_version;
  b.ignored_signatures = meta.value().ignored_signatures;
  b.hs_cpu_features = meta.value().hs_cpu_features;
  b.hs_tune = meta.value().hs_tune;
  b.hs_version = meta.value().hs_version;
  std::string_view trailer = dat::trailer(new_dat);
  std::copy(trailer.begin(), trailer.end(), b.new_trailer.begin());

  // Per file, OLD - NEW and NEW - OLD. Every DAT has the same IR files (scan::make_ir).
  DeltaContents delta{b, {}};
  for (const sig::Source& after : new_ir.value().files) {
    const sig::Source* before = find_file(old_ir.value(), after.name);
    if (before == nullptr || old_ir.value().files.size() != new_ir.value().files.size()) {
      return Status(VIGIL_ERR_UNSUPPORTED, labels.old_dat + " and " + labels.new_dat +
                                               " do not have the same signature source files");
    }
    Lines old_lines = sorted_lines(before->bytes);
    Lines new_lines = sorted_lines(after.bytes);
    Lines removed = minus(old_lines, new_lines), added = minus(new_lines, old_lines);
    delta.files.push_back(
        FileChange{after.name, {removed.begin(), removed.end()}, {added.begin(), added.end()}});
  }
  return encode_delta(delta);
}

std::string encode_delta(const DeltaContents& d) {
  common::ByteWriter changes;
  changes.u32(static_cast<uint32_t>(d.files.size()));
  for (const FileChange& f : d.files) {
    changes.blob(f.name);
    write_lines(changes, f.removed);
    write_lines(changes, f.added);
  }
  dat::Header header{.kind = dat::Kind::kDelta,
                     .dat_version = d.base.new_version,
                     .created = d.base.new_created,
                     .min_engine_version = d.base.new_min_engine_version};
  return dat::assemble(header, {{SectionType::kDeltaBase, encode_base(d.base)},
                                {SectionType::kDeltaChanges, changes.take()}});
}

common::Result<std::string> apply_delta(std::string_view old_dat, std::string_view delta,
                                        const dat::Trust& trust, const Labels& labels) {
  auto old_view = open_as(old_dat, trust, dat::Kind::kDat, labels.old_dat);
  if (!old_view.is_ok()) return old_view.status();
  auto delta_view = open_as(delta, trust, dat::Kind::kDelta, labels.delta);
  if (!delta_view.is_ok()) return delta_view.status();
  auto contents = read_delta(delta_view.value());
  if (!contents.is_ok()) return with_label(labels.delta, contents.status());
  const DeltaBase& b = contents.value().base;
  const dat::DatView& ov = old_view.value();

  if (b.base_id != ov.id || b.base_version != ov.header.dat_version) {
    return Status(VIGIL_ERR_INVALID_ARGUMENT,
                  labels.delta + ": applies to DAT version " + std::to_string(b.base_version) +
                      " (id " + short_id(b.base_id) + "...), but " + labels.old_dat +
                      " is version " + std::to_string(ov.header.dat_version) + " (id " +
                      short_id(ov.id) + "...)");
  }
  const std::string hs_here = match::hyperscan_version();
  if (b.hs_version != hs_here || b.plan_version != scan::kPlanVersion) {
    return Status(VIGIL_ERR_VERSION,
                  labels.delta + ": the new DAT was built with Hyperscan " + b.hs_version +
                      " and plan version " + std::to_string(b.plan_version) + ", this tool has " +
                      hs_here + " and plan version " + std::to_string(scan::kPlanVersion) +
                      ": the rebuilt DAT could not be byte-identical; fetch the full DAT");
  }

  auto ir = read_ir(ov, labels.old_dat);
  if (!ir.is_ok()) return ir.status();
  for (const FileChange& change : contents.value().files) {
    auto it = std::find_if(ir.value().files.begin(), ir.value().files.end(),
                           [&](const sig::Source& f) { return f.name == change.name; });
    if (it == ir.value().files.end()) {
      return Status(VIGIL_ERR_CORRUPT, labels.delta + ": changes signature source " + change.name +
                                           ", which " + labels.old_dat + " lacks");
    }
    auto text = patch_file(it->bytes, change);
    if (!text.is_ok()) return with_label(labels.delta, text.status());
    it->bytes = text.take();
  }

  sig::SignatureSet set = sig::load_sources(ir.value().files, sig::LoadFlags{});
  set.ignored = b.ignored_signatures;  // NEW's META counts what its sources' ignore lists dropped
  auto built = scan::build_dat(
      set, scan::DatBuildOptions{.version = b.new_version,
                                 .created = b.new_created,
                                 .min_engine_version = b.new_min_engine_version,
                                 .target = {.cpu_features = b.hs_cpu_features, .tune = b.hs_tune}});
  if (!built.is_ok()) return with_label("rebuilding the new DAT", built.status());
  std::string out = built.take();
  out.replace(out.size() - dat::kTrailerSize, dat::kTrailerSize,
              reinterpret_cast<const char*>(b.new_trailer.data()), b.new_trailer.size());

  dat::Trust shape = trust;
  shape.skip_signature = true;
  auto rebuilt = open_as(out, shape, dat::Kind::kDat, "rebuilt DAT");
  if (!rebuilt.is_ok()) return rebuilt.status();
  if (rebuilt.value().id != b.new_id || out.size() != b.new_file_size) {
    auto error = std::find_if(set.diags.begin(), set.diags.end(), [](const sig::Diagnostic& d) {
      return d.severity == VIGIL_SEVERITY_ERROR;
    });
    std::string why =
        error == set.diags.end() ? "" : " (" + error->file + ": " + error->message + ")";
    return Status(VIGIL_ERR_CORRUPT, labels.delta +
                                         ": rebuilt DAT differs from the one the delta was made "
                                         "for (id " +
                                         short_id(rebuilt.value().id) + "..., expected " +
                                         short_id(b.new_id) + "...)" + why +
                                         "; fetch the full DAT");
  }
  auto verified = open_as(out, trust, dat::Kind::kDat, labels.new_dat);
  if (!verified.is_ok()) return verified.status();
  return out;
}

}  // namespace vigil::dattool
