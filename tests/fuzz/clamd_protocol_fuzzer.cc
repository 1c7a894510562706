// Fuzzes vigild's clamd protocol layer, the first code that touches bytes from the network:
// the request parser (framings, command names, FILDES dummy bytes, INSTREAM chunks and limits),
// the IDSESSION rules and the reply formatting. Beyond "no crash, no leak" it checks that the
// events do not depend on how the bytes are split into reads, and that memory stays bounded.
//
// Input: byte 0 seeds the split points and picks the limits (bit 0: clamd's 4104-byte command
// limit or a small one; bit 1: the 100 MiB stream limit or a small one); the rest is what a
// client sends on one connection.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "protocol.h"

namespace {

using vigil::daemon::Admission;
using vigil::daemon::Event;
using vigil::daemon::ParserLimits;
using vigil::daemon::RequestParser;
using vigil::daemon::Session;

struct Record {
  Event::Type type;
  vigil::daemon::Command command;
  std::string data;  // a whole stream's payload (pieces merged)
  vigil::daemon::ParseError error;
  bool operator==(const Record& o) const {
    return type == o.type && command.framing == o.command.framing &&
           command.kind == o.command.kind && command.argument == o.command.argument &&
           data == o.data && error == o.error;
  }
};

// Splits [0, size) into reads of 1..64 bytes chosen by a xorshift seeded from `seed`.
std::vector<std::span<const uint8_t>> split(std::span<const uint8_t> in, uint8_t seed) {
  std::vector<std::span<const uint8_t>> out;
  uint32_t x = 0x9e3779b9u ^ seed;
  for (size_t pos = 0; pos < in.size();) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t n = std::min<size_t>(in.size() - pos, 1 + (x % 64) * ((x >> 8) % 4 == 0 ? 1 : 0));
    out.push_back(in.subspan(pos, n));
    pos += n;
  }
  return out;
}

// Runs the parser over the reads, checking per-event invariants, and returns the normalized
// events (stream data merged per stream).
std::vector<Record> run(const std::vector<std::span<const uint8_t>>& reads,
                        const ParserLimits& limits, size_t total_size) {
  RequestParser parser(limits);
  std::vector<Record> out;
  size_t events = 0;
  uint64_t stream_bytes = 0;
  for (std::span<const uint8_t> read : reads) {
    parser.feed(read);
    for (Event ev = parser.next(); ev.type != Event::Type::kNeedMore; ev = parser.next()) {
      // Every event but the final error consumes at least one byte.
      FUZZ_CHECK(++events <= total_size + 1);
      if (ev.type == Event::Type::kError) {
        FUZZ_CHECK(ev.error != vigil::daemon::ParseError::kNone);
        FUZZ_CHECK(parser.next().type == Event::Type::kError);  // sticky
        out.push_back(Record{ev.type, {}, {}, ev.error});
        return out;
      }
      if (ev.type == Event::Type::kStreamData) {
        FUZZ_CHECK(!ev.data.empty());
        FUZZ_CHECK(ev.data.data() >= read.data() &&
                   ev.data.data() + ev.data.size() <= read.data() + read.size());
        stream_bytes += ev.data.size();
        FUZZ_CHECK(stream_bytes <= limits.max_stream_bytes);
        FUZZ_CHECK(parser.stream_bytes() >= stream_bytes);
        if (out.empty() || out.back().type != Event::Type::kStreamData) {
          out.push_back(Record{ev.type, {}, {}, ev.error});
        }
        out.back().data.append(reinterpret_cast<const char*>(ev.data.data()), ev.data.size());
        continue;
      }
      if (ev.type == Event::Type::kCommand) {
        FUZZ_CHECK(ev.command.argument.size() + 2 <= limits.max_command_bytes ||
                   ev.command.framing == vigil::daemon::Framing::kBare);
        FUZZ_CHECK(ev.command.argument.size() <= limits.max_command_bytes);
        FUZZ_CHECK(parser.in_stream() ==
                   (ev.command.kind == vigil::daemon::CommandKind::kInstream &&
                    ev.command.framing != vigil::daemon::Framing::kBare));
      }
      stream_bytes = 0;
      FUZZ_CHECK(ev.type != Event::Type::kStreamEnd || !parser.in_stream());
      out.push_back(Record{ev.type, std::move(ev.command), {}, ev.error});
    }
  }
  return out;
}

// Drives a Session over the commands and formats what a server would send.
void converse(const std::vector<Record>& records) {
  Session session;
  uint64_t last_id = 0;
  std::string wire;
  for (const Record& r : records) {
    if (r.type != Event::Type::kCommand) continue;
    const bool was_done = session.done(), was_in = session.in_session();
    Admission a = session.admit(r.command);
    if (was_done) FUZZ_CHECK(!a.accepted);
    if (was_in) {
      FUZZ_CHECK(a.id == last_id + 1);
      last_id = a.id;
    } else {
      FUZZ_CHECK(a.id == 0);
    }
    if (!a.accepted) {
      FUZZ_CHECK(a.close_after && session.done());
      const char t = vigil::daemon::terminator(a.reply_framing);
      FUZZ_CHECK(a.rejection.empty() || a.rejection.back() == t);
      continue;
    }
    FUZZ_CHECK(a.close_after == session.done());
    vigil::daemon::append_reply(wire, vigil::daemon::ok_body(r.command.argument), a.reply_framing,
                                a.id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t seed = data[0];
  std::span<const uint8_t> in(data + 1, size - 1);
  ParserLimits limits;
  if ((seed & 1) == 0) limits.max_command_bytes = 2 + (seed >> 2);
  if ((seed & 2) == 0) limits.max_stream_bytes = 1 + seed * 7;

  // Waiting for bare terminators, the events must not depend on the split.
  limits.bare_command_ends_with_feed = false;
  const std::vector<Record> whole = run({in}, limits, in.size());
  FUZZ_CHECK(run(split(in, seed), limits, in.size()) == whole);
  converse(whole);

  // clamd's one-command-per-read mode depends on the split by design: invariants only.
  limits.bare_command_ends_with_feed = true;
  const std::vector<Record> reads = run(split(in, seed ^ 0x5a), limits, in.size());
  converse(reads);
  return 0;
}
