// Whole-file reads and crash-safe whole-file replacement, for files such as DATs that readers
// (a scanner, a daemon reloading its engine) must only ever see complete.
#ifndef VIGIL_COMMON_ATOMIC_FILE_H_
#define VIGIL_COMMON_ATOMIC_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/pod_vector.h"
#include "common/status.h"

namespace vigil::common {

// Writes `bytes` to `path` so that readers see either the old file or the complete new one:
// a temporary file `<path>.tmp.<pid>.<n>` in the same directory (O_CREAT|O_EXCL, `mode` less the
// umask), written fully (EINTR and short writes handled), fsync'd, renamed over `path`, then the
// directory fsync'd. On any failure before the rename the temporary is removed and `path` is
// untouched; the Status (VIGIL_ERR_IO) reads "<path>: <step>: <errno text>", for example
// "/db/main.dat: write failed: No space left on device". If only the final directory fsync
// fails, `path` already holds the new content but may not survive a crash; that is reported as
// VIGIL_ERR_IO too. A path that is empty or ends in '/' is VIGIL_ERR_INVALID_ARGUMENT.
// Thread-safe; concurrent writers to one path each leave one complete version (the last rename
// wins).
Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode = 0644);

// Same, but once the temporary is complete and closed, and before the rename, calls
// check(temp_path); if it returns a non-ok Status the temporary is removed, `path` is untouched
// and that Status is returned (used to verify a new DAT before it replaces the old one).
Status write_file_atomically(const std::string& path, std::string_view bytes, mode_t mode,
                             const std::function<Status(const std::string& temp_path)>& check);

// Reads a whole regular file. Directories, devices, FIFOs and sockets are refused with
// VIGIL_ERR_UNSUPPORTED; a file over `max_size` bytes (also one that grows past it while being
// read) with VIGIL_ERR_LIMIT; open and read failures are VIGIL_ERR_IO. Every message starts with
// the path.
Result<std::string> read_whole_file(const std::string& path, size_t max_size = size_t{1} << 32);
// The same into a PodVector (no zeroing pass; huge pages for large files), for DATs.
Result<PodVector<uint8_t>> read_file_bytes(const std::string& path,
                                           size_t max_size = size_t{1} << 32);

}  // namespace vigil::common

#endif  // VIGIL_COMMON_ATOMIC_FILE_H_
