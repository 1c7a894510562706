// ELF32/ELF64 headers (either byte order) to an entry-point file offset and sections, as ClamAV
// 1.4.6 does it. ClamAV's docs only say EP and Sx work for ELF; clamscan showed the rest: the
// sections are the section headers (the null section 0 included, SHT_NOBITS too), the entry
// point is mapped through the program headers (the first one of any type whose memory range
// holds it), and e_type, e_machine and e_version do not matter.
#include <cstdint>
#include <cstring>
#include <string>

#include "common/byte_io.h"
#include "common/hex.h"
#include "format/exe_parsers.h"

namespace vigil::format::internal {
namespace {

// Checks that a table of count entries of entry_size bytes at offset lies inside the file. An
// offset of 0 is taken as it is (clamscan then reads the ELF header as the table).
bool table_fits(common::ByteReader& r, uint64_t offset, uint64_t count, uint64_t entry_size,
                const char* field) {
  if (offset > r.size() || count * entry_size > r.size() - offset) {
    return r.fail(field, std::to_string(count) + " entries of " + std::to_string(entry_size) +
                             " bytes at " + common::hex_number(offset) +
                             " run past the end of the file");
  }
  return true;
}

}  // namespace

common::Result<ExeInfo> parse_elf(const uint8_t* data, uint64_t size) {
  if (size < 4 || std::memcmp(data, "\x7F\x45LF", 4) != 0) {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "ELF: no \\x7FELF signature at offset 0");
  }
  common::ByteReader r(data, static_cast<size_t>(size), "ELF");
  uint8_t elf_class = 0, encoding = 0;
  r.seek(4, "e_ident");
  r.u8(elf_class, "EI_CLASS");
  r.u8(encoding, "EI_DATA");
  if (r.ok() && elf_class != 1 && elf_class != 2) {
    r.fail("EI_CLASS", std::to_string(elf_class) + " is neither 1 (32-bit) nor 2 (64-bit)");
  }
  if (r.ok() && encoding != 1 && encoding != 2) {
    r.fail("EI_DATA", std::to_string(encoding) + " is neither 1 (LSB) nor 2 (MSB)");
  }
  const bool is64 = elf_class == 2;
  r.set_big_endian(encoding == 2);

  uint64_t entry = 0, phoff = 0, shoff = 0;
  uint16_t phentsize = 0, phnum = 0, shentsize = 0, shnum = 0;
  r.seek(16, "e_type");
  r.skip(8, "e_type, e_machine and e_version");
  r.word(is64, entry, "e_entry");
  r.word(is64, phoff, "e_phoff");
  r.word(is64, shoff, "e_shoff");
  r.skip(6, "e_flags and e_ehsize");
  r.u16(phentsize, "e_phentsize");
  r.u16(phnum, "e_phnum");
  r.u16(shentsize, "e_shentsize");
  r.u16(shnum, "e_shnum");
  if (!r.ok()) return r.status();

  // clamscan rejects a table whose entry size is not the standard one, or that lies (even in
  // part) past the end of the file; an empty table is fine.
  const uint16_t ph_size = is64 ? 56 : 32;
  const uint16_t sh_size = is64 ? 64 : 40;
  if (phnum != 0) {
    if (phentsize != ph_size) {
      r.fail("e_phentsize", std::to_string(phentsize) + ", not " + std::to_string(ph_size));
    }
    table_fits(r, phoff, phnum, ph_size, "program header table");
  }
  if (shnum != 0) {
    if (shentsize != sh_size) {
      r.fail("e_shentsize", std::to_string(shentsize) + ", not " + std::to_string(sh_size));
    }
    table_fits(r, shoff, shnum, sh_size, "section header table");
  }
  if (!r.ok()) return r.status();

  ExeInfo info;
  info.kind = TargetType::kElf;
  info.sections.reserve(shnum);
  for (uint32_t i = 0; i < shnum && r.ok(); ++i) {
    uint64_t addr = 0, offset = 0, length = 0;
    r.seek(shoff + uint64_t{i} * sh_size, "section header");
    r.skip(8, "sh_name and sh_type");
    r.skip(is64 ? 8 : 4, "sh_flags");
    r.word(is64, addr, "sh_addr");
    r.word(is64, offset, "sh_offset");
    r.word(is64, length, "sh_size");
    info.sections.push_back(Section{addr, length, offset, length});
  }
  if (!r.ok()) return r.status();

  info.has_ep = true;
  if (phnum == 0) {
    // Without program headers clamscan does not map e_entry at all: EP+n matches at n.
    info.ep_is_default = true;
    return info;
  }
  for (uint32_t i = 0; i < phnum && r.ok(); ++i) {
    uint64_t offset = 0, vaddr = 0, memsz = 0, unused = 0;
    r.seek(phoff + uint64_t{i} * ph_size, "program header");
    // ELF64 puts p_flags before p_offset, ELF32 after p_memsz; the five words between are in
    // the same order.
    r.skip(is64 ? 8 : 4, "p_type and p_flags");
    r.word(is64, offset, "p_offset");
    r.word(is64, vaddr, "p_vaddr");
    r.word(is64, unused, "p_paddr");
    r.word(is64, unused, "p_filesz");
    r.word(is64, memsz, "p_memsz");
    if (r.ok() && entry >= vaddr && entry - vaddr < memsz) {
      // Past p_filesz (in .bss) still counts, and so does an offset past the end of the file:
      // clamscan keeps the entry point then, EP+n simply cannot match there.
      if (entry - vaddr > UINT64_MAX - offset) {
        return common::Status(VIGIL_ERR_CORRUPT, "ELF: program header " + std::to_string(i) +
                                                     ": p_offset + entry point overflows");
      }
      info.ep = offset + (entry - vaddr);
      return info;
    }
  }
  if (!r.ok()) return r.status();
  return common::Status(VIGIL_ERR_CORRUPT, "ELF: e_entry " + common::hex_number(entry) +
                                               " is in no program header's memory range");
}

}  // namespace vigil::format::internal
