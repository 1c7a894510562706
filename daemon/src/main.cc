// vigild: reads a clamd.conf-syntax configuration, loads the engine (a DAT in the database
// directory, or the signature sources there), listens, drops privileges, optionally detaches,
// and serves until SHUTDOWN or SIGTERM. SIGUSR2 reloads. Everything after the configuration
// is logged to LogFile (or stderr in the foreground). With --on-access PATH... (or
// OnAccessIncludePath / OnAccessMountPath) it also scans files as they are opened (fanotify).
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>

#include "config.h"
#include "engine_holder.h"
#include "fd.h"
#include "on_access.h"
#include "server.h"
#include "vigil/vigil.h"

namespace {

using namespace vigil::daemon;

constexpr const char* kDefaultConfig = "/etc/vigil/vigild.conf";
constexpr const char* kUsage =
    "usage: vigild [--config-file FILE] [--foreground] [--on-access PATH...] [--version] [--help]\n"
    "Scanning daemon speaking the clamd protocol. Default configuration: /etc/vigil/vigild.conf\n"
    "  --on-access PATH...  scan files under PATH when they are opened or executed and deny\n"
    "                       infected ones (as OnAccessIncludePath with OnAccessPrevention yes;\n"
    "                       needs root)\n";

Server* g_server = nullptr;

void on_signal(int sig) {
  if (g_server == nullptr) return;
  if (sig == SIGUSR2) {
    g_server->request_reload();
  } else {
    g_server->request_shutdown();
  }
}

class Logger {
 public:
  bool open(const Config& c, std::string& error) {
    time_ = c.log_time;
    if (c.log_file.empty()) return true;
    file_ = std::fopen(c.log_file.c_str(), "ae");
    if (file_ == nullptr) {
      error = "LogFile " + c.log_file + ": " + errno_text(errno);
      return false;
    }
    return true;
  }
  void operator()(const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    FILE* out = file_ != nullptr ? file_ : stderr;
    if (time_) {
      char buf[64];
      std::time_t t = std::time(nullptr);
      std::tm tm{};
      localtime_r(&t, &tm);
      std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y -> ", &tm);
      std::fputs(buf, out);
    }
    std::fprintf(out, "%s\n", msg.c_str());
    std::fflush(out);
  }

 private:
  std::mutex mu_;
  FILE* file_ = nullptr;
  bool time_ = false;
};

// A DAT in the database directory if there is one (exactly one .vdat), else the directory.
bool database_paths(const std::string& dir, std::vector<std::string>& paths, std::string& error) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    error = "DatabaseDirectory " + dir + ": " + errno_text(errno);
    return false;
  }
  std::vector<std::string> dats;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.ends_with(".vdat")) dats.push_back(dir + "/" + n);
  }
  ::closedir(d);
  if (dats.size() > 1) {
    error =
        "DatabaseDirectory " + dir + ": holds " + std::to_string(dats.size()) + " DATs; keep one";
    return false;
  }
  paths = dats.empty() ? std::vector<std::string>{dir} : dats;
  return true;
}

bool drop_privileges(const std::string& user, std::string& error) {
  if (user.empty() || ::geteuid() != 0) return true;
  passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    error = "User " + user + ": no such user";
    return false;
  }
  if (::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
      ::setuid(pw->pw_uid) != 0) {
    error = "User " + user + ": cannot switch: " + errno_text(errno);
    return false;
  }
  return true;
}

bool daemonize(std::string& error) {
  pid_t pid = ::fork();
  if (pid < 0) {
    error = std::string("fork: ") + errno_text(errno);
    return false;
  }
  if (pid > 0) std::_Exit(0);
  ::setsid();
  if (::chdir("/") != 0) return true;
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::close(null);
  }
  return true;
}

// A command-line path made absolute now: daemonizing changes the working directory.
std::string absolute(const std::string& path) {
  char cwd[4096];
  if (path.starts_with('/') || ::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

// The scan limits of the configuration (clamd's Max* options apply inside containers too).
ScanLimits scan_limits(const Config& c) {
  ScanLimits s;
  s.max_file_size = c.max_file_size;
  auto clamp32 = [](uint64_t v) {
    return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
  };
  s.unpack.max_recursion = c.max_recursion;
  s.unpack.max_files = clamp32(c.max_files);
  s.unpack.max_scan_size = c.max_scan_size;
  s.unpack.max_file_size = c.max_file_size;
  s.unpack.max_scan_time_ms = clamp32(static_cast<uint64_t>(c.max_scan_time.count()));
  if (!c.scan_archive) s.flags |= VIGIL_SCAN_NO_CONTAINERS;
  if (c.alert_encrypted) s.flags |= VIGIL_SCAN_ALERT_ENCRYPTED;
  if (c.alert_exceeds_max) s.flags |= VIGIL_SCAN_ALERT_EXCEEDS_MAX;
  return s;
}

// On-access settings: the configuration's, plus the command line's paths, which also turn
// prevention on (a path given on the command line asks for infected opens to be denied).
OnAccessOptions on_access_options(const Config& c, const std::vector<std::string>& cli_paths) {
  OnAccessOptions o;
  o.include_paths = c.on_access_include_path;
  o.include_paths.insert(o.include_paths.end(), cli_paths.begin(), cli_paths.end());
  o.mount_paths = c.on_access_mount_path;
  o.exclude_paths = c.on_access_exclude_path;
  o.exclude_uids = c.on_access_exclude_uid;
  o.exclude_root = c.on_access_exclude_root_uid;
  o.max_file_size = c.on_access_max_file_size;
  o.prevention = c.on_access_prevention || !cli_paths.empty();
  o.log_clean = c.log_clean;
  ScanLimits limits = scan_limits(c);
  o.limits = limits.unpack;
  o.flags = limits.flags;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = kDefaultConfig;
  bool foreground_flag = false;
  std::vector<std::string> on_access_paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--version" || a == "-V") {
      std::cout << "vigild " << vigil_version() << "\n";
      return 0;
    } else if (a == "--foreground" || a == "-F") {
      foreground_flag = true;
    } else if (a.starts_with("--config-file=")) {
      config_path = a.substr(14);
    } else if ((a == "--config-file" || a == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.starts_with("--on-access=")) {
      on_access_paths.push_back(absolute(a.substr(12)));
    } else if (a == "--on-access") {
      if (i + 1 == argc || argv[i + 1][0] == '-') {
        std::cerr << "vigild: --on-access needs at least one PATH\n" << kUsage;
        return 2;
      }
      while (i + 1 < argc && argv[i + 1][0] != '-') on_access_paths.push_back(absolute(argv[++i]));
    } else {
      std::cerr << "vigild: unknown option " << a << "\n" << kUsage;
      return 2;
    }
  }

  std::vector<ConfigDiagnostic> diags;
  std::optional<Config> config = load_config_file(config_path, diags);
  for (const ConfigDiagnostic& d : diags) std::cerr << "vigild: " << d.to_string() << "\n";
  if (!config) return 1;
  const Config& c = *config;
  const bool foreground = foreground_flag || c.foreground;
  OnAccessOptions on_access_opts = on_access_options(c, on_access_paths);
  const bool on_access =
      !on_access_opts.include_paths.empty() || !on_access_opts.mount_paths.empty();
  if (on_access && !c.user.empty() && c.user != "root") {
    // The kernel opens each event's file with the reader's credentials and denies the open
    // when it cannot: after a switch to User, files User cannot read would become unopenable.
    std::cerr << "vigild: on-access scanning needs vigild to stay root; remove User " << c.user
              << " or the on-access paths\n";
    return 1;
  }

  Logger log;
  std::string error;
  if (!log.open(c, error)) {
    std::cerr << "vigild: " << error << "\n";
    return 1;
  }
  LoadSpec spec;
  if (!database_paths(c.database_directory, spec.paths, error)) {
    std::cerr << "vigild: " << error << "\n";
    return 1;
  }
  spec.trusted_key_files = c.trusted_key;
  spec.allow_unsigned = c.allow_unsigned;
  spec.cache_dir = c.cache_directory;
  EngineHolder engines(spec);
  if (!engines.reload(error)) {
    std::cerr << "vigild: cannot load the database: " << error << "\n";
    return 1;
  }

  ServerOptions opts;
  opts.local_socket = c.local_socket;
  opts.local_socket_mode = c.local_socket_mode;
  opts.tcp_port = c.tcp_socket;
  if (!c.tcp_addr.empty()) opts.tcp_address = c.tcp_addr.front();
  opts.max_threads = c.max_threads;
  opts.max_queue = c.max_queue;
  opts.backlog = static_cast<int>(c.max_connection_queue_length);
  opts.limits.stream_max_bytes = c.stream_max_length;
  opts.limits.command_read_timeout_s = static_cast<int>(c.command_read_timeout.count());
  opts.limits.read_timeout_s = static_cast<int>(c.read_timeout.count());
  opts.limits.idle_timeout_s = static_cast<int>(c.idle_timeout.count());
  opts.limits.send_timeout_s =
      std::max(1, static_cast<int>((c.send_buf_timeout.count() + 999) / 1000));
  opts.limits.scan = scan_limits(c);
  opts.watch_paths = spec.paths;
  Server server(opts, engines, [&log](const std::string& m) { log(m); });
  if (!server.listen(error) || !drop_privileges(c.user, error) ||
      (!foreground && !daemonize(error))) {
    std::cerr << "vigild: " << error << "\n";
    return 1;
  }
  if (!c.pid_file.empty()) {
    if (FILE* f = std::fopen(c.pid_file.c_str(), "we")) {
      std::fprintf(f, "%d\n", static_cast<int>(::getpid()));
      std::fclose(f);
    }
  }
  g_server = &server;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGUSR2, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  EngineRef e = engines.current();
  log("vigild " + std::string(vigil_version()) + " started: " + std::to_string(e->signatures) +
      " signatures" +
      (e->dat_version ? ", DAT version " + std::to_string(e->dat_version) : std::string()));
  // After the fork: the scanner knows the daemon's own opens by its pid. The time zone is read
  // now, so that logging never opens a file once opens wait for the scanner.
  ::tzset();
  OnAccess scanner(on_access_opts, engines, [&log](const std::string& m) { log(m); });
  if (on_access) {
    if (!scanner.start(error)) {
      log("vigild: " + error);
      if (!c.log_file.empty()) std::cerr << "vigild: " << error << "\n";
      if (!c.pid_file.empty()) ::unlink(c.pid_file.c_str());
      return 1;
    }
    log("On-access scanning: " + scanner.description());
  }
  server.run();
  scanner.stop();  // every pending open is allowed before the process goes
  g_server = nullptr;
  log("vigild stopped");
  if (!c.pid_file.empty()) ::unlink(c.pid_file.c_str());
  return 0;
}
