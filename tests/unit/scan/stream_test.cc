// Stream scans through the scan module: the real batch size, pieces that split a signature,
// candidates that wait for more bytes or for the end, the fallback when too many wait, the size
// limit and the allowlist. (scan_support.h's scan() also streams every input of the match
// tests in pieces and compares with the block scan.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scan_support.h"

namespace vigil::testing {
namespace {

struct StreamRun {
  std::vector<std::string> hits;
  vigil_scan_result result{};
  common::Status write_status = common::Status::ok();
};

// Streams `data` in pieces of `piece` bytes with the default batch, scanning after each.
StreamRun stream_scan(const scan::Engine& engine, std::string_view data, size_t piece,
                      bool all = true, uint64_t max_size = 0) {
  auto scratch = scan::make_scratch(engine);
  EXPECT_TRUE(scratch.is_ok());
  scan::Stream stream;
  stream.engine = &engine;
  stream.flags = all ? VIGIL_SCAN_ALLMATCH : 0;
  stream.max_size = max_size;
  StreamRun run;
  for (size_t at = 0; at < data.size(); at += piece) {
    size_t n = std::min(piece, data.size() - at);
    common::Status st =
        scan::stream_write(stream, reinterpret_cast<const uint8_t*>(data.data()) + at, n);
    if (!st.is_ok()) {
      run.write_status = st;
      break;
    }
    EXPECT_TRUE(scan::stream_scan(stream, *scratch.value()).is_ok());
  }
  common::Status st = scan::stream_finish(stream, *scratch.value(),
                                          scan::Callback{&collect, &run.hits}, run.result);
  EXPECT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(stream.data.size(), run.result.bytes_scanned);  // kept until reset
  scan::stream_reset(stream);
  EXPECT_TRUE(stream.data.empty());
  EXPECT_EQ(stream.match.scanned, 0u);
  return run;
}

std::string filler(size_t n) { return std::string(n, '.'); }

TEST(Stream, SignatureSplitAcrossPiecesAndBatchesIsFound) {
  Loaded l = load({{"t.ndb", "Split:0:*:53504c49545041545445524e\n"}});  // "SPLITPATTERN"
  ASSERT_TRUE(l.engine);
  // The signature straddles the 64 KiB batch boundary and several 1000-byte pieces.
  std::string data = filler(scan::kStreamBatch - 6) + "SPLITPATTERN" + filler(200000);
  for (size_t piece : {size_t{1000}, size_t{4096}, size_t{65536}, size_t{7}}) {
    StreamRun run = stream_scan(*l.engine, data, piece);
    EXPECT_EQ(run.hits, std::vector<std::string>{"Split@" + std::to_string(scan::kStreamBatch - 6)})
        << piece;
  }
}

TEST(Stream, CandidatesWaitForTheBytesOrTheEndThatDecideThem) {
  Loaded l = load({{"t.ndb",
                    // right part bounded (waits for 40 more bytes), unbounded (waits for the end),
                    // and relative to the end (waits for the end).
                    "Bounded:0:*:4142434445{30-40}5a5a\n"
                    "Unbounded:0:*:4647484950*5959\n"
                    "Tail:0:EOF-20:515253545556\n"}});
  ASSERT_TRUE(l.engine);
  std::string data = filler(70000) + "ABCDE" + filler(35) + "ZZ" + filler(90000) + "FGHIP" +
                     filler(100000) + "YY" + filler(3) + "QRSTUV" + filler(14);
  std::vector<std::string> block = scan(*l.engine, data);
  ASSERT_EQ(block.size(), 3u);
  for (size_t piece : {size_t{100}, size_t{5000}, size_t{70000}}) {
    EXPECT_EQ(stream_scan(*l.engine, data, piece).hits, block) << piece;
    // First-match mode reports the first in input order, as the block scan does.
    EXPECT_EQ(stream_scan(*l.engine, data, piece, false).hits,
              std::vector<std::string>{block.front()})
        << piece;
  }
  // An unbounded candidate early, decided only at the end, comes before a bounded one decided
  // at once: first-match mode still reports the earlier.
  std::string early = "FGHIP" + filler(100000) + "ABCDE" + filler(35) + "ZZ" + filler(100) + "YY";
  EXPECT_EQ(stream_scan(*l.engine, early, 4096, false).hits,
            std::vector<std::string>{"Unbounded@0"});
  EXPECT_EQ(scan(*l.engine, early, match::kDefaultWindow, false),
            std::vector<std::string>{"Unbounded@0"});
}

TEST(Stream, TooManyWaitingCandidatesFallBackToOneWholeScan) {
  Loaded l = load({{"t.ndb", "Many:0:*:41414141414141*42\n"}});
  ASSERT_TRUE(l.engine);
  // Every position hits the fragment and waits for the end: more than kMaxWaiting of them.
  std::string data(match::StreamMatch::kMaxWaiting * 2, 'A');
  EXPECT_TRUE(stream_scan(*l.engine, data, 65536).hits.empty());
  data += "B";
  EXPECT_EQ(stream_scan(*l.engine, data, 65536).hits, std::vector<std::string>{"Many@0"});
}

TEST(Stream, TheWaitingCapHoldsWithinOneWrite) {
  Loaded l = load({{"t.ndb", "Many:0:*:41414141414141*42\n"}});
  ASSERT_TRUE(l.engine);
  auto scratch = scan::make_scratch(*l.engine);
  ASSERT_TRUE(scratch.is_ok());
  scan::Stream stream;
  stream.engine = l.engine.get();
  std::string data(match::StreamMatch::kMaxWaiting * 4, 'A');
  ASSERT_TRUE(scan::stream_write(stream, reinterpret_cast<const uint8_t*>(data.data()), data.size())
                  .is_ok());
  ASSERT_TRUE(scan::stream_scan(stream, *scratch.value()).is_ok());
  // One call met four times the cap in hits: it gave up waiting at the cap, not after.
  EXPECT_TRUE(stream.match.rescan);
  EXPECT_EQ(stream.match.at_end.capacity(), 0u);
  ASSERT_TRUE(scan::stream_write(stream, reinterpret_cast<const uint8_t*>("B"), 1).is_ok());
  std::vector<std::string> hits;
  vigil_scan_result r{};
  ASSERT_TRUE(
      scan::stream_finish(stream, *scratch.value(), scan::Callback{&collect, &hits}, r).is_ok());
  EXPECT_EQ(hits, std::vector<std::string>{"Many@0"});
}

TEST(Stream, SizeLimitRefusesThePieceAndKeepsWhatCameBefore) {
  Loaded l = load({{"t.ndb", "Early:0:*:4541524c5950415454\n"}});  // "EARLYPATT"
  ASSERT_TRUE(l.engine);
  std::string data = "EARLYPATT" + filler(10000);
  StreamRun run = stream_scan(*l.engine, data, 1000, true, 5000);
  EXPECT_EQ(run.write_status.code(), VIGIL_ERR_LIMIT);
  EXPECT_NE(run.write_status.message().find("5000"), std::string::npos);
  EXPECT_EQ(run.hits, std::vector<std::string>{"Early@0"});
  EXPECT_EQ(run.result.bytes_scanned, 5000u);
}

TEST(Stream, HashesAndTheAllowlistSeeTheWholeInput) {
  const std::string data = "EARLYPATT and more";
  const std::string md5 = "73a95207bd4d695008aff2492a1a831b";  // of data
  Loaded hashed =
      load({{"t.ndb", "Early:0:*:4541524c5950415454\n"}, {"t.hdb", md5 + ":18:Whole\n"}});
  ASSERT_TRUE(hashed.engine);
  EXPECT_EQ(stream_scan(*hashed.engine, data, 3).hits,
            (std::vector<std::string>{"Early@0", "Whole@-"}));
  Loaded allowed =
      load({{"t.ndb", "Early:0:*:4541524c5950415454\n"}, {"t.fp", md5 + ":18:Clean\n"}});
  ASSERT_TRUE(allowed.engine);
  StreamRun run = stream_scan(*allowed.engine, data, 3);
  EXPECT_TRUE(run.hits.empty());
  EXPECT_EQ(run.result.allowlisted, 1u);
}

}  // namespace
}  // namespace vigil::testing
