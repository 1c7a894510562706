// The engine vigild scans with, and its replacement on reload. Scans take a reference to the
// current engine (a shared_ptr) and keep it to the end, so a reload never waits for scans and
// never pulls an engine from under one: the old engine is freed when its last scan finishes.
// A reload builds the new engine completely (on the caller's thread; the server runs it on a
// thread of its own) and swaps it in atomically; if it fails, the old engine keeps serving.
// Scratch space is per thread and per engine: ScratchFor hands a worker the scratch for the
// engine it is about to use, making a new one after a swap.
#ifndef VIGIL_DAEMON_ENGINE_HOLDER_H_
#define VIGIL_DAEMON_ENGINE_HOLDER_H_

#include <vigil/vigil.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::daemon {

// What to load: a DAT file or signature sources (files or directories), and the trust
// settings for DATs.
struct LoadSpec {
  std::vector<std::string> paths;
  std::vector<std::string> trusted_key_files;
  bool allow_unsigned = false;
  std::string cache_dir;
  bool skip_bad_signatures = false;
};

// An engine and what is known about it.
struct LoadedEngine {
  vigil_engine* engine = nullptr;  // owned
  uint64_t generation = 0;         // 1 for the first load, +1 per successful reload
  uint64_t signatures = 0;
  uint64_t dat_version = 0;  // 0 when loaded from sources
  int64_t loaded_at = 0;     // seconds since the epoch
  uint64_t dat_created = 0;  // the DAT's creation time, 0 if unset
  ~LoadedEngine() { vigil_engine_free(engine); }
};
using EngineRef = std::shared_ptr<const LoadedEngine>;

class EngineHolder {
 public:
  explicit EngineHolder(LoadSpec spec) : spec_(std::move(spec)) {}

  // Loads a new engine and, on success, makes it current. On failure the current engine (if
  // any) stays and `error` says why, with every error diagnostic, one per line.
  bool reload(std::string& error);

  // The current engine (null before the first successful load).
  EngineRef current() const { return std::atomic_load(&current_); }

 private:
  LoadSpec spec_;
  std::mutex reload_mutex_;  // one reload at a time
  EngineRef current_;
  uint64_t generation_ = 0;
};

// A thread's scratch, remade when the thread moves to another engine.
class ScratchFor {
 public:
  ScratchFor() = default;
  ~ScratchFor() { vigil_scratch_free(scratch_); }
  ScratchFor(const ScratchFor&) = delete;
  ScratchFor& operator=(const ScratchFor&) = delete;

  // A scratch for `e`, or null (out of memory). It scans under the limits set_limits() gave.
  vigil_scratch* get(const EngineRef& e);
  void set_limits(const vigil_scan_limits& limits) { limits_ = limits; }
  // Frees the scratch and lets go of its engine (so a replaced engine can be freed).
  void reset();
  uint64_t generation() const { return generation_; }

 private:
  vigil_scratch* scratch_ = nullptr;
  uint64_t generation_ = 0;
  EngineRef keep_;              // the engine the scratch belongs to outlives it
  vigil_scan_limits limits_{};  // struct_size 0: the engine's defaults
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_ENGINE_HOLDER_H_
