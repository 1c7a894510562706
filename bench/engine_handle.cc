// Loading an engine from in-memory sources for the benchmarks (see engine_handle.h).
// A benchmark over an engine that silently dropped signatures would measure the wrong thing,
// so the load is strict and the first error diagnostic is passed back verbatim.
#include "engine_handle.h"

namespace vigil::bench {
namespace {

struct OptionsDeleter {
  void operator()(vigil_load_options* o) const { vigil_load_options_free(o); }
};
struct DiagsDeleter {
  void operator()(vigil_diagnostics* d) const { vigil_diagnostics_free(d); }
};

std::string first_error(const vigil_diagnostics* diags) {
  for (size_t i = 0; i < vigil_diagnostics_count(diags); ++i) {
    vigil_diagnostic d{};
    if (vigil_diagnostics_get(diags, i, &d) == VIGIL_OK && d.severity == VIGIL_SEVERITY_ERROR) {
      return std::string(d.file) + ":" + std::to_string(d.line) + ": " + d.message;
    }
  }
  return "no error diagnostic";
}

}  // namespace

EnginePtr load_engine(const std::vector<Source>& sources, std::string* error) {
  vigil_load_options* raw_opts = nullptr;
  vigil_status st = vigil_load_options_new(&raw_opts);
  std::unique_ptr<vigil_load_options, OptionsDeleter> opts(raw_opts);
  for (const auto& [name, text] : sources) {
    if (st != VIGIL_OK) break;
    st = vigil_load_options_add_memory(opts.get(), name.c_str(), text.data(), text.size());
  }
  if (st != VIGIL_OK) {
    *error = std::string("load options: ") + vigil_status_string(st);
    return nullptr;
  }
  vigil_engine* raw_engine = nullptr;
  vigil_diagnostics* raw_diags = nullptr;
  st = vigil_engine_load(opts.get(), &raw_engine, &raw_diags);
  std::unique_ptr<vigil_diagnostics, DiagsDeleter> diags(raw_diags);
  EnginePtr engine(raw_engine);
  if (st != VIGIL_OK) {
    *error = std::string("vigil_engine_load: ") + vigil_status_string(st) + " (" +
             first_error(diags.get()) + ")";
    return nullptr;
  }
  return engine;
}

ScratchPtr make_scratch(const vigil_engine* engine) {
  vigil_scratch* raw = nullptr;
  if (vigil_scratch_new(engine, &raw) != VIGIL_OK) return nullptr;
  return ScratchPtr(raw);
}

}  // namespace vigil::bench
