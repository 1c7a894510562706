// Hash-signature path throughput (bytes/s): engines holding many .hdb/.hsb entries, half of
// them with the scanned buffer's exact size, so every scan computes the digest and looks it
// up (and misses: the digests are random). BM_HashSizeMiss is the contrast: no entry has the
// buffer's size, so the engine can answer without hashing. Only the public API is used.
#include <benchmark/benchmark.h>
#include <vigil/vigil.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine_handle.h"
#include "scan_loop.h"
#include "sig_gen.h"

namespace vigil::bench {
namespace {

constexpr uint64_t kSeed = 1;
constexpr int64_t kEntries = 100000;

struct LoadedEngine {
  EnginePtr engine;
  ScratchPtr scratch;
  std::string error;
};

// Engines keyed by (algorithms bitmask, hit size, entries). Bit 0 MD5, 1 SHA-1, 2 SHA-256.
LoadedEngine& engine_for(int algos, uint64_t hit_size, size_t entries) {
  static std::map<std::tuple<int, uint64_t, size_t>, LoadedEngine> cache;
  auto [it, fresh] = cache.try_emplace({algos, hit_size, entries});
  if (fresh) {
    LoadedEngine& e = it->second;
    std::vector<Source> sources;
    if (algos & 1) {
      sources.push_back({"bench.hdb", make_hash_db(entries, HashAlgo::kMd5, hit_size, kSeed)});
    }
    if (algos & 2) {
      sources.push_back(
          {"bench-sha1.hsb", make_hash_db(entries, HashAlgo::kSha1, hit_size, kSeed + 1)});
    }
    if (algos & 4) {
      sources.push_back(
          {"bench-sha256.hsb", make_hash_db(entries, HashAlgo::kSha256, hit_size, kSeed + 2)});
    }
    e.engine = load_engine(sources, &e.error);
    if (e.engine) {
      e.scratch = make_scratch(e.engine.get());
      if (!e.scratch) e.error = "vigil_scratch_new failed";
    }
  }
  return it->second;
}

// Scans a random buffer of @p size; reports bytes/s, or scans/s when @p per_scan (for the
// paths whose cost does not grow with the size).
void run_scan(benchmark::State& state, LoadedEngine& e, size_t size, bool per_scan = false) {
  if (!e.engine || !e.scratch) return state.SkipWithError(e.error.c_str());
  const std::vector<uint8_t> data = make_data(size, DataKind::kRandom, kSeed);
  vigil_scan_result result{};
  if (!scan_each_iteration(state, e.engine.get(), e.scratch.get(), data, 0, &result)) return;
  if (result.detections != 0) return state.SkipWithError("random digest matched: generator bug?");
  if (per_scan) {
    state.SetItemsProcessed(state.iterations());
  } else {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * size);
  }
}

// Args: {buffer size, algorithms bitmask}; 100k entries per algorithm.
void BM_HashDigest(benchmark::State& state) {
  const size_t size = state.range(0);
  const int algos = static_cast<int>(state.range(1));
  state.SetLabel(algos == 1 ? "md5" : algos == 2 ? "sha1" : algos == 4 ? "sha256" : "all");
  run_scan(state, engine_for(algos, size, kEntries), size);
}
BENCHMARK(BM_HashDigest)
    ->ArgNames({"bytes", "algos"})
    ->ArgsProduct({{4 << 10, 1 << 20, 16 << 20}, {1, 2, 4, 7}});

// Args: {entries}: lookup cost as the table grows (MD5, 64 KiB buffer).
void BM_HashEntries(benchmark::State& state) {
  constexpr size_t kSize = 64 << 10;
  run_scan(state, engine_for(1, kSize, state.range(0)), kSize);
}
BENCHMARK(BM_HashEntries)->ArgName("entries")->Arg(1000)->Arg(100000)->Arg(1000000);

// Args: {buffer size}: no entry has this size, so no digest is needed; reports scans/s.
void BM_HashSizeMiss(benchmark::State& state) {
  const size_t size = state.range(0);
  run_scan(state, engine_for(7, size + 4096, kEntries), size, /*per_scan=*/true);
}
BENCHMARK(BM_HashSizeMiss)->ArgName("bytes")->Arg(4 << 10)->Arg(1 << 20)->Arg(16 << 20);

}  // namespace
}  // namespace vigil::bench
