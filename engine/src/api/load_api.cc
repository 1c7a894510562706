// Public entry points for load options, diagnostics and engine loading. A strict load fails
// on the first error-severity diagnostic but still returns every diagnostic, so a signature
// author sees all problems in one run.
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/handles.h"
#include "common/atomic_file.h"
#include "scan/engine_dat.h"

using vigil::api::guarded;

namespace {

using vigil::sig::Diagnostic;

constexpr size_t kMaxDatSize = size_t{1} << 32;

// Is this source a DAT? Paths are sniffed by content (first bytes), not by name.
bool is_dat(const vigil::sig::Source& s) {
  if (s.in_memory) {
    return vigil::dat::looks_like_dat(reinterpret_cast<const uint8_t*>(s.bytes.data()),
                                      s.bytes.size());
  }
  int fd = ::open(s.name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  uint8_t head[8];
  bool dat = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
             ::pread(fd, head, sizeof head, 0) == static_cast<ssize_t>(sizeof head) &&
             vigil::dat::looks_like_dat(head, sizeof head);
  ::close(fd);
  return dat;
}

// Loads the one DAT source; problems become a VIGIL_DIAG_DAT diagnostic naming the file.
vigil_status load_dat_source(const vigil_load_options& opts, const vigil::sig::Source& src,
                             vigil_engine** out, std::vector<Diagnostic>& diags) {
  auto fail = [&](vigil_status code, const std::string& msg) {
    diags.push_back(Diagnostic{VIGIL_DIAG_DAT, VIGIL_SEVERITY_ERROR, src.name, 0, "", msg});
    return code;
  };
  if (opts.sources.size() != 1) {
    return fail(VIGIL_ERR_INVALID_ARGUMENT,
                "a DAT loads on its own: it cannot be combined with other signature sources");
  }
  // A file is read, not mapped: a mapping of a file that another process truncates (a
  // careless update) would fault during the load instead of failing it.
  const uint8_t* data = reinterpret_cast<const uint8_t*>(src.bytes.data());
  size_t size = src.bytes.size();
  vigil::common::PodVector<uint8_t> file;
  if (!src.in_memory) {
    auto read = vigil::common::read_file_bytes(src.name, kMaxDatSize);
    if (!read.is_ok()) return fail(read.status().code(), read.status().message());
    file = read.take();
    data = file.data();
    size = file.size();
  }
  vigil::scan::DatLoadOptions dopts;
  dopts.trust.keys = opts.trusted_keys;
  dopts.trust.allow_unsigned = (opts.flags & VIGIL_LOAD_ALLOW_UNSIGNED) != 0;
  dopts.cache_dir = opts.cache_dir;
  auto engine = vigil::scan::load_dat(data, size, dopts, diags);
  for (Diagnostic& d : diags) {
    if (d.file.empty()) d.file = src.name;
  }
  if (!engine.is_ok()) return fail(engine.status().code(), engine.status().message());
  *out = new vigil_engine{engine.take()};
  return VIGIL_OK;
}

}  // namespace

extern "C" {

VIGIL_API vigil_status vigil_load_options_new(vigil_load_options** out) {
  if (out == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  return guarded([&] {
    *out = new vigil_load_options();
    return VIGIL_OK;
  });
}

VIGIL_API void vigil_load_options_free(vigil_load_options* opts) { delete opts; }

VIGIL_API vigil_status vigil_load_options_set_flags(vigil_load_options* opts, uint32_t flags) {
  if (opts == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  constexpr uint32_t kKnown =
      VIGIL_LOAD_SKIP_BAD_LINES | VIGIL_LOAD_UNOFFICIAL_SUFFIX | VIGIL_LOAD_ALLOW_UNSIGNED;
  if ((flags & ~kKnown) != 0) return VIGIL_ERR_INVALID_ARGUMENT;
  opts->flags = flags;
  return VIGIL_OK;
}

VIGIL_API vigil_status vigil_load_options_add_path(vigil_load_options* opts, const char* path) {
  if (opts == nullptr || path == nullptr || *path == '\0') return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&] {
    opts->sources.push_back(vigil::sig::Source{path, false, {}});
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_load_options_add_memory(vigil_load_options* opts, const char* name,
                                                     const void* data, size_t size) {
  if (opts == nullptr || name == nullptr || (data == nullptr && size != 0)) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  return guarded([&] {
    vigil::sig::Source s{name, true, {}};
    if (size != 0) s.bytes.assign(static_cast<const char*>(data), size);
    opts->sources.push_back(std::move(s));
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_load_options_add_fd(vigil_load_options* opts, const char* name,
                                                 int fd) {
  if (opts == nullptr || name == nullptr || fd < 0) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    constexpr size_t kMaxSource = size_t{1} << 31;
    vigil::sig::Source s{name, true, {}};
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return VIGIL_ERR_IO;
      if (n == 0) break;
      if (s.bytes.size() + static_cast<size_t>(n) > kMaxSource) return VIGIL_ERR_LIMIT;
      s.bytes.append(buf, static_cast<size_t>(n));
    }
    opts->sources.push_back(std::move(s));
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_load_options_add_trusted_key(vigil_load_options* opts,
                                                          const char* key) {
  if (opts == nullptr || key == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    auto parsed = vigil::dat::parse_public_key(key);
    if (!parsed.is_ok()) return VIGIL_ERR_INVALID_ARGUMENT;
    opts->trusted_keys.push_back(parsed.value());
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_load_options_add_trusted_key_file(vigil_load_options* opts,
                                                               const char* path) {
  if (opts == nullptr || path == nullptr || *path == '\0') return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    auto text = vigil::common::read_whole_file(path, size_t{1} << 20);
    if (!text.is_ok()) {
      return text.status().code() == VIGIL_ERR_NOMEM ? VIGIL_ERR_NOMEM : VIGIL_ERR_IO;
    }
    auto parsed = vigil::dat::parse_public_key(text.value());
    if (!parsed.is_ok()) return VIGIL_ERR_INVALID_ARGUMENT;
    opts->trusted_keys.push_back(parsed.value());
    return VIGIL_OK;
  });
}

VIGIL_API vigil_status vigil_load_options_set_cache_dir(vigil_load_options* opts, const char* dir) {
  if (opts == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&] {
    opts->cache_dir = dir == nullptr ? "" : dir;
    return VIGIL_OK;
  });
}

VIGIL_API size_t vigil_diagnostics_count(const vigil_diagnostics* diags) {
  return diags == nullptr ? 0 : diags->items.size();
}

VIGIL_API vigil_status vigil_diagnostics_get(const vigil_diagnostics* diags, size_t index,
                                             vigil_diagnostic* out) {
  if (diags == nullptr || out == nullptr || index >= diags->items.size()) {
    return VIGIL_ERR_INVALID_ARGUMENT;
  }
  const vigil::sig::Diagnostic& d = diags->items[index];
  *out = vigil_diagnostic{d.code, d.severity,          d.file.c_str(),
                          d.line, d.signature.c_str(), d.message.c_str()};
  return VIGIL_OK;
}

VIGIL_API void vigil_diagnostics_free(vigil_diagnostics* diags) { delete diags; }

VIGIL_API vigil_status vigil_engine_load(const vigil_load_options* opts, vigil_engine** out,
                                         vigil_diagnostics** diags) {
  if (out != nullptr) *out = nullptr;
  if (diags != nullptr) *diags = nullptr;
  if (opts == nullptr || out == nullptr) return VIGIL_ERR_INVALID_ARGUMENT;
  return guarded([&]() -> vigil_status {
    const vigil::sig::Source* dat = nullptr;
    for (const vigil::sig::Source& s : opts->sources) {
      if (dat == nullptr && is_dat(s)) dat = &s;
    }
    if (dat != nullptr) {
      std::vector<Diagnostic> items;
      vigil_status st = load_dat_source(*opts, *dat, out, items);
      if (diags != nullptr) *diags = new vigil_diagnostics{std::move(items)};
      return st;
    }
    vigil::sig::LoadFlags flags;
    flags.unofficial_suffix = (opts->flags & VIGIL_LOAD_UNOFFICIAL_SUFFIX) != 0;
    vigil::sig::SignatureSet set = vigil::sig::load_sources(opts->sources, flags);
    auto engine = vigil::scan::build_engine(set);
    const bool skip_bad = (opts->flags & VIGIL_LOAD_SKIP_BAD_LINES) != 0;

    vigil_status status = VIGIL_OK;
    bool io_error = false, errors = false;
    uint64_t errored = 0;
    for (const auto& d : set.diags) {
      if (d.severity != VIGIL_SEVERITY_ERROR) continue;
      errors = true;
      ++errored;
      if (d.code == VIGIL_DIAG_IO) io_error = true;
    }
    if (!engine.is_ok()) {
      status = engine.status().code();
    } else if (io_error) {
      status = VIGIL_ERR_IO;
    } else if (errors && !skip_bad) {
      status = VIGIL_ERR_SIGNATURE;
    } else if (engine.value()->names.empty() && engine.value()->allow.empty()) {
      status = VIGIL_ERR_NO_SIGNATURES;
    }
    if (errors && skip_bad && status == VIGIL_OK) {
      set.diags.push_back(
          vigil::sig::Diagnostic{VIGIL_DIAG_SKIPPED_SUMMARY, VIGIL_SEVERITY_WARNING, "", 0, "",
                                 std::to_string(errored) + " bad signature line(s) skipped"});
    }
    if (diags != nullptr) {
      auto* d = new vigil_diagnostics();
      d->items = std::move(set.diags);
      *diags = d;
    }
    if (status != VIGIL_OK) return status;
    *out = new vigil_engine{engine.take()};
#ifdef __GLIBC__
    malloc_trim(0);  // hand the compiler's temporary memory back before scanning starts
#endif
    return VIGIL_OK;
  });
}

}  // extern "C"
