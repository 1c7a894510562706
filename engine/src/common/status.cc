// Small helpers shared by every module's error paths.
#include "common/status.h"

#include <cstring>

namespace vigil::common {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  const char* text = strerror_r(err, buf, sizeof buf);
  return text ? std::string(text) : std::string("unknown error");
}

}  // namespace vigil::common
