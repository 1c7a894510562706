// Stream scanning through the public API: pieces with and without a scratch, reuse of a stream
// for input after input, the size limit, reset, and the argument checks.
#include <string>
#include <vector>

#include "api_support.h"

namespace {

using vigil_test::collect;
using vigil_test::load;

struct Fixture {
  vigil_test::Load loaded;
  vigil_test::Scratch scratch;
  explicit Fixture(const std::string& sigs) : loaded(load({{"s.ndb", sigs}})) {
    vigil_scratch* raw = nullptr;
    EXPECT_EQ(vigil_scratch_new(loaded.engine.get(), &raw), VIGIL_OK);
    scratch.reset(raw);
  }
  vigil_test::Stream stream(uint32_t flags = 0, uint64_t max_size = 0) {
    vigil_stream* raw = nullptr;
    EXPECT_EQ(vigil_stream_new(loaded.engine.get(), flags, max_size, &raw), VIGIL_OK);
    return vigil_test::Stream(raw);
  }
};

const std::string kSigs = "Api.Body:0:*:68656c6c6f20776f726c64\nApi.Tail:0:EOF-3:454e44\n";

TEST(StreamApi, PiecesWithAndWithoutScratchGiveTheBufferVerdict) {
  Fixture f(kSigs);
  const std::string data =
      std::string(100000, 'x') + "hello world" + std::string(100000, 'y') + "END";
  std::vector<std::string> block;
  vigil_scan_result br{};
  ASSERT_EQ(vigil_scan_buffer(f.loaded.engine.get(), f.scratch.get(), data.data(), data.size(),
                              VIGIL_SCAN_ALLMATCH, collect, &block, &br),
            VIGIL_OK);
  ASSERT_EQ(block, (std::vector<std::string>{"Api.Body", "Api.Tail"}));
  auto stream = f.stream(VIGIL_SCAN_ALLMATCH);
  for (int round = 0; round < 3; ++round) {  // one stream, input after input
    for (size_t at = 0; at < data.size(); at += 1500) {
      size_t n = std::min<size_t>(1500, data.size() - at);
      vigil_scratch* s = (at / 1500) % 3 == 0 ? nullptr : f.scratch.get();
      ASSERT_EQ(vigil_stream_write(stream.get(), s, data.data() + at, n), VIGIL_OK);
    }
    std::vector<std::string> streamed;
    vigil_scan_result r{};
    ASSERT_EQ(vigil_stream_finish(stream.get(), f.scratch.get(), collect, &streamed, &r), VIGIL_OK);
    EXPECT_EQ(streamed, block);
    EXPECT_EQ(r.detections, 2u);
    EXPECT_EQ(r.bytes_scanned, data.size());
  }
  // An empty input is clean.
  vigil_scan_result r{};
  ASSERT_EQ(vigil_stream_finish(stream.get(), f.scratch.get(), nullptr, nullptr, &r), VIGIL_OK);
  EXPECT_EQ(r.detections, 0u);
  EXPECT_EQ(r.bytes_scanned, 0u);
}

TEST(StreamApi, LimitResetAndArgumentChecks) {
  Fixture f(kSigs);
  Fixture other(kSigs);
  auto stream = f.stream(0, 20);
  EXPECT_EQ(vigil_stream_write(stream.get(), f.scratch.get(), "hello world", 11), VIGIL_OK);
  EXPECT_EQ(vigil_stream_write(stream.get(), f.scratch.get(), "0123456789", 10), VIGIL_ERR_LIMIT);
  std::vector<std::string> names;
  vigil_scan_result r{};
  ASSERT_EQ(vigil_stream_finish(stream.get(), f.scratch.get(), collect, &names, &r), VIGIL_OK);
  EXPECT_EQ(names, std::vector<std::string>{"Api.Body"});
  EXPECT_EQ(r.bytes_scanned, 11u);

  // Reset abandons the input: nothing of it is reported.
  EXPECT_EQ(vigil_stream_write(stream.get(), nullptr, "hello world", 11), VIGIL_OK);
  EXPECT_EQ(vigil_stream_reset(stream.get()), VIGIL_OK);
  names.clear();
  ASSERT_EQ(vigil_stream_finish(stream.get(), f.scratch.get(), collect, &names, &r), VIGIL_OK);
  EXPECT_TRUE(names.empty());

  vigil_stream* raw = reinterpret_cast<vigil_stream*>(1);
  EXPECT_EQ(vigil_stream_new(nullptr, 0, 0, &raw), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(raw, nullptr);
  EXPECT_EQ(vigil_stream_new(f.loaded.engine.get(), 1u << 30, 0, &raw), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_new(f.loaded.engine.get(), 0, 0, nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_write(nullptr, nullptr, "x", 1), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_write(stream.get(), nullptr, nullptr, 1), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_write(stream.get(), nullptr, nullptr, 0), VIGIL_OK);
  // A scratch of another engine is refused, for writes and for the end.
  EXPECT_EQ(vigil_stream_write(stream.get(), other.scratch.get(), "x", 1),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_finish(stream.get(), other.scratch.get(), nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_finish(stream.get(), nullptr, nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_finish(nullptr, f.scratch.get(), nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_stream_reset(nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  vigil_stream_free(nullptr);
}

}  // namespace
