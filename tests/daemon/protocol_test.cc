// The clamd protocol layer against transcripts captured from clamd 1.4.6 (daemon/PROTOCOL.md):
// each request stream goes through RequestParser and Session, a small synchronous driver answers
// it with fixed scan verdicts, and the reply bytes must equal clamd's. The same streams are fed
// byte by byte and in random splits (same events), and the edges get their own cases: INSTREAM
// chunk boundaries and limits, FILDES dummy bytes, overlong lines, IDSESSION ids, garbage.
#include "protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace vigil::daemon {
namespace {

using namespace std::string_literals;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string be32(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}
std::string chunk(const std::string& data) { return be32(data.size()) + data; }

std::string escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out.append(buf);
    }
  }
  return out;
}

// Every event the parser yields for these reads, as text; stream data pieces are merged.
std::string trace(const std::vector<std::string>& reads, ParserLimits limits = {}) {
  RequestParser parser(limits);
  std::string out, data;
  auto flush = [&] {
    if (!data.empty()) out += "DATA '" + escape(data) + "' ";
    data.clear();
  };
  for (const std::string& read : reads) {
    parser.feed(bytes_of(read));
    for (Event ev = parser.next(); ev.type != Event::Type::kNeedMore; ev = parser.next()) {
      if (ev.type == Event::Type::kStreamData) {
        EXPECT_FALSE(ev.data.empty());
        EXPECT_GE(ev.data.data(), bytes_of(read).data());
        EXPECT_LE(ev.data.data() + ev.data.size(), bytes_of(read).data() + read.size());
        data.append(reinterpret_cast<const char*>(ev.data.data()), ev.data.size());
        continue;
      }
      flush();
      if (ev.type == Event::Type::kError) {
        out += "ERROR " + std::to_string(static_cast<int>(ev.error));
        return out;
      }
      if (ev.type == Event::Type::kStreamEnd) {
        out += "END_STREAM ";
        continue;
      }
      const char* f[] = {"bare", "n", "z"};
      out += std::string(f[static_cast<int>(ev.command.framing)]) + ":" +
             std::string(command_name(ev.command.kind));
      if (!ev.command.argument.empty()) out += "(" + escape(ev.command.argument) + ")";
      out += " ";
    }
  }
  flush();
  return out;
}

std::vector<std::string> split_bytes(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

std::vector<std::string> split_random(const std::string& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t pos = 0; pos < s.size();) {
    size_t n = std::uniform_int_distribution<size_t>(1, 9)(rng);
    out.push_back(s.substr(pos, n));
    pos += n;
  }
  return out;
}

// A synchronous stand-in for vigild: answers through Session and the reply helpers with fixed
// verdicts (paths and streams naming BODY-ONE or "infected" are infected, "missing" is absent).
std::string converse(const std::vector<std::string>& reads, ParserLimits limits = {}) {
  RequestParser parser(limits);
  Session session;
  std::string out, stream;
  Admission streaming;
  auto verdict = [](std::string_view subject, std::string_view content) {
    if (content.find("BODY-ONE") != std::string_view::npos ||
        content.find("infected") != std::string_view::npos) {
      return found_body(subject, "Vigil.Test.One.UNOFFICIAL");
    }
    const bool path = subject != kStreamSubject;
    if (path && (content.empty() || content.find("missing") != std::string_view::npos)) {
      return content.find(std::string(256, 'a')) != std::string_view::npos
                 ? error_body(subject, kReasonNameTooLong)
                 : error_body(subject, kReasonNoSuchFile);
    }
    return ok_body(subject);
  };
  for (const std::string& read : reads) {
    parser.feed(bytes_of(read));
    for (Event ev = parser.next(); ev.type != Event::Type::kNeedMore; ev = parser.next()) {
      if (ev.type == Event::Type::kStreamData) {
        stream.append(reinterpret_cast<const char*>(ev.data.data()), ev.data.size());
        continue;
      }
      if (ev.type == Event::Type::kError) {
        if (ev.error == ParseError::kStreamTooLong) {
          append_reply(out, kStreamSizeLimit, streaming.reply_framing, streaming.id);
        }
        return out;
      }
      if (ev.type == Event::Type::kStreamEnd) {
        append_reply(out, verdict(kStreamSubject, stream), streaming.reply_framing, streaming.id);
        stream.clear();
        if (streaming.close_after) return out;
        continue;
      }
      const Command& cmd = ev.command;
      Admission a = session.admit(cmd);
      if (!a.accepted) return out + a.rejection;
      auto answer = [&](std::string_view body) { append_reply(out, body, a.reply_framing, a.id); };
      switch (cmd.kind) {
        case CommandKind::kPing:
          answer(kPong);
          break;
        case CommandKind::kVersion:
          answer(version_body("1.4.6", std::nullopt));
          break;
        case CommandKind::kVersionCommands:
          answer(version_commands_body(version_body("1.4.6", std::nullopt)));
          break;
        case CommandKind::kReload:
          answer(kReloading);
          break;
        case CommandKind::kScan:
        case CommandKind::kContScan:
        case CommandKind::kMultiScan:
        case CommandKind::kAllMatchScan:
          answer(verdict(cmd.argument, cmd.argument));
          break;
        case CommandKind::kFildes:
          answer(ok_body(fd_subject(12)));
          break;
        case CommandKind::kInstream:
          streaming = a;
          continue;
        default:
          break;  // IDSESSION, END, SHUTDOWN, DETSTATS: nothing to send
      }
      if (a.close_after) return out;
    }
  }
  return out;
}

struct Transcript {
  const char* name;
  std::vector<std::string> reads;  // as sent, one element per send()
  std::string clamd_reply;         // as clamd 1.4.6 sent it
  bool split_invariant = true;     // no bare command ends at a read boundary
};

const std::string kClean = "/tmp/vproto/files/clean.txt";
const std::string kInfected = "/tmp/vproto/files/infected.txt";
const std::string kMissing = "/tmp/vproto/files/missing.txt";
const std::string kFound = ": Vigil.Test.One.UNOFFICIAL FOUND";
const std::string kNoFile = ": File path check failure: No such file or directory. ERROR";
const std::string kTooLong = ": File path check failure: File name too long. ERROR";
const std::string kBody = "xxVIGIL-PROTOCOL-TEST-BODY-ONEyy";
const std::string kVc =
    "ClamAV 1.4.6| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN "
    "MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN";
const std::string kZ = be32(0);

const std::vector<Transcript>& transcripts() {
  static const std::vector<Transcript> t = {
      {"bare_no_terminator", {"PING"}, "PONG\n", false},
      {"bare_newline", {"PING\n"}, "PONG\n"},
      {"bare_nul", {"PING\0garbage"s}, "PONG\n", false},
      {"bare_crlf", {"PING\r\n"}, "PONG\n"},
      {"n", {"nPING\n"}, "PONG\n"},
      {"z", {"zPING\0"s}, "PONG\0"s},
      {"n_crlf", {"nPING\r\r\n"}, "PONG\n"},
      {"z_cr_is_part_of_name", {"zPING\r\0"s}, "UNKNOWN COMMAND\0"s},
      {"bare_split_read", {"PI", "NG"}, "UNKNOWN COMMAND\n", false},
      {"one_command_per_connection", {"nPING\nnPING\n"}, "PONG\n"},
      {"lowercase", {"nping\n"}, "UNKNOWN COMMAND\n"},
      {"trailing_space", {"nPING \n"}, "UNKNOWN COMMAND\n"},
      {"empty_bare", {"\n"}, "UNKNOWN COMMAND\n"},
      {"empty_nul_bare", {"\0"s}, "UNKNOWN COMMAND\n"},
      {"empty_n", {"n\n"}, "UNKNOWN COMMAND\n"},
      {"empty_z", {"z\0"s}, "UNKNOWN COMMAND\0"s},
      {"unknown_z", {"zFOO\0"s}, "UNKNOWN COMMAND\0"s},
      {"version", {"zVERSION\0"s}, "ClamAV 1.4.6\0"s},
      {"version_bare", {"VERSION"}, "ClamAV 1.4.6\n", false},
      {"versioncommands", {"nVERSIONCOMMANDS\n"}, kVc + "\n"},
      {"versioncommands_bare", {"VERSIONCOMMANDS\n"}, "UNKNOWN COMMAND\n"},
      {"reload", {"zRELOAD\0"s}, "RELOADING\0"s},
      {"shutdown", {"nSHUTDOWN\n"}, ""},
      {"quit", {"nQUIT\n"}, ""},
      {"detstats", {"nDETSTATS\n"}, ""},
      {"session_outside_is_unknown", {"nSESSION\n"}, "UNKNOWN COMMAND\n"},
      {"end_outside", {"zEND\0"s}, "UNKNOWN COMMAND\0"s},
      {"stats_bare", {"STATS\n"}, "UNKNOWN COMMAND\n"},
      {"scan_clean", {"zSCAN " + kClean + "\0"s}, kClean + ": OK\0"s},
      {"scan_infected", {"nSCAN " + kInfected + "\n"}, kInfected + kFound + "\n"},
      {"scan_missing", {"SCAN " + kMissing + "\n"}, kMissing + kNoFile + "\n"},
      {"scan_no_arg", {"nSCAN\n"}, "UNKNOWN COMMAND\n"},
      {"scan_empty_arg", {"nSCAN \n"}, kNoFile + "\n"},
      {"scan_two_spaces", {"nSCAN  " + kMissing + "\n"}, " " + kMissing + kNoFile + "\n"},
      {"scan_any_separator", {"nSCANX " + kMissing + "\n"}, " " + kMissing + kNoFile + "\n"},
      {"contscan", {"zCONTSCAN " + kClean + "\0"s}, kClean + ": OK\0"s},
      {"multiscan_bare", {"MULTISCAN " + kClean}, kClean + ": OK\n", false},
      {"allmatchscan", {"nALLMATCHSCAN " + kInfected + "\n"}, kInfected + kFound + "\n"},
      {"allmatchscan_bare", {"ALLMATCHSCAN " + kClean + "\n"}, "UNKNOWN COMMAND\n"},
      {"instream_clean", {"nINSTREAM\n" + chunk("hello clean") + kZ}, "stream: OK\n"},
      {"instream_infected", {"zINSTREAM\0"s + chunk(kBody) + kZ}, "stream" + kFound + "\0"s},
      {"instream_empty", {"zINSTREAM\0"s + kZ}, "stream: OK\0"s},
      {"instream_split_signature",
       {"zINSTREAM\0"s + chunk("xx VIGIL-PROTOCOL-") + chunk("TEST-BODY-ONE yy") + kZ},
       "stream" + kFound + "\0"s},
      {"instream_bare", {"INSTREAM\n" + chunk("abc") + kZ}, "UNKNOWN COMMAND\n"},
      {"instream_then_more", {"zINSTREAM\0"s + chunk("abc") + kZ + "zPING\0"s}, "stream: OK\0"s},
      {"fildes", {"zFILDES\0"s, "\0"s}, "fd[12]: OK\0"s},
      {"fildes_bare", {"FILDES\n", "X"}, "fd[12]: OK\n"},
      {"session",
       {"zIDSESSION\0zPING\0zVERSION\0zSCAN "s + kClean + "\0zSCAN "s + kInfected + "\0zEND\0"s},
       "1: PONG\0"s
       "2: ClamAV 1.4.6\0"s
       "3: " +
           kClean +
           ": OK\0"s
           "4: " +
           kInfected + kFound + "\0"s},
      {"session_mixed_framing",
       {"nIDSESSION\nzPING\0nPING\nzEND\0"s},
       "1: PONG\0"s
       "2: PONG\n"},
      {"session_instreams",
       {"nIDSESSION\nnINSTREAM\n" + kZ + "zINSTREAM\0"s + kZ + "nEND\n"},
       "1: stream: OK\n2: stream: OK\0"s},
      {"session_versioncommands", {"zIDSESSION\0zVERSIONCOMMANDS\0zEND\0"s}, "1: " + kVc + "\0"s},
      {"session_fildes",
       {"zIDSESSION\0zFILDES\0"s, "X", "zFILDES\0"s, "X", "zEND\0"s},
       "1: fd[12]: OK\0"s
       "2: fd[12]: OK\0"s},
      {"session_fildes_eats_prefix",
       {"zIDSESSION\0zFILDES\0"s, "zPING\0"s},
       "1: fd[12]: OK\0"s
       "2: Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\0"s
       "2: Error processing command. ERROR\0"s},
      {"session_empty", {"zIDSESSION\0zEND\0"s}, ""},
      {"session_end_then_more", {"zIDSESSION\0zPING\0zEND\0zPING\0"s}, "1: PONG\0"s},
      {"session_nested",
       {"zIDSESSION\0zIDSESSION\0zPING\0zEND\0"s},
       "1: Command invalid inside IDSESSION. ERROR\0"s},
      {"session_contscan",
       {"zIDSESSION\0zPING\0zCONTSCAN "s + kClean + "\0zPING\0"s},
       "1: PONG\0002: Command invalid inside IDSESSION. ERROR\0"s},
      {"session_reload",
       {"zIDSESSION\0zPING\0zRELOAD\0"s},
       "1: PONG\0002: Command invalid inside IDSESSION. ERROR\0"s},
      {"session_unknown",
       {"nIDSESSION\nnPING\nnEN\n"},
       "1: PONG\n2: Command invalid inside IDSESSION. ERROR\n"},
      {"session_empty_command",
       {"nIDSESSION\nz\0"s},
       "1: Command invalid inside IDSESSION. ERROR\0"s},
      {"session_bare",
       {"nIDSESSION\nzPING\0"s, "PING\0"s},
       "1: PONG\0"s
       "2: Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\0"s
       "2: Error processing command. ERROR\0"s},
      {"session_size_limit",
       {"zIDSESSION\0zPING\0zINSTREAM\0"s + be32(100 * 1024 * 1024 + 1) + "zPING\0"s},
       "1: PONG\0002: INSTREAM size limit exceeded. ERROR\0"s},
      {"size_limit_header",
       {"zINSTREAM\0"s + be32(0xffffffff)},
       "INSTREAM size limit exceeded. ERROR\0"s},
      {"overlong_n", {"n" + std::string(4103, 'A') + "\n"}, ""},
      {"longest_n", {"n" + std::string(4102, 'A') + "\n"}, "UNKNOWN COMMAND\n"},
      {"longest_z_scan",
       {"zSCAN /missing" + std::string(4089, 'a') + "\0"s},
       "/missing" + std::string(4089, 'a') + kTooLong + "\0"s},
      {"overlong_z_scan", {"zSCAN /missing" + std::string(4090, 'a') + "\0"s}, ""},
      {"overlong_bare_cut",
       {"SCAN /missing" + std::string(5000, 'a')},
       "/missing" + std::string(4091, 'a') + kTooLong + "\n",
       false},
  };
  return t;
}

TEST(ProtocolTranscripts, RepliesMatchClamd) {
  for (const Transcript& t : transcripts()) {
    EXPECT_EQ(escape(converse(t.reads)), escape(t.clamd_reply)) << t.name;
  }
}

TEST(ProtocolTranscripts, AnySplitGivesTheSameEvents) {
  for (const Transcript& t : transcripts()) {
    if (!t.split_invariant) continue;
    std::string whole;
    for (const std::string& r : t.reads) whole += r;
    const std::string expected = trace({whole});
    EXPECT_EQ(trace(t.reads), expected) << t.name;
    // Bare commands end with the read unless told to wait for their terminator.
    ParserLimits wait;
    wait.bare_command_ends_with_feed = false;
    EXPECT_EQ(trace(split_bytes(whole), wait), expected) << t.name;
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      ASSERT_EQ(trace(split_random(whole, seed), wait), expected) << t.name << " seed " << seed;
    }
    EXPECT_EQ(escape(converse(split_bytes(whole), wait)), escape(t.clamd_reply)) << t.name;
  }
}

// ---- parser edges ----------------------------------------------------------------------------

struct ParseCase {
  std::vector<std::string> reads;
  std::string events;
};

TEST(RequestParser, CommandsAndArguments) {
  const std::vector<ParseCase> cases = {
      {{"nSCAN\t/a b \n"}, "n:SCAN(/a b ) "},
      {{"zSCAN /x\n\0"s}, "z:SCAN(/x\\x0a) "},
      {{"nSCAN /x\r\n"}, "n:SCAN(/x) "},
      {{"zSCAN /x\r\0"s}, "z:SCAN(/x\\x0d) "},
      {{"nCONTSCAN /d\nnMULTISCAN /d\nnALLMATCHSCAN /d\n"},
       "n:CONTSCAN(/d) n:MULTISCAN(/d) "
       "n:ALLMATCHSCAN(/d) "},
      {{"nPINGX\nnVERSION X\nnSTATS\nnIDSESSION\nnEND\n"},
       "n:UNKNOWN n:UNKNOWN "
       "n:STATS n:IDSESSION n:END "},
      {{"QUIT", "SHUTDOWN", "DETSTATSCLEAR", "RELOAD"},
       "bare:SHUTDOWN bare:SHUTDOWN "
       "bare:DETSTATSCLEAR bare:RELOAD "},
      {{"IDSESSION\nEND\nSTATS\nINSTREAM\nVERSIONCOMMANDS\nALLMATCHSCAN /x\n"},
       "bare:UNKNOWN bare:UNKNOWN bare:UNKNOWN bare:UNKNOWN bare:UNKNOWN bare:UNKNOWN "},
      // The n prefix decides the framing even when a NUL comes first, and the reverse.
      {{"nPING\0\n"s, "zPING\n\0"s}, "n:UNKNOWN z:UNKNOWN "},
      {{"PI", "NG\n"}, "bare:UNKNOWN bare:UNKNOWN "},
  };
  for (const ParseCase& c : cases) EXPECT_EQ(trace(c.reads), c.events) << escape(c.reads[0]);
}

TEST(RequestParser, BareCommandsCanWaitForATerminator) {
  ParserLimits limits;
  limits.bare_command_ends_with_feed = false;
  EXPECT_EQ(trace({"PI", "NG"}, limits), "");
  EXPECT_EQ(trace({"PI", "NG", "\n"}, limits), "bare:PING ");
  EXPECT_EQ(trace(split_bytes("SCAN /x\0VERSION\n"s), limits), "bare:SCAN(/x) bare:VERSION ");
}

TEST(RequestParser, FildesConsumesExactlyOneDummyByte) {
  EXPECT_EQ(trace({"zFILDES\0"s}), "");
  EXPECT_EQ(trace({"zFILDES\0"s, "X"}), "z:FILDES ");
  EXPECT_EQ(trace({"zFILDES\0XzPING\0"s}), "z:FILDES z:PING ");
  EXPECT_EQ(trace({"zFILDES\0XY"s}), "z:FILDES bare:UNKNOWN ");
  // The second FILDES loses its prefix to the first one's dummy byte, and so does END.
  EXPECT_EQ(trace({"nFILDES\nzFILDES\0"s, "zEND\0"s}), "n:FILDES bare:FILDES bare:UNKNOWN ");
  EXPECT_EQ(trace({"FILDES", "\n"}), "bare:FILDES ");  // the read ended the command
}

TEST(RequestParser, InstreamChunksAnyBoundary) {
  const std::string s = "zINSTREAM\0"s + chunk("abc") + chunk(std::string(1000, 'x')) +
                        chunk("\0\n"s) + kZ + "zPING\0"s;
  const std::string expected =
      "z:INSTREAM DATA 'abc" + std::string(1000, 'x') + "\\x00\\x0a' END_STREAM z:PING ";
  EXPECT_EQ(trace({s}), expected);
  EXPECT_EQ(trace(split_bytes(s)), expected);
  for (uint32_t seed = 100; seed < 140; ++seed) EXPECT_EQ(trace(split_random(s, seed)), expected);
  // Data comes out as it arrives, without waiting for the chunk to complete.
  RequestParser p;
  std::string head = "nINSTREAM\n" + be32(10) + "12345";
  p.feed(bytes_of(head));
  EXPECT_EQ(p.next().type, Event::Type::kCommand);
  Event ev = p.next();
  ASSERT_EQ(ev.type, Event::Type::kStreamData);
  EXPECT_EQ(ev.data.size(), 5u);
  EXPECT_EQ(ev.data.data(), bytes_of(head).data() + 14);  // a span into the fed buffer
  EXPECT_EQ(p.next().type, Event::Type::kNeedMore);
  EXPECT_TRUE(p.in_stream());
  EXPECT_EQ(p.stream_bytes(), 10u);
}

TEST(RequestParser, InstreamTruncatedWaits) {
  EXPECT_EQ(trace({"zINSTREAM\0"s + be32(100) + "abc"}), "z:INSTREAM DATA 'abc' ");
  EXPECT_EQ(trace({"zINSTREAM\0\0\0"s}), "z:INSTREAM ");
  EXPECT_EQ(trace({"zINSTREAM\0"s}), "z:INSTREAM ");
}

TEST(RequestParser, StreamLimitCountsDeclaredLengths) {
  ParserLimits limits;
  limits.max_stream_bytes = 1 << 20;
  const std::string m(1 << 20, 'a');
  const std::string cmd = "zINSTREAM\0"s;
  const std::string too_long = "ERROR " + std::to_string(int(ParseError::kStreamTooLong));
  EXPECT_EQ(trace({cmd + chunk(m) + kZ}, limits).substr(0, 18), "z:INSTREAM DATA 'a");
  EXPECT_EQ(trace({cmd + chunk(m.substr(1)) + chunk("b") + kZ}, limits).find("ERROR"),
            std::string::npos);
  // Over by one byte: refused at the header, before any of the chunk's data.
  EXPECT_EQ(trace({cmd + chunk(m + "b") + kZ}, limits), "z:INSTREAM " + too_long);
  EXPECT_EQ(trace({cmd + chunk("0123456789") + be32((1 << 20) - 9)}, limits),
            "z:INSTREAM DATA '0123456789' " + too_long);
  EXPECT_EQ(trace({cmd + chunk("0123456789") + be32((1 << 20) - 10)}, limits),
            "z:INSTREAM DATA '0123456789' ");
  EXPECT_EQ(trace({cmd + be32(0x80000000)}, limits), "z:INSTREAM " + too_long);
  // A new stream starts from zero.
  limits.max_stream_bytes = 4;
  EXPECT_EQ(trace({"nIDSESSION\n" + cmd + chunk("abcd") + kZ + cmd + chunk("efgh") + kZ}, limits),
            "n:IDSESSION z:INSTREAM DATA 'abcd' END_STREAM z:INSTREAM DATA 'efgh' END_STREAM ");
}

TEST(RequestParser, ErrorsAreFinal) {
  RequestParser p;
  std::string s = "zINSTREAM\0"s + be32(0xffffffff) + "zPING\0"s;
  p.feed(bytes_of(s));
  EXPECT_EQ(p.next().type, Event::Type::kCommand);
  for (int i = 0; i < 3; ++i) {
    Event ev = p.next();
    EXPECT_EQ(ev.type, Event::Type::kError);
    EXPECT_EQ(ev.error, ParseError::kStreamTooLong);
    p.feed(bytes_of(s));
  }
}

TEST(RequestParser, CommandLengthLimit) {
  const std::string too_long = "ERROR " + std::to_string(int(ParseError::kCommandTooLong));
  // Framed: the terminator must be within max_command_bytes, prefix included.
  EXPECT_EQ(trace({"z" + std::string(4102, 'A') + "\0"s}), "z:UNKNOWN ");
  EXPECT_EQ(trace({"z" + std::string(4103, 'A') + "\0"s}), too_long);
  // 4104 bytes without a terminator still wait; the 4105th byte closes.
  EXPECT_EQ(trace({"n" + std::string(4103, 'A')}), "");
  EXPECT_EQ(trace({"n" + std::string(4103, 'A'), "\n"}), too_long);
  // Configurable, and the same whatever the split.
  ParserLimits limits;
  limits.max_command_bytes = 8;
  EXPECT_EQ(trace({"nPING\nnVERSION\n"}, limits), "n:PING " + too_long);
  EXPECT_EQ(trace(split_bytes("zPING\0zSTATS\0zRELOAD\0"s), limits), "z:PING z:STATS z:RELOAD ");
  EXPECT_EQ(trace({"SCAN /abcdef\n"}, limits), "bare:SCAN(/ab) bare:UNKNOWN ");
  limits.max_command_bytes = 0;  // clamped: still makes progress
  EXPECT_EQ(trace({"PING"}, limits), "bare:UNKNOWN bare:UNKNOWN ");
}

TEST(RequestParser, GarbageStaysBounded) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::string junk(1 << 16, '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 4 == 0 ? "nz\n\0"[rng() % 4] : rng());
    ParserLimits limits;
    limits.bare_command_ends_with_feed = round % 2 == 0;
    limits.max_command_bytes = 64;
    RequestParser p(limits);
    for (const std::string& read : split_random(junk, round)) {
      p.feed(bytes_of(read));
      for (Event ev = p.next(); ev.type != Event::Type::kNeedMore; ev = p.next()) {
        if (ev.type == Event::Type::kError) break;
        EXPECT_LE(ev.command.argument.size(), 64u);
        if (ev.type == Event::Type::kStreamData) {
          EXPECT_LE(ev.data.size(), read.size());
        }
      }
    }
  }
}

// ---- session ---------------------------------------------------------------------------------

Command cmd(CommandKind kind, Framing framing = Framing::kNul) {
  Command c;
  c.kind = kind;
  c.framing = framing;
  return c;
}

TEST(Session, InsideOnlySomeCommandsAreAccepted) {
  const std::vector<std::pair<CommandKind, bool>> kinds = {
      {CommandKind::kPing, true},
      {CommandKind::kVersion, true},
      {CommandKind::kVersionCommands, true},
      {CommandKind::kScan, true},
      {CommandKind::kInstream, true},
      {CommandKind::kFildes, true},
      {CommandKind::kStats, true},
      {CommandKind::kContScan, false},
      {CommandKind::kMultiScan, false},
      {CommandKind::kAllMatchScan, false},
      {CommandKind::kReload, false},
      {CommandKind::kShutdown, false},
      {CommandKind::kIdSession, false},
      {CommandKind::kDetStats, false},
      {CommandKind::kDetStatsClear, false},
      {CommandKind::kUnknown, false},
  };
  for (const auto& [kind, ok] : kinds) {
    Session s;
    ASSERT_TRUE(s.admit(cmd(CommandKind::kIdSession, Framing::kNewline)).accepted);
    EXPECT_TRUE(s.admit(cmd(CommandKind::kPing)).accepted);
    Admission a = s.admit(cmd(kind, Framing::kNewline));
    EXPECT_EQ(a.accepted, ok) << command_name(kind);
    EXPECT_EQ(a.id, 2u);
    EXPECT_EQ(a.close_after, !ok);
    EXPECT_EQ(a.rejection, ok ? "" : "2: Command invalid inside IDSESSION. ERROR\n");
    EXPECT_EQ(s.done(), !ok);
  }
}

TEST(Session, IdsCountEveryCommandAndEndCloses) {
  Session s;
  Admission open = s.admit(cmd(CommandKind::kIdSession));
  EXPECT_TRUE(open.accepted && !open.close_after && open.id == 0);
  EXPECT_TRUE(s.in_session());
  for (uint64_t id = 1; id <= 1000; ++id) {
    Admission a = s.admit(cmd(id % 2 ? CommandKind::kScan : CommandKind::kInstream,
                              id % 3 ? Framing::kNul : Framing::kNewline));
    ASSERT_TRUE(a.accepted && !a.close_after);
    ASSERT_EQ(a.id, id);
    ASSERT_EQ(a.reply_framing, id % 3 ? Framing::kNul : Framing::kNewline);
  }
  Admission end = s.admit(cmd(CommandKind::kEnd));
  EXPECT_TRUE(end.accepted && end.close_after && end.rejection.empty());
  Admission after = s.admit(cmd(CommandKind::kPing));
  EXPECT_FALSE(after.accepted);
  EXPECT_EQ(after.rejection, "");
}

TEST(Session, OneCommandPerPlainConnection) {
  Session s;
  Admission a = s.admit(cmd(CommandKind::kScan, Framing::kNewline));
  EXPECT_TRUE(a.accepted && a.close_after && a.id == 0);
  EXPECT_TRUE(s.done());
  // clamd, still scanning, answers the next command once, with the first one's terminator.
  EXPECT_EQ(s.admit(cmd(CommandKind::kPing, Framing::kNul)).rejection,
            "Error processing command. ERROR\n");
  EXPECT_EQ(s.admit(cmd(CommandKind::kPing, Framing::kNul)).rejection, "");
  Session bare;
  EXPECT_EQ(bare.admit(cmd(CommandKind::kUnknown, Framing::kBare)).rejection, "UNKNOWN COMMAND\n");
  EXPECT_EQ(bare.admit(cmd(CommandKind::kPing)).rejection, "");
}

// ---- replies ---------------------------------------------------------------------------------

TEST(Replies, ExactBytes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {reply(kPong, Framing::kBare), "PONG\n"},
      {reply(kPong, Framing::kNul, 7), "7: PONG\0"s},
      {reply(ok_body("/p a/t h"), Framing::kNewline), "/p a/t h: OK\n"},
      {reply(found_body(kStreamSubject, "Eicar-Sig"), Framing::kNul, 12),
       "12: stream: Eicar-Sig FOUND\0"s},
      {reply(error_body("/x", kReasonNoSuchFile), Framing::kNul), "/x" + kNoFile + "\0"s},
      {reply(error_body(fd_subject(14), kReasonNotRegularFd), Framing::kNul),
       "fd[14]: Not a regular file ERROR\0"s},
      {reply(error_body("/dev/null", kReasonNotSupported), Framing::kNewline),
       "/dev/null: Not supported file type ERROR\n"},
      {reply(kStreamSizeLimit, Framing::kNul), "INSTREAM size limit exceeded. ERROR\0"s},
      {reply(kNoFdReceived, Framing::kNul), "No file descriptor received. ERROR\0"s},
      {reply(kFdWithoutFildes, Framing::kNul),
       "PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\0"s},
      {reply(kCommandReadTimedOut, Framing::kNewline), "COMMAND READ TIMED OUT\n"},
      {reply(kReloading, Framing::kNul), "RELOADING\0"s},
  };
  for (const auto& [got, want] : cases) EXPECT_EQ(escape(got), escape(want));
}

TEST(Replies, VersionText) {
  std::tm t{};
  t.tm_year = 121, t.tm_mon = 5, t.tm_mday = 23, t.tm_wday = 3;
  t.tm_hour = 1, t.tm_min = 34, t.tm_sec = 5;
  // Captured from clamd 1.4.6 with a CVD whose build time is 1624412045 (UTC here).
  EXPECT_EQ(version_body("1.4.6", DbStamp{6, t}), "ClamAV 1.4.6/6/Wed Jun 23 01:34:05 2021");
  EXPECT_EQ(version_body("1.4.6", std::nullopt), "ClamAV 1.4.6");
  EXPECT_EQ(version_commands_body("ClamAV 1.4.6"), kVc);
  t.tm_mday = 6, t.tm_mon = 2, t.tm_wday = 1;
  EXPECT_EQ(ctime_text(t), "Mon Mar  6 01:34:05 2021");  // day padded with a space
  t.tm_wday = 9, t.tm_mon = -1;
  EXPECT_EQ(ctime_text(t), "??? ???  6 01:34:05 2021");
}

TEST(Replies, StatsLayout) {
  const StatsTask tasks[] = {{"CONTSCAN", 0.501247, "/usr/share/aclocal/lib-prefix.m4"},
                             {"IDLE", 3.486698, ""},
                             {"STATS", 0.000003, ""}};
  StatsSnapshot s;
  s.threads_live = 4, s.threads_idle = 2, s.threads_max = 4, s.idle_timeout_s = 30;
  s.tasks = tasks;
  s.pools_used_mib = 5.884, s.pools_total_mib = 5.964;
  // As clamd 1.4.6 sent it (one thread scanning, one idle, one answering STATS).
  EXPECT_EQ(reply(stats_body(s), Framing::kNewline, 1),
            "1: POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live 4  idle 2 max 4 idle-timeout 30\n"
            "QUEUE: 0 items\n\tCONTSCAN 0.501247 /usr/share/aclocal/lib-prefix.m4\n"
            "\tIDLE 3.486698 \n\tSTATS 0.000003 \n\nMEMSTATS: heap N/A mmap N/A used N/A free N/A "
            "releasable N/A pools 1 pools_used 5.884M pools_total 5.964M\nEND\n");
  const StatsTask huge[] = {{"SCAN", 1e300, ""}};
  s.tasks = huge;
  s.pools_used_mib = -1;
  EXPECT_NE(stats_body(s).find("\tSCAN 1000000000000.000000 \n"), std::string::npos);
  EXPECT_NE(stats_body(s).find("pools_used 0.000M"), std::string::npos);
}

}  // namespace
}  // namespace vigil::daemon
