// Body-signature matcher throughput (bytes/s) against signature count, and load/compile time
// against signature count. Engines are built once per count from generated .ndb text through
// vigil_load_options_add_memory and cached, so only vigil_scan_buffer (or, for BM_Load, only
// vigil_engine_load) is inside the timed loop. Only the public API (vigil.h) is used.
#include <benchmark/benchmark.h>
#include <vigil/vigil.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine_handle.h"
#include "scan_loop.h"
#include "sig_gen.h"

namespace vigil::bench {
namespace {

constexpr uint64_t kSeed = 1;
constexpr size_t kBufferSize = 32u << 20;  // 32 MiB: far larger than any cache

struct LoadedEngine {
  EnginePtr engine;
  ScratchPtr scratch;
  std::string error;
};

LoadedEngine& engine_for(size_t count) {
  static std::map<size_t, LoadedEngine> cache;
  auto [it, fresh] = cache.try_emplace(count);
  if (fresh) {
    LoadedEngine& e = it->second;
    e.engine = load_engine({{"bench.ndb", make_ndb(count, kSeed)}}, &e.error);
    if (e.engine) {
      e.scratch = make_scratch(e.engine.get());
      if (!e.scratch) e.error = "vigil_scratch_new failed";
    }
  }
  return it->second;
}

const std::vector<uint8_t>& buffer_for(DataKind kind) {
  static std::map<DataKind, std::vector<uint8_t>> cache;
  auto [it, fresh] = cache.try_emplace(kind);
  if (fresh) it->second = make_data(kBufferSize, kind, kSeed);
  return it->second;
}

// Args: {signature count, DataKind}. A clean scan: no signature occurs in the data.
void BM_Scan(benchmark::State& state) {
  const size_t count = state.range(0);
  const auto kind = static_cast<DataKind>(state.range(1));
  LoadedEngine& e = engine_for(count);
  if (!e.engine || !e.scratch) return state.SkipWithError(e.error.c_str());
  const std::vector<uint8_t>& data = buffer_for(kind);
  state.SetLabel(data_kind_name(kind));
  vigil_scan_result result{};
  if (!scan_each_iteration(state, e.engine.get(), e.scratch.get(), data, 0, &result)) return;
  if (result.detections != 0) {
    return state.SkipWithError("random signatures matched the generated data: generator bug?");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * data.size());
  state.counters["sigs"] = static_cast<double>(count);
}
BENCHMARK(BM_Scan)
    ->ArgNames({"sigs", "data"})
    ->ArgsProduct({{1000, 10000, 100000},
                   {static_cast<int>(DataKind::kRandom), static_cast<int>(DataKind::kText),
                    static_cast<int>(DataKind::kZeros)}})
    ->Unit(benchmark::kMillisecond);

// The confirm path: random data with one planted signature instance every 64 KiB (each a
// different signature, so with ALLMATCH every one is reported). Args: {signature count}.
void BM_ScanDenseHits(benchmark::State& state) {
  const size_t count = state.range(0);
  LoadedEngine& e = engine_for(count);
  if (!e.engine || !e.scratch) return state.SkipWithError(e.error.c_str());
  std::vector<uint8_t> data = make_data(kBufferSize, DataKind::kRandom, kSeed + 1);
  constexpr size_t kStride = 64u << 10;
  Rng rng(kSeed);
  uint32_t planted = 0;
  for (size_t off = 0; off + kStride <= data.size(); off += kStride, ++planted) {
    const std::vector<uint8_t> hit = instantiate(make_signature(kSeed, planted % count), rng);
    std::copy(hit.begin(), hit.end(), data.begin() + off + 100);
  }
  const uint32_t expected = std::min<size_t>(planted, count);
  vigil_scan_result result{};
  if (!scan_each_iteration(state, e.engine.get(), e.scratch.get(), data, VIGIL_SCAN_ALLMATCH,
                           &result)) {
    return;
  }
  if (result.detections != expected) {
    const std::string msg = std::string("expected ") + std::to_string(expected) +
                            " detections, got " + std::to_string(result.detections);
    return state.SkipWithError(msg.c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * data.size());
  state.counters["detections"] = result.detections;
}
BENCHMARK(BM_ScanDenseHits)
    ->ArgName("sigs")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

// Parse + compile time of N signatures (the text is generated outside the timed region).
void BM_Load(benchmark::State& state) {
  const size_t count = state.range(0);
  const std::string ndb = make_ndb(count, kSeed);
  vigil_engine_stats stats{};
  stats.struct_size = sizeof stats;
  for (auto _ : state) {
    std::string error;
    EnginePtr engine = load_engine({{"bench.ndb", ndb}}, &error);
    if (!engine) return state.SkipWithError(error.c_str());
    state.PauseTiming();
    vigil_engine_get_stats(engine.get(), &stats);
    engine.reset();
    state.ResumeTiming();
  }
  if (stats.body_signatures != count) {
    const std::string msg = std::string("loaded ") + std::to_string(stats.body_signatures) +
                            " of " + std::to_string(count) + " signatures";
    return state.SkipWithError(msg.c_str());
  }
  state.counters["sigs"] = static_cast<double>(count);
  state.counters["fragments"] = static_cast<double>(stats.fragments);
  state.counters["sigs_per_s"] =
      benchmark::Counter(static_cast<double>(count), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Load)->ArgName("sigs")->Arg(1000)->Arg(10000)->Arg(100000)->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace vigil::bench
