// The one bounds-checked reader (and its writer) for binary formats: Vigil's own (little-endian
// integers, length-prefixed strings, arrays of fixed-layout records) and the outside ones the
// format module parses (executable headers in either byte order, read at absolute offsets).
// Every read checks the remaining length first and fails with a message naming the field, so a
// parser built on it cannot read out of bounds however hostile its input.
#ifndef VIGIL_COMMON_BYTE_IO_H_
#define VIGIL_COMMON_BYTE_IO_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"

namespace vigil::common {

// Records read or written as raw arrays must have no padding (every byte is a named field, so
// the written bytes are deterministic) and no pointers.
// Arrays of records are stored as the host lays them out, which the formats define as
// little-endian: the only byte order Vigil builds for.
static_assert(std::endian::native == std::endian::little,
              "Vigil's binary formats are little-endian");

template <typename T>
concept FlatRecord = std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T>;

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { put_le(v); }
  void u64(uint64_t v) { put_le(v); }
  void bytes(const void* data, size_t size) { out_.append(static_cast<const char*>(data), size); }
  // A u64 length, then the bytes.
  void blob(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  // A u64 element count, then the elements' bytes.
  template <FlatRecord T>
  void array(std::span<const T> items) {
    u64(items.size());
    bytes(items.data(), items.size_bytes());
  }
  template <FlatRecord T, typename A>
  void array(const std::vector<T, A>& items) {
    array(std::span<const T>(items.data(), items.size()));
  }
  void align(size_t to) {
    while (out_.size() % to != 0) out_.push_back('\0');
  }
  size_t size() const { return out_.size(); }
  std::string& str() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  template <typename U>
  void put_le(U v) {
    for (size_t i = 0; i < sizeof(U); ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string out_;
};

// Reads from a span it does not own, little-endian unless told otherwise. Each getter returns
// false (and sets error()) instead of reading past the end; after a failure every later read,
// skip or seek fails too, so a parser may read a run of fields and check ok() once.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what, bool big_endian = false)
      : p_(data), end_(data + size), what_(std::move(what)), big_endian_(big_endian) {}

  // Integers in a file's byte order (executable headers come in both).
  void set_big_endian(bool big_endian) { big_endian_ = big_endian; }

  bool u8(uint8_t& v, const char* field) { return get(v, field); }
  bool u16(uint16_t& v, const char* field) { return get(v, field); }
  bool u32(uint32_t& v, const char* field) { return get(v, field); }
  bool u64(uint64_t& v, const char* field) { return get(v, field); }
  // A 32- or 64-bit field, as a format's word size says.
  bool word(bool is64, uint64_t& v, const char* field) {
    if (is64) return u64(v, field);
    uint32_t w = 0;
    if (!u32(w, field)) return false;
    v = w;
    return true;
  }
  bool bytes(size_t size, const uint8_t*& out, const char* field) {
    if (!need(size, field)) return false;
    out = p_;
    p_ += size;
    return true;
  }
  bool skip(uint64_t size, const char* field) {
    const uint8_t* ignored = nullptr;
    return bytes_u64(size, ignored, field);
  }
  // Moves to an absolute offset from the start of the span; the offset may equal its size
  // (nothing more can then be read).
  bool seek(uint64_t offset, const char* field) {
    if (!error_.empty()) return false;
    if (offset > size()) {
      return fail(field, "offset " + std::to_string(offset) + " is past the end (" +
                             std::to_string(size()) + " bytes)");
    }
    p_ = start_ + offset;
    return true;
  }
  bool blob(std::string_view& out, const char* field) {
    uint64_t n = 0;
    const uint8_t* b = nullptr;
    if (!u64(n, field) || !bytes_u64(n, b, field)) return false;
    out = std::string_view(reinterpret_cast<const char*>(b), n);
    return true;
  }
  // Copies an array written by ByteWriter::array (the input need not be aligned for T).
  template <FlatRecord T, typename A>
  bool array(std::vector<T, A>& out, const char* field) {
    uint64_t n = 0;
    if (!u64(n, field)) return false;
    if (n > remaining() / sizeof(T)) return fail(field, "count exceeds the bytes left");
    out.resize(n);
    if (n != 0) std::memcpy(out.data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
    return true;
  }
  bool skip_to_alignment(size_t offset_of_start, size_t to, const char* field) {
    size_t at = offset_of_start + consumed();
    size_t pad = (to - at % to) % to;
    const uint8_t* ignored = nullptr;
    return bytes(pad, ignored, field);
  }

  size_t size() const { return static_cast<size_t>(end_ - start_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t consumed() const { return static_cast<size_t>(p_ - start_); }
  bool at_end() const { return p_ == end_; }
  bool ok() const { return error_.empty(); }
  // "names: offsets: truncated (needs 8 bytes, 3 left) at offset 16"
  const std::string& error() const { return error_; }
  Status status() const { return ok() ? Status::ok() : Status(VIGIL_ERR_CORRUPT, error_); }
  // Records a failure found by the caller's own validation.
  bool fail(const char* field, const std::string& why) {
    if (error_.empty()) error_ = what_ + ": " + field + ": " + why;
    end_ = p_;  // nothing more can be read
    return false;
  }

 private:
  bool need(size_t size, const char* field) {
    if (!error_.empty()) return false;
    if (size > remaining()) {
      return fail(field, "truncated (needs " + std::to_string(size) + " bytes, " +
                             std::to_string(remaining()) + " left) at offset " +
                             std::to_string(consumed()));
    }
    return true;
  }
  bool bytes_u64(uint64_t size, const uint8_t*& out, const char* field) {
    if (!error_.empty()) return false;
    if (size > remaining()) {
      return fail(field, "length " + std::to_string(size) + " exceeds the " +
                             std::to_string(remaining()) + " bytes left at offset " +
                             std::to_string(consumed()));
    }
    return bytes(static_cast<size_t>(size), out, field);
  }
  template <typename U>
  bool get(U& v, const char* field) {
    if (!need(sizeof(U), field)) return false;
    v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) {
      const size_t shift = big_endian_ ? 8 * (sizeof(U) - 1 - i) : 8 * i;
      v = static_cast<U>(v | static_cast<U>(static_cast<U>(p_[i]) << shift));
    }
    p_ += sizeof(U);
    return true;
  }

  const uint8_t* p_;
  const uint8_t* start_ = p_;
  const uint8_t* end_;
  std::string what_;
  bool big_endian_;
  std::string error_;
};

}  // namespace vigil::common

#endif  // VIGIL_COMMON_BYTE_IO_H_
