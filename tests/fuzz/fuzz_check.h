// What the fuzz targets share about the public API: RAII owners for its handles, a
// FUZZ_CHECK that aborts (so libFuzzer and the replay test both report it as a crash), and a
// scan helper that records every match and checks the invariants any scan must keep.
#ifndef VIGIL_TESTS_FUZZ_FUZZ_CHECK_H_
#define VIGIL_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "vigil/vigil.h"

// Aborts with the failed condition: a broken invariant is a finding, like a crash.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace vigil::fuzz {

struct OptionsFree {
  void operator()(vigil_load_options* p) const { vigil_load_options_free(p); }
};
struct EngineFree {
  void operator()(vigil_engine* p) const { vigil_engine_free(p); }
};
struct ScratchFree {
  void operator()(vigil_scratch* p) const { vigil_scratch_free(p); }
};
struct DiagsFree {
  void operator()(vigil_diagnostics* p) const { vigil_diagnostics_free(p); }
};
using OptionsPtr = std::unique_ptr<vigil_load_options, OptionsFree>;
using EnginePtr = std::unique_ptr<vigil_engine, EngineFree>;
using ScratchPtr = std::unique_ptr<vigil_scratch, ScratchFree>;
using DiagsPtr = std::unique_ptr<vigil_diagnostics, DiagsFree>;

// Checks every diagnostic of a load is well formed; returns how many are errors.
inline size_t check_diagnostics(const vigil_diagnostics* diags) {
  size_t errors = 0;
  size_t n = vigil_diagnostics_count(diags);
  for (size_t i = 0; i < n; ++i) {
    vigil_diagnostic d{};
    FUZZ_CHECK(vigil_diagnostics_get(diags, i, &d) == VIGIL_OK);
    FUZZ_CHECK(d.file != nullptr && d.signature != nullptr && d.message != nullptr);
    FUZZ_CHECK(d.message[0] != '\0');
    FUZZ_CHECK(d.code >= VIGIL_DIAG_SYNTAX && d.code <= VIGIL_DIAG_DAT_COMPILE);
    FUZZ_CHECK(d.severity >= VIGIL_SEVERITY_INFO && d.severity <= VIGIL_SEVERITY_ERROR);
    if (d.severity == VIGIL_SEVERITY_ERROR) ++errors;
  }
  vigil_diagnostic out{};
  FUZZ_CHECK(vigil_diagnostics_get(diags, n, &out) == VIGIL_ERR_INVALID_ARGUMENT);
  return errors;
}

// One reported match, copied out of the callback.
struct Hit {
  uint32_t id;
  vigil_sig_kind kind;
  uint64_t offset;
  bool operator<(const Hit& o) const {
    return std::tie(id, kind, offset) < std::tie(o.id, o.kind, o.offset);
  }
  bool operator==(const Hit& o) const = default;
};

struct ScanOutcome {
  vigil_scan_result result{};
  std::vector<Hit> hits;  // in report order
};

inline int record_hit(const vigil_match* m, void* user) {
  FUZZ_CHECK(m != nullptr && m->name != nullptr && m->name[0] != '\0');
  static_cast<std::vector<Hit>*>(user)->push_back(Hit{m->signature_id, m->kind, m->offset});
  return 0;
}

// Scans through the public API and checks what must hold for every scan: it succeeds, the
// result agrees with the callback, a first-match scan reports at most one detection, an
// all-match scan reports each signature once, body offsets lie inside the input, hash matches
// carry no offset, and an allowlisted input reports nothing.
inline ScanOutcome scan_checked(const vigil_engine* engine, vigil_scratch* scratch,
                                const uint8_t* data, size_t size, uint32_t flags,
                                uint64_t signature_count) {
  ScanOutcome out;
  out.result.detections = 12345;  // must be overwritten
  // The matcher's invariants are about the input's own bytes: containers (unpack_fuzzer's
  // subject) stay closed here.
  flags |= VIGIL_SCAN_NO_CONTAINERS;
  vigil_status st =
      vigil_scan_buffer(engine, scratch, data, size, flags, &record_hit, &out.hits, &out.result);
  FUZZ_CHECK(st == VIGIL_OK);
  FUZZ_CHECK(out.result.detections == out.hits.size());
  FUZZ_CHECK(out.result.bytes_scanned == size);
  if ((flags & VIGIL_SCAN_ALLMATCH) == 0) FUZZ_CHECK(out.hits.size() <= 1);
  if (out.result.allowlisted) FUZZ_CHECK(out.hits.empty());
  std::set<uint32_t> ids;
  for (const Hit& h : out.hits) {
    FUZZ_CHECK(h.id < signature_count);
    FUZZ_CHECK(ids.insert(h.id).second);
    if (h.kind == VIGIL_SIG_HASH || h.kind == VIGIL_SIG_LOGICAL) {
      FUZZ_CHECK(h.offset == VIGIL_OFFSET_NONE);
    } else {
      FUZZ_CHECK(h.kind == VIGIL_SIG_BODY);
      FUZZ_CHECK(h.offset < size);
    }
  }
  return out;
}

// Scans first-match and all-match and checks they agree: the first-match detection is the
// first one the all-match scan reports.
inline std::vector<Hit> scan_both_ways(const vigil_engine* engine, vigil_scratch* scratch,
                                       const uint8_t* data, size_t size, uint64_t signature_count) {
  ScanOutcome first = scan_checked(engine, scratch, data, size, 0, signature_count);
  ScanOutcome all = scan_checked(engine, scratch, data, size, VIGIL_SCAN_ALLMATCH, signature_count);
  FUZZ_CHECK(first.result.allowlisted == all.result.allowlisted);
  FUZZ_CHECK(first.hits.empty() == all.hits.empty());
  if (!first.hits.empty()) FUZZ_CHECK(first.hits[0] == all.hits[0]);
  return all.hits;
}

}  // namespace vigil::fuzz

#endif  // VIGIL_TESTS_FUZZ_FUZZ_CHECK_H_
