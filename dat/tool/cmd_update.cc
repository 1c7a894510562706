// vigil-dat diff, delta and apply: the update path from one DAT version to the next. The
// commands parse options, read files and report; the work is in delta.h. Outputs are installed
// atomically and re-checked before the rename, so `apply OLD D -o OLD` updates in place and a
// failed or refused update leaves the previous DAT as it was.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "commands.h"
#include "dat/container.h"
#include "delta.h"
#include "tool_io.h"

namespace vigil::dattool {
namespace {

constexpr const char* kDiffUsage =
    "usage: vigil-dat diff OLD.vdat NEW.vdat [--json] [--trusted-key PUB]... [--allow-unsigned]\n"
    "  Lists the signatures NEW adds (+), removes (-) and changes (~), by name, then a summary.\n"
    "  Signatures are not checked unless --trusted-key is given.\n";
constexpr const char* kDeltaUsage =
    "usage: vigil-dat delta OLD.vdat NEW.vdat -o OUT.vdelta [--sign KEY]\n"
    "                       [--trusted-key PUB]... [--allow-unsigned]\n"
    "  Writes the update that turns OLD into NEW (both verified with the trusted keys).\n";
constexpr const char* kApplyUsage =
    "usage: vigil-dat apply OLD.vdat DELTA.vdelta -o NEW.vdat [--trusted-key PUB]...\n"
    "                       [--allow-unsigned]\n"
    "  Rebuilds NEW from OLD and the delta, byte for byte, and installs it once it verifies;\n"
    "  -o may name OLD itself. Exit 1 when the delta is refused.\n";

// Parses a command's line (two files; -h/--help prints the usage): kExitOk to go on, or the
// exit status to return at once.
int parse(const Args& args, const std::vector<std::string>& valued,
          const std::vector<std::string>& flags, const char* usage_text, bool needs_output,
          CommandLine& cl) {
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      std::cout << usage_text;
      return -1;
    }
  }
  std::vector<std::string> all_flags = flags;
  all_flags.push_back("--allow-unsigned");
  std::vector<std::string> all_valued = valued;
  all_valued.push_back("--trusted-key");
  cl = parse_command_line(args, all_valued, all_flags);
  std::string problem = cl.error;
  if (problem.empty() && cl.positional.size() != 2) {
    problem = "expected 2 files, got " + std::to_string(cl.positional.size());
  }
  if (problem.empty() && needs_output && !cl.has("-o")) problem = "missing -o OUTPUT";
  if (problem.empty()) return kExitOk;
  std::cerr << "vigil-dat: " << problem << "\n" << usage_text;
  return kExitError;
}

// Codes that mean "the inputs were examined and refused", as opposed to usage or I/O errors.
bool is_refusal(const common::Status& st) {
  switch (st.code()) {
    case VIGIL_ERR_CORRUPT:
    case VIGIL_ERR_UNTRUSTED:
    case VIGIL_ERR_VERSION:
    case VIGIL_ERR_INVALID_ARGUMENT:
    case VIGIL_ERR_UNSUPPORTED:
      return true;
    default:
      return false;
  }
}

// A refusal (exit 1) when the inputs were read and refused, an error (exit 2) otherwise.
int refuse(const common::Status& st) {
  return fail(st, is_refusal(st) ? kExitCheckFailed : kExitError);
}

std::string json_list(const std::vector<SigChange>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"name\":" + json_string(list[i].name) + ",\"kind\":\"" +
           std::string(kind_name(list[i].kind)) + "\"}";
  }
  return out + "]";
}

void print_diff(const IrDiff& d, bool json) {
  if (json) {
    std::cout << "{\"added\":" << json_list(d.added) << ",\"removed\":" << json_list(d.removed)
              << ",\"changed\":" << json_list(d.changed) << "}\n";
    return;
  }
  std::vector<std::tuple<std::string_view, SigKind, char>> rows;
  for (const SigChange& c : d.added) rows.emplace_back(c.name, c.kind, '+');
  for (const SigChange& c : d.removed) rows.emplace_back(c.name, c.kind, '-');
  for (const SigChange& c : d.changed) rows.emplace_back(c.name, c.kind, '~');
  std::sort(rows.begin(), rows.end());
  for (const auto& [name, kind, mark] : rows) {
    std::cout << mark << " " << name << " (" << kind_name(kind) << ")\n";
  }
  std::cout << d.added.size() << " added, " << d.removed.size() << " removed, " << d.changed.size()
            << " changed\n";
}

common::Result<dat::DatView> open_file(const std::string& path, const std::string& bytes,
                                       const dat::Trust& trust) {
  auto view = dat::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), trust);
  if (!view.is_ok()) {
    return common::Status(view.status().code(), path + ": " + view.status().message());
  }
  return view;
}

}  // namespace

int cmd_diff(const Args& args) {
  CommandLine cl;
  if (int rc = parse(args, {}, {"--json"}, kDiffUsage, false, cl); rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  auto trust = trust_from(cl, dat::Kind::kDat);
  if (!trust.is_ok()) return fail(trust.status());
  // Reading the content needs no trust; with keys given, the DATs must verify.
  trust.value().skip_signature = !cl.has("--trusted-key");
  const std::vector<std::string>& files = cl.positional;
  auto old_bytes = read_input(files[0]);
  if (!old_bytes.is_ok()) return fail(old_bytes.status());
  auto new_bytes = read_input(files[1]);
  if (!new_bytes.is_ok()) return fail(new_bytes.status());
  auto old_view = open_file(files[0], old_bytes.value(), trust.value());
  if (!old_view.is_ok()) return refuse(old_view.status());
  auto new_view = open_file(files[1], new_bytes.value(), trust.value());
  if (!new_view.is_ok()) return refuse(new_view.status());
  auto diff = diff_dats(old_view.value(), new_view.value(),
                        Labels{.old_dat = files[0], .new_dat = files[1], .delta = ""});
  if (!diff.is_ok()) return fail(diff.status());
  print_diff(diff.value(), cl.has("--json"));
  return kExitOk;
}

int cmd_delta(const Args& args) {
  CommandLine cl;
  if (int rc = parse(args, {"-o", "--sign"}, {}, kDeltaUsage, true, cl); rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  auto trust = trust_from(cl, dat::Kind::kDat);
  if (!trust.is_ok()) return fail(trust.status());
  const std::vector<std::string>& files = cl.positional;
  const std::string output = *cl.value("-o");
  dat::PrivateKey key;
  if (const std::string* sign_key = cl.value("--sign")) {
    auto read = read_private_key(*sign_key);
    if (!read.is_ok()) return fail(read.status());
    key = read.take();
  }
  auto old_bytes = read_input(files[0]);
  if (!old_bytes.is_ok()) return fail(old_bytes.status());
  auto new_bytes = read_input(files[1]);
  if (!new_bytes.is_ok()) return fail(new_bytes.status());
  const Labels labels{.old_dat = files[0], .new_dat = files[1], .delta = output};
  auto delta = make_delta(old_bytes.value(), new_bytes.value(), trust.value(), labels);
  if (!delta.is_ok()) return refuse(delta.status());

  dat::Trust check;  // the written file must open as the delta just made
  check.kind = dat::Kind::kDelta;
  check.allow_unsigned = !key.valid();
  if (key.valid()) {
    common::Status st = dat::sign(delta.value(), key);
    if (!st.is_ok()) return fail(output + ": cannot sign: " + st.message());
    check.keys.push_back(key.public_key());
  }
  common::Status st = install(output, delta.value(), check);
  if (!st.is_ok()) return fail(st);

  const auto* data = reinterpret_cast<const uint8_t*>(delta.value().data());
  auto view = dat::open(data, delta.value().size(), check);
  auto contents = view.is_ok() ? read_delta(view.value()) : view.status();
  if (!contents.is_ok()) return fail(output + ": " + contents.status().message());
  size_t removed = 0, added = 0;
  for (const FileChange& f : contents.value().files) {
    removed += f.removed.size();
    added += f.added.size();
  }
  const DeltaBase& b = contents.value().base;
  std::cout << output << ": delta from DAT version " << b.base_version << " to " << b.new_version
            << ", " << delta.value().size() << " bytes (the new DAT has " << b.new_file_size
            << "): " << removed << " lines removed, " << added << " added, "
            << (key.valid() ? "signed by key " + dat::key_id_hex(key.public_key().id())
                            : std::string("unsigned"))
            << "\n";
  return kExitOk;
}

int cmd_apply(const Args& args) {
  CommandLine cl;
  if (int rc = parse(args, {"-o"}, {}, kApplyUsage, true, cl); rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  auto trust = trust_from(cl, dat::Kind::kDat);
  if (!trust.is_ok()) return fail(trust.status());
  const std::vector<std::string>& files = cl.positional;
  const std::string output = *cl.value("-o");
  auto old_bytes = read_input(files[0]);
  if (!old_bytes.is_ok()) return fail(old_bytes.status());
  auto delta_bytes = read_input(files[1]);
  if (!delta_bytes.is_ok()) return fail(delta_bytes.status());
  const Labels labels{
      .old_dat = files[0], .new_dat = "the DAT " + files[1] + " produces", .delta = files[1]};
  auto rebuilt = apply_delta(old_bytes.value(), delta_bytes.value(), trust.value(), labels);
  if (!rebuilt.is_ok()) {
    return fail("refused: " + rebuilt.status().message(),
                is_refusal(rebuilt.status()) ? kExitCheckFailed : kExitError);
  }
  common::Status st = install(output, rebuilt.value(), trust.value());
  if (!st.is_ok()) return fail(st);
  dat::Trust inspect;  // the delta's header names the version it produced
  inspect.kind = dat::Kind::kDelta;
  inspect.skip_signature = true;
  const auto* data = reinterpret_cast<const uint8_t*>(delta_bytes.value().data());
  auto delta = dat::open(data, delta_bytes.value().size(), inspect);
  std::cout << output << ": DAT version " << (delta.is_ok() ? delta.value().header.dat_version : 0)
            << " (" << rebuilt.value().size() << " bytes) from " << files[0] << " and " << files[1]
            << "\n";
  return kExitOk;
}

}  // namespace vigil::dattool
