// clamd protocol layer: the request parser, the IDSESSION rules and the reply formats.
// Every rule mirrors a measurement of clamd 1.4.6 (daemon/PROTOCOL.md), quirks included where a
// client could notice them (the one-byte separator after SCAN, bare commands ending with the
// read, the 4104-byte command limit). The parser copies at most one command line; INSTREAM data
// leaves it as spans into the caller's buffer, so its memory is bounded whatever it is fed.
#include "protocol.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

namespace vigil::daemon {
namespace {

struct CommandSpec {
  std::string_view name;
  CommandKind kind;
  bool takes_path;  // "NAME" + one separator byte + path
  bool bare_ok;     // clamd 1.4.6 accepts it without the n/z prefix
};

// Exact names (no path) must match the whole line; path commands match as a prefix.
constexpr std::array<CommandSpec, 18> kSpecs = {{
    {"PING", CommandKind::kPing, false, true},
    {"VERSION", CommandKind::kVersion, false, true},
    {"VERSIONCOMMANDS", CommandKind::kVersionCommands, false, false},
    {"RELOAD", CommandKind::kReload, false, true},
    {"SHUTDOWN", CommandKind::kShutdown, false, true},
    {"QUIT", CommandKind::kShutdown, false, true},
    {"SCAN", CommandKind::kScan, true, true},
    {"CONTSCAN", CommandKind::kContScan, true, true},
    {"MULTISCAN", CommandKind::kMultiScan, true, true},
    {"ALLMATCHSCAN", CommandKind::kAllMatchScan, true, false},
    {"INSTREAM", CommandKind::kInstream, false, false},
    {"FILDES", CommandKind::kFildes, false, true},
    {"STATS", CommandKind::kStats, false, false},
    {"IDSESSION", CommandKind::kIdSession, false, false},
    {"END", CommandKind::kEnd, false, false},
    {"DETSTATS", CommandKind::kDetStats, false, true},
    {"DETSTATSCLEAR", CommandKind::kDetStatsClear, false, true},
    {"UNKNOWN", CommandKind::kUnknown, false, false},
}};

Command classify(Framing framing, std::string_view line) {
  Command cmd;
  cmd.framing = framing;
  for (const CommandSpec& spec : kSpecs) {
    if (spec.kind == CommandKind::kUnknown) break;
    bool match = spec.takes_path ? line.size() > spec.name.size() && line.starts_with(spec.name)
                                 : line == spec.name;
    if (!match) continue;
    if (framing == Framing::kBare && !spec.bare_ok) return cmd;  // kUnknown
    cmd.kind = spec.kind;
    if (spec.takes_path) cmd.argument.assign(line.substr(spec.name.size() + 1));
    return cmd;
  }
  return cmd;
}

bool allowed_in_session(CommandKind kind) {
  switch (kind) {
    case CommandKind::kPing:
    case CommandKind::kVersion:
    case CommandKind::kVersionCommands:
    case CommandKind::kScan:
    case CommandKind::kInstream:
    case CommandKind::kFildes:
    case CommandKind::kStats:
      return true;
    default:
      return false;
  }
}

// A finite, non-negative value that prints in a bounded number of characters.
double bounded(double v) { return std::isfinite(v) ? std::clamp(v, 0.0, 1e12) : 0.0; }

}  // namespace

std::string_view command_name(CommandKind kind) {
  for (const CommandSpec& spec : kSpecs) {
    if (spec.kind == kind) return spec.name;
  }
  return "UNKNOWN";
}

// ---- RequestParser ---------------------------------------------------------------------------

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {
  // A prefix and a terminator must fit, and a bare command must consume at least one byte.
  limits_.max_command_bytes = std::max<size_t>(limits_.max_command_bytes, 2);
  line_.reserve(std::min<size_t>(limits_.max_command_bytes, 8192));
}

void RequestParser::feed(std::span<const uint8_t> bytes) {
  input_ = bytes;
  pos_ = 0;
}

Event RequestParser::fail(ParseError error) {
  state_ = State::kFailed;
  error_ = error;
  input_ = {};
  pos_ = 0;
  line_.clear();
  line_.shrink_to_fit();
  Event ev;
  ev.type = Event::Type::kError;
  ev.error = error;
  return ev;
}

// Ends the command being read. INSTREAM switches to chunks; FILDES is held back (nullopt)
// until its dummy byte arrives.
std::optional<Event> RequestParser::finish_command() {
  line_started_ = false;
  std::string_view line(line_);
  if (framing_ != Framing::kNul) {
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  Event ev;
  ev.type = Event::Type::kCommand;
  ev.command = classify(framing_, line);
  line_.clear();
  if (ev.command.kind == CommandKind::kInstream) {
    state_ = State::kChunkHeader;
    header_have_ = 0;
    stream_total_ = 0;
  } else if (ev.command.kind == CommandKind::kFildes) {
    state_ = State::kFildesDummy;
    pending_fildes_ = std::move(ev.command);
    return std::nullopt;
  }
  return ev;
}

Event RequestParser::next() {
  Event need_more;
  for (;;) {
    const size_t avail = input_.size() - pos_;
    switch (state_) {
      case State::kFailed: {
        Event ev;
        ev.type = Event::Type::kError;
        ev.error = error_;
        return ev;
      }

      case State::kCommand: {
        if (avail == 0) {
          if (line_started_ && framing_ == Framing::kBare && limits_.bare_command_ends_with_feed) {
            if (std::optional<Event> ev = finish_command()) return std::move(*ev);
            continue;
          }
          input_ = {};
          pos_ = 0;
          return need_more;
        }
        if (!line_started_) {
          line_started_ = true;
          line_bytes_ = 0;
          const uint8_t first = input_[pos_];
          framing_ = first == 'n'   ? Framing::kNewline
                     : first == 'z' ? Framing::kNul
                                    : Framing::kBare;
          if (framing_ != Framing::kBare) {
            ++pos_;
            line_bytes_ = 1;
            continue;
          }
        }
        const size_t room = limits_.max_command_bytes - line_bytes_;
        if (room == 0) {
          if (framing_ != Framing::kBare) return fail(ParseError::kCommandTooLong);
          if (std::optional<Event> ev = finish_command()) return std::move(*ev);  // cut, as clamd
          continue;
        }
        const uint8_t* begin = input_.data() + pos_;
        const size_t window = std::min(avail, room);
        const uint8_t* end = begin + window;
        const uint8_t* stop =
            framing_ == Framing::kBare
                ? std::find_if(begin, end, [](uint8_t c) { return c == '\n' || c == '\0'; })
                : std::find(begin, end, static_cast<uint8_t>(terminator(framing_)));
        line_.append(reinterpret_cast<const char*>(begin), static_cast<size_t>(stop - begin));
        const size_t used = static_cast<size_t>(stop - begin) + (stop != end ? 1 : 0);
        pos_ += used;
        line_bytes_ += used;
        if (stop != end) {
          if (std::optional<Event> ev = finish_command()) return std::move(*ev);
        }
        continue;
      }

      case State::kFildesDummy: {
        if (avail == 0) {
          input_ = {};
          pos_ = 0;
          return need_more;
        }
        ++pos_;  // the dummy byte the descriptor travels with; its value does not matter
        state_ = State::kCommand;
        Event ev;
        ev.type = Event::Type::kCommand;
        ev.command = std::move(pending_fildes_);
        pending_fildes_ = Command{};
        return ev;
      }

      case State::kChunkHeader: {
        const size_t take = std::min(avail, sizeof header_ - header_have_);
        std::memcpy(header_ + header_have_, input_.data() + pos_, take);
        header_have_ += take;
        pos_ += take;
        if (header_have_ < sizeof header_) {
          input_ = {};
          pos_ = 0;
          return need_more;
        }
        header_have_ = 0;
        const uint64_t len = (uint64_t{header_[0]} << 24) | (uint64_t{header_[1]} << 16) |
                             (uint64_t{header_[2]} << 8) | uint64_t{header_[3]};
        if (len == 0) {
          state_ = State::kCommand;
          Event ev;
          ev.type = Event::Type::kStreamEnd;
          return ev;
        }
        // stream_total_ never exceeds the limit, so the subtraction cannot wrap.
        if (len > limits_.max_stream_bytes - stream_total_) {
          return fail(ParseError::kStreamTooLong);
        }
        stream_total_ += len;
        chunk_left_ = len;
        state_ = State::kChunkData;
        continue;
      }

      case State::kChunkData: {
        if (avail == 0) {
          input_ = {};
          pos_ = 0;
          return need_more;
        }
        const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_left_, avail));
        Event ev;
        ev.type = Event::Type::kStreamData;
        ev.data = input_.subspan(pos_, take);
        pos_ += take;
        chunk_left_ -= take;
        if (chunk_left_ == 0) state_ = State::kChunkHeader;
        return ev;
      }
    }
  }
}

// ---- Session ---------------------------------------------------------------------------------

Admission Session::admit(const Command& cmd) {
  Admission a;
  a.reply_framing = cmd.framing;
  switch (state_) {
    case State::kFirst:
      if (cmd.kind == CommandKind::kUnknown || cmd.kind == CommandKind::kEnd) {
        state_ = State::kDone;
        a.rejection = reply(kUnknownCommand, cmd.framing);
        return a;
      }
      a.accepted = true;
      last_framing_ = cmd.framing;
      if (cmd.kind == CommandKind::kIdSession) {
        state_ = State::kInSession;
        a.close_after = false;
      } else {
        state_ = State::kDone;
        trailing_error_ = true;
      }
      return a;

    case State::kInSession:
      a.id = next_id_++;
      if (cmd.framing == Framing::kBare) {
        // No terminator of its own: both lines end like the previous command's replies.
        state_ = State::kDone;
        a.reply_framing = last_framing_;
        append_reply(a.rejection, kOnlyPrefixedInSession, last_framing_, a.id);
        append_reply(a.rejection, kErrorProcessing, last_framing_, a.id);
        return a;
      }
      if (cmd.kind == CommandKind::kEnd) {
        state_ = State::kDone;
        a.accepted = true;
        return a;
      }
      if (!allowed_in_session(cmd.kind)) {
        state_ = State::kDone;
        a.rejection = reply(kInvalidInSession, cmd.framing, a.id);
        return a;
      }
      a.accepted = true;
      a.close_after = false;
      last_framing_ = cmd.framing;
      return a;

    case State::kDone:
      // clamd answers the first command that follows a plain one (one line, the first
      // command's terminator, no id); after END or a rejection it just closes.
      a.reply_framing = last_framing_;
      if (trailing_error_) a.rejection = reply(kErrorProcessing, last_framing_);
      trailing_error_ = false;
      return a;
  }
  return a;
}

// ---- replies ---------------------------------------------------------------------------------

void append_reply(std::string& out, std::string_view body, Framing framing, uint64_t id) {
  if (id > 0) {
    out.append(std::to_string(id));
    out.append(": ");
  }
  out.append(body);
  out.push_back(terminator(framing));
}

std::string reply(std::string_view body, Framing framing, uint64_t id) {
  std::string out;
  append_reply(out, body, framing, id);
  return out;
}

std::string ok_body(std::string_view subject) {
  std::string out(subject);
  out.append(": OK");
  return out;
}

std::string found_body(std::string_view subject, std::string_view name) {
  std::string out(subject);
  out.append(": ").append(name).append(" FOUND");
  return out;
}

std::string error_body(std::string_view subject, std::string_view reason) {
  std::string out(subject);
  out.append(": ").append(reason).append(" ERROR");
  return out;
}

std::string fd_subject(int fd) { return "fd[" + std::to_string(fd) + "]"; }

std::string ctime_text(const std::tm& t) {
  static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string_view day = t.tm_wday >= 0 && t.tm_wday < 7 ? kDays[t.tm_wday] : "???";
  const std::string_view mon = t.tm_mon >= 0 && t.tm_mon < 12 ? kMonths[t.tm_mon] : "???";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3s %.3s %2d %02d:%02d:%02d %lld", day.data(), mon.data(),
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<long long>(t.tm_year) + 1900);
  return buf;
}

std::string version_body(std::string_view clamav_version, const std::optional<DbStamp>& db) {
  std::string out("ClamAV ");
  out.append(clamav_version);
  if (db) {
    out.append("/").append(std::to_string(db->version)).append("/").append(ctime_text(db->built));
  }
  return out;
}

std::string version_commands_body(std::string_view version) {
  std::string out(version);
  out.append(
      "| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN MULTISCAN "
      "FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN");
  return out;
}

std::string stats_body(const StatsSnapshot& s) {
  char buf[256];
  std::string out("POOLS: 1\n\nSTATE: VALID PRIMARY\n");
  std::snprintf(buf, sizeof buf,
                "THREADS: live %u  idle %u max %u idle-timeout %u\nQUEUE: %u items\n",
                s.threads_live, s.threads_idle, s.threads_max, s.idle_timeout_s, s.queue_items);
  out.append(buf);
  for (const StatsTask& task : s.tasks) {
    std::snprintf(buf, sizeof buf, " %.6f ", bounded(task.seconds));
    out.push_back('\t');
    out.append(task.command).append(buf).append(task.file).push_back('\n');
  }
  std::snprintf(buf, sizeof buf,
                "\nMEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A pools 1 "
                "pools_used %.3fM pools_total %.3fM\nEND",
                bounded(s.pools_used_mib), bounded(s.pools_total_mib));
  out.append(buf);
  return out;
}

}  // namespace vigil::daemon
