// PE32/PE32+ headers to an entry-point file offset and sections, mapped the way ClamAV 1.4.6 maps
// them. None of this is in ClamAV's documentation: each rule below was probed with clamscan (EP+0,
// Sx+0 and SEx signatures, and its --debug "Section data" and "EntryPoint offset" lines, over
// thousands of synthesized PE files) and the unit tests keep the cases. Where ClamAV rejects a
// header it runs no EP or section signature at all, so a rejection here is an error.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/byte_io.h"
#include "common/hex.h"
#include "format/exe_parsers.h"

namespace vigil::format::internal {
namespace {

constexpr uint32_t kPeSignature = 0x00004550;  // "PE\0\0"
constexpr uint16_t kMagicPe32Plus = 0x20b;
// The PE loader's sector size: raw pointers that are multiples of it are taken at face value.
constexpr uint64_t kSectorAlign = 0x200;
// A VirtualAddress or VirtualSize at or above this makes clamscan reject the file.
constexpr uint32_t kMaxVirtual = 0x80000000u;

uint64_t align_down(uint64_t v, uint64_t a) { return a == 0 ? v : v - v % a; }
uint64_t align_up(uint64_t v, uint64_t a) { return a == 0 ? v : (v + a - 1) / a * a; }

struct RawSection {
  uint32_t vsize, va, raw_size, raw_ptr;
};

}  // namespace

common::Result<ExeInfo> parse_pe(const uint8_t* data, uint64_t size) {
  if (size < 2 || data[0] != 'M' || data[1] != 'Z') {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "PE: no MZ signature at offset 0");
  }
  common::ByteReader r(data, static_cast<size_t>(size), "PE");
  uint32_t lfanew = 0, signature = 0;
  r.seek(0x3c, "e_lfanew");
  r.u32(lfanew, "e_lfanew");
  r.seek(lfanew, "e_lfanew");
  r.u32(signature, "PE signature");
  if (r.ok() && signature != kPeSignature) {
    r.fail("PE signature", "no \"PE\\0\\0\" at e_lfanew " + common::hex_number(lfanew));
  }
  // COFF file header.
  // Machine and Characteristics do not matter to clamscan (Machine 0 maps like any other).
  uint16_t nsections = 0, opt_size = 0;
  r.skip(2, "Machine");
  r.u16(nsections, "NumberOfSections");
  r.skip(12, "COFF symbol fields");
  r.u16(opt_size, "SizeOfOptionalHeader");
  r.skip(2, "Characteristics");
  if (!r.ok()) return r.status();
  if (nsections == 0) r.fail("NumberOfSections", "0 (clamscan maps nothing in such a file)");

  // Optional header: only the fields at the same place in PE32 and PE32+ are needed, and its
  // magic is not checked (clamscan maps a file whose magic is 0 or 0x107 like PE32). It must be
  // long enough for its fixed part and the data directories it declares (at most 16 count).
  const uint64_t opt = r.consumed();
  uint16_t magic = 0;
  uint32_t ep_rva = 0, section_align = 0, file_align = 0, headers_size = 0, rva_count = 0;
  r.u16(magic, "optional header magic");
  const bool pe32plus = magic == kMagicPe32Plus;
  r.seek(opt + (pe32plus ? 108 : 92), "NumberOfRvaAndSizes");
  r.u32(rva_count, "NumberOfRvaAndSizes");
  const uint64_t min_opt_size = (pe32plus ? 0x70 : 0x60) + 8 * uint64_t{std::min(rva_count, 16u)};
  if (r.ok() && opt_size < min_opt_size) {
    r.fail("SizeOfOptionalHeader", common::hex_number(opt_size) + " is below the " +
                                       common::hex_number(min_opt_size) +
                                       " bytes its fixed fields and data directories need");
  }
  r.seek(opt + 16, "AddressOfEntryPoint");
  r.u32(ep_rva, "AddressOfEntryPoint");
  r.seek(opt + 32, "SectionAlignment");
  r.u32(section_align, "SectionAlignment");
  r.u32(file_align, "FileAlignment");
  r.seek(opt + 60, "SizeOfHeaders");
  r.u32(headers_size, "SizeOfHeaders");
  r.seek(opt + opt_size, "section table");
  if (!r.ok()) return r.status();

  std::vector<RawSection> raw(nsections);
  for (uint32_t i = 0; i < nsections && r.ok(); ++i) {
    RawSection& s = raw[i];
    r.skip(8, "section name");
    r.u32(s.vsize, "section VirtualSize");
    r.u32(s.va, "section VirtualAddress");
    r.u32(s.raw_size, "section SizeOfRawData");
    r.u32(s.raw_ptr, "section PointerToRawData");
    r.skip(16, "section relocation and line-number fields");
  }
  if (!r.ok()) return r.status();

  // The alignment raw data is mapped with: FileAlignment (0: none), unless some section with raw
  // data has a raw pointer that is a multiple of 0x200 but not of FileAlignment, which makes it
  // 0x200 for every section (clamscan: "unexpected alignment - triggering fallback mode"). Raw
  // pointers round down to it and raw sizes up, by division (an alignment of 0x30 or 0x300 works
  // too); virtual addresses round down to SectionAlignment the same way.
  uint64_t falign = file_align;
  for (const RawSection& s : raw) {
    if (falign != 0 && s.raw_size != 0 && s.raw_ptr % kSectorAlign == 0 &&
        s.raw_ptr % falign != 0) {
      falign = kSectorAlign;
      break;
    }
  }

  ExeInfo info;
  info.kind = TargetType::kPe;
  info.sections.reserve(nsections);
  size_t in_file = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const RawSection& s = raw[i];
    const uint64_t rva = align_down(s.va, section_align);
    const uint64_t raw_offset = align_down(s.raw_ptr, falign);
    // The aligned raw size is 32-bit arithmetic in clamscan: past 4 GiB it wraps.
    const uint64_t raw_size = align_up(s.raw_size, falign) & UINT32_MAX;
    // A section with raw data whose raw pointer is at or past the end of the file is counted but
    // not checked further (clamscan: "starts or exists beyond the end of file"); it keeps no raw
    // data. One without raw data is checked wherever it points.
    if (raw_size != 0 && s.raw_ptr >= size) {
      info.sections.push_back(Section{rva, s.vsize, raw_offset, 0});
      continue;
    }
    const std::string which = "section " + std::to_string(i);
    if (s.va >= kMaxVirtual || s.vsize >= kMaxVirtual) {
      return common::Status(VIGIL_ERR_CORRUPT, "PE: " + which + ": VirtualAddress " +
                                                   common::hex_number(s.va) + " or VirtualSize " +
                                                   common::hex_number(s.vsize) +
                                                   " is 2 GiB or more");
    }
    // A SizeOfRawData of 2 GiB or more whose aligned size wrapped to 0 is rejected (clamscan:
    // "Found PE values with sign bit set"); any other size running past the end of the file is
    // cut there ("raw+rsz extends past the end of the file by N bytes").
    if (raw_size == 0 && s.raw_size >= kMaxVirtual) {
      return common::Status(VIGIL_ERR_CORRUPT, "PE: " + which + ": SizeOfRawData " +
                                                   common::hex_number(s.raw_size) +
                                                   " wraps to 0 when aligned");
    }
    const uint64_t kept = raw_offset >= size ? 0 : std::min(raw_size, size - raw_offset);
    info.sections.push_back(Section{rva, s.vsize, raw_offset, kept});
    ++in_file;
  }
  if (in_file == 0) {
    return common::Status(VIGIL_ERR_CORRUPT,
                          "PE: every section's raw data starts past the end of the file");
  }

  // The entry point: below the headers' end (SizeOfHeaders rounded up to SectionAlignment) the
  // RVA is the file offset; otherwise it must fall in a section's raw data (cut at the end of
  // the file), and when sections overlap the last one in the table wins. VirtualSize plays no
  // part.
  const uint64_t headers_end = align_up(headers_size, section_align) & UINT32_MAX;  // 32-bit, wraps
  bool mapped = false;
  if (ep_rva < headers_end) {
    info.ep = ep_rva;
    mapped = true;
  } else {
    for (size_t i = info.sections.size(); i-- > 0;) {
      const Section& s = info.sections[i];
      if (ep_rva >= s.rva && ep_rva - s.rva < s.raw_size) {
        info.ep = s.raw_offset + (ep_rva - s.rva);
        mapped = true;
        break;
      }
    }
  }
  if (!mapped) {
    return common::Status(VIGIL_ERR_CORRUPT, "PE: AddressOfEntryPoint " +
                                                 common::hex_number(ep_rva) +
                                                 " is neither in the headers nor in any "
                                                 "section's raw data");
  }
  if (info.ep >= size) {
    return common::Status(VIGIL_ERR_CORRUPT,
                          "PE: AddressOfEntryPoint " + common::hex_number(ep_rva) +
                              " maps to file offset " + common::hex_number(info.ep) +
                              ", past the end of the file");
  }
  info.has_ep = true;
  return info;
}

}  // namespace vigil::format::internal
