// vigild's configuration: a clamd.conf file, read the way clamd 1.4.6 reads it.
//
// Syntax (measured against clamd/clamconf 1.4.6): one "Name value" per line; leading blanks
// are skipped; a line whose first non-blank is '#' is a comment (there are no end-of-line
// comments); names are case-sensitive; a value may be quoted ("..." up to the last quote);
// booleans are yes/no, true/false, 1/0 in any case; sizes take a K, M or G suffix in any case;
// an option given twice keeps its first value unless it is one of the repeatable ones.
//
// Every problem is a ConfigDiagnostic naming the file and line. clamd options vigild does not
// implement are warnings (their values are still checked as clamd would); names clamd does not
// know are errors, as in clamd. The parser is pure (no I/O beyond load_config_file's read).
#ifndef VIGIL_DAEMON_CONFIG_H_
#define VIGIL_DAEMON_CONFIG_H_

#include <sys/types.h>
#include <syslog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::daemon {

// A size or count limit of 0 in the file means "no limit" (as in clamd); it is stored as this.
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// Every setting vigild takes from the file, with clamd's default unless noted. Timeouts of 0
// mean "no timeout", as in clamd. Paths are absolute (the parser refuses relative ones).
struct Config {
  // Sockets. At least one of local_socket / tcp_socket is set in a parsed Config.
  std::string local_socket;         // LocalSocket; "" = no unix socket
  std::string local_socket_group;   // LocalSocketGroup; "" = the user's primary group
  mode_t local_socket_mode = 0666;  // LocalSocketMode (octal, at most 0777)
  bool fix_stale_socket = true;     // FixStaleSocket
  uint16_t tcp_socket = 0;          // TCPSocket; 0 = no TCP socket
  // TCPAddr (repeatable): addresses or host names to bind. clamd binds every interface when
  // it is absent; vigild binds loopback only, because the protocol has no authentication
  // (any peer could SCAN files the daemon can read, or SHUTDOWN it).
  std::vector<std::string> tcp_addr = {"127.0.0.1"};
  uint32_t max_connection_queue_length = 200;  // MaxConnectionQueueLength: listen() backlog

  // Workers and limits of the protocol.
  uint32_t max_threads = 10;                        // MaxThreads (>= 1)
  uint32_t max_queue = 100;                         // MaxQueue (raised to 2*MaxThreads)
  uint64_t stream_max_length = 100ull << 20;        // StreamMaxLength: INSTREAM bytes
  std::chrono::seconds read_timeout{120};           // ReadTimeout
  std::chrono::seconds command_read_timeout{30};    // CommandReadTimeout
  std::chrono::milliseconds send_buf_timeout{500};  // SendBufTimeout
  std::chrono::seconds idle_timeout{30};            // IdleTimeout: idle worker exits
  std::chrono::seconds self_check{600};             // SelfCheck: database change poll; 0=off
  bool allow_all_match_scan = true;                 // AllowAllMatchScan

  // Scan limits.
  uint64_t max_file_size = 100ull << 20;            // MaxFileSize
  uint64_t max_scan_size = 400ull << 20;            // MaxScanSize
  uint32_t max_recursion = 17;                      // MaxRecursion (>= 1)
  uint64_t max_files = 10000;                       // MaxFiles
  std::chrono::milliseconds max_scan_time{120000};  // MaxScanTime (in containers); 0 = none
  bool scan_archive = true;        // ScanArchive: descend into archives and compressed files
  bool alert_encrypted = false;    // AlertEncrypted / AlertEncryptedArchive
  bool alert_exceeds_max = false;  // AlertExceedsMax

  // Logging and process.
  std::string log_file;                               // LogFile; "" = none
  bool log_time = false;                              // LogTime
  bool log_verbose = false;                           // LogVerbose
  bool log_clean = false;                             // LogClean
  bool log_syslog = false;                            // LogSyslog
  int log_facility = LOG_LOCAL6;                      // LogFacility ("LOG_LOCAL6", "LOG_MAIL", ...)
  std::string pid_file;                               // PidFile; "" = none
  std::string user;                                   // User to run as after binding; "" = stay
  bool foreground = false;                            // Foreground
  std::string database_directory = "/var/lib/vigil";  // DatabaseDirectory (vigild's default)

  // vigild's own options (clamd does not know them).
  std::vector<std::string> trusted_key;              // TrustedKey (repeatable): public key files
  bool allow_unsigned = false;                       // AllowUnsigned: accept unsigned DATs
  std::string cache_directory = "/var/cache/vigil";  // CacheDirectory

  // On-access scanning.
  std::vector<std::string> on_access_include_path;  // OnAccessIncludePath (repeatable)
  std::vector<std::string> on_access_exclude_path;  // OnAccessExcludePath (repeatable)
  std::vector<std::string> on_access_mount_path;    // OnAccessMountPath (repeatable)
  // OnAccessExcludeUID (repeatable). As in clamd, a 0 anywhere empties the list (root is
  // excluded with on_access_exclude_root_uid instead).
  std::vector<uid_t> on_access_exclude_uid;
  bool on_access_exclude_root_uid = false;      // OnAccessExcludeRootUID
  uint64_t on_access_max_file_size = 5u << 20;  // OnAccessMaxFileSize
  bool on_access_prevention = false;            // OnAccessPrevention
};

enum class Severity : uint8_t { kWarning, kError };

struct ConfigDiagnostic {
  std::string file;
  size_t line = 0;  // 1-based; 0 = about the file as a whole
  Severity severity = Severity::kError;
  std::string option;  // the option concerned, "" if none
  std::string message;

  // "FILE:LINE: error: MESSAGE" ("FILE: error: MESSAGE" when line is 0).
  std::string to_string() const;
};

// Parses clamd.conf text. Diagnostics are appended to `diags` in line order (checks of the
// whole configuration last). Returns the Config, or nullopt exactly when at least one error
// was appended. `file_name` is only used in diagnostics.
std::optional<Config> parse_config(std::string_view text, const std::string& file_name,
                                   std::vector<ConfigDiagnostic>& diags);

// The largest config file load_config_file reads (Debian's clamd.conf is 2 KB).
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Reads `path` (a regular file of at most kMaxConfigFileBytes) and parses it. A file that
// cannot be read is one error diagnostic at line 0 naming the path and the reason.
std::optional<Config> load_config_file(const std::string& path,
                                       std::vector<ConfigDiagnostic>& diags);

// True if any diagnostic in `diags` is an error.
bool has_errors(const std::vector<ConfigDiagnostic>& diags);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_CONFIG_H_
