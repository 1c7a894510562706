// One client connection, start to end, on one worker thread: read with the protocol's
// timeouts, parse (RequestParser), admit (Session), run each command against the engine that
// is current when it starts, and write the replies in clamd's exact bytes. INSTREAM data is
// gathered as it arrives up to StreamMaxLength and scanned at its end; FILDES takes the
// descriptor from the read that carried its dummy byte.
#ifndef VIGIL_DAEMON_CONNECTION_H_
#define VIGIL_DAEMON_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "engine_holder.h"
#include "protocol.h"
#include "scan_ops.h"

namespace vigil::daemon {

struct ConnectionLimits {
  uint64_t stream_max_bytes = 25ull << 20;  // StreamMaxLength
  int command_read_timeout_s = 30;          // CommandReadTimeout: the first command
  int read_timeout_s = 120;                 // ReadTimeout: later commands, stream data
  int idle_timeout_s = 30;                  // IdleTimeout: between commands in a session
  int send_timeout_s = 30;                  // SendBufTimeout
  ScanLimits scan;
};

// What a connection needs from the daemon around it.
struct ConnectionContext {
  EngineHolder* engines;
  ConnectionLimits limits;
  std::function<void()> request_reload;
  std::function<void()> request_shutdown;
  std::function<std::string()> stats;  // STATS body
  std::function<void(const std::string&)> log;
};

// Serves `fd` (owned: closed on return). `unix_socket` enables FILDES.
void serve_connection(int fd, bool unix_socket, ConnectionContext& ctx, ScratchFor& scratch);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_CONNECTION_H_
