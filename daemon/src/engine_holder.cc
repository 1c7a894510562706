// Loading through the public API, and the atomic swap. The load options mirror vigil-scan's:
// the paths (a DAT or sources), the trusted keys, unsigned DATs only when configured, the
// database cache.
#include "engine_holder.h"

#include <ctime>

namespace vigil::daemon {
namespace {

struct OptionsFree {
  void operator()(vigil_load_options* o) const { vigil_load_options_free(o); }
};
struct DiagsFree {
  void operator()(vigil_diagnostics* d) const { vigil_diagnostics_free(d); }
};

std::string errors_of(const vigil_diagnostics* diags) {
  std::string out;
  for (size_t i = 0; i < vigil_diagnostics_count(diags); ++i) {
    vigil_diagnostic d{};
    if (vigil_diagnostics_get(diags, i, &d) != VIGIL_OK || d.severity != VIGIL_SEVERITY_ERROR) {
      continue;
    }
    if (!out.empty()) out += '\n';
    if (d.file[0] != '\0') {
      out += d.file;
      if (d.line != 0) {
        out += ':';
        out += std::to_string(d.line);
      }
      out += ": ";
    }
    out += d.message;
  }
  return out;
}

}  // namespace

bool EngineHolder::reload(std::string& error) {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  vigil_load_options* raw = nullptr;
  if (vigil_load_options_new(&raw) != VIGIL_OK) {
    error = "out of memory";
    return false;
  }
  std::unique_ptr<vigil_load_options, OptionsFree> opts(raw);
  uint32_t flags = 0;
  if (spec_.allow_unsigned) flags |= VIGIL_LOAD_ALLOW_UNSIGNED;
  if (spec_.skip_bad_signatures) flags |= VIGIL_LOAD_SKIP_BAD_LINES;
  vigil_status st = vigil_load_options_set_flags(opts.get(), flags);
  if (st == VIGIL_OK) st = vigil_load_options_set_cache_dir(opts.get(), spec_.cache_dir.c_str());
  for (const std::string& key : spec_.trusted_key_files) {
    if (st != VIGIL_OK) break;
    st = vigil_load_options_add_trusted_key_file(opts.get(), key.c_str());
    if (st != VIGIL_OK) {
      error = key + ": " + (st == VIGIL_ERR_IO ? "cannot read the key file" : "not a public key");
      return false;
    }
  }
  for (const std::string& path : spec_.paths) {
    if (st != VIGIL_OK) break;
    st = vigil_load_options_add_path(opts.get(), path.c_str());
  }
  if (st != VIGIL_OK) {
    error = vigil_status_string(st);
    return false;
  }

  auto loaded = std::make_shared<LoadedEngine>();
  vigil_diagnostics* raw_diags = nullptr;
  st = vigil_engine_load(opts.get(), &loaded->engine, &raw_diags);
  std::unique_ptr<vigil_diagnostics, DiagsFree> diags(raw_diags);
  if (st != VIGIL_OK) {
    std::string detail = errors_of(diags.get());
    error = std::string(vigil_status_string(st)) + (detail.empty() ? "" : ":\n" + detail);
    return false;
  }
  vigil_engine_stats stats{};
  stats.struct_size = sizeof stats;
  if (vigil_engine_get_stats(loaded->engine, &stats) == VIGIL_OK) {
    loaded->signatures = stats.body_signatures + stats.hash_signatures;
    loaded->dat_version = stats.dat_version;
    loaded->dat_created = stats.dat_created;
  }
  loaded->loaded_at = static_cast<int64_t>(::time(nullptr));
  loaded->generation = ++generation_;
  std::atomic_store(&current_, EngineRef(std::move(loaded)));
  return true;
}

void ScratchFor::reset() {
  vigil_scratch_free(scratch_);
  scratch_ = nullptr;
  generation_ = 0;
  keep_.reset();
}

vigil_scratch* ScratchFor::get(const EngineRef& e) {
  if (scratch_ != nullptr && generation_ == e->generation) return scratch_;
  reset();
  if (vigil_scratch_new(e->engine, &scratch_) != VIGIL_OK) return nullptr;
  if (limits_.struct_size != 0 && vigil_scratch_set_limits(scratch_, &limits_) != VIGIL_OK) {
    reset();
    return nullptr;
  }
  generation_ = e->generation;
  keep_ = e;
  return scratch_;
}

}  // namespace vigil::daemon
