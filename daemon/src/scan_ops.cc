// Scan commands on top of vigil_scan_file/_buffer/_fd. Path checks follow clamd's words
// (PROTOCOL.md §4): a missing path is "File path check failure: <strerror>.", a special file is
// "Not supported file type" followed by an OK line, and a file the engine cannot read is an
// ERROR on that file only; the walk goes on.
#include "scan_ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <thread>

#include "fd.h"
#include "protocol.h"

namespace vigil::daemon {
namespace {

int collect_names(const vigil_match* m, void* user) {
  static_cast<std::vector<std::string>*>(user)->push_back(m->name);
  return 0;
}

// Regular files up to this size are read, through an engine stream, rather than mapped: a file
// that another process truncates during the scan would raise SIGBUS in a mapping and take the
// daemon down; read, it is scanned as far as it went. Larger ones (MaxFileSize 0, or above
// this) are left to the engine, which maps them.
constexpr uint64_t kReadWhole = 128ull << 20;
constexpr size_t kReadChunk = 1 << 20;

// Scans what `fd` holds; the names found go to `names`.
vigil_status scan_fd_read(const vigil_engine* engine, vigil_scratch* scratch, int fd,
                          uint32_t flags, std::vector<std::string>& names) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return VIGIL_ERR_IO;
  vigil_scan_result result{};
  if (!S_ISREG(st.st_mode)) return VIGIL_ERR_UNSUPPORTED;  // swapped in since the walk looked
  if (static_cast<uint64_t>(st.st_size) > kReadWhole) {
    return vigil_scan_fd(engine, scratch, fd, flags, collect_names, &names, &result);
  }
  // What the file holds when it is opened, no more: one that keeps growing (or a descriptor a
  // client keeps appending to) cannot grow the daemon's memory.
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  vigil_stream* raw = nullptr;
  vigil_status status = vigil_stream_new(engine, flags, size, &raw);
  if (status != VIGIL_OK) return status;
  std::unique_ptr<vigil_stream, void (*)(vigil_stream*)> stream(raw, vigil_stream_free);
  thread_local std::vector<uint8_t> chunk(kReadChunk);  // one per scanning thread, reused
  for (uint64_t at = 0; at < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - at));
    ssize_t n = ::pread(fd, chunk.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return VIGIL_ERR_IO;
    if (n == 0) break;
    status = vigil_stream_write(stream.get(), scratch, chunk.data(), static_cast<size_t>(n));
    if (status != VIGIL_OK) return status;
    at += static_cast<uint64_t>(n);
  }
  return vigil_stream_finish(stream.get(), scratch, collect_names, &names, &result);
}

// Scans one regular file; appends its reply lines. Returns true if something was found.
bool scan_one(const vigil_engine* engine, vigil_scratch* scratch, const std::string& path,
              ScanMode mode, uint32_t extra_flags, std::vector<std::string>& out) {
  std::vector<std::string> names;
  uint32_t flags = extra_flags | (mode == ScanMode::kAllMatch ? VIGIL_SCAN_ALLMATCH : 0);
  vigil_status st = VIGIL_ERR_IO;
  if (Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)); fd.valid()) {
    st = scan_fd_read(engine, scratch, fd.get(), flags, names);
  }
  if (st != VIGIL_OK) {
    out.push_back(error_body(
        path, st == VIGIL_ERR_IO ? "Can't open file or directory" : vigil_status_string(st)));
    return false;
  }
  for (const std::string& n : names) out.push_back(found_body(path, n));
  return !names.empty();
}

struct Walk {
  const vigil_engine* engine;
  vigil_scratch* scratch;
  ScanMode mode;
  ScanLimits limits;
  std::vector<std::string>& out;
  bool found = false;
  bool stop = false;
  bool path_failed = false;                     // the named path itself could not be checked
  std::vector<std::string>* collect = nullptr;  // MULTISCAN: list the files, scan later

  void visit(const std::string& path, bool top) {
    if (stop) return;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (top) path_check_failed(path);
      return;
    }
    if (S_ISLNK(st.st_mode) && top) {
      // A symlink named on the command line is followed, as clamd does.
      if (::stat(path.c_str(), &st) != 0) {
        path_check_failed(path);
        return;
      }
    } else if (S_ISLNK(st.st_mode)) {
      return;  // links met while walking are not followed
    }
    if (S_ISDIR(st.st_mode)) {
      walk_dir(path);
    } else if (S_ISREG(st.st_mode)) {
      if (limits.max_file_size != 0 && static_cast<uint64_t>(st.st_size) > limits.max_file_size) {
        return;
      }
      if (collect != nullptr) {
        collect->push_back(path);
      } else if (scan_one(engine, scratch, path, mode, limits.flags, out)) {
        found = true;
        // SCAN and ALLMATCHSCAN stop at the first infected file (ALLMATCHSCAN lists all of
        // that file's signatures), as clamd does.
        if (mode != ScanMode::kContinue) stop = true;
      }
    } else if (top) {
      out.push_back(error_body(path, kReasonNotSupported));
    }
  }

  void path_check_failed(const std::string& path) {
    out.push_back(error_body(path, "File path check failure: " + errno_text(errno) + "."));
    path_failed = true;
  }

  void walk_dir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      out.push_back(error_body(dir, "Can't open directory: " + errno_text(errno) + "."));
      return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    const std::string prefix = dir.ends_with('/') ? dir : dir + "/";
    for (const std::string& n : names) {
      if (stop) return;
      visit(prefix + n, false);
    }
  }
};

}  // namespace

std::vector<std::string> scan_path(const vigil_engine* engine, vigil_scratch* scratch,
                                   const std::string& path, ScanMode mode,
                                   const ScanLimits& limits) {
  std::vector<std::string> out;
  Walk w{engine, scratch, mode, limits, out};
  w.visit(path, true);
  // Nothing found: the path is OK (also after a "Not supported file type" line, as clamd says),
  // unless the path itself failed its check.
  if (!w.found && !w.path_failed) out.push_back(ok_body(path));
  return out;
}

std::vector<std::string> scan_path_parallel(const vigil_engine* engine, const std::string& path,
                                            unsigned threads, const ScanLimits& limits) {
  std::vector<std::string> out;
  std::vector<std::string> files;
  Walk w{engine, nullptr, ScanMode::kContinue, limits, out};
  w.collect = &files;
  w.visit(path, true);
  // Each thread scans with a scratch of its own; results keep the walk's order.
  std::vector<std::vector<std::string>> results(files.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> found{false};
  auto work = [&]() noexcept {
    vigil_scratch* scratch = nullptr;
    if (vigil_scratch_new(engine, &scratch) != VIGIL_OK) return;
    try {
      vigil_scratch_set_limits(scratch, &limits.unpack);
      for (size_t i; (i = next.fetch_add(1)) < files.size();) {
        if (scan_one(engine, scratch, files[i], ScanMode::kContinue, limits.flags, results[i])) {
          found = true;
        }
      }
    } catch (...) {
    }
    vigil_scratch_free(scratch);
  };
  std::vector<std::thread> pool;
  const size_t n = std::min<size_t>(std::max(1u, threads), files.size());
  try {
    for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
  }
  work();
  for (std::thread& t : pool) t.join();
  for (std::vector<std::string>& r : results) {
    for (std::string& line : r) out.push_back(std::move(line));
  }
  if (next.load() < files.size()) out.push_back(error_body(path, "out of memory"));
  if (!found && !w.path_failed) out.push_back(ok_body(path));
  return out;
}

std::string finish_stream(vigil_stream* stream, vigil_scratch* scratch, vigil_status write_status) {
  std::vector<std::string> names;
  vigil_scan_result result{};
  vigil_status st = vigil_stream_finish(stream, scratch, collect_names, &names, &result);
  if (write_status != VIGIL_OK) st = write_status;
  if (st != VIGIL_OK) return error_body(kStreamSubject, vigil_status_string(st));
  if (names.empty()) return ok_body(kStreamSubject);
  return found_body(kStreamSubject, names.front());
}

std::string scan_descriptor(const vigil_engine* engine, vigil_scratch* scratch, int fd,
                            uint32_t flags) {
  const std::string subject = fd_subject(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return error_body(subject, kReasonNotRegularFd);
  }
  std::vector<std::string> names;
  vigil_status st2 = scan_fd_read(engine, scratch, fd, flags, names);
  if (st2 != VIGIL_OK) return error_body(subject, vigil_status_string(st2));
  if (names.empty()) return ok_body(subject);
  return found_body(subject, names.front());
}

}  // namespace vigil::daemon
