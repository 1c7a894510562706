// vigild's server: the listening sockets, an accept loop, a thread per connection (at most
// MaxThreads + MaxQueue connections at once; more wait in the listen backlog, not refused),
// and at most MaxThreads scans at a time, all on one shared engine. Reload
// (RELOAD, SIGUSR2, or a change of the database files) loads a new engine on a thread of its
// own and swaps it in; scans in flight finish on the engine they started with. Shutdown
// (SHUTDOWN, SIGTERM, SIGINT) stops accepting, lets running connections finish and returns.
#ifndef VIGIL_DAEMON_SERVER_H_
#define VIGIL_DAEMON_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "engine_holder.h"
#include "listener.h"

namespace vigil::daemon {

struct ServerOptions {
  std::string local_socket;  // empty: none
  mode_t local_socket_mode = 0666;
  std::string tcp_address = "127.0.0.1";
  int tcp_port = 0;  // 0: none
  unsigned max_threads = 10;
  unsigned max_queue = 100;
  int backlog = 200;
  ConnectionLimits limits;
  std::vector<std::string> watch_paths;  // database files whose change triggers a reload
};

class Server {
 public:
  Server(ServerOptions options, EngineHolder& engines, std::function<void(const std::string&)> log);
  ~Server();

  // Opens the sockets. False with `error` naming the socket and the reason.
  bool listen(std::string& error);
  // Serves until shutdown is requested; returns after the workers have finished.
  void run();

  // Both may be called from any thread, and from a signal handler (they only write to a pipe).
  void request_shutdown();
  void request_reload();

 private:
  void accept_loop();
  void connection_thread(int fd, bool unix_socket);
  void serve(int fd, bool unix_socket);
  void reload_now();
  std::string stats_body_now();
  unsigned max_connections() const { return opts_.max_threads + opts_.max_queue; }

  ServerOptions opts_;
  EngineHolder& engines_;
  std::function<void(const std::string&)> log_;
  Fd unix_fd_, tcp_fd_;
  int wake_[2] = {-1, -1};  // self-pipe: 'q' shutdown, 'r' reload

  std::mutex mu_;
  std::condition_variable cv_;  // a connection ended
  bool stopping_ = false;
  unsigned connections_ = 0;  // accepted and not yet closed
  struct Pending {
    int fd;
    bool unix_socket;
  };
  std::deque<Pending> pending_;  // accepted, waiting for an idle thread to take them
  std::condition_variable work_cv_;
  unsigned threads_ = 0;       // connection threads alive
  unsigned idle_threads_ = 0;  // of which waiting for a connection
  ScanSlots slots_;
  std::thread reloader_;
  std::atomic<bool> reload_requested_{false};
  std::condition_variable reload_cv_;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SERVER_H_
