// What vigild's system-facing files share: an owned file descriptor and the text of an errno
// value (thread-safe, unlike strerror), so each of them does not carry its own copy.
#ifndef VIGIL_DAEMON_FD_H_
#define VIGIL_DAEMON_FD_H_

#include <unistd.h>

#include <string>
#include <system_error>

namespace vigil::daemon {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// "No such file or directory" for ENOENT.
inline std::string errno_text(int err) { return std::generic_category().message(err); }

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_FD_H_
