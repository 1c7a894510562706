// An Engine to a DAT and back. Building sorts the signatures canonically, compiles them for a
// fixed target and writes every part a load needs as stored layouts, plus the source IR.
// Loading verifies the container, copies those layouts back, and uses the precompiled
// pattern database when it runs here; when it does not (another Hyperscan version or CPU),
// it compiles one from the stored fragments, or takes it from an on-disk cache of an earlier
// such compile; a DAT of another plan version is rebuilt from its IR.
#ifndef VIGIL_SCAN_ENGINE_DAT_H_
#define VIGIL_SCAN_ENGINE_DAT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "dat/container.h"
#include "match/hs_database.h"
#include "scan/dat_sections.h"
#include "scan/scanner.h"
#include "sig/signature_set.h"

namespace vigil::scan {

struct DatBuildOptions {
  uint64_t version = 0;
  uint64_t created = 0;  // seconds since the epoch; 0 leaves it unset (reproducible builds)
  uint32_t min_engine_version = VIGIL_VERSION_NUMBER;
  // AVX2 by default: runs on nearly every x86-64 server of the last decade, and is the same
  // whatever machine builds the DAT.
  match::HsTarget target{.cpu_features = HS_CPU_FEATURES_AVX2};
};

// Builds an unsigned DAT from a loaded set, which it sorts and consumes. Signatures the
// matcher cannot use are left out with an error diagnostic in set.diags (the caller decides
// whether that fails the build); the IR holds exactly the signatures the DAT runs.
common::Result<std::string> build_dat(sig::SignatureSet& set, const DatBuildOptions& opts);

struct DatLoadOptions {
  dat::Trust trust;
  std::string cache_dir;  // empty: no cache
};

// Loads a DAT held in memory (`data` may be freed afterwards). Diagnostics (information about
// a recompile, warnings about the cache) are appended to `diags`.
common::Result<std::unique_ptr<Engine>> load_dat(const uint8_t* data, size_t size,
                                                 const DatLoadOptions& opts,
                                                 sig::Diagnostics& diags);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_ENGINE_DAT_H_
