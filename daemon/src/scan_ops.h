// What vigild's scan commands do with the engine, as reply bodies in clamd's words: SCAN
// (stop at the first infected file), CONTSCAN and MULTISCAN (every infected file),
// ALLMATCHSCAN (every matching signature), INSTREAM data and FILDES descriptors. Directories
// are walked depth-first in name order without following symlinks; clean files are not listed
// and a path without findings answers "PATH: OK".
#ifndef VIGIL_DAEMON_SCAN_OPS_H_
#define VIGIL_DAEMON_SCAN_OPS_H_

#include <vigil/vigil.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::daemon {

enum class ScanMode : uint8_t {
  kFirst,     // SCAN
  kContinue,  // CONTSCAN, MULTISCAN
  kAllMatch,  // ALLMATCHSCAN: every signature of the first infected file
};

struct ScanLimits {
  uint64_t max_file_size = 0;  // 0: none. Larger files are skipped (not scanned), as clamd does.
  // Inside containers (MaxRecursion, MaxFiles, MaxScanSize, MaxFileSize, MaxScanTime), and the
  // VIGIL_SCAN_* flags every scan adds (ScanArchive no, AlertEncrypted, AlertExceedsMax).
  vigil_scan_limits unpack = default_unpack_limits();
  uint32_t flags = 0;

  static vigil_scan_limits default_unpack_limits() {
    vigil_scan_limits l{};
    l.struct_size = sizeof l;
    vigil_scan_limits_default(&l);
    return l;
  }
};

// Reply bodies (without terminators) for a path command; at least one.
std::vector<std::string> scan_path(const vigil_engine* engine, vigil_scratch* scratch,
                                   const std::string& path, ScanMode mode,
                                   const ScanLimits& limits);

// MULTISCAN: as scan_path in kContinue mode, the files scanned by `threads` threads (each with a
// scratch of its own); lines in the walk's order.
std::vector<std::string> scan_path_parallel(const vigil_engine* engine, const std::string& path,
                                            unsigned threads, const ScanLimits& limits);

// The body for an INSTREAM whose bytes went to `stream` ("stream: OK" / "stream: NAME FOUND" /
// an ERROR); `write_status` is the first failure of a write to it, if any.
std::string finish_stream(vigil_stream* stream, vigil_scratch* scratch, vigil_status write_status);

// The body for a FILDES descriptor (subject "fd[N]").
std::string scan_descriptor(const vigil_engine* engine, vigil_scratch* scratch, int fd,
                            uint32_t flags);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_SCAN_OPS_H_
