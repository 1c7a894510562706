// The timed loop every scan benchmark shares: one vigil_scan_buffer() per iteration over the
// same buffer, the last result kept for the caller's sanity checks.
#ifndef VIGIL_BENCH_SCAN_LOOP_H_
#define VIGIL_BENCH_SCAN_LOOP_H_

#include <benchmark/benchmark.h>
#include <vigil/vigil.h>

#include <cstdint>
#include <vector>

namespace vigil::bench {

// Runs the benchmark loop; on a failed scan marks the benchmark skipped and returns false.
inline bool scan_each_iteration(benchmark::State& state, const vigil_engine* engine,
                                vigil_scratch* scratch, const std::vector<uint8_t>& data,
                                uint32_t flags, vigil_scan_result* last) {
  for (auto _ : state) {
    const vigil_status st =
        vigil_scan_buffer(engine, scratch, data.data(), data.size(), flags, nullptr, nullptr, last);
    if (st != VIGIL_OK) {
      state.SkipWithError(vigil_status_string(st));
      return false;
    }
    benchmark::DoNotOptimize(*last);
  }
  return true;
}

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_SCAN_LOOP_H_
