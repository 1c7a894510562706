// Mach-O headers (32/64-bit, either byte order) to an entry-point file offset and sections, and
// the slices of a fat/universal file, as ClamAV 1.4.6 does it (its docs only say EP and Sx work
// for Mach-O; clamscan showed the rest). The sections are the sections of every LC_SEGMENT(_64)
// in load-command order. The entry point comes only from a PowerPC thread state (LC_THREAD or
// LC_UNIXTHREAD, srr0, the last such command winning), mapped through the first section holding
// it (an offset past the end of the file is kept): for x86, ARM and LC_MAIN clamscan finds no
// entry point and EP+n matches at offset n.
#include <algorithm>
#include <cstdint>
#include <string>

#include "common/byte_io.h"
#include "common/hex.h"
#include "format/exe_parsers.h"

namespace vigil::format::internal {
namespace {

constexpr uint32_t kLcSegment = 0x1;
constexpr uint32_t kLcThread = 0x4;
constexpr uint32_t kLcUnixThread = 0x5;
constexpr uint32_t kLcSegment64 = 0x19;
constexpr int32_t kCpuI386 = 7;
constexpr int32_t kCpuPowerPc = 18;
constexpr int32_t kCpuPowerPc64 = 0x01000012;
// A section's alignment is a power of two given by its exponent; clamscan refuses 32 and up.
constexpr uint32_t kMaxAlignExponent = 31;

std::string command_name(uint32_t index) { return "load command " + std::to_string(index); }

}  // namespace

common::Result<ExeInfo> parse_macho(const uint8_t* data, uint64_t size) {
  if (size < 4) return common::Status(VIGIL_ERR_UNSUPPORTED, "Mach-O: shorter than a magic");
  bool is64 = false, big_endian = false;
  const uint32_t magic_be =
      uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 | uint32_t{data[2]} << 8 | data[3];
  switch (magic_be) {
    case 0xFEEDFACE:
      big_endian = true;
      break;
    case 0xCEFAEDFE:
      break;
    case 0xFEEDFACF:
      big_endian = true, is64 = true;
      break;
    case 0xCFFAEDFE:
      is64 = true;
      break;
    case 0xCAFEBABE:
      return common::Status(VIGIL_ERR_UNSUPPORTED,
                            "Mach-O: a fat/universal binary; each architecture's slice is parsed "
                            "on its own (macho_fat_slices)");
    default:
      return common::Status(VIGIL_ERR_UNSUPPORTED, "Mach-O: no Mach-O magic at offset 0");
  }
  common::ByteReader r(data, static_cast<size_t>(size), "Mach-O", big_endian);
  uint32_t cputype = 0, ncmds = 0;
  r.seek(4, "cputype");
  r.u32(cputype, "cputype");
  r.skip(8, "cpusubtype and filetype");  // filetype does not matter to clamscan
  r.u32(ncmds, "ncmds");
  // sizeofcmds is not checked: clamscan reads the ncmds commands wherever they lead.
  r.skip(is64 ? 12 : 8, "sizeofcmds, flags and reserved");
  const bool x86 = static_cast<int32_t>(cputype) == kCpuI386;
  const bool ppc = static_cast<int32_t>(cputype) == kCpuPowerPc;
  const bool ppc64 = static_cast<int32_t>(cputype) == kCpuPowerPc64;

  ExeInfo info;
  info.kind = TargetType::kMachO;
  bool have_thread = false;
  uint64_t ep_addr = 0;
  // Every command takes at least 8 bytes of the file, so a huge ncmds ends at the end of the file.
  for (uint32_t i = 0; i < ncmds && r.ok(); ++i) {
    const uint64_t start = r.consumed();
    uint32_t cmd = 0, cmdsize = 0;
    r.u32(cmd, "load command");
    r.u32(cmdsize, "cmdsize");
    if (!r.ok()) break;
    if (cmd == (is64 ? kLcSegment64 : kLcSegment)) {
      // A segment is read as its header and nsects sections back to back whatever its cmdsize
      // says, as clamscan reads it.
      uint32_t nsects = 0;
      r.skip(16, "segname");
      r.skip(is64 ? 32 : 16, "segment addresses and sizes");
      r.skip(8, "segment protections");
      r.u32(nsects, "nsects");
      r.skip(4, "segment flags");
      for (uint32_t k = 0; k < nsects && r.ok(); ++k) {
        if (info.sections.size() >= kMaxSections) {
          return common::Status(VIGIL_ERR_CORRUPT, "Mach-O: " + command_name(i) + ": more than " +
                                                       std::to_string(kMaxSections) + " sections");
        }
        uint64_t addr = 0, length = 0;
        uint32_t offset = 0, align = 0;
        r.skip(32, "sectname and segname");
        r.word(is64, addr, "section addr");
        r.word(is64, length, "section size");
        r.u32(offset, "section offset");
        r.u32(align, "section align");
        r.skip(is64 ? 24 : 20, "section relocations, flags and reserved");
        if (r.ok() && align > kMaxAlignExponent) {
          return common::Status(VIGIL_ERR_CORRUPT, "Mach-O: " + command_name(i) + ": section " +
                                                       std::to_string(k) + ": alignment 2^" +
                                                       std::to_string(align) + " is malformed");
        }
        if (r.ok()) info.sections.push_back(Section{addr, length, offset, length});
      }
      continue;
    }
    uint64_t next = start + std::max<uint64_t>(cmdsize, 8);
    if (cmd == kLcThread || cmd == kLcUnixThread) {
      // clamscan reads a whole thread state of the size its CPU has, whatever flavor, count
      // and cmdsize say, and goes on right after it: 64 bytes for i386 (whose entry point it
      // then ignores), 160 for PowerPC and 312 for PowerPC 64. The entry point is the first
      // register, srr0, as wide as the CPU's registers (not the file's word size). For every
      // other CPU the command is skipped by its cmdsize.
      const uint64_t state = x86 ? 64 : ppc ? 160 : ppc64 ? 312 : 0;
      if (state != 0) {
        r.skip(8, "thread flavor and count");
        if (ppc || ppc64) {
          r.word(ppc64, ep_addr, "thread state srr0");
          have_thread = true;
        }
        r.seek(start + 16 + state, "thread state");
        next = start + 16 + state;
      }
    }
    // Where the last command claims to end does not matter; a cmdsize of 0 moves on to the next
    // 8 bytes, as clamscan does.
    if (r.ok() && i + 1 < ncmds) r.seek(next, "next load command");
  }
  if (!r.ok()) return r.status();

  info.has_ep = true;
  if (!have_thread) {
    info.ep_is_default = true;
    return info;
  }
  for (const Section& s : info.sections) {
    if (ep_addr >= s.rva && ep_addr - s.rva < s.vsize) {
      info.ep = s.raw_offset + (ep_addr - s.rva);
      return info;
    }
  }
  return common::Status(VIGIL_ERR_CORRUPT,
                        "Mach-O: entry point " + common::hex_number(ep_addr) + " is in no section");
}

}  // namespace vigil::format::internal

namespace vigil::format {

common::Result<FatLayout> macho_fat_slices(const uint8_t* data, uint64_t size) {
  if (data == nullptr || size < 8 || data[0] != 0xCA ||
      identify(data, static_cast<size_t>(std::min<uint64_t>(size, kIdentifyBytes))) !=
          TargetType::kMachO) {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "Mach-O fat: not a fat/universal binary");
  }
  common::ByteReader r(data, static_cast<size_t>(size), "Mach-O fat", /*big_endian=*/true);
  uint32_t count = 0;
  r.seek(4, "nfat_arch");
  r.u32(count, "nfat_arch");  // below 0x20, or identify() would not say Mach-O
  const uint64_t header_end = 8 + uint64_t{count} * 20;
  FatLayout layout;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string which = "architecture " + std::to_string(i);
    uint32_t offset = 0, length = 0;
    r.seek(8 + uint64_t{i} * 20 + 8, "fat_arch");
    r.u32(offset, "fat_arch offset");
    r.u32(length, "fat_arch size");
    if (!r.ok()) {
      layout.damage = r.status().message() + " (" + which + ")";
      break;
    }
    if (offset < header_end) {
      layout.damage = "Mach-O fat: " + which + ": offset " + common::hex_number(offset) +
                      " is inside the fat header (" + common::hex_number(header_end) + " bytes)";
      break;
    }
    FatSlice slice{offset, offset >= size ? 0 : std::min<uint64_t>(length, size - offset), length};
    for (size_t k = 0; k < layout.slices.size() && slice.size != 0; ++k) {
      const FatSlice& o = layout.slices[k];
      if (o.size != 0 && slice.offset < o.offset + o.size && o.offset < slice.offset + slice.size) {
        slice.overlaps = static_cast<int32_t>(k);
        break;
      }
    }
    layout.slices.push_back(slice);
  }
  return layout;
}

}  // namespace vigil::format
