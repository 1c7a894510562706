// Test support: build an engine from in-memory sources through the internal modules and scan a
// buffer with a chosen prefilter window, returning "name@offset" strings in report order.
#ifndef VIGIL_TESTS_UNIT_SCAN_SUPPORT_H_
#define VIGIL_TESTS_UNIT_SCAN_SUPPORT_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scan/engine_dat.h"
#include "scan/scanner.h"
#include "sig/signature_set.h"

namespace vigil::testing {

struct Loaded {
  std::unique_ptr<scan::Engine> engine;
  sig::Diagnostics diags;
};

inline Loaded load(const std::vector<std::pair<std::string, std::string>>& sources,
                   bool unofficial = false) {
  std::vector<sig::Source> src;
  for (const auto& [name, text] : sources) src.push_back(sig::Source{name, true, text});
  sig::SignatureSet set = sig::load_sources(src, sig::LoadFlags{unofficial});
  auto engine = scan::build_engine(set);
  EXPECT_TRUE(engine.is_ok()) << engine.status().message();
  Loaded out;
  out.diags = std::move(set.diags);
  if (engine.is_ok()) out.engine = engine.take();
  return out;
}

// The same sources compiled into a DAT and loaded back from it; null (and a test failure) when
// either step fails.
inline std::unique_ptr<scan::Engine> load_from_dat(
    const std::vector<std::pair<std::string, std::string>>& sources) {
  std::vector<sig::Source> src;
  for (const auto& [name, text] : sources) src.push_back(sig::Source{name, true, text});
  sig::SignatureSet set = sig::load_sources(src, sig::LoadFlags{});
  auto dat = scan::build_dat(set, scan::DatBuildOptions{});
  EXPECT_TRUE(dat.is_ok()) << dat.status().message();
  if (!dat.is_ok()) return nullptr;
  scan::DatLoadOptions opts;
  opts.trust.allow_unsigned = true;
  sig::Diagnostics diags;
  auto loaded = scan::load_dat(reinterpret_cast<const uint8_t*>(dat.value().data()),
                               dat.value().size(), opts, diags);
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().message();
  return loaded.is_ok() ? loaded.take() : nullptr;
}

inline int collect(const vigil_match* m, void* user) {
  auto* out = static_cast<std::vector<std::string>*>(user);
  out->push_back(std::string(m->name) + "@" +
                 (m->offset == VIGIL_OFFSET_NONE ? std::string("-") : std::to_string(m->offset)));
  return 0;
}

inline std::vector<std::string> scan(const scan::Engine& engine, std::string_view data,
                                     uint64_t window = match::kDefaultWindow, bool all = true,
                                     vigil_scan_result* result_out = nullptr) {
  auto scratch = scan::make_scratch(engine);
  EXPECT_TRUE(scratch.is_ok());
  std::vector<std::string> hits;
  vigil_scan_result result{};
  common::Status st = scan::scan_bytes(
      engine, *scratch.value(), reinterpret_cast<const uint8_t*>(data.data()), data.size(),
      all ? VIGIL_SCAN_ALLMATCH : 0, scan::Callback{&collect, &hits}, result, window);
  EXPECT_TRUE(st.is_ok()) << st.message();
  if (result_out) *result_out = result;
  // Every scan is also run as a stream, in pieces of several sizes, matched after every
  // piece: the verdict must be the same.
  for (size_t piece : {size_t{1}, size_t{3}, size_t{64}, size_t{4096}, data.size() + 1}) {
    if (piece < 64 && data.size() > (64 << 10)) continue;  // a call per byte: small inputs only
    scan::Stream stream;
    stream.engine = &engine;
    stream.flags = all ? VIGIL_SCAN_ALLMATCH : 0;
    stream.batch = 1;
    for (size_t at = 0; at < data.size(); at += piece) {
      size_t n = std::min(piece, data.size() - at);
      EXPECT_TRUE(scan::stream_write(stream, reinterpret_cast<const uint8_t*>(data.data()) + at, n)
                      .is_ok());
      EXPECT_TRUE(scan::stream_scan(stream, *scratch.value(), window).is_ok());
    }
    std::vector<std::string> streamed;
    vigil_scan_result stream_result{};
    st = scan::stream_finish(stream, *scratch.value(), scan::Callback{&collect, &streamed},
                             stream_result, window);
    EXPECT_TRUE(st.is_ok()) << st.message();
    EXPECT_EQ(streamed, hits) << "streamed in pieces of " << piece;
    EXPECT_EQ(stream_result.allowlisted, result.allowlisted);
  }
  return hits;
}

// One .ndb signature named "S" with offset `offset`, scanned over `data`; returns the offset of
// the match or -1.
inline int64_t match_offset(const std::string& hex, std::string_view data,
                            const std::string& offset = "*",
                            uint64_t window = match::kDefaultWindow) {
  Loaded l = load({{"t.ndb", "S:0:" + offset + ":" + hex + "\n"}});
  EXPECT_TRUE(l.engine) << hex;
  if (!l.engine) return -2;
  EXPECT_EQ(l.engine->body->signature_count(), 1u) << hex;
  auto hits = scan(*l.engine, data, window);
  if (hits.empty()) return -1;
  EXPECT_EQ(hits.size(), 1u);
  return std::stoll(hits[0].substr(2));
}

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_UNIT_SCAN_SUPPORT_H_
