// Diagnostic: one structured problem report from loading signatures (code, severity, file,
// line, signature, message). The api module copies these into the public vigil_diagnostics.
#ifndef VIGIL_SIG_DIAGNOSTIC_H_
#define VIGIL_SIG_DIAGNOSTIC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/vigil.h"

namespace vigil::sig {

struct Diagnostic {
  vigil_diag_code code;
  vigil_diag_severity severity;
  std::string file;
  uint32_t line = 0;
  std::string signature;
  std::string message;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool has_errors(const Diagnostics& diags) {
  for (const Diagnostic& d : diags) {
    if (d.severity == VIGIL_SEVERITY_ERROR) return true;
  }
  return false;
}

}  // namespace vigil::sig

#endif  // VIGIL_SIG_DIAGNOSTIC_H_
