// One client connection, start to end, on a thread of its own: read with the protocol's
// timeouts, parse (RequestParser), admit (Session), run each command against the engine that
// is current when it starts, and write the replies in clamd's exact bytes. INSTREAM data goes
// to an engine stream as it arrives (up to StreamMaxLength) and is matched in batches whenever
// a scan slot is free at that moment; FILDES takes the descriptor from the read that carried its
// dummy byte.
#ifndef VIGIL_DAEMON_CONNECTION_H_
#define VIGIL_DAEMON_CONNECTION_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

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
// waits for a slot only while it has a scan to run, never while it reads. Each slot keeps its
// scratch across requests (a scratch is remade only after a reload), so a request costs no
// scratch allocation.
class ScanSlots {
 public:
  ScanSlots(unsigned slots, const vigil_scan_limits& limits) : scratches_(slots) {
    for (ScratchFor& s : scratches_) {
      s.set_limits(limits);
      free_.push_back(&s);
    }
  }
  // A free slot now, or null; the scratch is the caller's until release().
  ScratchFor* try_acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return nullptr;
    ScratchFor* s = free_.back();
    free_.pop_back();
    return s;
  }
  // Waits for a free slot; the scratch is the caller's until release().
  ScratchFor* acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.wait(lock, [this] { return !free_.empty(); });
    --waiting_;
    ScratchFor* s = free_.back();
    free_.pop_back();
    return s;
  }
  void release(ScratchFor* s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(s);
    }
    cv_.notify_one();
  }
  // After a reload: idle slots drop their scratch and the old engine it holds (busy ones do
  // when they are released, see SlotGuard).
  void reset_idle() {
    std::lock_guard<std::mutex> lock(mu_);
    for (ScratchFor* s : free_) s->reset();
  }
  unsigned busy() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<unsigned>(scratches_.size() - free_.size());
  }
  unsigned waiting() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ScratchFor> scratches_;  // stable addresses
  std::vector<ScratchFor*> free_;
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
void serve_connection(int fd, bool unix_socket, ConnectionContext& ctx);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_CONNECTION_H_
