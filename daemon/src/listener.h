// The sockets vigild listens on: a unix socket (clamd's LocalSocket, with its mode) and a TCP
// socket (TCPSocket/TCPAddr, loopback unless configured). A stale unix socket left by a
// crashed daemon is replaced; one that another daemon still answers on is not.
#ifndef VIGIL_DAEMON_LISTENER_H_
#define VIGIL_DAEMON_LISTENER_H_

#include <sys/types.h>

#include <string>

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
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Listens on a unix socket at `path` with permissions `mode`. False with `error` set (naming
// the path and the reason) on failure.
bool listen_unix(const std::string& path, mode_t mode, int backlog, Fd& out, std::string& error);

// Listens on TCP `address`:`port` (numeric or a name getaddrinfo resolves; the first address
// that binds is used).
bool listen_tcp(const std::string& address, int port, int backlog, Fd& out, std::string& error);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_LISTENER_H_
