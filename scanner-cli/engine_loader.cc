// Builds vigil_load_options from the command line, loads the engine and reports what the load
// said. Diagnostics are printed in the compiler-like "file:line: severity: message" form so
// editors and CI logs can jump to the offending signature line. Everything here runs once,
// before any scanning thread starts.
#include "engine_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace vigil::cli {
namespace {

const char* severity_name(vigil_diag_severity severity) {
  switch (severity) {
    case VIGIL_SEVERITY_ERROR:
      return "error";
    case VIGIL_SEVERITY_WARNING:
      return "warning";
    case VIGIL_SEVERITY_INFO:
      return "info";
  }
  return "error";
}

void print_diagnostics(const vigil_diagnostics* diags, bool verbose) {
  size_t count = vigil_diagnostics_count(diags);
  for (size_t i = 0; i < count; ++i) {
    vigil_diagnostic d{};
    if (vigil_diagnostics_get(diags, i, &d) != VIGIL_OK) continue;
    if (d.severity == VIGIL_SEVERITY_INFO && !verbose) continue;
    std::string line = format_diagnostic(d);
    line += '\n';
    std::fputs(line.c_str(), stderr);
  }
}

void print_load_failure(const char* reason) {
  std::fprintf(stderr, "vigil-scan: cannot load signatures: %s\n", reason);
}

}  // namespace

namespace {

// The build-tree file if this executable runs from the build tree, else the installed one;
// both relative to the executable's directory.
std::string default_file(const char* build_relative, const char* installed_relative) {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir = ".";
  if (n > 0) {
    exe[n] = '\0';
    dir = exe;
    dir = dir.substr(0, dir.rfind('/'));
  }
  std::string build = dir + "/" + build_relative;
  struct stat st {};
  if (::stat(build.c_str(), &st) == 0) return build;
  return dir + "/" + installed_relative;
}

// The default key is trusted only if no one but root or this user could have put it there.
bool safe_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != ::geteuid()) ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    std::fprintf(stderr,
                 "vigil-scan: warning: %s: not trusted (writable by others or owned by "
                 "another user)\n",
                 path.c_str());
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> database_paths(const Options& opts) {
  if (!opts.databases.empty()) return opts.databases;
  const char* env = std::getenv("VIGIL_DATABASE");
  if (env != nullptr && env[0] != '\0') return {env};
  return {default_file(VIGIL_DEFAULT_DAT_BUILD, VIGIL_DEFAULT_DAT_INSTALLED)};
}

std::string cache_dir(const Options& opts) {
  if (opts.no_cache) return "";
  if (!opts.cache_dir.empty()) return opts.cache_dir;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/vigil";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.cache/vigil";
  return "";
}

std::string format_diagnostic(const vigil_diagnostic& d) {
  std::string line = (d.file != nullptr && d.file[0] != '\0') ? d.file : "vigil-scan";
  if (d.line != 0) {
    line += ':';
    line += std::to_string(d.line);
  }
  line += ": ";
  line += severity_name(d.severity);
  line += ": ";
  line += d.message != nullptr ? d.message : "";
  if (d.signature != nullptr && d.signature[0] != '\0') {
    line += " [";
    line += d.signature;
    line += "]";
  }
  return line;
}

bool load_engine(const Options& opts, LoadedEngine* out) {
  auto start = std::chrono::steady_clock::now();

  vigil_load_options* raw_opts = nullptr;
  vigil_status status = vigil_load_options_new(&raw_opts);
  LoadOptionsPtr load_opts(raw_opts);
  if (status != VIGIL_OK) {
    print_load_failure(vigil_status_string(status));
    return false;
  }
  uint32_t flags = 0;
  if (opts.skip_bad_signatures) flags |= VIGIL_LOAD_SKIP_BAD_LINES;
  if (opts.unofficial_suffix) flags |= VIGIL_LOAD_UNOFFICIAL_SUFFIX;
  if (opts.allow_unsigned) flags |= VIGIL_LOAD_ALLOW_UNSIGNED;
  status = vigil_load_options_set_flags(load_opts.get(), flags);
  if (status == VIGIL_OK)
    status = vigil_load_options_set_cache_dir(load_opts.get(), cache_dir(opts).c_str());
  // The bundled DAT's key is trusted whether or not the bundled DAT is the one loaded; it
  // may be missing from a tree that was never built fully, which only matters for DATs.
  if (status == VIGIL_OK) {
    const std::string key = default_file(VIGIL_DEFAULT_KEY_BUILD, VIGIL_DEFAULT_KEY_INSTALLED);
    if (safe_key_file(key)) {
      vigil_status st = vigil_load_options_add_trusted_key_file(load_opts.get(), key.c_str());
      if (st != VIGIL_OK && st != VIGIL_ERR_IO) {
        std::string why = key + ": not a public key";
        print_load_failure(why.c_str());
        return false;
      }
    }
  }
  for (const std::string& key : opts.trusted_keys) {
    if (status != VIGIL_OK) break;
    status = vigil_load_options_add_trusted_key_file(load_opts.get(), key.c_str());
    if (status != VIGIL_OK) {
      std::string why = "--trusted-key " + key + ": " +
                        (status == VIGIL_ERR_IO ? "cannot read the file" : "not a public key");
      print_load_failure(why.c_str());
      return false;
    }
  }
  for (const std::string& path : database_paths(opts)) {
    if (status != VIGIL_OK) break;
    status = vigil_load_options_add_path(load_opts.get(), path.c_str());
  }
  if (status != VIGIL_OK) {
    print_load_failure(vigil_status_string(status));
    return false;
  }

  vigil_engine* raw_engine = nullptr;
  vigil_diagnostics* raw_diags = nullptr;
  status = vigil_engine_load(load_opts.get(), &raw_engine, &raw_diags);
  EnginePtr engine(raw_engine);
  DiagnosticsPtr diags(raw_diags);
  print_diagnostics(diags.get(), opts.verbose);
  if (status != VIGIL_OK || engine == nullptr) {
    print_load_failure(vigil_status_string(status));
    return false;
  }

  vigil_engine_stats stats{};
  stats.struct_size = sizeof(stats);
  if (vigil_engine_get_stats(engine.get(), &stats) == VIGIL_OK) {
    out->signatures = stats.body_signatures + stats.hash_signatures + stats.logical_signatures;
  }
  out->engine = std::move(engine);
  out->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return true;
}

}  // namespace vigil::cli
