// Public entry points for version, status strings, engines, scratches and scans. Every scan
// checks that the scratch belongs to the engine and is not already in use (a cheap atomic
// flag, not a lock), then maps the input and hands it to the scan module.
#include <atomic>
#include <cstring>
#include <optional>

#include "api/handles.h"
#include "common/mapped_file.h"

using vigil::api::guarded;

namespace {

constexpr uint32_t kScanFlags = VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_NO_CONTAINERS |
                                VIGIL_SCAN_ALERT_ENCRYPTED | VIGIL_SCAN_ALERT_BROKEN |
                                VIGIL_SCAN_ALERT_EXCEEDS_MAX;

class BusyGuard {
 public:
  explicit BusyGuard(std::atomic<bool>& flag) : flag_(flag) {
    acquired_ = !flag_.exchange(true, std::memory_order_acquire);
  }
  ~BusyGuard() {
    if (acquired_) flag_.store(false, std::memory_order_release);
  }
  bool acquired() const { return acquired_; }

 private:
  std::atomic<bool>& flag_;
  bool acquired_;
};

template <typename MapFn>
vigil_status scan_mapped(const vigil_engine* engine, vigil_scratch* scratch, uint32_t flags,
                         vigil_match_callback cb, void* user, vigil_scan_result* result,
                         MapFn&& map) {
  if (engine == nullptr || scratch == nullptr || scratch->impl->engine != engine->impl.get() ||
      (flags & ~kScanFlags) != 0) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  return guarded([&]() -> vigil_status {
    BusyGuard busy(scratch->impl->busy);
    if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    auto input = map();
    if (!input.is_ok()) return input.status().code();
    vigil_scan_result local;
    vigil::common::Status st =
        vigil::scan::scan_bytes(*engine->impl, *scratch->impl, input.value().data(),
                                input.value().size(), flags, vigil::scan::Callback{cb, user}, local,
                                vigil::match::kDefaultWindow, input.value().release_hook());
    if (!st.is_ok()) return st.code();
    if (result != nullptr) *result = local;
    return VIGIL_OK;
  });
}

}  // namespace

namespace {

// The first min(struct_size, sizeof(T)) bytes of `value` into `out`; struct_size becomes that.
template <typename T>
vigil_status copy_sized(const T& value, T* out) {
  if (out == nullptr || out->struct_size < sizeof(uint32_t)) return VIGIL_ERR_INVALID_ARGUMENT;
  size_t n = out->struct_size < sizeof(T) ? out->struct_size : sizeof(T);
  T copy = value;
  copy.struct_size = static_cast<uint32_t>(n);
  std::memcpy(out, &copy, n);
  return VIGIL_OK;
}

}  // namespace

extern "C" {

VIGIL_API const char* vigil_version(void) { return VIGIL_VERSION_STRING; }
VIGIL_API uint32_t vigil_version_number(void) { return VIGIL_VERSION_NUMBER; }

VIGIL_API const char* vigil_status_string(vigil_status status) {
  switch (status) {
    case VIGIL_OK:
      return "ok";
    case VIGIL_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case VIGIL_ERR_NOMEM:
      return "out of memory";
    case VIGIL_ERR_IO:
      return "input/output error";
    case VIGIL_ERR_SIGNATURE:
      return "signature error";
    case VIGIL_ERR_NO_SIGNATURES:
      return "no signatures loaded";
    case VIGIL_ERR_BACKEND:
      return "pattern-matching backend error";
    case VIGIL_ERR_SCRATCH_IN_USE:
      return "scratch in use by another call";
    case VIGIL_ERR_LIMIT:
      return "limit exceeded";
    case VIGIL_ERR_UNSUPPORTED:
      return "unsupported input";
    case VIGIL_ERR_CORRUPT:
      return "corrupt DAT";
    case VIGIL_ERR_UNTRUSTED:
      return "untrusted DAT";
    case VIGIL_ERR_VERSION:
      return "unsupported DAT version";
    case VIGIL_ERR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

VIGIL_API void vigil_engine_free(vigil_engine* engine) { delete engine; }

VIGIL_API vigil_status vigil_engine_get_stats(const vigil_engine* engine, vigil_engine_stats* out) {
  // struct_size lets the struct grow: a caller built against an older, smaller struct gets
  // the fields it knows; a newer, larger one gets ours and learns our size.
  if (engine == nullptr || out == nullptr || out->struct_size < sizeof(uint32_t)) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  size_t n =
      out->struct_size < sizeof(vigil_engine_stats) ? out->struct_size : sizeof(vigil_engine_stats);
  vigil_engine_stats stats = engine->impl->stats;
  stats.struct_size = static_cast<uint32_t>(n);
  std::memcpy(out, &stats, n);
  return VIGIL_OK;
}

VIGIL_API vigil_status vigil_scratch_new(const vigil_engine* engine, vigil_scratch** out) {
  if (out == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  if (engine == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    auto s = vigil::scan::make_scratch(*engine->impl);
    if (!s.is_ok()) return s.status().code();
    *out = new vigil_scratch{s.take()};
    return VIGIL_OK;
  });
}

VIGIL_API void vigil_scratch_free(vigil_scratch* scratch) { delete scratch; }

VIGIL_API vigil_status vigil_scan_buffer(const vigil_engine* engine, vigil_scratch* scratch,
                                         const void* data, size_t size, uint32_t flags,
                                         vigil_match_callback callback, void* user_data,
                                         vigil_scan_result* result) {
  if (data == nullptr && size != 0) return VIGIL_ERR_INVALID_ARGUMENT;
  struct View {
    const uint8_t* p;
    uint64_t n;
    const uint8_t* data() const { return p; }
    uint64_t size() const { return n; }
    vigil::common::ReleaseHook release_hook() const { return {}; }
  };
  return scan_mapped(engine, scratch, flags, callback, user_data, result, [&] {
    return vigil::common::Result<View>(View{static_cast<const uint8_t*>(data), size});
  });
}

VIGIL_API vigil_status vigil_scan_file(const vigil_engine* engine, vigil_scratch* scratch,
                                       const char* path, uint32_t flags,
                                       vigil_match_callback callback, void* user_data,
                                       vigil_scan_result* result) {
  if (path == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return scan_mapped(engine, scratch, flags, callback, user_data, result, [&] {
    return vigil::common::MappedInput::open_path(path, &scratch->impl->read_buffer);
  });
}

VIGIL_API vigil_status vigil_scan_fd(const vigil_engine* engine, vigil_scratch* scratch, int fd,
                                     uint32_t flags, vigil_match_callback callback, void* user_data,
                                     vigil_scan_result* result) {
  if (fd < 0) return VIGIL_ERR_INVALID_ARGUMENT;
  return scan_mapped(engine, scratch, flags, callback, user_data, result, [&] {
    return vigil::common::MappedInput::from_fd(fd, &scratch->impl->read_buffer);
  });
}

VIGIL_API vigil_status vigil_stream_new(const vigil_engine* engine, uint32_t flags,
                                        uint64_t max_size, vigil_stream** out) {
  if (out == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  if (engine == nullptr || (flags & ~kScanFlags) != 0) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  return guarded([&]() -> vigil_status {
    auto impl = std::make_unique<vigil::scan::Stream>();
    impl->engine = engine->impl.get();
    impl->flags = flags;
    impl->max_size = max_size;
    *out = new vigil_stream{std::move(impl)};
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_stream_write(vigil_stream* stream, vigil_scratch* scratch,
                                          const void* data, size_t size) {
  if (stream == nullptr || (data == nullptr && size != 0) ||
      (scratch != nullptr && scratch->impl->engine != stream->impl->engine)) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  return guarded([&]() -> vigil_status {
    // Both are taken before anything changes: a call refused as busy has kept no byte.
    BusyGuard busy(stream->impl->busy);
    if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    std::optional<BusyGuard> scratch_busy;
    if (scratch != nullptr) {
      scratch_busy.emplace(scratch->impl->busy);
      if (!scratch_busy->acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    }
    vigil::common::Status st =
        vigil::scan::stream_write(*stream->impl, static_cast<const uint8_t*>(data), size);
    if (!st.is_ok() || scratch == nullptr) return st.code();
    return vigil::scan::stream_scan(*stream->impl, *scratch->impl).code();
  });
}

VIGIL_API vigil_status vigil_stream_finish(vigil_stream* stream, vigil_scratch* scratch,
                                           vigil_match_callback callback, void* user_data,
                                           vigil_scan_result* result) {
  if (stream == nullptr || scratch == nullptr || scratch->impl->engine != stream->impl->engine) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  return guarded([&]() -> vigil_status {
    BusyGuard busy(stream->impl->busy);
    if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    BusyGuard scratch_busy(scratch->impl->busy);
    if (!scratch_busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    // The stream is emptied whatever happens, an exception (out of memory) included.
    struct ResetAtEnd {
      vigil::scan::Stream& s;
      ~ResetAtEnd() { vigil::scan::stream_reset(s); }
    } reset_at_end{*stream->impl};
    vigil_scan_result local;
    vigil::common::Status st = vigil::scan::stream_finish(
        *stream->impl, *scratch->impl, vigil::scan::Callback{callback, user_data}, local);
    if (!st.is_ok()) return st.code();
    if (result != nullptr) *result = local;
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_stream_reset(vigil_stream* stream) {
  if (stream == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    BusyGuard busy(stream->impl->busy);
    if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
    vigil::scan::stream_reset(*stream->impl);
    return VIGIL_OK;
  });
}

VIGIL_API void vigil_stream_free(vigil_stream* stream) { delete stream; }

VIGIL_API vigil_status vigil_scan_limits_default(vigil_scan_limits* out) {
  return copy_sized(vigil::scan::kDefaultLimits, out);
}

VIGIL_API vigil_status vigil_scratch_set_limits(vigil_scratch* scratch,
                                                const vigil_scan_limits* limits) {
  if (scratch == nullptr || limits == nullptr || limits->struct_size < sizeof(uint32_t)) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  BusyGuard busy(scratch->impl->busy);
  if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
  // Fields the caller's struct does not have keep their defaults.
  vigil_scan_limits full = vigil::scan::kDefaultLimits;
  size_t n = limits->struct_size < sizeof full ? limits->struct_size : sizeof full;
  std::memcpy(&full, limits, n);
  full.struct_size = sizeof full;
  scratch->impl->limits = full;
  return VIGIL_OK;
}

VIGIL_API vigil_status vigil_scratch_get_scan_info(vigil_scratch* scratch, vigil_scan_info* out) {
  if (scratch == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  BusyGuard busy(scratch->impl->busy);
  if (!busy.acquired()) return VIGIL_ERR_SCRATCH_IN_USE;
  vigil_scan_info info = scratch->impl->last_info;
  return copy_sized(info, out);
}

}  // extern "C"
