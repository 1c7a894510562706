// Atomic file replacement the POSIX way: write a temporary next to the target (rename is atomic
// only within one file system), fsync it, rename it over the target, fsync the directory so the
// rename itself is durable. An RAII guard unlinks the temporary on every early return, so a
// failed or rejected write leaves the directory as it was. Whole-file reads live here too, with
// the same "<path>: <step>: <errno text>" messages.
#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <utility>

namespace vigil::common {
namespace {

// Owns a descriptor. close() reports close's own error, which some file systems (NFS) use to
// report a failed write-back.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // 0 on success, otherwise the errno of close (the descriptor is gone either way).
  int close() {
    int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Unlinks the temporary on destruction unless the rename has committed it.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void commit() { path_.clear(); }

 private:
  std::string path_;
};

Status io_error(const std::string& path, const char* step, int err) {
  return Status(VIGIL_ERR_IO, path + ": " + step + ": " + errno_text(err));
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Creates `<path>.tmp.<pid>.<n>` exclusively; a name left behind by a crashed process that had
// the same pid is skipped, never reused. Returns the descriptor, or -1 with errno set.
int create_temp(const std::string& path, mode_t mode, std::string& temp) {
  static std::atomic<uint64_t> counter{0};
  const std::string prefix = path + ".tmp." + std::to_string(::getpid()) + ".";
  for (int attempt = 0; attempt < 1000; ++attempt) {
    temp = prefix + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
    if (fd >= 0 || (errno != EEXIST && errno != EINTR)) return fd;
  }
  errno = EEXIST;
  return -1;
}

// 0 once every byte is written, otherwise the errno of the failing write.
int write_all(int fd, std::string_view bytes) {
  constexpr size_t kMaxChunk = size_t{1} << 30;
  while (!bytes.empty()) {
    size_t want = bytes.size() < kMaxChunk ? bytes.size() : kMaxChunk;
    ssize_t n = ::write(fd, bytes.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no error: do not spin
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// 0 on success, otherwise the errno of fsync.
int sync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode) {
  return write_file_atomically(path, bytes, mode, nullptr);
}

Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode,
                             const std::function<Status(const std::string& temp_path)>& check) {
  if (path.empty() || path.back() == '/') {
    return Status(VIGIL_ERR_INVALID_ARGUMENT, "'" + path + "': not a file path");
  }
  std::string temp;
  Fd fd(create_temp(path, mode, temp));
  if (fd.get() < 0) return io_error(path, "cannot create temporary file", errno);
  TempFileGuard guard(temp);

  if (int err = write_all(fd.get(), bytes); err != 0) return io_error(path, "write failed", err);
  if (int err = sync_fd(fd.get()); err != 0) return io_error(path, "fsync failed", err);
  if (int err = fd.close(); err != 0) return io_error(path, "close failed", err);

  if (check) {
    Status st = check(temp);
    if (!st.is_ok()) return st;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) return io_error(path, "rename failed", errno);
  guard.commit();

  // Make the rename durable. File systems that cannot sync a directory say EINVAL; there is
  // nothing more to do on those.
  const std::string dir = directory_of(path);
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return io_error(path, "replaced, but cannot open its directory", errno);
  if (int err = sync_fd(dir_fd.get()); err != 0 && err != EINVAL) {
    return io_error(path, "replaced, but directory fsync failed", err);
  }
  return Status::ok();
}

// Reads into std::string or PodVector<uint8_t> (which skips zeroing the buffer first).
template <typename Buffer>
Result<Buffer> read_into(const std::string& path, size_t max_size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return io_error(path, "cannot open", errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return io_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return Status(VIGIL_ERR_UNSUPPORTED, path + ": not a regular file");
  auto over_limit = [&](uint64_t size) {
    return Status(VIGIL_ERR_LIMIT, path + ": " + std::to_string(size) +
                                       " bytes is over the limit of " + std::to_string(max_size));
  };
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_size) return over_limit(size);

  // Read until end of file rather than trusting st_size: the file may have changed since.
  Buffer out;
  out.resize(static_cast<size_t>(size));
  size_t got = 0;
  char extra[1 << 16];
  for (;;) {
    char* dst = got < out.size() ? reinterpret_cast<char*>(out.data()) + got : extra;
    size_t room = got < out.size() ? out.size() - got : sizeof extra;
    ssize_t n = ::read(fd.get(), dst, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path, "read failed", errno);
    }
    if (n == 0) break;
    if (dst == extra) {
      if (got + static_cast<size_t>(n) > max_size) return over_limit(got + n);
      out.insert(out.end(), extra, extra + n);
    }
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return Result<Buffer>(std::move(out));
}

Result<std::string> read_whole_file(const std::string& path, size_t max_size) {
  return read_into<std::string>(path, max_size);
}

Result<PodVector<uint8_t>> read_file_bytes(const std::string& path, size_t max_size) {
  return read_into<PodVector<uint8_t>>(path, max_size);
}

}  // namespace vigil::common
