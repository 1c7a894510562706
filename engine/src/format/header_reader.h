// Internal to the format module: reads fixed-layout executable headers at absolute offsets in
// either byte order. Every read goes through common::ByteReader, the engine's one bounds-checked
// reader, so a field past the end of the file fails with a message naming that field instead of
// being read; the first failure is kept and every later read fails too.
#ifndef VIGIL_FORMAT_HEADER_READER_H_
#define VIGIL_FORMAT_HEADER_READER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/byte_io.h"
#include "common/status.h"
#include "format/format.h"

namespace vigil::format::internal {

class HeaderReader {
 public:
  HeaderReader(const uint8_t* data, uint64_t size, std::string what, bool big_endian = false)
      : data_(data), size_(size), what_(std::move(what)), big_endian_(big_endian) {}

  void set_big_endian(bool big_endian) { big_endian_ = big_endian; }
  uint64_t size() const { return size_; }
  uint64_t tell() const { return pos_; }

  // Moves to an absolute offset; the offset may equal the size (nothing more can then be read).
  bool seek(uint64_t offset, const char* field) {
    if (!ok()) return false;
    if (offset > size_) {
      return fail(field, "offset " + hex(offset) + " is past the end of the file (" + hex(size_) +
                             " bytes)");
    }
    pos_ = offset;
    return true;
  }
  bool skip(uint64_t n, const char* field) {
    if (!ok()) return false;
    if (n > size_ - pos_) {
      return fail(field, "needs " + hex(n) + " bytes at offset " + hex(pos_) + ", " +
                             hex(size_ - pos_) + " left");
    }
    pos_ += n;
    return true;
  }
  bool u8(uint8_t& v, const char* field) { return get(v, field); }
  bool u16(uint16_t& v, const char* field) { return get(v, field); }
  bool u32(uint32_t& v, const char* field) { return get(v, field); }
  bool u64(uint64_t& v, const char* field) { return get(v, field); }
  // A 32- or 64-bit field, as the executable's word size says.
  bool word(bool is64, uint64_t& v, const char* field) {
    if (is64) return u64(v, field);
    uint32_t w = 0;
    if (!u32(w, field)) return false;
    v = w;
    return true;
  }

  bool ok() const { return error_.empty(); }
  // Records a failure found by the caller's own checks: "PE: e_lfanew: points past the end".
  bool fail(const char* field, const std::string& why) {
    if (error_.empty()) error_ = what_ + ": " + field + ": " + why;
    return false;
  }
  common::Status status() const {
    return ok() ? common::Status::ok() : common::Status(VIGIL_ERR_CORRUPT, error_);
  }

  static std::string hex(uint64_t v) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
      out.insert(out.begin(), kDigits[v & 15]);
      v >>= 4;
    } while (v != 0);
    return "0x" + out;
  }

 private:
  template <typename U>
  bool get(U& v, const char* field) {
    if (!ok()) return false;
    // The bytes are taken through ByteReader (bounds and the message), then assembled in the
    // file's byte order.
    common::ByteReader r(data_ + pos_, static_cast<size_t>(size_ - pos_), what_);
    const uint8_t* p = nullptr;
    if (!r.bytes(sizeof(U), p, field)) {
      error_ = r.error() + " at offset " + hex(pos_);
      return false;
    }
    v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) {
      const size_t shift = big_endian_ ? 8 * (sizeof(U) - 1 - i) : 8 * i;
      v = static_cast<U>(v | static_cast<U>(static_cast<U>(p[i]) << shift));
    }
    pos_ += sizeof(U);
    return true;
  }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string what_;
  bool big_endian_;
  std::string error_;
};

// Each parser returns an ExeInfo with its kind set, or a Status saying what is wrong.
common::Result<ExeInfo> parse_pe(const uint8_t* data, uint64_t size);
common::Result<ExeInfo> parse_elf(const uint8_t* data, uint64_t size);
common::Result<ExeInfo> parse_macho(const uint8_t* data, uint64_t size);

}  // namespace vigil::format::internal

#endif  // VIGIL_FORMAT_HEADER_READER_H_
