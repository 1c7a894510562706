// vigild's clamd protocol layer: pure parsing and formatting, no sockets, no engine.
//
// The wire facts behind every rule here were measured against clamd 1.4.6 and are written
// down in daemon/PROTOCOL.md; the tests replay those transcripts. Three pieces:
//   RequestParser  turns the bytes of one connection, fed as they arrive, into commands and
//                  INSTREAM data; bounded memory whatever the input.
//   Session        decides what a connection does with each command (plain command, IDSESSION
//                  ... END, the exact rejection bytes), and which request id a reply carries.
//   reply helpers  produce the exact reply bytes: "<id>: " prefix, body, terminator.
#ifndef VIGIL_DAEMON_PROTOCOL_H_
#define VIGIL_DAEMON_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vigil::daemon {

// How a command was delimited. The reply uses the same terminator: '\0' for kNul, '\n' for
// the two others.
enum class Framing : uint8_t {
  kBare,     // legacy, no prefix: "PING\n", "PING" alone in a read, "PING\0"
  kNewline,  // "nPING\n"
  kNul,      // "zPING\0"
};

enum class CommandKind : uint8_t {
  kPing,
  kVersion,
  kVersionCommands,
  kReload,
  kShutdown,  // SHUTDOWN and its legacy alias QUIT
  kScan,
  kContScan,
  kMultiScan,
  kAllMatchScan,
  kInstream,
  kFildes,
  kStats,
  kIdSession,
  kEnd,
  kDetStats,       // DETSTATS: listed by clamd 1.4.6, answers nothing and closes
  kDetStatsClear,  // DETSTATSCLEAR: likewise
  kUnknown,        // anything else, and the commands clamd refuses in bare form
};

struct Command {
  Framing framing = Framing::kBare;
  CommandKind kind = CommandKind::kUnknown;
  // The scan commands' path, byte for byte as sent: everything after the command name and
  // the one separator byte that follows it ("SCAN /a b " -> "/a b "). Empty otherwise.
  std::string argument;
};

// The reply terminator for a framing.
constexpr char terminator(Framing f) { return f == Framing::kNul ? '\0' : '\n'; }

// "PING", "SCAN", ...; "UNKNOWN" for kUnknown. For logs.
std::string_view command_name(CommandKind kind);

struct ParserLimits {
  // Bytes one command may span, counting the 'n'/'z' prefix and the terminator. clamd 1.4.6
  // accepts 4104 and closes the connection without a reply at the 4105th byte; a bare command
  // is cut at this length instead (clamd answers the truncated text).
  size_t max_command_bytes = 4104;
  // StreamMaxLength: total INSTREAM payload per stream. A chunk header that would take the
  // total past it ends the stream with kStreamTooLong before any of its data is read.
  uint64_t max_stream_bytes = 100ull * 1024 * 1024;
  // clamd takes a bare command as "one command per read": without '\n' or '\0' it ends where
  // the read ends. true (the default, as clamd) makes each feed() a read; false makes bare
  // commands wait for a terminator, so the result no longer depends on how bytes are split.
  bool bare_command_ends_with_feed = true;
};

enum class ParseError : uint8_t {
  kNone,
  kCommandTooLong,  // clamd: close, no reply
  kStreamTooLong,   // clamd: reply "INSTREAM size limit exceeded. ERROR", close
};

struct Event {
  enum class Type : uint8_t {
    kNeedMore,    // every byte fed so far is consumed; feed() the next read
    kCommand,     // `command` is complete (FILDES: its one dummy byte has been consumed too)
    kStreamData,  // INSTREAM payload: `data` points into the buffer last given to feed()
    kStreamEnd,   // the zero-length chunk: scan what was streamed, reply, back to commands
    kError,       // `error`; the parser is stopped and returns this event from now on
  };
  Type type = Type::kNeedMore;
  Command command;
  std::span<const uint8_t> data;
  ParseError error = ParseError::kNone;
};

// Incremental request parser for one connection. feed() lends it one read's bytes; next()
// hands out what they complete, one event at a time, until kNeedMore. After a framed INSTREAM
// it reads chunks (4-byte big-endian length, then data; length 0 ends the stream) and hands
// the data out as spans into the fed buffer, in pieces as they arrive, never copied. After a
// FILDES it consumes exactly one byte (the dummy byte that carries the descriptor) before
// returning the command, so the caller knows which read completed it.
//
// Memory: one command (<= max_command_bytes) and a 4-byte chunk header are all it keeps.
// Lifetime: the fed bytes must stay valid until next() returns kNeedMore or the next feed().
// Not thread-safe; one per connection.
class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  // Lends the bytes of one read. Calling it before next() has returned kNeedMore drops the
  // unconsumed rest of the previous buffer (a caller bug; kept memory-safe).
  void feed(std::span<const uint8_t> bytes);
  Event next();

  bool in_stream() const { return state_ == State::kChunkHeader || state_ == State::kChunkData; }
  uint64_t stream_bytes() const { return stream_total_; }  // declared so far in this stream

 private:
  enum class State : uint8_t { kCommand, kFildesDummy, kChunkHeader, kChunkData, kFailed };

  std::optional<Event> finish_command();
  Event fail(ParseError error);

  ParserLimits limits_;
  State state_ = State::kCommand;
  std::span<const uint8_t> input_;
  size_t pos_ = 0;
  std::string line_;       // the command being read, prefix and terminator excluded
  size_t line_bytes_ = 0;  // bytes of it seen on the wire, prefix included
  bool line_started_ = false;
  Framing framing_ = Framing::kBare;
  Command pending_fildes_;
  uint8_t header_[4] = {};
  size_t header_have_ = 0;
  uint64_t chunk_left_ = 0;
  uint64_t stream_total_ = 0;
  ParseError error_ = ParseError::kNone;
};

// What a connection does with one command, from Session::admit().
struct Admission {
  bool accepted = false;  // run it (the caller dispatches on Command::kind) and reply
  uint64_t id = 0;        // request id for its replies: 0 outside IDSESSION, then 1, 2, ...
  Framing reply_framing = Framing::kNewline;  // terminator for its replies
  // After this command's replies the connection ends: every command outside IDSESSION, END
  // (once the replies of commands still running are sent), every rejection.
  bool close_after = true;
  // When not accepted: the exact bytes to send before closing (may be empty: close silently).
  std::string rejection;
};

// IDSESSION rules as measured (PROTOCOL.md, "Sessions"): outside a session one command per
// connection; IDSESSION (framed) opens a session where PING VERSION VERSIONCOMMANDS SCAN
// INSTREAM FILDES STATS are accepted and numbered from 1; END closes it; anything else inside
// is rejected with the id it would have had, and the connection closes.
class Session {
 public:
  Admission admit(const Command& cmd);
  bool in_session() const { return state_ == State::kInSession; }
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State : uint8_t { kFirst, kInSession, kDone };
  State state_ = State::kFirst;
  uint64_t next_id_ = 1;
  Framing last_framing_ = Framing::kNewline;
  bool trailing_error_ = false;  // after a plain command, more commands earn one error line
};

// ---- replies -------------------------------------------------------------------------------

// Bodies clamd 1.4.6 sends verbatim (without terminator).
inline constexpr std::string_view kPong = "PONG";
inline constexpr std::string_view kReloading = "RELOADING";
inline constexpr std::string_view kUnknownCommand = "UNKNOWN COMMAND";
inline constexpr std::string_view kStreamSizeLimit = "INSTREAM size limit exceeded. ERROR";
inline constexpr std::string_view kInvalidInSession = "Command invalid inside IDSESSION. ERROR";
// The backslashes are literal: clamd sends `\n` and `\0` as two characters each.
inline constexpr std::string_view kOnlyPrefixedInSession =
    "Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR";
inline constexpr std::string_view kErrorProcessing = "Error processing command. ERROR";
inline constexpr std::string_view kNoFdReceived = "No file descriptor received. ERROR";
inline constexpr std::string_view kFdWithoutFildes =
    "PROTOCOL ERROR: ancillary data sent without FILDES. ERROR";
// Sent on a read timeout, always '\n'-terminated and never id-prefixed, whatever the framing.
inline constexpr std::string_view kCommandReadTimedOut = "COMMAND READ TIMED OUT";

// Subjects and reasons of scan replies.
inline constexpr std::string_view kStreamSubject = "stream";
// The path reasons end in a period, clamd prints "<strerror>. ERROR"; the others do not.
inline constexpr std::string_view kReasonNoSuchFile =
    "File path check failure: No such file or directory.";
inline constexpr std::string_view kReasonNameTooLong =
    "File path check failure: File name too long.";
inline constexpr std::string_view kReasonNotRegularFd = "Not a regular file";  // FILDES
inline constexpr std::string_view kReasonNotSupported = "Not supported file type";

// The ClamAV version vigild reports (the protocol level it speaks); see PROTOCOL.md.
inline constexpr std::string_view kEmulatedClamavVersion = "1.4.6";

// Appends one reply record: "<id>: " when id > 0, the body, the framing's terminator.
void append_reply(std::string& out, std::string_view body, Framing framing, uint64_t id = 0);
std::string reply(std::string_view body, Framing framing, uint64_t id = 0);

std::string ok_body(std::string_view subject);                              // "S: OK"
std::string found_body(std::string_view subject, std::string_view name);    // "S: NAME FOUND"
std::string error_body(std::string_view subject, std::string_view reason);  // "S: R ERROR"
std::string fd_subject(int fd);                                             // "fd[N]"

// The database stamp VERSION shows: its version number and build time (local time, as clamd
// prints ctime()).
struct DbStamp {
  uint32_t version = 0;
  std::tm built{};
};
// "ClamAV 1.4.6/27500/Tue Jan 14 09:33:56 2025", or "ClamAV 1.4.6" without a stamp (clamd
// with unofficial databases only).
std::string version_body(std::string_view clamav_version, const std::optional<DbStamp>& db);
// version_body + "| COMMANDS: " + the list clamd 1.4.6 gives, in its order.
std::string version_commands_body(std::string_view version);
// "Wed Jun 23 01:34:05 2021" (ctime without its newline, day space-padded, C locale).
std::string ctime_text(const std::tm& t);

// STATS, in clamd 1.4.6's layout (clamdtop parses it). Task lines are running and queued
// commands and idle threads: "\t<COMMAND> <seconds, 6 decimals> <file>".
struct StatsTask {
  std::string_view command;  // "SCAN", "INSTREAM", "IDLE", "STATS", ...
  double seconds = 0;
  std::string_view file;  // may be empty
};
struct StatsSnapshot {
  unsigned threads_live = 0;
  unsigned threads_idle = 0;
  unsigned threads_max = 0;
  unsigned idle_timeout_s = 30;
  unsigned queue_items = 0;
  std::span<const StatsTask> tasks;
  double pools_used_mib = 0;
  double pools_total_mib = 0;
};
// Multi-line body ending in "END" (reply() appends the terminator).
std::string stats_body(const StatsSnapshot& s);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_PROTOCOL_H_
