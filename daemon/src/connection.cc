// The per-connection loop. Each read is handed to the parser as it is (clamd ends a bare
// command at the end of a read); descriptors passed with SCM_RIGHTS belong to the read that
// carried them and are closed unless a FILDES in that read takes one. Every wait has a
// timeout, every buffer a bound, and a client that stalls, disconnects or sends garbage costs
// only its own connection.
#include "connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <optional>
#include <vector>

namespace vigil::daemon {
namespace {

constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kMaxFdsPerRead = 8;

// Each INSTREAM's bytes are handed to the stream as they arrive, and matched once this many
// have come since the last match, if a scan slot is free then: a stream waits for a slot only
// at its end, so slow uploads never hold scan slots.
constexpr uint64_t kStreamScanEvery = 256 * 1024;

// Holds a scan slot for its lifetime (with wait=false, only if one is free now: see held()).
class SlotGuard {
 public:
  SlotGuard(ScanSlots* slots, EngineHolder* engines, bool wait = true)
      : slots_(slots),
        engines_(engines),
        scratch_(wait ? slots->acquire() : slots->try_acquire()) {}
  ~SlotGuard() {
    if (scratch_ == nullptr) return;
    // A scratch made for an engine that has since been replaced is dropped, so it does not
    // keep the old engine alive.
    EngineRef current = engines_->current();
    if (current && scratch_->generation() != 0 && scratch_->generation() != current->generation) {
      scratch_->reset();
    }
    slots_->release(scratch_);
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  // The slot's scratch for `engine`, or null (out of memory, or no engine).
  vigil_scratch* scratch(const EngineRef& engine) {
    return engine && scratch_ != nullptr ? scratch_->get(engine) : nullptr;
  }

 private:
  ScanSlots* slots_;
  EngineHolder* engines_;
  ScratchFor* scratch_;
};

class Conn {
 public:
  Conn(int fd, bool unix_socket, ConnectionContext& ctx)
      : fd_(fd),
        unix_(unix_socket),
        ctx_(ctx),
        parser_(ParserLimits{.max_stream_bytes = ctx.limits.stream_max_bytes}) {}
  ~Conn() {
    close_fds();
    drop_stream();
    ::close(fd_);
  }

  void run() {
    int timeout = ctx_.limits.command_read_timeout_s;
    while (!closing_) {
      ssize_t n = read_some(timeout);
      if (n <= 0) return;  // closed, error or timed out (the timeout was answered)
      parser_.feed(std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
      for (Event e = parser_.next(); e.type != Event::Type::kNeedMore && !closing_;
           e = parser_.next()) {
        handle(e);
      }
      if (!closing_ && !fds_.empty()) {
        // A descriptor no FILDES took: clamd answers in the framing of the command it came
        // with, then refuses the command.
        close_fds();
        const Framing f = buf_[0] == 'z' ? Framing::kNul : Framing::kNewline;
        send_reply(kFdWithoutFildes, f, 0);
        send_reply(kErrorProcessing, f, 0);
        closing_ = true;
      }
      flush();
      timeout = ctx_.limits.read_timeout_s;  // later commands, sessions and stream data alike
    }
    flush();
    drain();
  }

 private:
  // Waits up to `timeout_s` for data; reads it and any passed descriptors. 0 on close or
  // error; -1 after a timeout (answered with clamd's timeout line).
  ssize_t read_some(int timeout_s) {
    pollfd p{fd_, POLLIN, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, timeout_s * 1000);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      std::string line(kCommandReadTimedOut);
      line += '\n';
      out_ += line;
      flush();
      return -1;
    }
    if (rc < 0) return 0;
    buf_.resize(kReadSize);
    iovec iov{buf_.data(), buf_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerRead)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (unix_) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
    }
    ssize_t n;
    do {
      n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (unix_) {
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
        for (size_t i = 0; i < count; ++i) fds_.push_back(fds[i]);
      }
    }
    return n < 0 ? 0 : n;
  }

  void handle(const Event& e) {
    switch (e.type) {
      case Event::Type::kCommand:
        command(e.command);
        break;
      case Event::Type::kStreamData:
        stream_data(e.data);
        break;
      case Event::Type::kStreamEnd: {
        std::string body = error_body(kStreamSubject, "engine unavailable");
        if (stream_ != nullptr) {
          // The stream finishes on the engine it started with, whatever reloads came since.
          SlotGuard slot(ctx_.slots, ctx_.engines);
          if (vigil_scratch* s = slot.scratch(stream_engine_)) {
            body = finish_stream(stream_, s, stream_status_);
          }
          // Kept for the session's next INSTREAM only while its engine is current.
          if (stream_engine_ != ctx_.engines->current()) drop_stream();
        }
        send_reply(body, stream_adm_.reply_framing, stream_adm_.id);
        if (stream_adm_.close_after) closing_ = true;
        break;
      }
      case Event::Type::kError:
        if (e.error == ParseError::kStreamTooLong) {
          send_reply(kStreamSizeLimit, stream_adm_.reply_framing, stream_adm_.id);
        }
        closing_ = true;  // an overlong command closes without a reply, as clamd does
        break;
      case Event::Type::kNeedMore:
        break;
    }
  }

  void command(const Command& cmd) {
    Admission adm = session_.admit(cmd);
    if (!adm.accepted) {
      out_ += adm.rejection;
      if (adm.close_after) closing_ = true;
      return;
    }
    const Framing f = adm.reply_framing;
    switch (cmd.kind) {
      case CommandKind::kPing:
        send_reply(kPong, f, adm.id);
        break;
      case CommandKind::kVersion:
      case CommandKind::kVersionCommands: {
        std::string v = version_body(kEmulatedClamavVersion, stamp());
        send_reply(cmd.kind == CommandKind::kVersion ? v : version_commands_body(v), f, adm.id);
        break;
      }
      case CommandKind::kReload:
        send_reply(kReloading, f, adm.id);
        ctx_.request_reload();
        break;
      case CommandKind::kShutdown:
        ctx_.request_shutdown();
        break;
      case CommandKind::kScan:
      case CommandKind::kContScan:
      case CommandKind::kMultiScan:
      case CommandKind::kAllMatchScan:
        path_scan(cmd, f, adm.id);
        break;
      case CommandKind::kInstream:
        stream_adm_ = adm;
        begin_stream();
        return;  // the reply comes with the stream's end
      case CommandKind::kFildes:
        fildes(f, adm.id);
        break;
      case CommandKind::kStats:
        send_reply(ctx_.stats(), f, adm.id);
        break;
      default:
        break;  // IDSESSION, END, DETSTATS...: nothing to say
    }
    if (adm.close_after) closing_ = true;
  }

  // A stream for the current engine; kept across the INSTREAMs of a session (with its buffer)
  // while that engine stays current.
  void begin_stream() {
    EngineRef current = ctx_.engines->current();
    stream_status_ = VIGIL_OK;
    unscanned_ = 0;
    if (stream_ != nullptr &&
        (stream_engine_ != current || vigil_stream_reset(stream_) != VIGIL_OK)) {
      drop_stream();
    }
    if (stream_ == nullptr && current &&
        vigil_stream_new(current->engine, ctx_.limits.scan.flags, ctx_.limits.stream_max_bytes,
                         &stream_) == VIGIL_OK) {
      stream_engine_ = current;
    }
  }

  void drop_stream() {
    vigil_stream_free(stream_);
    stream_ = nullptr;
    stream_engine_.reset();
  }

  void stream_data(std::span<const uint8_t> data) {
    if (stream_ == nullptr || stream_status_ != VIGIL_OK) return;
    vigil_scratch* scratch = nullptr;
    std::optional<SlotGuard> slot;
    unscanned_ += data.size();
    if (unscanned_ >= kStreamScanEvery) {
      slot.emplace(ctx_.slots, ctx_.engines, false);
      scratch = slot->scratch(stream_engine_);
      if (scratch != nullptr) unscanned_ = 0;
    }
    stream_status_ = vigil_stream_write(stream_, scratch, data.data(), data.size());
  }

  void path_scan(const Command& cmd, Framing f, uint64_t id) {
    ScanMode mode = cmd.kind == CommandKind::kScan           ? ScanMode::kFirst
                    : cmd.kind == CommandKind::kAllMatchScan ? ScanMode::kAllMatch
                                                             : ScanMode::kContinue;
    SlotGuard slot(ctx_.slots, ctx_.engines);
    EngineRef engine = ctx_.engines->current();
    vigil_scratch* s = slot.scratch(engine);
    if (s == nullptr) {
      send_reply(error_body(cmd.argument, "engine unavailable"), f, id);
      return;
    }
    std::vector<std::string> bodies =
        cmd.kind == CommandKind::kMultiScan
            ? scan_path_parallel(engine->engine, cmd.argument, ctx_.limits.multiscan_threads,
                                 ctx_.limits.scan)
            : scan_path(engine->engine, s, cmd.argument, mode, ctx_.limits.scan);
    for (const std::string& body : bodies) send_reply(body, f, id);
  }

  void fildes(Framing f, uint64_t id) {
    if (!unix_ || fds_.empty()) {
      send_reply(kNoFdReceived, f, id);
      return;
    }
    int fd = fds_.front();
    fds_.erase(fds_.begin());
    close_fds();  // any others in the same message are refused
    SlotGuard slot(ctx_.slots, ctx_.engines);
    EngineRef engine = ctx_.engines->current();
    vigil_scratch* s = slot.scratch(engine);
    std::string body = s == nullptr
                           ? error_body(fd_subject(fd), "engine unavailable")
                           : scan_descriptor(engine->engine, s, fd, ctx_.limits.scan.flags);
    ::close(fd);
    send_reply(body, f, id);
  }

  std::optional<DbStamp> stamp() const {
    EngineRef engine = ctx_.engines->current();
    if (!engine || engine->dat_version == 0) return std::nullopt;
    DbStamp st;
    st.version = static_cast<uint32_t>(engine->dat_version);
    time_t t =
        static_cast<time_t>(engine->dat_created != 0 ? engine->dat_created : engine->loaded_at);
    localtime_r(&t, &st.built);
    return st;
  }

  void send_reply(std::string_view body, Framing f, uint64_t id) {
    append_reply(out_, body, f, id);
  }

  // Writes what is pending, waiting up to SendBufTimeout for the socket to take it.
  void flush() {
    size_t sent = 0;
    while (sent < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, ctx_.limits.send_timeout_s * 1000) > 0) continue;
      }
      closing_ = true;  // the client is gone or not reading
      break;
    }
    out_.clear();
  }

  // After the last reply, stop writing and read off what the client is still sending for a
  // moment (a trailing zero chunk, a pipelined command), so that its next send does not hit a
  // closed socket and lose the reply it has not read yet.
  void drain() {
    ::shutdown(fd_, SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) return;
      if (::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) <= 0) return;
    }
  }

  void close_fds() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }

  int fd_;
  bool unix_;
  ConnectionContext& ctx_;
  RequestParser parser_;
  Session session_;
  Admission stream_adm_;
  std::vector<uint8_t> buf_;
  vigil_stream* stream_ = nullptr;         // the INSTREAM being received (kept for the next one)
  EngineRef stream_engine_;                // the engine stream_ was made for (outlives it)
  vigil_status stream_status_ = VIGIL_OK;  // the first failed write of this stream
  uint64_t unscanned_ = 0;                 // bytes written since the last match
  std::vector<int> fds_;
  std::string out_;
  bool closing_ = false;
};

}  // namespace

void serve_connection(int fd, bool unix_socket, ConnectionContext& ctx) {
  Conn(fd, unix_socket, ctx).run();
}

}  // namespace vigil::daemon
