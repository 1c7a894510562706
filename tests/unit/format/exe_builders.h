// Builders of synthesized executables for the format tests: PE32/PE32+, ELF32/64 in either byte
// order, thin Mach-O from load commands, and fat Mach-O. Every byte a header does not set is
// filled from a seeded generator, so a sample is deterministic and an offset in it can be told
// apart from its neighbours (a wrong entry point shows up as wrong bytes, not the same zeros).
#ifndef VIGIL_TESTS_UNIT_FORMAT_EXE_BUILDERS_H_
#define VIGIL_TESTS_UNIT_FORMAT_EXE_BUILDERS_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil::format::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes filler(size_t size, uint32_t seed) {
  Bytes out(size);
  uint64_t x = 0x9E3779B97F4A7C15ull ^ seed;
  for (uint8_t& b : out) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    b = static_cast<uint8_t>(x >> 56);
  }
  return out;
}

// Writes integers at absolute offsets in one byte order, growing the buffer as needed.
class Writer {
 public:
  Writer(Bytes& out, bool big_endian) : out_(out), big_endian_(big_endian) {}
  void put(size_t offset, uint64_t value, size_t width) {
    if (out_.size() < offset + width) out_.resize(offset + width);
    for (size_t i = 0; i < width; ++i) {
      const size_t shift = big_endian_ ? 8 * (width - 1 - i) : 8 * i;
      out_[offset + i] = static_cast<uint8_t>(value >> shift);
    }
  }
  void u16(size_t offset, uint64_t v) { put(offset, v, 2); }
  void u32(size_t offset, uint64_t v) { put(offset, v, 4); }
  void u64(size_t offset, uint64_t v) { put(offset, v, 8); }
  void zero(size_t offset, size_t n) {
    if (out_.size() < offset + n) out_.resize(offset + n);
    std::fill(out_.begin() + offset, out_.begin() + offset + n, 0);
  }
  void bytes(size_t offset, const std::string& s) {
    if (out_.size() < offset + s.size()) out_.resize(offset + s.size());
    for (size_t i = 0; i < s.size(); ++i) out_[offset + i] = static_cast<uint8_t>(s[i]);
  }

 private:
  Bytes& out_;
  bool big_endian_;
};

// ---- PE ----
struct PeSection {
  uint32_t vsize, va, raw_size, raw_ptr;
};
struct PeSpec {
  std::vector<PeSection> sections;
  uint32_t ep = 0;
  uint32_t file_align = 0x200, section_align = 0x1000, headers_size = 0x400;
  bool pe32plus = false;
  uint32_t lfanew = 0x80;
  size_t size = 0;    // 0: up to the end of the last section's raw data (or the headers)
  int opt_size = -1;  // -1: the standard 0xe0 / 0xf0
  uint32_t rva_count = 16;
  int nsections = -1;  // -1: the number of sections given
  uint32_t seed = 1;
};

inline Bytes build_pe(const PeSpec& spec) {
  size_t end = spec.headers_size;
  for (const PeSection& s : spec.sections) {
    if (uint64_t{s.raw_ptr} + s.raw_size < 0x100000)
      end = std::max<size_t>(end, s.raw_ptr + s.raw_size);
  }
  Bytes out = filler(spec.size != 0 ? spec.size : end, spec.seed);
  const size_t size = out.size();
  Writer w(out, false);
  w.bytes(0, "MZ");
  w.u32(0x3c, spec.lfanew);
  const size_t coff = spec.lfanew + 4;
  const size_t opt_size = spec.opt_size >= 0 ? spec.opt_size : (spec.pe32plus ? 0xf0 : 0xe0);
  w.bytes(spec.lfanew, std::string("PE\0\0", 4));
  w.u16(coff, spec.pe32plus ? 0x8664 : 0x14c);
  w.u16(coff + 2, spec.nsections >= 0 ? spec.nsections : spec.sections.size());
  w.zero(coff + 4, 12);
  w.u16(coff + 16, opt_size);
  w.u16(coff + 18, 0x102);
  const size_t opt = coff + 20;
  w.zero(opt, std::max<size_t>(opt_size, spec.pe32plus ? 0x70 : 0x60));
  w.u16(opt, spec.pe32plus ? 0x20b : 0x10b);
  w.u32(opt + 16, spec.ep);
  w.u32(opt + 32, spec.section_align);
  w.u32(opt + 36, spec.file_align);
  w.u32(opt + 60, spec.headers_size);
  w.u32(opt + (spec.pe32plus ? 108 : 92), spec.rva_count);
  for (size_t i = 0; i < spec.sections.size(); ++i) {
    const PeSection& s = spec.sections[i];
    const size_t at = opt + opt_size + 40 * i;
    std::string name = ".s" + std::to_string(i);
    name.resize(8, '\0');
    w.bytes(at, name);
    w.u32(at + 8, s.vsize);
    w.u32(at + 12, s.va);
    w.u32(at + 16, s.raw_size);
    w.u32(at + 20, s.raw_ptr);
    w.zero(at + 24, 12);
    w.u32(at + 36, 0x60000020);
  }
  out.resize(size);  // a header written past the requested size is cut off again
  return out;
}

// ---- ELF ----
struct ElfPhdr {
  uint32_t type;
  uint64_t offset, vaddr, filesz, memsz;
};
struct ElfShdr {
  uint32_t type;
  uint64_t offset, addr, size;
};
struct ElfSpec {
  bool is64 = true, big_endian = false;
  uint64_t entry = 0;
  std::vector<ElfPhdr> phdrs;
  std::vector<ElfShdr> shdrs;
  size_t size = 0x1000;
  uint8_t elf_class = 0, data = 0;  // 0: as is64 / big_endian say
  int phentsize = -1, shentsize = -1, phnum = -1, shnum = -1;
  std::optional<uint64_t> phoff, shoff;  // unset: right after the ELF header, then after that
  uint32_t seed = 1;
};

inline Bytes build_elf(const ElfSpec& spec) {
  Bytes out = filler(spec.size, spec.seed);
  Writer w(out, spec.big_endian);
  const size_t eh = spec.is64 ? 64 : 52, ph = spec.is64 ? 56 : 32, sh = spec.is64 ? 64 : 40;
  const uint64_t phoff = spec.phoff.value_or(eh);
  const uint64_t shoff = spec.shoff.value_or(eh + ph * spec.phdrs.size());
  w.bytes(0, "\x7F\x45LF");
  out[4] = spec.elf_class ? spec.elf_class : (spec.is64 ? 2 : 1);
  out[5] = spec.data ? spec.data : (spec.big_endian ? 2 : 1);
  out[6] = 1;
  for (size_t i = 7; i < 16; ++i) out[i] = 0;
  const size_t word = spec.is64 ? 8 : 4;
  w.u16(16, 2);
  w.u16(18, spec.is64 ? 62 : 3);
  w.u32(20, 1);
  w.put(24, spec.entry, word);
  w.put(24 + word, phoff, word);
  w.put(24 + 2 * word, shoff, word);
  const size_t tail = 24 + 3 * word;
  w.u32(tail, 0);
  w.u16(tail + 4, eh);
  w.u16(tail + 6, spec.phentsize >= 0 ? spec.phentsize : ph);
  w.u16(tail + 8, spec.phnum >= 0 ? spec.phnum : spec.phdrs.size());
  w.u16(tail + 10, spec.shentsize >= 0 ? spec.shentsize : sh);
  w.u16(tail + 12, spec.shnum >= 0 ? spec.shnum : spec.shdrs.size());
  w.u16(tail + 14, 0);
  for (size_t i = 0; i < spec.phdrs.size(); ++i) {
    const ElfPhdr& p = spec.phdrs[i];
    const uint64_t at = phoff + ph * i;
    if (phoff > spec.size || at + ph > spec.size) break;  // a table placed outside the file
    w.u32(at, p.type);
    if (spec.is64) {
      w.u32(at + 4, 5);
      w.u64(at + 8, p.offset), w.u64(at + 16, p.vaddr), w.u64(at + 24, p.vaddr);
      w.u64(at + 32, p.filesz), w.u64(at + 40, p.memsz), w.u64(at + 48, 0x1000);
    } else {
      w.u32(at + 4, p.offset), w.u32(at + 8, p.vaddr), w.u32(at + 12, p.vaddr);
      w.u32(at + 16, p.filesz), w.u32(at + 20, p.memsz), w.u32(at + 24, 5), w.u32(at + 28, 0x1000);
    }
  }
  for (size_t i = 0; i < spec.shdrs.size(); ++i) {
    const ElfShdr& s = spec.shdrs[i];
    const uint64_t at = shoff + sh * i;
    if (shoff > spec.size || at + sh > spec.size) break;
    w.u32(at, i), w.u32(at + 4, s.type);
    w.put(at + 8, 6, word), w.put(at + 8 + word, s.addr, word);
    w.put(at + 8 + 2 * word, s.offset, word), w.put(at + 8 + 3 * word, s.size, word);
  }
  out.resize(spec.size);
  return out;
}

// ---- Mach-O ----
struct MachoSection {
  uint64_t addr, size;
  uint32_t offset, align = 0;
};
inline constexpr uint32_t kCpuI386 = 7, kCpuX86_64 = 0x01000007, kCpuPpc = 18,
                          kCpuPpc64 = 0x01000012, kCpuArm64 = 0x0100000c;

class MachoBuilder {
 public:
  MachoBuilder(bool is64, bool big_endian, uint32_t cputype)
      : is64_(is64), big_endian_(big_endian), cputype_(cputype) {}
  MachoBuilder& segment(const std::vector<MachoSection>& sections) {
    Bytes c;
    Writer w(c, big_endian_);
    const size_t head = is64_ ? 72 : 56, sect = is64_ ? 80 : 68;
    w.u32(0, is64_ ? 0x19 : 0x1);
    w.u32(4, head + sect * sections.size());
    w.bytes(8, std::string("__TEXT") + std::string(10, '\0'));
    w.u32(head - 8, sections.size());
    w.u32(head - 4, 0);
    for (size_t i = 0; i < sections.size(); ++i) {
      const size_t at = head + sect * i;
      const MachoSection& s = sections[i];
      w.bytes(at, std::string("__s") + std::to_string(i) + std::string(12, '\0'));
      w.bytes(at + 16, std::string("__TEXT") + std::string(10, '\0'));
      const size_t word = is64_ ? 8 : 4;
      w.put(at + 32, s.addr, word), w.put(at + 32 + word, s.size, word);
      w.u32(at + 32 + 2 * word, s.offset), w.u32(at + 36 + 2 * word, s.align);
      w.zero(at + 40 + 2 * word, sect - 40 - 2 * word);
    }
    return raw(c);
  }
  // A thread command whose first register is pc; registers of reg_width bytes.
  MachoBuilder& thread(uint64_t pc, size_t reg_count, size_t reg_width, uint32_t cmd = 5) {
    Bytes c;
    Writer w(c, big_endian_);
    w.u32(0, cmd), w.u32(4, 16 + reg_count * reg_width), w.u32(8, 1);
    w.u32(12, reg_count * reg_width / 4);
    for (size_t i = 0; i < reg_count; ++i) w.put(16 + i * reg_width, i == 0 ? pc : 0, reg_width);
    return raw(c);
  }
  MachoBuilder& raw(const Bytes& command) {
    commands_.insert(commands_.end(), command.begin(), command.end());
    ++ncmds_;
    return *this;
  }
  Bytes build(size_t size, uint32_t seed = 1, int ncmds = -1) const {
    Bytes out = filler(size, seed);
    Writer w(out, big_endian_);
    w.u32(0, is64_ ? 0xFEEDFACF : 0xFEEDFACE);
    w.u32(4, cputype_), w.u32(8, 3), w.u32(12, 2);
    w.u32(16, ncmds >= 0 ? ncmds : ncmds_), w.u32(20, commands_.size()), w.u32(24, 0);
    const size_t head = is64_ ? 32 : 28;
    if (is64_) w.u32(28, 0);
    if (out.size() < head + commands_.size()) out.resize(head + commands_.size());
    std::copy(commands_.begin(), commands_.end(), out.begin() + head);
    return out;
  }

 private:
  bool is64_, big_endian_;
  uint32_t cputype_;
  Bytes commands_;
  uint32_t ncmds_ = 0;
};

// A fat Mach-O holding each slice at its offset; count overrides nfat_arch.
inline Bytes build_fat(const std::vector<std::pair<uint32_t, Bytes>>& slices, size_t size,
                       int count = -1) {
  Bytes out = filler(size, 7);
  Writer w(out, true);
  w.u32(0, 0xCAFEBABE);
  w.u32(4, count >= 0 ? count : slices.size());
  for (size_t i = 0; i < slices.size(); ++i) {
    const size_t at = 8 + 20 * i;
    w.u32(at, kCpuPpc), w.u32(at + 4, 0), w.u32(at + 8, slices[i].first);
    w.u32(at + 12, slices[i].second.size()), w.u32(at + 16, 12);
    for (size_t k = 0; k < slices[i].second.size() && slices[i].first + k < size; ++k) {
      out[slices[i].first + k] = slices[i].second[k];
    }
  }
  return out;
}

}  // namespace vigil::format::testing

#endif  // VIGIL_TESTS_UNIT_FORMAT_EXE_BUILDERS_H_
