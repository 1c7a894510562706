// The sockets vigild listens on: a unix socket (clamd's LocalSocket, with its mode) and a TCP
// socket (TCPSocket/TCPAddr, loopback unless configured). A stale unix socket left by a
// crashed daemon is replaced; one that another daemon still answers on is not.
#ifndef VIGIL_DAEMON_LISTENER_H_
#define VIGIL_DAEMON_LISTENER_H_

#include <sys/types.h>

#include <string>

#include "fd.h"

namespace vigil::daemon {

// Listens on a unix socket at `path` with permissions `mode`. False with `error` set (naming
// the path and the reason) on failure.
bool listen_unix(const std::string& path, mode_t mode, int backlog, Fd& out, std::string& error);

// Listens on TCP `address`:`port` (numeric or a name getaddrinfo resolves; the first address
// that binds is used).
bool listen_tcp(const std::string& address, int port, int backlog, Fd& out, std::string& error);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_LISTENER_H_
