// One reader thread takes fanotify permission events and answers at once those that need no
// scan (the daemon's own opens, anything not a regular file, out of scope, excluded, too large,
// cached clean); the rest go to a few scanning threads, each with its own scratch, which scan
// the descriptor fanotify opened (never the path again). The reader is also the watchdog: it
// allows events whose scan outlives the time limit. The reader must never open a file on a
// marked filesystem itself (it would wait on its own answer), so it only reads /proc.
#include "on_access.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

#include "fd.h"

namespace vigil::daemon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPermEvents = FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM;
// A file changed this recently is not cached: on filesystems with coarse timestamps a second
// write in the same tick would leave mtime, ctime and size as they were.
constexpr int64_t kSettleNs = 2'000'000'000;

int64_t ns_of(const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string fd_path(int fd) {
  char link[64], buf[PATH_MAX];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Kernel pseudo filesystems: never marked. The reader reads /proc, and an open it made on a
// marked filesystem would wait for its own answer.
bool pseudo_fs(const std::string& type) {
  static const char* const kTypes[] = {
      "proc",        "sysfs",      "devpts",   "devtmpfs", "cgroup",     "cgroup2",  "debugfs",
      "tracefs",     "securityfs", "pstore",   "bpf",      "mqueue",     "configfs", "fusectl",
      "binfmt_misc", "hugetlbfs",  "efivarfs", "autofs",   "rpc_pipefs", "nsfs"};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

// Mount points strictly below `dir` (pseudo filesystems left out), from /proc/self/mountinfo:
// the fifth field is the mount point (octal-escaped), the type follows the "-" field.
std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 1 == f.end() || pseudo_fs(*(dash + 1))) continue;
    std::string point;
    for (size_t i = 0; i < f[4].size(); ++i) {
      bool escape = f[4][i] == '\\' && i + 3 < f[4].size();
      point += escape ? static_cast<char>(std::strtol(f[4].substr(i + 1, 3).c_str(), nullptr, 8))
                      : f[4][i];
      if (escape) i += 3;
    }
    if (point != dir && under(point, dir)) out.push_back(point);
  }
  return out;
}

int first_name(const vigil_match* m, void* user) {
  static_cast<std::string*>(user)->assign(m->name);
  return 1;  // the first detection decides
}

// Scans the file behind `fd` (`size` bytes at the open). Up to kReadWhole it is read into memory
// rather than mapped: another process may truncate it meanwhile, which would raise SIGBUS in a
// mapping and take the daemon down. Larger files (only when OnAccessMaxFileSize allows them)
// go to vigil_scan_fd, which maps them. The name of the first detection goes to `name`.
vigil_status scan_descriptor(const vigil_engine* engine, vigil_scratch* scratch, int fd,
                             uint64_t size, uint32_t flags, std::string& name) {
  constexpr uint64_t kReadWhole = 64u << 20;
  vigil_scan_result result{};
  if (size > kReadWhole) {
    return vigil_scan_fd(engine, scratch, fd, flags, first_name, &name, &result);
  }
  std::unique_ptr<uint8_t[]> data(new (std::nothrow) uint8_t[size + 1]);
  if (!data) return VIGIL_ERR_NOMEM;
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, data.get() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return VIGIL_ERR_IO;
    if (n == 0) break;  // truncated meanwhile: scan what there is
    got += static_cast<uint64_t>(n);
  }
  return vigil_scan_buffer(engine, scratch, data.get(), got, flags, first_name, &name, &result);
}

}  // namespace

FileKey file_key(const struct stat& st) {
  return {st.st_dev, st.st_ino, ns_of(st.st_mtim), ns_of(st.st_ctim), int64_t{st.st_size}};
}

size_t CleanCache::Hash::operator()(const FileKey& k) const {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t v : {uint64_t(k.dev), uint64_t(k.ino), uint64_t(k.mtime_ns), uint64_t(k.ctime_ns),
                     uint64_t(k.size)}) {
    h = (h ^ v) * 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

void CleanCache::advance_to(uint64_t generation) {
  if (generation <= generation_) return;
  generation_ = generation;
  order_.clear();
  index_.clear();
}

bool CleanCache::contains(const FileKey& key, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  advance_to(generation);
  auto it = index_.find(key);
  if (generation != generation_ || it == index_.end()) return false;
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void CleanCache::insert(const FileKey& key, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  advance_to(generation);
  if (generation != generation_ || capacity_ == 0 || index_.contains(key)) return;
  if (index_.size() >= capacity_) {
    index_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(key);
  index_[key] = order_.begin();
}

size_t CleanCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

struct OnAccess::Event {
  Fd fd;  // closed only once the event is answered (the kernel matches answers by fd)
  std::string path;
  FileKey key;
  Clock::time_point deadline;
  bool answered = false;  // guarded by mu_
};

OnAccess::OnAccess(OnAccessOptions options, EngineHolder& engines, LogFn log)
    : opts_(std::move(options)),
      engines_(engines),
      log_(std::move(log)),
      cache_(opts_.cache_entries) {}

bool OnAccess::start(std::string& error) {
  if (fan_.valid()) return true;
  scopes_.clear();
  excludes_.clear();
  std::vector<std::string> named = opts_.include_paths;  // then the mount paths
  named.insert(named.end(), opts_.mount_paths.begin(), opts_.mount_paths.end());
  for (const std::string& p : named) {
    char* real = ::realpath(p.c_str(), nullptr);
    struct statfs fs {};
    if (real == nullptr || ::statfs(real, &fs) != 0) {
      error = "on-access path " + p + ": " + errno_text(errno);
      std::free(real);
      return false;
    }
    scopes_.emplace_back(real);
    std::free(real);
    if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC) {
      error = "on-access path " + p + ": a kernel pseudo filesystem cannot be watched";
      return false;
    }
  }
  for (const std::string& p : opts_.exclude_paths) {
    char* real = ::realpath(p.c_str(), nullptr);
    excludes_.emplace_back(real != nullptr ? real : p);
    std::free(real);
  }
  fan_.reset(::fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC));
  if (!fan_.valid()) {
    error = "on-access scanning needs root (CAP_SYS_ADMIN) and fanotify: fanotify_init: " +
            errno_text(errno);
    return false;
  }
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_.valid() || !mark_paths(error)) {
    if (error.empty()) error = "eventfd: " + errno_text(errno);
    fan_.reset();
    wake_.reset();
    return false;
  }
  // Each pending event holds a descriptor, and the kernel denies an event it cannot give one.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  max_pending_ = std::max<size_t>(1, std::min<size_t>(opts_.max_pending, lim.rlim_cur / 4));
  self_ = ::getpid();
  stopping_ = false;
  scanners_stop_ = false;
  unsigned n =
      opts_.threads != 0 ? opts_.threads : std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  for (unsigned i = 0; i < n; ++i) scanners_.emplace_back([this] { scanner(); });
  reader_ = std::thread([this] { reader(); });
  description_ += std::string("; events: open") + (mask_ & FAN_OPEN_EXEC_PERM ? ", exec" : "") +
                  "; prevention " + (opts_.prevention ? "on" : "off (log only)") + "; " +
                  std::to_string(n) + " scanning threads";
  return true;
}

int OnAccess::mark(unsigned type, const std::string& path) {
  if (::fanotify_mark(fan_.get(), FAN_MARK_ADD | type, mask_, AT_FDCWD, path.c_str()) == 0) {
    return 0;
  }
  int err = errno;
  if (err == EINVAL && (mask_ & FAN_OPEN_EXEC_PERM) &&
      ::fanotify_mark(fan_.get(), FAN_MARK_ADD | type, FAN_OPEN_PERM, AT_FDCWD, path.c_str()) ==
          0) {
    mask_ = FAN_OPEN_PERM;  // a kernel before 5.0: exec is still an open, so still covered
    return 0;
  }
  return err;
}

bool OnAccess::mark_paths(std::string& error) {
  mask_ = kPermEvents;
  std::vector<std::string> kinds;
  auto fail = [&](const std::string& path, int err) {
    error = "on-access: cannot watch " + path + ": " + errno_text(err);
    return false;
  };
  const size_t includes = opts_.include_paths.size();
  for (size_t i = 0; i < includes; ++i) {
    std::vector<std::string> targets = mounts_below(scopes_[i]);
    targets.insert(targets.begin(), scopes_[i]);
    for (const std::string& t : targets) {
      const char* kind = "filesystem";
      int err = mark(FAN_MARK_FILESYSTEM, t);
      if (err != 0) {
        kind = "mount";
        err = mark(FAN_MARK_MOUNT, t);
      }
      if (err != 0 && t == scopes_[i]) return fail(t, err);
      if (err != 0) {  // a mount below the named path: watch the rest rather than nothing
        log_("on-access: cannot watch the mount " + t + ": " + errno_text(err) +
             "; files there are not scanned");
        continue;
      }
      kinds.push_back(t + " (" + kind + " mark)");
    }
  }
  for (size_t i = includes; i < scopes_.size(); ++i) {
    if (int err = mark(FAN_MARK_MOUNT, scopes_[i]); err != 0) return fail(scopes_[i], err);
    kinds.push_back(scopes_[i] + " (mount mark)");
  }
  description_ = "watching";
  for (size_t i = 0; i < kinds.size(); ++i) description_ += (i ? ", " : " ") + kinds[i];
  return true;
}

void OnAccess::respond(int event_fd, uint32_t response) {
  fanotify_response r{event_fd, response};
  if (::write(fan_.get(), &r, sizeof r) != sizeof r) {
    log_("on-access: cannot answer an event: " + errno_text(errno));
  }
}

bool OnAccess::claim(Event& ev) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ev.answered) return false;
  ev.answered = true;
  --pending_;
  return true;
}

void OnAccess::reader() {
  alignas(fanotify_event_metadata) char buf[16384];
  for (;;) {
    pollfd fds[2] = {{fan_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, expire());
    if (rc < 0 && errno != EINTR) log_("on-access: poll: " + errno_text(errno));
    if (fds[1].revents & POLLIN) return;  // stop(): closing the group allows what is left
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t n = ::read(fan_.get(), buf, sizeof buf);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      log_("on-access: reading events: " + errno_text(errno));  // the kernel denied that one
    }
    auto* m = reinterpret_cast<fanotify_event_metadata*>(buf);
    for (; n > 0 && FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      if (m->vers != FANOTIFY_METADATA_VERSION) {
        log_("on-access: unexpected fanotify metadata version " + std::to_string(m->vers));
      }
      handle(m->fd, m->pid, m->mask);
    }
  }
}

void OnAccess::handle(int event_fd, pid_t pid, uint64_t mask) {
  if (event_fd < 0) return;  // FAN_NOFD: a queue overflow notice, nothing to answer
  Fd fd(event_fd);
  if (!(mask & kPermEvents)) return;
  auto allow = [&] { respond(fd.get(), FAN_ALLOW); };
  struct stat st {};
  if (stopping_ || pid == self_ || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > opts_.max_file_size) {
    return allow();
  }
  std::string path = fd_path(fd.get());
  if (!in_scope(path) || uid_excluded(pid)) return allow();
  EngineRef engine = engines_.current();
  FileKey key = file_key(st);
  if (!engine || cache_.contains(key, engine->generation)) return allow();

  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return allow();  // stop() has begun: no scanner would take it
  if (pending_ >= max_pending_) {
    if (!overloaded_) {
      overloaded_ = true;
      log_("on-access: " + std::to_string(pending_) +
           " scans pending; opens are allowed unscanned while the backlog is full");
    }
    return allow();
  }
  if (overloaded_ && pending_ < max_pending_ / 2) overloaded_ = false;
  auto ev = std::make_shared<Event>();
  ev->fd = std::move(fd);
  ev->path = std::move(path);
  ev->key = key;
  ev->deadline = Clock::now() + opts_.time_limit;
  queue_.push_back(ev);
  unanswered_.push_back(std::move(ev));
  ++pending_;
  cv_.notify_one();
}

int OnAccess::expire() {
  std::vector<std::string> late;
  int timeout = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    while (!unanswered_.empty()) {
      Event& ev = *unanswered_.front();
      if (!ev.answered && ev.deadline > now) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(ev.deadline - now);
        timeout = static_cast<int>(left.count());
        break;
      }
      if (!ev.answered) {
        ev.answered = true;
        --pending_;
        respond(ev.fd.get(), FAN_ALLOW);
        late.push_back(ev.path);
      }
      unanswered_.pop_front();
    }
  }
  for (const std::string& path : late) {
    log_(path + ": scan exceeded the on-access time limit (" +
         std::to_string(opts_.time_limit.count()) + " ms); access allowed");
  }
  return timeout;
}

void OnAccess::scanner() {
  ScratchFor scratch;
  if (opts_.limits.struct_size != 0) scratch.set_limits(opts_.limits);
  for (;;) {
    std::shared_ptr<Event> ev;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return scanners_stop_ || !queue_.empty(); });
      if (scanners_stop_) return;
      ev = std::move(queue_.front());
      queue_.pop_front();
      if (ev->answered) continue;  // allowed by the watchdog before its turn came
    }
    scan(*ev, scratch);
  }
}

void OnAccess::scan(Event& ev, ScratchFor& scratch) {
  EngineRef engine = engines_.current();
  vigil_scratch* s = engine ? scratch.get(engine) : nullptr;
  std::string name;
  vigil_status st = s == nullptr
                        ? VIGIL_ERR_NOMEM
                        : scan_descriptor(engine->engine, s, ev.fd.get(),
                                          static_cast<uint64_t>(ev.key.size), opts_.flags, name);
  uint32_t response = FAN_ALLOW;
  std::string line;
  if (st != VIGIL_OK) {
    line = ev.path + ": " + vigil_status_string(st) + " ERROR (access allowed)";
  } else if (name.empty()) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    if (ns_of(now) - std::max(ev.key.mtime_ns, ev.key.ctime_ns) >= kSettleNs) {
      cache_.insert(ev.key, engine->generation);
    }
    if (opts_.log_clean) line = ev.path + ": OK";
  } else if (!opts_.prevention) {
    line = ev.path + ": " + name + " FOUND";
  } else {
    response = FAN_DENY;
    line = ev.path + ": " + name + " FOUND (access denied)";
  }
  if (!claim(ev)) {  // the watchdog has allowed it
    if (!name.empty()) {
      log_(ev.path + ": " + name + " FOUND after the time limit (access was allowed)");
    }
    return;
  }
  if (!line.empty()) log_(line);  // logged before the opener goes on
  respond(ev.fd.get(), response);
}

bool OnAccess::in_scope(const std::string& path) const {
  auto below = [&](const std::string& dir) { return under(path, dir); };
  return !path.empty() && std::any_of(scopes_.begin(), scopes_.end(), below) &&
         std::none_of(excludes_.begin(), excludes_.end(), below);
}

bool OnAccess::uid_excluded(pid_t pid) const {
  if (opts_.exclude_uids.empty() && !opts_.exclude_root) return false;
  char name[64], buf[4096];
  std::snprintf(name, sizeof name, "/proc/%d/status", static_cast<int>(pid));
  Fd f(::open(name, O_RDONLY | O_CLOEXEC));
  ssize_t n = f.valid() ? ::read(f.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return false;  // the opener is gone or hidden: scan
  buf[n] = '\0';
  const char* line = std::strstr(buf, "\nUid:");
  unsigned long real = 0, effective = 0;
  if (line == nullptr || std::sscanf(line + 5, "%lu %lu", &real, &effective) != 2) return false;
  uid_t uid = static_cast<uid_t>(effective);
  if (uid == 0 && opts_.exclude_root) return true;
  return std::find(opts_.exclude_uids.begin(), opts_.exclude_uids.end(), uid) !=
         opts_.exclude_uids.end();
}

void OnAccess::stop() {
  if (!fan_.valid()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;  // from here the reader allows every new event at once
    scanners_stop_ = true;
    for (const std::shared_ptr<Event>& ev : unanswered_) {
      if (!ev->answered) {
        ev->answered = true;
        respond(ev->fd.get(), FAN_ALLOW);
      }
    }
    pending_ = 0;
    unanswered_.clear();
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : scanners_) t.join();  // scans in flight end; their opens are answered
  scanners_.clear();
  uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_.get(), &one, sizeof one);
  if (reader_.joinable()) reader_.join();
  fan_.reset();  // the kernel allows any event still queued
  wake_.reset();
}

}  // namespace vigil::daemon
