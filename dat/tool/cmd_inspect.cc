// vigil-dat info and verify. info describes any DAT or delta whose checksums hold, without
// requiring its signer to be trusted (it names the signer); verify requires a trusted
// signature and then loads the DAT the way a scanner does, so every section is checked.
#include <ctime>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "common/hex.h"
#include "match/hs_database.h"
#include "scan/engine_dat.h"
#include "tool_io.h"

namespace vigil::dattool {
namespace {

std::string time_text(uint64_t t) {
  if (t == 0) return "";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&tt, &tm) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(t);
  }
  return buf;
}

// Field name and value, kept in order, printed as text or JSON.
struct Report {
  struct Field {
    std::string key;
    std::string value;
    bool number;
  };
  std::vector<Field> fields;
  void text(const std::string& k, const std::string& v) { fields.push_back({k, v, false}); }
  void num(const std::string& k, uint64_t v) { fields.push_back({k, std::to_string(v), true}); }
};

}  // namespace

int cmd_info(const Args& args) {
  CommandLine cl = parse_command_line(args, {}, {"--json"});
  if (!cl.error.empty()) return fail(cl.error);
  if (cl.positional.size() != 1) return fail("usage: vigil-dat info FILE [--json]");
  const std::string& path = cl.positional[0];
  auto file = read_container(path);
  if (!file.is_ok()) return fail(file.status());
  const bool delta = file.value().kind == dat::Kind::kDelta;
  auto view = dat::open(
      file.value().data(), file.value().size(),
      dat::Trust{.kind = file.value().kind, .skip_signature = true, .accept_newer_engine = true});
  if (!view.is_ok()) return fail(path + ": " + view.status().message(), kExitCheckFailed);
  const dat::DatView& v = view.value();

  Report r;
  r.text("file", path);
  r.text("kind", delta ? "delta" : "DAT");
  r.num("format_version", v.header.format_version);
  r.num("dat_version", v.header.dat_version);
  r.text("min_engine_version", dat::version_text(v.header.min_engine_version));
  r.text("created", time_text(v.header.created));
  r.text("signer", v.is_signed ? dat::key_id_hex(v.signer) : "");
  r.text("content_id", common::encode_hex(v.id.data(), v.id.size()));
  r.num("file_size", v.file_size);
  if (!delta) {
    auto meta_bytes = scan::require_section(v, dat::SectionType::kMeta);
    if (!meta_bytes.is_ok()) {
      return fail(path + ": " + meta_bytes.status().message(), kExitCheckFailed);
    }
    auto meta = scan::decode_meta(meta_bytes.value());
    if (!meta.is_ok()) return fail(path + ": " + meta.status().message(), kExitCheckFailed);
    const scan::DatMeta& m = meta.value();
    r.num("body_signatures", m.body_signatures);
    r.num("hash_signatures", m.hash_signatures);
    r.num("allowlist_entries", m.allowlist_entries);
    r.num("ignored_signatures", m.ignored_signatures);
    r.num("fragments", m.fragments);
    r.num("functionality_level", m.flevel);
    r.num("plan_version", m.plan_version);
    r.text("hyperscan_version", m.hs_version);
    r.text("hyperscan_platform", match::describe_features(m.hs_cpu_features));
    r.text("runs_here", m.hs_version == match::hyperscan_version() &&
                                (m.hs_cpu_features & ~match::host_target().cpu_features) == 0
                            ? "yes"
                            : "no (recompiled at load)");
  }

  if (cl.has("--json")) {
    std::cout << "{";
    for (const Report::Field& f : r.fields) {
      std::cout << json_string(f.key) << ":" << (f.number ? f.value : json_string(f.value)) << ",";
    }
    std::cout << "\"sections\":[";
    for (size_t i = 0; i < v.sections.size(); ++i) {
      const dat::Section& s = v.sections[i];
      std::cout << (i ? "," : "") << "{\"type\":" << s.type
                << ",\"name\":" << json_string(std::string(dat::section_name(s.type)))
                << ",\"offset\":" << s.offset << ",\"size\":" << s.bytes.size() << "}";
    }
    std::cout << "]}\n";
    return kExitOk;
  }
  for (const Report::Field& f : r.fields) {
    std::string value = f.value;
    if (value.empty()) value = f.key == "signer" ? "unsigned" : "not set";
    std::cout << f.key << ": " << value << "\n";
  }
  for (const dat::Section& s : v.sections) {
    std::cout << "section " << dat::section_name(s.type) << ": " << s.bytes.size() << " bytes\n";
  }
  return kExitOk;
}

int cmd_verify(const Args& args) {
  CommandLine cl = parse_command_line(args, {"--key"}, {});
  if (!cl.error.empty()) return fail(cl.error);
  if (cl.positional.size() != 1 || !cl.has("--key")) {
    return fail("usage: vigil-dat verify FILE --key PUB [--key PUB]...");
  }
  const std::string& path = cl.positional[0];
  auto file = read_container(path);
  if (!file.is_ok()) return fail(file.status());
  const uint8_t* data = file.value().data();
  const size_t size = file.value().size();
  const bool delta = file.value().kind == dat::Kind::kDelta;
  auto trust = trust_from(cl, file.value().kind, "--key");
  if (!trust.is_ok()) return fail(trust.status());
  auto view = dat::open(data, size, trust.value());
  if (!view.is_ok()) return fail(path + ": " + view.status().message(), kExitCheckFailed);
  if (!delta) {
    sig::Diagnostics diags;
    auto engine = scan::load_dat(data, size, scan::DatLoadOptions{trust.value(), ""}, diags);
    if (!engine.is_ok()) return fail(path + ": " + engine.status().message(), kExitCheckFailed);
  }
  std::cout << path << ": OK (signed by " << dat::key_id_hex(view.value().signer) << ", "
            << view.value().sections.size() << " sections checked)\n";
  return kExitOk;
}

}  // namespace vigil::dattool
