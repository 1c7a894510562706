// vigil-dat compile, keygen and sign. compile loads the sources with the engine's own loader
// (strict unless told otherwise, every problem printed as file:line), builds the DAT
// deterministically, signs it if asked, and installs it atomically after reading it back.
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "commands.h"
#include "common/atomic_file.h"
#include "scan/engine_dat.h"
#include "sig/signature_set.h"
#include "tool_io.h"

namespace vigil::dattool {
namespace {

const char* severity_word(vigil_diag_severity s) {
  return s == VIGIL_SEVERITY_ERROR ? "error" : s == VIGIL_SEVERITY_WARNING ? "warning" : "note";
}

void print_diagnostics(const sig::Diagnostics& diags) {
  for (const sig::Diagnostic& d : diags) {
    std::cerr << "vigil-dat: ";
    if (!d.file.empty()) std::cerr << d.file;
    if (d.line != 0) std::cerr << ':' << d.line;
    std::cerr << ": ";
    std::cerr << severity_word(d.severity) << ": " << d.message;
    if (!d.signature.empty()) std::cerr << " [" << d.signature << "]";
    std::cerr << "\n";
  }
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A key file may be replaced only if it is absent or a regular file.
bool replaceable(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode);
}

}  // namespace

int cmd_compile(const Args& args) {
  CommandLine cl = parse_command_line(args, {"-o", "--version", "--sign", "--created", "--target"},
                                      {"--skip-bad-signatures", "--unofficial-suffix"});
  if (!cl.error.empty()) return fail(cl.error);
  const std::string* out = cl.value("-o");
  const std::string* version = cl.value("--version");
  if (cl.positional.empty() || out == nullptr || version == nullptr) {
    return fail("usage: vigil-dat compile SOURCES... -o OUT.vdat --version N [--sign KEY]");
  }
  scan::DatBuildOptions opts;
  if (!parse_u64(*version, opts.version)) return fail("--version: not a number: " + *version);
  if (const std::string* c = cl.value("--created"); c && !parse_u64(*c, opts.created)) {
    return fail("--created: not a number of seconds: " + *c);
  }
  if (const std::string* t = cl.value("--target")) {
    auto target = match::parse_target(*t);
    if (!target) return fail("--target: unknown target '" + *t + "'");
    opts.target = *target;
  }
  dat::PrivateKey key;
  if (const std::string* k = cl.value("--sign")) {
    auto parsed = read_private_key(*k);
    if (!parsed.is_ok()) return fail(parsed.status());
    key = std::move(parsed.value());
  }

  std::vector<sig::Source> sources;
  for (const std::string& p : cl.positional) sources.push_back(sig::Source{p, false, {}});
  sig::LoadFlags flags;
  flags.unofficial_suffix = cl.has("--unofficial-suffix");
  sig::SignatureSet set = sig::load_sources(sources, flags);
  auto built = scan::build_dat(set, opts);
  print_diagnostics(set.diags);
  if (!built.is_ok()) return fail(built.status());
  size_t errors = 0, unreadable = 0;
  for (const sig::Diagnostic& d : set.diags) {
    errors += d.severity == VIGIL_SEVERITY_ERROR;
    unreadable += d.severity == VIGIL_SEVERITY_ERROR && d.code == VIGIL_DIAG_IO;
  }
  // A source that cannot be read is never skipped: the DAT would silently lack all of it.
  if (unreadable != 0)
    return fail(std::to_string(unreadable) + " source(s) unreadable; nothing written");
  if (errors != 0 && !cl.has("--skip-bad-signatures")) {
    return fail(std::to_string(errors) + " signature error(s); nothing written");
  }
  std::string bytes = built.take();
  dat::Trust check{.allow_unsigned = true};
  if (key.valid()) {
    common::Status st = dat::sign(bytes, key);
    if (!st.is_ok()) return fail(st);
    check = dat::Trust{.keys = {key.public_key()}};
  }
  auto view = dat::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), check);
  if (!view.is_ok()) return fail(view.status());
  auto meta =
      scan::decode_meta(scan::require_section(view.value(), dat::SectionType::kMeta).value());
  if (!meta.is_ok()) return fail(meta.status());
  if (meta.value().body_signatures + meta.value().hash_signatures +
          meta.value().allowlist_entries ==
      0) {
    return fail("no signatures to compile; nothing written");
  }
  common::Status st = install(*out, bytes, check);
  if (!st.is_ok()) return fail(st);
  std::cout << *out << ": version " << opts.version << ", " << meta.value().body_signatures
            << " body and " << meta.value().hash_signatures << " hash signatures, "
            << meta.value().allowlist_entries << " allowlist entries, " << bytes.size()
            << " bytes, "
            << (key.valid() ? "signed by " + dat::key_id_hex(key.public_key().id()) : "unsigned")
            << "\n";
  return kExitOk;
}

int cmd_keygen(const Args& args) {
  CommandLine cl = parse_command_line(args, {"-o"}, {"--force"});
  if (!cl.error.empty()) return fail(cl.error);
  const std::string* prefix = cl.value("-o");
  if (prefix == nullptr || !cl.positional.empty()) return fail("usage: vigil-dat keygen -o PREFIX");
  const std::string pub_path = *prefix + ".pub";
  if (!cl.has("--force") && (exists(*prefix) || exists(pub_path))) {
    return fail(*prefix + " or " + pub_path + " exists; use --force to replace the key");
  }
  // Both paths are checked before either is written, so a failure cannot leave a private key
  // without its public half (or replace one key of a pair).
  for (const std::string& p : {*prefix, pub_path}) {
    if (!replaceable(p)) return fail(p + " exists and is not a regular file; nothing written");
  }
  auto key = dat::generate_key();
  if (!key.is_ok()) return fail(key.status());
  auto pem = dat::private_key_pem(key.value());
  if (!pem.is_ok()) return fail(pem.status());
  dat::PublicKey pub = key.value().public_key();
  common::Status st =
      common::write_file_atomically(pub_path + ".new", dat::public_key_pem(pub), 0644);
  if (st.is_ok()) st = common::write_file_atomically(*prefix, pem.value(), 0600);
  if (st.is_ok() && ::rename((pub_path + ".new").c_str(), pub_path.c_str()) != 0) {
    st = common::Status(VIGIL_ERR_IO, pub_path + ": " + common::errno_text(errno));
  }
  ::unlink((pub_path + ".new").c_str());
  if (!st.is_ok()) return fail(st);
  std::cout << "key " << dat::key_id_hex(pub.id()) << ": private " << *prefix << ", public "
            << pub_path << "\n";
  return kExitOk;
}

int cmd_sign(const Args& args) {
  CommandLine cl = parse_command_line(args, {"--key", "-o"}, {});
  if (!cl.error.empty()) return fail(cl.error);
  const std::string* key_path = cl.value("--key");
  if (cl.positional.size() != 1 || key_path == nullptr) {
    return fail("usage: vigil-dat sign FILE --key KEY [-o OUT]");
  }
  const std::string& in = cl.positional[0];
  const std::string* out = cl.value("-o");
  auto key = read_private_key(*key_path);
  if (!key.is_ok()) return fail(key.status());
  auto file = read_container(in);
  if (!file.is_ok()) return fail(file.status());
  common::Status st = dat::sign(file.value().bytes, key.value());
  if (!st.is_ok()) return fail(in + ": " + st.message());
  st = install(out ? *out : in, file.value().bytes,
               dat::Trust{.kind = file.value().kind,
                          .keys = {key.value().public_key()},
                          .accept_newer_engine = true});
  if (!st.is_ok()) return fail(st);
  std::cout << (out ? *out : in) << ": signed by " << dat::key_id_hex(key.value().public_key().id())
            << "\n";
  return kExitOk;
}

}  // namespace vigil::dattool
