// The accept loop polls the sockets and a self-pipe (so signal handlers and commands can wake
// it), hands connections to the workers through a queue bounded by MaxQueue (a connection over
// the bound is closed at once rather than left to wait unboundedly), and polls the watched
// database files' modification times once a second for automatic reload. One reload thread
// runs reloads one after another; a failed reload is logged and the old engine keeps serving.
#include "server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>

namespace vigil::daemon {
namespace {

int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

Server::Server(ServerOptions options, EngineHolder& engines,
               std::function<void(const std::string&)> log)
    : opts_(std::move(options)),
      engines_(engines),
      log_(std::move(log)),
      slots_(std::max(1u, opts_.max_threads), opts_.limits.scan.unpack) {
  // A MULTISCAN uses as many threads as there are cores, within MaxThreads.
  opts_.limits.multiscan_threads =
      std::max(1u, std::min(opts_.max_threads, std::thread::hardware_concurrency()));
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

Server::~Server() {
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
  if (!opts_.local_socket.empty() && unix_fd_.valid()) ::unlink(opts_.local_socket.c_str());
}

bool Server::listen(std::string& error) {
  if (wake_[0] < 0) {
    error = "cannot create the wake-up pipe";
    return false;
  }
  if (!opts_.local_socket.empty() &&
      !listen_unix(opts_.local_socket, opts_.local_socket_mode, opts_.backlog, unix_fd_, error)) {
    return false;
  }
  if (opts_.tcp_port != 0 &&
      !listen_tcp(opts_.tcp_address, opts_.tcp_port, opts_.backlog, tcp_fd_, error)) {
    return false;
  }
  if (!unix_fd_.valid() && !tcp_fd_.valid()) {
    error = "no socket to listen on (set LocalSocket or TCPSocket)";
    return false;
  }
  return true;
}

void Server::request_shutdown() {
  char c = 'q';
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
}

void Server::request_reload() {
  char c = 'r';
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
}

void Server::run() {
  reloader_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      reload_cv_.wait(lock, [this] { return stopping_ || reload_requested_.load(); });
      if (stopping_) return;
      reload_requested_ = false;
      lock.unlock();
      reload_now();
      lock.lock();
    }
  });
  accept_loop();
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  reload_cv_.notify_all();
  // Connections finish what they are doing (each wait in them is bounded by a timeout), then
  // the idle threads go.
  cv_.wait(lock, [this] { return connections_ == 0; });
  work_cv_.notify_all();
  cv_.wait(lock, [this] { return threads_ == 0; });
  lock.unlock();
  reloader_.join();
}

void Server::reload_now() {
  std::string error;
  if (engines_.reload(error)) {
    slots_.reset_idle();
    EngineRef e = engines_.current();
    log_("Database reloaded: " + std::to_string(e ? e->signatures : 0) + " signatures");
  } else {
    log_("Database reload failed; the previous database stays in use: " + error);
  }
}

void Server::accept_loop() {
  std::map<std::string, int64_t> seen;
  for (const std::string& p : opts_.watch_paths) seen[p] = mtime_ns(p);
  for (;;) {
    bool full;
    {
      std::lock_guard<std::mutex> lock(mu_);
      full = connections_ >= max_connections();
    }
    // At capacity the listeners are not polled (new clients wait in the backlog); a
    // connection that ends wakes the loop through the pipe.
    pollfd fds[3] = {{wake_[0], POLLIN, 0},
                     {full ? -1 : unix_fd_.get(), POLLIN, 0},
                     {full ? -1 : tcp_fd_.get(), POLLIN, 0}};
    int rc = ::poll(fds, 3, 1000);
    if (rc < 0 && errno != EINTR) {
      log_("poll failed: " + std::to_string(errno));
      return;
    }
    if (fds[0].revents & POLLIN) {
      char c[64];
      ssize_t n = ::read(wake_[0], c, sizeof c);
      for (ssize_t i = 0; i < n; ++i) {
        if (c[i] == 'q') return;
        if (c[i] == 'r') {
          reload_requested_ = true;
          reload_cv_.notify_all();
        }
      }
    }
    for (const std::string& p : opts_.watch_paths) {
      int64_t now = mtime_ns(p);
      if (now != seen[p]) {
        seen[p] = now;
        log_("Database file changed: " + p + "; reloading");
        reload_requested_ = true;
        reload_cv_.notify_all();
      }
    }
    for (int i = 1; i <= 2; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (connections_ >= max_connections()) continue;  // left in the listen backlog
      }
      int c = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      ++connections_;
      if (pending_.size() < idle_threads_) {  // an idle thread takes it
        pending_.push_back({c, i == 1});
        work_cv_.notify_one();
        continue;
      }
      try {
        std::thread([this, c, unix_socket = i == 1] {
          connection_thread(c, unix_socket);
        }).detach();
        ++threads_;
      } catch (const std::system_error&) {
        ::close(c);  // no thread to serve it: the client sees the connection close
        --connections_;
      }
    }
  }
}

// Serves connections one after another: this one, then any handed over while it waits idle,
// until it has been idle for kThreadIdle (threads are kept for reuse: starting one per
// connection costs more than a small request).
void Server::connection_thread(int fd, bool unix_socket) {
  constexpr auto kThreadIdle = std::chrono::seconds(30);
  for (;;) {
    serve(fd, unix_socket);
    std::unique_lock<std::mutex> lock(mu_);
    ++idle_threads_;
    work_cv_.wait_for(lock, kThreadIdle, [this] { return stopping_ || !pending_.empty(); });
    --idle_threads_;
    if (pending_.empty()) {
      --threads_;
      cv_.notify_all();
      return;
    }
    fd = pending_.front().fd;
    unix_socket = pending_.front().unix_socket;
    pending_.pop_front();
  }
}

void Server::serve(int fd, bool unix_socket) {
  {
    ConnectionContext ctx{&engines_,
                          &slots_,
                          opts_.limits,
                          [this] { request_reload(); },
                          [this] { request_shutdown(); },
                          [this] { return stats_body_now(); },
                          log_};
    serve_connection(fd, unix_socket, ctx);
  }
  char c = 'c';  // wakes the accept loop, which may be at capacity
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
  std::lock_guard<std::mutex> lock(mu_);
  --connections_;
  cv_.notify_all();
}

std::string Server::stats_body_now() {
  StatsSnapshot s;
  s.threads_live = slots_.busy();
  s.threads_idle = opts_.max_threads - std::min(opts_.max_threads, s.threads_live);
  s.queue_items = slots_.waiting();
  s.threads_max = opts_.max_threads;
  s.idle_timeout_s = static_cast<unsigned>(opts_.limits.idle_timeout_s);
  return stats_body(s);
}

}  // namespace vigil::daemon
