// Facade of the scan module: the compiled Engine (names, body matcher, hash and allowlist
// tables) and the per-thread Scratch, plus scan_bytes(), which runs one input through the
// allowlist, the hash signatures and the body matcher in that order.
#ifndef VIGIL_SCAN_SCANNER_H_
#define VIGIL_SCAN_SCANNER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "hash/hash_table.h"
#include "match/body_matcher.h"
#include "scan/name_table.h"
#include "sig/signature_set.h"
#include "vigil/vigil.h"

namespace vigil::scan {

struct Engine {
  NameTable names;  // by signature id: body signatures first, then hash
  std::unique_ptr<match::BodyMatcher> body;
  hash::HashTable hashes;  // ids start at body->signature_count()
  hash::HashTable allow;
  vigil_engine_stats stats{};
};

struct Scratch {
  const Engine* engine = nullptr;
  match::MatchState match;
  std::vector<uint32_t> hash_hits;
  std::vector<uint8_t> read_buffer;  // small files are read here (see common::MappedInput)
  std::atomic<bool> busy{false};
};

// Compiles a loaded signature set. Diagnostics from planning are appended to set.diags; the
// body patterns' text is consumed (set.body keeps names, offsets and locations).
common::Result<std::unique_ptr<Engine>> build_engine(
    sig::SignatureSet& set, const match::HsTarget& target = match::HsTarget{.host = true});

common::Result<std::unique_ptr<Scratch>> make_scratch(const Engine& engine);

struct Callback {
  vigil_match_callback fn;
  void* user;
};

// Scans one input. `window` is the prefilter window (tests shrink it to exercise edges).
common::Status scan_bytes(const Engine& engine, Scratch& scratch, const uint8_t* data,
                          uint64_t size, uint32_t flags, Callback cb, vigil_scan_result& result,
                          uint64_t window = match::kDefaultWindow,
                          common::ReleaseHook release = {});

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_SCANNER_H_
