// MappedInput: a read-only view of a whole input, backed by mmap for regular files and by an
// unlinked temporary file for pipes and sockets, so scanning never holds a file in heap memory
// and inputs over 4 GiB work. RAII: the mapping and any descriptor close with the object.
#ifndef VIGIL_COMMON_MAPPED_FILE_H_
#define VIGIL_COMMON_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace vigil::common {

class MappedInput {
 public:
  MappedInput() = default;
  ~MappedInput();
  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;
  MappedInput(MappedInput&& other) noexcept;
  MappedInput& operator=(MappedInput&& other) noexcept;

  // Opens and maps a path (regular files only; directories/devices -> VIGIL_ERR_UNSUPPORTED).
  static Result<MappedInput> open_path(const std::string& path);
  // Maps a borrowed descriptor: regular files directly, anything readable via a spool file.
  static Result<MappedInput> from_fd(int fd);

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  static Result<MappedInput> map_regular(int fd, uint64_t size);
  void release();

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace vigil::common

#endif  // VIGIL_COMMON_MAPPED_FILE_H_
