// Maps inputs read-only. Regular files are mapped as they are (MADV_SEQUENTIAL lets the kernel
// drop pages behind the scan); other descriptors are copied into an O_TMPFILE spool and mapped,
// which keeps random access for the confirm step without holding the stream in heap memory.
#include "common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

namespace vigil::common {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status io_error(const std::string& what, int err) {
  return Status(VIGIL_ERR_IO, what + ": " + errno_text(err));
}

int open_spool() {
  const char* dir = std::getenv("TMPDIR");
  if (dir == nullptr || *dir == '\0') dir = "/tmp";
  int fd = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string tmpl = std::string(dir) + "/vigil-spool-XXXXXX";
  fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(tmpl.c_str());
  return fd;
}

}  // namespace

MappedInput::~MappedInput() { release(); }

MappedInput::MappedInput(MappedInput&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)) {}

MappedInput& MappedInput::operator=(MappedInput&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, false);
  }
  return *this;
}

namespace {
void drop_mapped(void* ctx, uint64_t offset) {
  const MappedInput* in = static_cast<const MappedInput*>(ctx);
  uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t len = offset < in->size() ? offset : in->size();
  len -= len % page;
  if (len > 0) ::madvise(const_cast<uint8_t*>(in->data()), len, MADV_DONTNEED);
}
}  // namespace

ReleaseHook MappedInput::release_hook() const {
  if (!mapped_) return ReleaseHook{};
  return ReleaseHook{&drop_mapped, const_cast<MappedInput*>(this)};
}

void MappedInput::release() {
  if (mapped_ && data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = false;
}

Result<MappedInput> MappedInput::map_regular(int fd, uint64_t size) {
  MappedInput in;
  if (size == 0) return in;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return io_error("mmap failed", errno);
  ::madvise(p, size, MADV_SEQUENTIAL);
  in.data_ = static_cast<const uint8_t*>(p);
  in.size_ = size;
  in.mapped_ = true;
  return in;
}

Result<MappedInput> MappedInput::view_regular(int fd, uint64_t size, std::vector<uint8_t>* buffer) {
  if (buffer == nullptr || size > kReadLimit) return map_regular(fd, size);
  if (buffer->size() < size) buffer->resize(size);
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, buffer->data() + got, size - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read failed", errno);
    }
    if (n == 0) break;  // the file shrank: scan what it holds now
    got += static_cast<uint64_t>(n);
  }
  MappedInput in;
  in.data_ = buffer->data();
  in.size_ = got;
  return in;
}

Result<MappedInput> MappedInput::open_path(const std::string& path, std::vector<uint8_t>* buffer) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw < 0) return io_error(path, errno);
  Fd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return io_error(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status(VIGIL_ERR_UNSUPPORTED, path + ": not a regular file");
  }
  return view_regular(fd.get(), static_cast<uint64_t>(st.st_size), buffer);
}

Result<MappedInput> MappedInput::from_fd(int fd, std::vector<uint8_t>* buffer) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return io_error("fstat failed", errno);
  if (S_ISREG(st.st_mode)) return view_regular(fd, static_cast<uint64_t>(st.st_size), buffer);
  if (S_ISDIR(st.st_mode)) return Status(VIGIL_ERR_UNSUPPORTED, "descriptor is a directory");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    // A device may never end (/dev/zero) and a terminal would block: not a scannable stream.
    return Status(VIGIL_ERR_UNSUPPORTED, "descriptor is a device");
  }

  Fd spool(open_spool());
  if (spool.get() < 0) return io_error("cannot create spool file", errno);
  char buf[1 << 16];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("read failed", errno);
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(spool.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return io_error("spool write failed", errno);
      }
      off += w;
    }
    total += static_cast<uint64_t>(n);
  }
  return map_regular(spool.get(), total);
}

}  // namespace vigil::common
