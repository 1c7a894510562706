// Internal to the format module: the executable header parsers parse_executable() routes to, one
// per file (pe.cc, elf.cc, macho.cc), each reading through common::ByteReader.
#ifndef VIGIL_FORMAT_EXE_PARSERS_H_
#define VIGIL_FORMAT_EXE_PARSERS_H_

#include <cstdint>

#include "common/status.h"
#include "format/format.h"

namespace vigil::format::internal {

// Each returns an ExeInfo with its kind set, or a Status saying what is wrong.
common::Result<ExeInfo> parse_pe(const uint8_t* data, uint64_t size);
common::Result<ExeInfo> parse_elf(const uint8_t* data, uint64_t size);
common::Result<ExeInfo> parse_macho(const uint8_t* data, uint64_t size);

}  // namespace vigil::format::internal

#endif  // VIGIL_FORMAT_EXE_PARSERS_H_
