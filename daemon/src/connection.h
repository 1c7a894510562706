// One client connection, start to end, on a thread of its own: read with the protocol's
// timeouts, parse (RequestParser), admit (Session), run each command against the engine that
// is current when it starts, and write the replies in clamd's exact bytes. INSTREAM data is
// gathered as it arrives up to StreamMaxLength and scanned at its end; FILDES takes the
// descriptor from the read that carried its dummy byte.
#ifndef VIGIL_DAEMON_CONNECTION_H_
#define VIGIL_DAEMON_CONNECTION_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
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
  unsigned multiscan_threads = 2;  // threads one MULTISCAN scans with
};

// At most MaxThreads scans run at once, whatever the number of connections: a connection
// waits for a slot only while it has a scan to run, never while it reads.
class ScanSlots {
 public:
  explicit ScanSlots(unsigned slots) : free_(slots) {}
  void acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.wait(lock, [this] { return free_ > 0; });
    --waiting_;
    --free_;
    ++busy_;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++free_;
      --busy_;
    }
    cv_.notify_one();
  }
  unsigned busy() const {
    std::lock_guard<std::mutex> lock(mu_);
    return busy_;
  }
  unsigned waiting() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  unsigned free_;
  unsigned busy_ = 0;
  unsigned waiting_ = 0;
};

// What a connection needs from the daemon around it.
struct ConnectionContext {
  EngineHolder* engines;
  ScanSlots* slots;
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
