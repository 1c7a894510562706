// Runs the scans. Every thread owns one scratch (the engine itself is shared and immutable, so
// the scan path takes no lock). A file is opened here, not by path inside the engine, so the
// type and size checks apply to the very inode that is scanned: O_NOFOLLOW refuses a symlink
// swapped in after the walker looked, O_NONBLOCK keeps a swapped-in fifo from hanging us, and
// fstat() on the open descriptor decides what is a regular file.
#include "scan_pool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::cli {
namespace {

// Closes the descriptor it was given, if any (stdin is borrowed, so it is never given one).
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct MatchCollector {
  std::vector<Detection> detections;
};

int collect_match(const vigil_match* match, void* user_data) {
  auto* collector = static_cast<MatchCollector*>(user_data);
  Detection d;
  d.name = match->name != nullptr ? match->name : "";
  d.kind = match->kind;
  d.offset = match->kind == VIGIL_SIG_BODY ? match->offset : VIGIL_OFFSET_NONE;
  for (uint32_t i = 0; i < match->path_depth; ++i) d.members.emplace_back(match->path[i]);
  collector->detections.push_back(std::move(d));
  return 0;
}

FileReport skipped(FileReport r, std::string reason) {
  r.status = FileStatus::kSkipped;
  r.message = std::move(reason);
  return r;
}

FileReport failed(FileReport r, std::string reason) {
  r.status = FileStatus::kError;
  r.message = std::move(reason);
  return r;
}

}  // namespace

ScanPool::ScanPool(const vigil_engine* engine, const Options& opts, Reporter* reporter)
    : engine_(engine),
      scan_flags_(opts.scan_flags | (opts.allmatch ? uint32_t{VIGIL_SCAN_ALLMATCH} : 0u)),
      max_filesize_(opts.max_filesize),
      reporter_(reporter),
      queue_(static_cast<size_t>(opts.jobs) * 64 + 64) {}

std::unique_ptr<ScanPool> ScanPool::start(const vigil_engine* engine, const Options& opts,
                                          Reporter* reporter, std::string* error) {
  std::unique_ptr<ScanPool> pool(new ScanPool(engine, opts, reporter));
  for (unsigned i = 0; i < opts.jobs; ++i) {
    vigil_scratch* raw = nullptr;
    vigil_status status = vigil_scratch_new(engine, &raw);
    if (status != VIGIL_OK) {
      *error = vigil_status_string(status);
      return nullptr;
    }
    pool->scratches_.emplace_back(raw);
    status = vigil_scratch_set_limits(raw, &opts.limits);
    if (status != VIGIL_OK) {
      *error = vigil_status_string(status);
      return nullptr;
    }
  }
  for (ScratchPtr& scratch : pool->scratches_) {
    pool->threads_.emplace_back(&ScanPool::run_worker, pool.get(), scratch.get());
  }
  return pool;
}

ScanPool::~ScanPool() { finish(); }

void ScanPool::submit(WorkItem item) { queue_.push(std::move(item)); }

void ScanPool::finish() {
  queue_.close();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ScanPool::run_worker(vigil_scratch* scratch) {
  while (std::optional<WorkItem> item = queue_.pop()) {
    if (item->verdict.has_value()) {
      reporter_->report(*item->verdict);
    } else {
      reporter_->report(scan_item(scratch, *item));
    }
  }
}

FileReport ScanPool::scan_item(vigil_scratch* scratch, const WorkItem& item) const {
  FileReport r;
  r.path = item.path;

  int fd = 0;
  if (!item.is_stdin) {
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if (!item.follow_symlink) flags |= O_NOFOLLOW;
    fd = ::open(item.path.c_str(), flags);
    if (fd < 0) {
      if (errno == ELOOP && !item.follow_symlink) return skipped(std::move(r), "symbolic link");
      return failed(std::move(r), errno_message(errno));
    }
  }
  UniqueFd owner(item.is_stdin ? -1 : fd);

  struct stat st {};
  if (::fstat(fd, &st) != 0) return failed(std::move(r), errno_message(errno));
  if (!item.is_stdin && !S_ISREG(st.st_mode)) {
    return skipped(std::move(r), unscannable_type_name(st.st_mode));
  }
  if (S_ISREG(st.st_mode) && max_filesize_ != 0 &&
      static_cast<uint64_t>(st.st_size) > max_filesize_) {
    return skipped(std::move(r), "larger than --max-filesize");
  }

  MatchCollector collector;
  vigil_scan_result result{};
  vigil_status status =
      vigil_scan_fd(engine_, scratch, fd, scan_flags_, collect_match, &collector, &result);
  if (status != VIGIL_OK) return failed(std::move(r), vigil_status_string(status));

  r.bytes_scanned = result.bytes_scanned;
  r.allowlisted = result.allowlisted != 0;
  r.incomplete = result.incomplete;
  vigil_scan_info info{};
  info.struct_size = sizeof info;
  if (vigil_scratch_get_scan_info(scratch, &info) == VIGIL_OK) {
    r.limits_exceeded = info.limits_exceeded;
    r.encrypted = info.encrypted;
    r.broken = info.broken;
  }
  r.detections = std::move(collector.detections);
  if (r.detections.empty() && result.detections > 0) {
    // Defensive: a verdict without a callback would otherwise print as clean.
    r.detections.push_back(Detection{"(unnamed detection)", VIGIL_SIG_BODY, VIGIL_OFFSET_NONE});
  }
  r.status = r.detections.empty() ? FileStatus::kClean : FileStatus::kInfected;
  return r;
}

}  // namespace vigil::cli
