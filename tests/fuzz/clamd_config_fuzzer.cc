// Fuzzes vigild's clamd.conf reader: any bytes are a config file an administrator (or a
// package script) may hand the daemon, so the parser must never crash and must report every
// problem in a form the daemon can print: a diagnostic of this file, on a line that exists,
// errors exactly when no Config comes back, and a Config only when it holds what the daemon
// relies on without checking again (a socket, thread and queue bounds, absolute paths).
//
// Input: the whole input is the file text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "fuzz_check.h"

namespace {

using vigil::daemon::Config;
using vigil::daemon::ConfigDiagnostic;
using vigil::daemon::Severity;

constexpr char kFile[] = "fuzz.conf";

bool absolute_or_empty(const std::string& path) { return path.empty() || path[0] == '/'; }

bool all_absolute(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (p.empty() || p[0] != '/') return false;
  }
  return true;
}

void check_config(const Config& c) {
  FUZZ_CHECK(!c.local_socket.empty() || c.tcp_socket != 0);
  FUZZ_CHECK(c.local_socket_mode <= 0777);
  FUZZ_CHECK(!c.tcp_addr.empty());
  FUZZ_CHECK(c.max_threads >= 1 && c.max_threads <= 4096);
  FUZZ_CHECK(c.max_queue >= 2 * c.max_threads);
  FUZZ_CHECK(c.max_connection_queue_length >= 1);
  FUZZ_CHECK(c.max_recursion >= 1);
  FUZZ_CHECK(c.stream_max_length > 0 && c.max_file_size > 0 && c.max_scan_size > 0);
  FUZZ_CHECK(c.max_files > 0 && c.on_access_max_file_size > 0);
  FUZZ_CHECK(absolute_or_empty(c.local_socket) && absolute_or_empty(c.log_file) &&
             absolute_or_empty(c.pid_file));
  FUZZ_CHECK(c.local_socket.size() < 108);
  FUZZ_CHECK(!c.database_directory.empty() && c.database_directory[0] == '/');
  FUZZ_CHECK(!c.cache_directory.empty() && c.cache_directory[0] == '/');
  FUZZ_CHECK(all_absolute(c.trusted_key) && all_absolute(c.on_access_include_path) &&
             all_absolute(c.on_access_exclude_path) && all_absolute(c.on_access_mount_path));
  for (uid_t uid : c.on_access_exclude_uid) FUZZ_CHECK(uid != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  if (!text.empty() && text.back() != '\n') ++lines;

  std::vector<ConfigDiagnostic> diags;
  diags.push_back({"earlier.conf", 1, Severity::kWarning, "", "kept"});  // appended to, not reset
  std::optional<Config> config = vigil::daemon::parse_config(text, kFile, diags);
  FUZZ_CHECK(diags[0].file == "earlier.conf");
  diags.erase(diags.begin());

  bool errors = false;
  size_t previous = 1;
  for (const ConfigDiagnostic& d : diags) {
    FUZZ_CHECK(d.file == kFile);
    FUZZ_CHECK(d.line <= lines);
    // In line order, the findings about the whole file (line 0) last.
    size_t order = d.line == 0 ? SIZE_MAX : d.line;
    FUZZ_CHECK(order >= previous);
    previous = order;
    FUZZ_CHECK(!d.message.empty());
    FUZZ_CHECK(d.message.find('\n') == std::string::npos);
    FUZZ_CHECK(d.message.find('\0') == std::string::npos);
    std::string shown = d.to_string();
    std::string prefix = d.line == 0 ? kFile : std::string(kFile) + ":" + std::to_string(d.line);
    prefix += d.severity == Severity::kError ? ": error: " : ": warning: ";
    FUZZ_CHECK(shown == prefix + d.message);
    errors = errors || d.severity == Severity::kError;
  }
  FUZZ_CHECK(errors == vigil::daemon::has_errors(diags));
  FUZZ_CHECK(config.has_value() == !errors);
  if (config) check_config(*config);

  // The same text gives the same findings.
  std::vector<ConfigDiagnostic> again;
  std::optional<Config> config2 = vigil::daemon::parse_config(text, kFile, again);
  FUZZ_CHECK(config2.has_value() == config.has_value());
  FUZZ_CHECK(again.size() == diags.size());
  for (size_t i = 0; i < again.size(); ++i) {
    FUZZ_CHECK(again[i].to_string() == diags[i].to_string());
  }
  return 0;
}
