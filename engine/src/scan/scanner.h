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
#include "scan/input_facts.h"
#include "scan/logical.h"
#include "scan/name_table.h"
#include "sig/signature_set.h"
#include "vigil/vigil.h"

namespace vigil::scan {

struct Engine {
  // By signature id: the matcher's signatures first (a subsignature's name is empty: it is
  // never reported), then hash, logical and PE section hash signatures.
  NameTable names;
  std::unique_ptr<match::BodyMatcher> body;
  hash::HashTable hashes;  // ids start at body->signature_count()
  hash::HashTable allow;
  LogicalTable logical;
  uint32_t logical_base = 0;  // id of logical signature 0
  hash::HashTable sections;   // PE section hashes (.mdb/.msb), ids after the logical ones
  vigil_engine_stats stats{};
};

struct Stream;

// The limits of a scan are the public struct itself; these are its defaults (see vigil.h).
using Limits = vigil_scan_limits;
inline constexpr Limits kDefaultLimits = {
    .struct_size = sizeof(Limits),
    .max_recursion = 17,
    .max_files = 10000,
    .max_scan_size = uint64_t{400} << 20,
    .max_file_size = uint64_t{100} << 20,
    .max_ratio = 1000,
    .max_scan_time_ms = 120000,
};

struct Scratch {
  Scratch();
  ~Scratch();
  const Engine* engine = nullptr;
  match::MatchState match;
  LogicalState logical;
  std::vector<uint32_t> hash_hits;
  std::vector<uint8_t> read_buffer;  // small files are read here (see common::MappedInput)
  Limits limits = kDefaultLimits;
  vigil_scan_info last_info{};                   // of the last scan
  std::vector<std::unique_ptr<Stream>> members;  // by depth - 1: the member being scanned there
  std::vector<uint8_t> chunk;                    // decompressed bytes on their way to a stream
  std::string text_layers[3];                    // normalized forms of a text input
  std::vector<uint32_t> reported;                // signatures reported for the current level
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
  const char* const* path = nullptr;  // where inside containers (see vigil_match)
  uint32_t depth = 0;
};

// Scans one input. `window` is the prefilter window (tests shrink it to exercise edges).
common::Status scan_bytes(const Engine& engine, Scratch& scratch, const uint8_t* data,
                          uint64_t size, uint32_t flags, Callback cb, vigil_scan_result& result,
                          uint64_t window = match::kDefaultWindow,
                          common::ReleaseHook release = {});

// stream_scan() prefilters only once this much is waiting (the end takes any amount): pieces
// of a few KiB each cost one prefilter call per batch, not one per piece.
inline constexpr uint64_t kStreamBatch = uint64_t{64} << 10;
// A buffer grown past this by one input is released when the stream is reset.
inline constexpr uint64_t kStreamKeepCapacity = uint64_t{1} << 20;

// An input scanned as it arrives (see match::StreamMatch). Its bytes are kept, up to max_size:
// confirmation may look back to the start or wait for the end, and the allowlist and the hash
// signatures need the whole input. Those two run at the end, as in scan_bytes(), and the
// detections are reported then, so an allowlisted input reports nothing.
struct Stream {
  const Engine* engine = nullptr;
  uint32_t flags = 0;
  uint64_t max_size = 0;          // 0: no limit
  uint64_t batch = kStreamBatch;  // see kStreamBatch (tests lower it)
  // A plain vector (malloc): a stream buffer lives for one input, and the allocator's reuse of
  // freed blocks beats PodVector's fresh huge-page mappings there.
  std::vector<uint8_t> data;
  match::StreamMatch match;
  InputFacts facts;  // typed once the first format::kIdentifyBytes have arrived
  std::atomic<bool> busy{false};
};

// Appends; VIGIL_ERR_LIMIT (appending nothing) when the input would pass max_size.
common::Status stream_write(Stream& stream, const uint8_t* data, size_t size);
// Runs the matcher over what has arrived, if a batch is waiting.
common::Status stream_scan(Stream& stream, Scratch& scratch,
                           uint64_t window = match::kDefaultWindow);
// Ends the input: scans the rest and reports as scan_bytes() would (the bytes stay, for a
// caller that descends into them, until stream_reset()).
common::Status stream_finish(Stream& stream, Scratch& scratch, Callback cb,
                             vigil_scan_result& result, uint64_t window = match::kDefaultWindow);
// Forgets the input, ready for the next one.
void stream_reset(Stream& stream);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_SCANNER_H_
