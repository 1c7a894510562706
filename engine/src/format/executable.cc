// parse_executable(): picks the header parser by the magic at offset 0, the same magic identify()
// types as PE, ELF or Mach-O, so that a file typed as an executable is parsed as that one. Each
// parser lives in its own file (pe.cc, elf.cc, macho.cc) over the engine's one bounds-checked
// reader, common::ByteReader; this file only routes and keeps a null or empty input out of them.
#include <algorithm>
#include <string>

#include "format/exe_parsers.h"

namespace vigil::format {

common::Result<ExeInfo> parse_executable(const uint8_t* data, uint64_t size) {
  if (data == nullptr || size == 0) {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "executable: empty input");
  }
  const size_t head = static_cast<size_t>(std::min<uint64_t>(size, kIdentifyBytes));
  switch (identify(data, head)) {
    case TargetType::kPe:
      return internal::parse_pe(data, size);
    case TargetType::kElf:
      return internal::parse_elf(data, size);
    case TargetType::kMachO:
      return internal::parse_macho(data, size);
    default:
      break;
  }
  // Thin Mach-O magic always types as Mach-O; only a fat binary can type otherwise (HTML or PDF
  // markers win over its weak magic), and a fat binary has no executable offsets of its own.
  return common::Status(VIGIL_ERR_UNSUPPORTED,
                        "executable: not a PE, ELF or Mach-O file (no MZ, \\x7FELF or Mach-O "
                        "magic at offset 0)");
}

}  // namespace vigil::format
