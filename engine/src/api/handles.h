// The concrete types behind the public opaque handles, and the exception firewall every
// extern "C" entry point runs its body through: bad_alloc -> VIGIL_ERR_NOMEM, anything else
// -> VIGIL_ERR_INTERNAL. No C++ exception crosses the C boundary.
#ifndef VIGIL_API_HANDLES_H_
#define VIGIL_API_HANDLES_H_

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "dat/crypto.h"
#include "scan/scanner.h"
#include "sig/signature_set.h"
#include "vigil/vigil.h"

struct vigil_load_options {
  uint32_t flags = 0;
  std::vector<vigil::sig::Source> sources;
  std::vector<vigil::dat::PublicKey> trusted_keys;
  std::string cache_dir;
};

struct vigil_diagnostics {
  std::vector<vigil::sig::Diagnostic> items;
};

struct vigil_engine {
  std::unique_ptr<vigil::scan::Engine> impl;
};

struct vigil_scratch {
  std::unique_ptr<vigil::scan::Scratch> impl;
};

struct vigil_stream {
  std::unique_ptr<vigil::scan::Stream> impl;
};

namespace vigil::api {

template <typename F>
vigil_status guarded(F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return VIGIL_ERR_NOMEM;
  } catch (...) {
    return VIGIL_ERR_INTERNAL;
  }
}

}  // namespace vigil::api

#endif  // VIGIL_API_HANDLES_H_
