// MappedInput: a read-only view of a whole input. Small regular files are read into a buffer
// the caller keeps between scans (cheaper than mmap + faults + munmap per file); larger ones
// are mapped, and pipes and sockets are spooled to an unlinked temporary file and mapped, so
// scanning never holds a large input in heap memory and inputs over 4 GiB work. RAII: the
// mapping closes with the object.
#ifndef VIGIL_COMMON_MAPPED_FILE_H_
#define VIGIL_COMMON_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace vigil::common {

// Tells an input's owner that bytes before `offset` will not be needed soon, so a mapping can
// drop them from the process's resident set (they are re-read from the page cache if a later
// confirm looks back). A null fn is a no-op.
struct ReleaseHook {
  void (*fn)(void* ctx, uint64_t offset) = nullptr;
  void* ctx = nullptr;
  void operator()(uint64_t offset) const {
    if (fn != nullptr) fn(ctx, offset);
  }
};

class MappedInput {
 public:
  MappedInput() = default;
  ~MappedInput();
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;
  MappedInput(MappedInput&& other) noexcept;
  MappedInput& operator=(MappedInput&& other) noexcept;

  // Files up to this size are read into the caller's buffer instead of being mapped.
  static constexpr uint64_t kReadLimit = uint64_t{1} << 20;

  // Opens a path (regular files only; directories/devices -> VIGIL_ERR_UNSUPPORTED).
  // `buffer` (may be null) receives small files and must outlive the returned view.
  static Result<MappedInput> open_path(const std::string& path, std::vector<uint8_t>* buffer);
  // A borrowed descriptor: regular files directly, anything readable via a spool file.
  static Result<MappedInput> from_fd(int fd, std::vector<uint8_t>* buffer);

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // A hook that drops mapped pages before an offset; a no-op for buffered inputs.
  ReleaseHook release_hook() const;

 private:
  static Result<MappedInput> map_regular(int fd, uint64_t size);
  static Result<MappedInput> view_regular(int fd, uint64_t size, std::vector<uint8_t>* buffer);
  void release();

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace vigil::common

#endif  // VIGIL_COMMON_MAPPED_FILE_H_
