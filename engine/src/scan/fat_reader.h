// The slices of a fat/universal Mach-O as a container's members (internal to the scan module),
// so that the descent scans each architecture as a file of its own under the same limits, paths
// and damage accounting as an archive's members.
#ifndef VIGIL_SCAN_FAT_READER_H_
#define VIGIL_SCAN_FAT_READER_H_

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "unpack/unpack.h"

namespace vigil::scan {

// ContainerReader::format() of a fat Mach-O: what container_of() maps to its container type.
inline constexpr const char* kFatMachoFormat = "Mach-O universal binary";

// True when data[0, size) starts like a fat Mach-O (CAFEBABE), the cheap test before
// open_fat_macho() types it in full.
bool maybe_fat_macho(const uint8_t* data, uint64_t size);

// Opens data[0, size) (borrowed; must outlive the reader) as a fat Mach-O. Its members are the
// slices in table order, named "slice-N" (N the architecture's index), each read as the bytes the
// file holds of it; a slice cut by the end of the file, or sharing bytes with an earlier one, is
// read in full and then fails (read() -1, error() says why), so the container counts as broken
// after that slice is scanned. A table that ends early is broken at that entry (next() kBroken).
// VIGIL_ERR_UNSUPPORTED when the bytes are not a fat Mach-O.
common::Result<std::unique_ptr<unpack::ContainerReader>> open_fat_macho(const uint8_t* data,
                                                                        uint64_t size);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_FAT_READER_H_
