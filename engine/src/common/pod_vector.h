// PodVector<T>: a std::vector of plain records for the engine's large tables (the matcher's
// plan, hash tables, names). Two differences from the default allocator, both for loading a
// DAT fast: resize() leaves new elements uninitialised (they are about to be overwritten by a
// copy, so zeroing them first is a wasted pass over megabytes), and blocks of 2 MiB or more are
// mapped on their own, 2 MiB-aligned, with transparent huge pages requested, so filling a
// 15 MB table costs a handful of page faults rather than thousands.
#ifndef VIGIL_COMMON_POD_VECTOR_H_
#define VIGIL_COMMON_POD_VECTOR_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <vector>

namespace vigil::common {

template <typename T>
class PodAllocator {
 public:
  static_assert(std::is_trivially_copyable_v<T>, "PodAllocator is for plain records");
  using value_type = T;

  PodAllocator() = default;
  template <typename U>
  PodAllocator(const PodAllocator<U>&) {}  // NOLINT: rebinding, as allocators must

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    const size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      void* p = std::malloc(bytes == 0 ? 1 : bytes);
      if (p == nullptr) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
    // Over-map by one huge page and trim both ends so the block starts 2 MiB-aligned.
    const size_t len = round_up(bytes);
    void* raw =
        ::mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    auto start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t{kHuge} - 1);
    if (aligned > start) ::munmap(raw, aligned - start);
    if (uintptr_t end = start + len + kHuge; end > aligned + len) {
      ::munmap(reinterpret_cast<void*>(aligned + len), end - (aligned + len));
    }
    ::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
    return reinterpret_cast<T*>(aligned);
  }

  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      std::free(p);
    } else {
      ::munmap(p, round_up(bytes));
    }
  }

  // Default-initialisation: no zeroing of elements that a copy is about to fill.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const PodAllocator<U>&) const {
    return true;
  }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  static size_t round_up(size_t bytes) { return (bytes + kHuge - 1) & ~(kHuge - 1); }
};

template <typename T>
using PodVector = std::vector<T, PodAllocator<T>>;

}  // namespace vigil::common

#endif  // VIGIL_COMMON_POD_VECTOR_H_
