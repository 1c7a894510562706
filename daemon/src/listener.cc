// Socket setup. Everything is close-on-exec; a unix socket path is checked before it is
// replaced (only a socket nobody answers on is removed), and its mode is set before listen()
// so there is no moment when it is reachable with the wrong permissions.
#include "listener.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::daemon {

bool listen_unix(const std::string& path, mode_t mode, int backlog, Fd& out, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    error = "LocalSocket " + path + ": path empty or too long for a unix socket";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = "LocalSocket " + path + ": exists and is not a socket";
      return false;
    }
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      error = "LocalSocket " + path + ": another daemon is listening on it";
      return false;
    }
    ::unlink(path.c_str());  // stale: left by a daemon that is gone
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    error = "LocalSocket " + path + ": socket: " + errno_text(errno);
    return false;
  }
  // Bind with a restrictive umask, then set the configured mode before anyone can connect.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old);
  if (rc != 0) {
    error = "LocalSocket " + path + ": bind: " + errno_text(err);
    return false;
  }
  if (::chmod(path.c_str(), mode) != 0 || ::listen(fd.get(), backlog) != 0) {
    error = "LocalSocket " + path + ": " + errno_text(errno);
    ::unlink(path.c_str());
    return false;
  }
  out = std::move(fd);
  return true;
}

bool listen_tcp(const std::string& address, int port, int backlog, Fd& out, std::string& error) {
  const std::string where = "TCPSocket " + address + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int gai = ::getaddrinfo(address.empty() ? nullptr : address.c_str(), std::to_string(port).c_str(),
                          &hints, &res);
  if (gai != 0) {
    error = where + ": " + gai_strerror(gai);
    return false;
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) continue;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd.get(), backlog) == 0) {
      ::freeaddrinfo(res);
      out = std::move(fd);
      return true;
    }
    last = errno_text(errno);
  }
  ::freeaddrinfo(res);
  error = where + ": " + last;
  return false;
}

}  // namespace vigil::daemon
