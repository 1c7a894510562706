// vigild's on-access scanner (Linux fanotify permission events). A file opened or executed
// under a watched path is scanned before the open returns: when it is infected the open fails
// with EPERM (prevention on) and the finding is logged. Clean verdicts are cached per file
// version and engine generation, so a reload drops them. Every event is answered: a scan that
// outlives the time limit, a backlog over its bound and shutdown all answer "allow", because a
// hung open would freeze the system, which is worse than one file passing unscanned.
//
// Scope: fanotify marks are not recursive on directories, so each include path's whole
// filesystem is marked (FAN_MARK_FILESYSTEM, or its mount where the kernel refuses that; mounts
// found below the path at start are marked too) and events are filtered by the path of the
// event's descriptor. OnAccessMountPath marks whole mounts (FAN_MARK_MOUNT), as clamd does.
#ifndef VIGIL_DAEMON_ON_ACCESS_H_
#define VIGIL_DAEMON_ON_ACCESS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine_holder.h"
#include "listener.h"

namespace vigil::daemon {

struct OnAccessOptions {
  std::vector<std::string> include_paths;  // files below these are scanned
  std::vector<std::string> mount_paths;    // every file on these mounts is scanned
  std::vector<std::string> exclude_paths;  // files below these are not
  std::vector<uid_t> exclude_uids;         // effective uids of openers that are not scanned
  bool exclude_root = false;
  uint64_t max_file_size = 5u << 20;  // larger files are allowed unscanned
  bool prevention = true;             // deny infected files (false: log them only)
  bool log_clean = false;             // log "PATH: OK" for each clean scan (not cache hits)
  std::chrono::milliseconds time_limit{5000};
  unsigned threads = 0;          // scanning threads; 0: 2 to 4 by the number of cores
  size_t cache_entries = 65536;  // clean verdicts kept
  size_t max_pending = 1024;     // events waiting or being scanned; more are allowed unscanned
  vigil_scan_limits limits{};    // inside containers (struct_size 0: the engine's defaults)
  uint32_t flags = 0;            // VIGIL_SCAN_* flags added to every scan
};

// One version of one file: a write changes mtime/ctime (ctime cannot be set back by a user).
struct FileKey {
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t size = 0;
  bool operator==(const FileKey&) const = default;
};
FileKey file_key(const struct stat& st);

// Clean verdicts of one engine generation; the least recently used goes first when full. A
// lookup or insert for a newer generation empties it (a reload happened); an insert for an older
// one is ignored (its scan started on the engine that was replaced). Thread-safe.
class CleanCache {
 public:
  explicit CleanCache(size_t capacity) : capacity_(capacity) {}
  bool contains(const FileKey& key, uint64_t generation);
  void insert(const FileKey& key, uint64_t generation);
  size_t size() const;

 private:
  struct Hash {
    size_t operator()(const FileKey& k) const;
  };
  void advance_to(uint64_t generation);  // caller holds mu_

  const size_t capacity_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  std::list<FileKey> order_;  // most recently used first
  std::unordered_map<FileKey, std::list<FileKey>::iterator, Hash> index_;
};

class OnAccess {
 public:
  using LogFn = std::function<void(const std::string&)>;
  OnAccess(OnAccessOptions options, EngineHolder& engines, LogFn log);
  ~OnAccess() { stop(); }
  OnAccess(const OnAccess&) = delete;
  OnAccess& operator=(const OnAccess&) = delete;

  // Needs CAP_SYS_ADMIN. Opens the fanotify group, marks the paths and starts the threads. Call
  // it in the process that will serve (after any fork): the daemon's own opens are recognised by
  // its pid. False with `error` (naming the path and the reason), nothing left running.
  bool start(std::string& error);
  // Allows every pending event, joins the threads and closes the group. Idempotent.
  void stop();
  // What start() set up, for the log.
  const std::string& description() const { return description_; }

 private:
  struct Event;

  bool mark_paths(std::string& error);
  int mark(unsigned type, const std::string& path);  // 0 or an errno
  void reader();
  void handle(int event_fd, pid_t pid, uint64_t mask);
  void scanner();
  void scan(Event& ev, ScratchFor& scratch);
  bool claim(Event& ev);  // takes the right to answer; false if it was already answered
  void respond(int event_fd, uint32_t response);
  int expire();  // answers overdue events; returns the poll timeout until the next deadline
  bool in_scope(const std::string& path) const;
  bool uid_excluded(pid_t pid) const;

  OnAccessOptions opts_;
  EngineHolder& engines_;
  LogFn log_;
  std::vector<std::string> scopes_, excludes_;  // canonical paths
  Fd fan_, wake_;
  pid_t self_ = 0;
  uint64_t mask_ = 0;
  size_t max_pending_ = 0;
  std::string description_;
  CleanCache cache_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Event>> queue_;       // waiting for a scanner
  std::deque<std::shared_ptr<Event>> unanswered_;  // by deadline; answered ones leave lazily
  size_t pending_ = 0;                             // events not answered yet
  bool overloaded_ = false;
  bool scanners_stop_ = false;
  std::atomic<bool> stopping_{false};
  std::thread reader_;
  std::vector<std::thread> scanners_;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ON_ACCESS_H_
