// Owning handles for the vigil.h objects vigil-scan uses, and the signature loading step:
// which sources to load, how diagnostics are printed, and how long the load took.
#ifndef VIGIL_SCANNER_CLI_ENGINE_LOADER_H_
#define VIGIL_SCANNER_CLI_ENGINE_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "vigil/vigil.h"

namespace vigil::cli {

struct EngineDeleter {
  void operator()(vigil_engine* e) const { vigil_engine_free(e); }
};
struct ScratchDeleter {
  void operator()(vigil_scratch* s) const { vigil_scratch_free(s); }
};
struct LoadOptionsDeleter {
  void operator()(vigil_load_options* o) const { vigil_load_options_free(o); }
};
struct DiagnosticsDeleter {
  void operator()(vigil_diagnostics* d) const { vigil_diagnostics_free(d); }
};

using EnginePtr = std::unique_ptr<vigil_engine, EngineDeleter>;
using ScratchPtr = std::unique_ptr<vigil_scratch, ScratchDeleter>;
using LoadOptionsPtr = std::unique_ptr<vigil_load_options, LoadOptionsDeleter>;
using DiagnosticsPtr = std::unique_ptr<vigil_diagnostics, DiagnosticsDeleter>;

struct LoadedEngine {
  EnginePtr engine;
  // Body plus hash signatures, as shown by "Signatures loaded".
  uint64_t signatures = 0;
  double load_seconds = 0;
};

// The sources to load: -d paths if any, else $VIGIL_DATABASE if set and non-empty, else the
// bundled default directory.
std::vector<std::string> database_paths(const Options& opts);

// Formats one diagnostic as "FILE:LINE: error|warning|info: MESSAGE [NAME]".
std::string format_diagnostic(const vigil_diagnostic& d);

// Loads the engine, printing diagnostics to stderr (info only when verbose). On failure prints
// "vigil-scan: cannot load signatures: REASON" and returns false.
bool load_engine(const Options& opts, LoadedEngine* out);

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_ENGINE_LOADER_H_
