// DAT load time against signature count, next to loading the same signatures from their .ndb
// source. The DATs are built once per count by the real vigil-dat tool (compile, unsigned) in
// a temporary directory; the timed loop is vigil_engine_load of the DAT file through the public
// API, as a scanner or daemon does it (mapped, verified, copied out, pattern database
// deserialized). Wall time, since a load touches fresh memory and the page cache.
#include <benchmark/benchmark.h>
#include <unistd.h>
#include <vigil/vigil.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "engine_handle.h"
#include "sig_gen.h"

namespace vigil::bench {
namespace {

constexpr uint64_t kSeed = 1;

struct OptionsDeleter {
  void operator()(vigil_load_options* o) const { vigil_load_options_free(o); }
};

std::string work_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/vigil-bench-dat-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return std::string(d != nullptr ? d : "/tmp");
  }();
  return dir;
}

struct Files {
  std::string ndb;
  std::string dat;
  std::string error;
};

// Writes bench-<count>.ndb and compiles it into bench-<count>.vdat (once per count).
const Files& files_for(size_t count) {
  static std::map<size_t, Files> cache;
  auto [it, fresh] = cache.try_emplace(count);
  Files& f = it->second;
  if (!fresh) return f;
  f.ndb = work_dir() + "/bench-" + std::to_string(count) + ".ndb";
  f.dat = work_dir() + "/bench-" + std::to_string(count) + ".vdat";
  std::ofstream(f.ndb, std::ios::binary) << make_ndb(count, kSeed);
  std::string cmd = std::string(VIGIL_DAT_TOOL) + " compile " + f.ndb + " -o " + f.dat +
                    " --version 1 > /dev/null";
  if (std::system(cmd.c_str()) != 0) f.error = "vigil-dat compile failed: " + cmd;
  return f;
}

// One vigil_engine_load of `path`; false (with the status in `error`) on failure.
bool load_once(const std::string& path, std::string& error) {
  vigil_load_options* raw = nullptr;
  if (vigil_load_options_new(&raw) != VIGIL_OK) return false;
  std::unique_ptr<vigil_load_options, OptionsDeleter> opts(raw);
  vigil_load_options_set_flags(opts.get(), VIGIL_LOAD_ALLOW_UNSIGNED);
  vigil_load_options_add_path(opts.get(), path.c_str());
  vigil_engine* engine = nullptr;
  vigil_status st = vigil_engine_load(opts.get(), &engine, nullptr);
  EnginePtr owned(engine);
  if (st != VIGIL_OK) error = std::string("vigil_engine_load: ") + vigil_status_string(st);
  return st == VIGIL_OK;
}

void run_loads(benchmark::State& state, bool dat) {
  const Files& f = files_for(static_cast<size_t>(state.range(0)));
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const std::string& path = dat ? f.dat : f.ndb;
  std::string error;
  for (auto _ : state) {
    if (!load_once(path, error)) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  state.counters["file_bytes"] = static_cast<double>(in.tellg());
  state.counters["signatures"] = static_cast<double>(state.range(0));
}

void BM_LoadDat(benchmark::State& state) { run_loads(state, true); }
void BM_LoadSource(benchmark::State& state) { run_loads(state, false); }

BENCHMARK(BM_LoadDat)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LoadSource)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace vigil::bench
