// RAII owners for vigil.h handles, and a load-from-memory helper for the benchmarks.
// The benchmarks use only the public C API, like any other user of the library.
#ifndef VIGIL_BENCH_ENGINE_HANDLE_H_
#define VIGIL_BENCH_ENGINE_HANDLE_H_

#include <vigil/vigil.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vigil::bench {

struct EngineDeleter {
  void operator()(vigil_engine* e) const { vigil_engine_free(e); }
};
struct ScratchDeleter {
  void operator()(vigil_scratch* s) const { vigil_scratch_free(s); }
};
using EnginePtr = std::unique_ptr<vigil_engine, EngineDeleter>;
using ScratchPtr = std::unique_ptr<vigil_scratch, ScratchDeleter>;

// One in-memory signature source: a name whose extension gives the format, and its text.
using Source = std::pair<std::string, std::string>;

// Load @p sources strictly (any diagnostic of severity ERROR fails). On failure returns null
// and puts a one-line reason, with the first error diagnostic, in @p error.
EnginePtr load_engine(const std::vector<Source>& sources, std::string* error);

// A scratch for @p engine, or null.
ScratchPtr make_scratch(const vigil_engine* engine);

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_ENGINE_HANDLE_H_
