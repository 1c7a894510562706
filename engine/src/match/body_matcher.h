// Facade of the match module. BodyMatcher compiles body signatures into Hyperscan literal
// databases of their fragments (deduplicated: many signatures may share one), then at scan
// time confirms each fragment hit against the full pattern with confirm_match(). Fragments
// only deferred subsignatures search for (see passes.h) form a second database, run by
// scan_second() when a first-pass hit calls for it. Inputs are
// prefiltered in overlapping windows (kDefaultWindow; Hyperscan takes at most 4 GiB a call);
// confirmation always sees the whole input, so patterns spanning window edges are found.
#ifndef VIGIL_MATCH_BODY_MATCHER_H_
#define VIGIL_MATCH_BODY_MATCHER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/byte_io.h"
#include "common/mapped_file.h"
#include "common/status.h"
#include "match/confirm.h"
#include "match/hs_database.h"
#include "match/plan.h"
#include "sig/signature_set.h"

namespace vigil::match {

// What a scan knows about its input before matching: its type and, for an executable, where
// its entry point and sections are. Signatures with another target type are not confirmed;
// executable-relative offsets resolve against `exe` (whose sections array the caller keeps).
struct InputFacts {
  uint8_t type = 0;  // sig target type; 0: none of the specific types
  sig::ExeAnchors exe;
};

// Per-thread state for BodyMatcher::scan.
struct MatchState {
  HsScratch hs;
  InputFacts facts;  // of the input being scanned: set by the caller before each scan
  // Memos by signature id modulo kMemoSlots, so signatures sharing a fragment (hit in turn at
  // every occurrence) do not evict each other's memo.
  static constexpr size_t kMemoSlots = 8;
  std::array<ConfirmMemo, kMemoSlots> memos;
  // Confirms abandoned at their step budget in the last scan (0 = the verdict is complete).
  uint32_t abandoned() const {
    uint32_t n = 0;
    for (const ConfirmMemo& m : memos) n += m.abandoned;
    return n;
  }
  std::vector<uint32_t> reported_gen;  // per signature: generation it was last reported in
  std::vector<uint16_t> hits;          // per signature: occurrences reported in that generation
  uint32_t gen = 0;
};

// The matcher's part of a stream scan: an input that arrives in pieces, each call given the
// whole input so far (the caller keeps it: confirmation looks back, and forward to the end for
// unbounded gaps and end-relative offsets). Fragments are prefiltered as the bytes arrive, with
// the same overlap the windowed block scan uses, so one split across pieces is found. A
// candidate is confirmed as soon as the bytes so far decide it; the others wait for more bytes
// or for the end. Detections are reported at the end, in the order scan() reports them.
struct StreamMatch {
  struct Candidate {
    uint64_t ready;  // decided once this many bytes have arrived (UINT64_MAX: at the end)
    uint64_t end;    // end of the fragment hit
    uint32_t sig;
    // pending is a min-heap on (ready, end): a signature's candidates come out in hit order.
    bool operator>(const Candidate& o) const {
      return ready != o.ready ? ready > o.ready : end != o.end ? end > o.end : sig > o.sig;
    }
  };
  struct Found {
    uint64_t end;
    uint32_t sig;
    uint64_t start;
  };
  // Candidates waiting beyond this many make the end rescan the whole input instead.
  static constexpr size_t kMaxWaiting = size_t{1} << 16;

  uint64_t scanned = 0;            // the prefilter has seen [0, scanned)
  bool rescan = false;             // too many waiting: the end runs scan() over everything
  std::vector<Candidate> pending;  // waiting for more bytes (a heap, see Candidate)
  std::vector<Candidate> at_end;   // waiting for the end, in hit order
  std::vector<Found> found;
  std::unordered_map<uint32_t, uint16_t> confirmed;  // signature -> occurrences found
  bool plain_found = false;  // a signature that is not a subsignature was found
  uint32_t abandoned = 0;
  void reset();
  // Too many candidates wait: forget them all, and let the end run scan() over the input.
  void give_up_waiting();
};

// Receives each confirmed signature (local index, match start): once per scan, or up to its
// max_hits occurrences for a subsignature that is counted; returns false to stop.
struct HitSink {
  bool (*fn)(void* ctx, uint32_t sig, uint64_t start);
  void* ctx;
};

// Input types the first pass has a database for (sig target types 0..kMaxTarget).
inline constexpr size_t kInputTypes = sig::kMaxTarget + 1;

// The first pass's databases by input type and the second pass's. first[t] holds the
// fragments of signatures for type t and for any type; it is null for a type without
// signatures of its own (first[0] serves it), and first[0] or second when there are no such
// fragments at all.
struct Databases {
  std::array<HsDatabase, kInputTypes> first;
  HsDatabase second;
};

// Prefilter window: small enough that a mapped input's pages can be released behind the scan,
// large enough that per-call overhead is negligible.
inline constexpr uint64_t kDefaultWindow = uint64_t{16} << 20;

class BodyMatcher {
 public:
  // Plans and compiles `sigs`, parsing each pattern and releasing its text as it goes (names
  // stay), so the source form is gone before Hyperscan's compiler, the memory peak, runs.
  // Signatures without a usable fragment are left out with a VIGIL_DIAG_NO_FRAGMENT error; kept()
  // maps the matcher's indices back to `sigs`.
  // With `logical` (the set's logical signatures), their subsignatures are split between the
  // two passes; without, every signature is searched for in the first.
  static common::Result<std::unique_ptr<BodyMatcher>> build(
      std::vector<sig::BodySig>& sigs, const std::vector<std::string>& files,
      sig::Diagnostics& diags, const HsTarget& target = HsTarget{.host = true},
      const std::vector<sig::LogicalSig>* logical = nullptr);

  size_t signature_count() const { return plan_.sigs.size(); }
  bool is_subsig(uint32_t s) const { return plan_.sigs[s].is_subsig(); }
  bool is_deferred(uint32_t s) const { return plan_.sigs[s].is_deferred(); }
  // Whether deferred signature s is compared at its few positions rather than searched for.
  bool is_direct(uint32_t s) const { return sig_direct_[s] != 0; }
  // Per signature: 1 when it is searched in the second pass.
  std::vector<uint8_t> deferred() const {
    std::vector<uint8_t> d(plan_.sigs.size());
    for (size_t s = 0; s < d.size(); ++s) d[s] = plan_.sigs[s].is_deferred() ? 1 : 0;
    return d;
  }
  size_t fragment_count() const { return frag_begin_.size() - 1; }
  const std::vector<uint32_t>& kept() const { return kept_; }

  // The plan and fragment table, as stored in a DAT (the database is stored on its own).
  void write_plan(common::ByteWriter& out) const;
  // Reads and validates what write_plan wrote; the matcher has no database until
  // load_database() or compile_database() gives it one.
  static common::Result<std::unique_ptr<BodyMatcher>> read_plan(common::ByteReader& in);
  // All databases in one byte string (empty when there are no fragments).
  common::Result<std::string> serialize_database() const;
  // Reads what serialize_database() wrote. VIGIL_ERR_VERSION when the bytes were built for
  // another Hyperscan or CPU (see match::deserialize_database), VIGIL_ERR_CORRUPT when they
  // are not databases in that layout.
  static common::Result<Databases> deserialize_databases(const uint8_t* data, size_t size);
  // Nothing ties a stored database to the fragment table beyond the version check; scans
  // check each hit's id and bytes against the table before confirming.
  common::Status load_database(const uint8_t* data, size_t size);
  // Adopts databases deserialized elsewhere: each must be present exactly when the fragment
  // table calls for it.
  common::Status set_database(Databases dbs);
  // Compiles the database from the fragment table, for `target`.
  common::Status compile_database(const HsTarget& target);

  common::Status prepare(MatchState& state) const;

  // Scans data[0, size) (state.facts describe it). all_matches=false stops after the first
  // confirmed signature that is not a subsignature.
  common::Status scan(const uint8_t* data, uint64_t size, MatchState& state, bool all_matches,
                      HitSink sink, uint64_t window = kDefaultWindow,
                      common::ReleaseHook release = {}) const;
  // The second pass over the same input, after scan() or stream_finish(): searches for the
  // deferred subsignatures only. Abandoned confirms add to those of the first pass.
  common::Status scan_second(const uint8_t* data, uint64_t size, MatchState& state,
                             HitSink sink) const;

  // A stream scan (see StreamMatch): data[0, size) is the whole input so far. stream_scan
  // prefilters what arrived since the last call and confirms what can be decided;
  // stream_finish does the same with size as the input's end, then reports.
  common::Status stream_scan(const uint8_t* data, uint64_t size, StreamMatch& stream,
                             MatchState& state, bool all_matches,
                             uint64_t window = kDefaultWindow) const;
  common::Status stream_finish(const uint8_t* data, uint64_t size, StreamMatch& stream,
                               MatchState& state, bool all_matches, HitSink sink,
                               uint64_t window = kDefaultWindow) const;

 private:
  friend struct ScanContext;
  friend struct StreamContext;
  // Where a windowed prefilter stands; the hit handlers read it through their context.
  struct Windows {
    uint64_t base = 0;      // the window's first byte
    uint64_t seen_end = 0;  // hits ending at or before this were handled already
    bool stopped = false;   // a handler ended the scan on purpose
  };
  // Runs the database over data[from, size) (hits before `from` were handled) in windows that
  // overlap by the longest fragment less one, so no fragment is missed at an edge.
  common::Status run_windows(const hs_database_t* db, const uint8_t* data, uint64_t size,
                             uint64_t from, uint64_t window, MatchState& state, Windows& w,
                             match_event_handler on_hit, void* ctx,
                             common::ReleaseHook release) const;
  bool check_hit(const uint8_t* data, uint64_t size, uint32_t id, uint64_t end) const;
  // Whether signature s is still worth confirming in this scan (in its pass: a deferred one
  // in the second only, the rest in the first only), and recording one confirm.
  bool wanted(const MatchState& state, uint32_t s, bool second) const {
    const PlannedSig& p = plan_.sigs[s];
    if (!p.in_pass(state.facts.type, second)) return false;
    return state.reported_gen[s] != state.gen || state.hits[s] < p.max_hits;
  }
  void count_hit(MatchState& state, uint32_t s) const {
    if (state.reported_gen[s] != state.gen) {
      state.reported_gen[s] = state.gen;
      state.hits[s] = 0;
    }
    ++state.hits[s];
  }
  void next_generation(MatchState& state) const;
  common::Status stream_advance(const uint8_t* data, uint64_t size, StreamMatch& stream,
                                MatchState& state, bool all_matches, bool final,
                                uint64_t window) const;
  common::Status finish_fragments(const std::vector<std::pair<uint32_t, uint32_t>>& pairs);
  common::Status validate_fragments() const;
  void set_max_frag_len();
  // Derives frag_types_, frag_second_, frag_single_, type_has_own_ and the direct signatures
  // from the plan's roles, targets, offsets and hit counts.
  void set_passes();
  // The second pass's direct signatures (see direct_), looked for at their offset's positions.
  void scan_direct(const uint8_t* data, uint64_t size, MatchState& state, HitSink sink) const;
  // The fragment ids a database holds: first pass for `type`, or (type < 0) the second pass.
  std::vector<uint32_t> fragments_of(int type) const;
  const hs_database_t* first_database(uint8_t type) const {
    return type < kInputTypes && db_[type] ? db_[type].get() : db_[0].get();
  }
  std::vector<const HsDatabase*> all_databases() const;
  uint32_t frag_len(uint32_t id) const { return frag_begin_[id + 1] - frag_begin_[id]; }

  Plan plan_;
  std::vector<uint32_t> kept_;
  std::vector<uint8_t> frag_bytes_;           // every fragment's bytes, by id
  std::vector<uint32_t> frag_begin_{0};       // per fragment id, into frag_bytes_ (count + 1)
  std::vector<uint32_t> frag_sigs_begin_{0};  // per fragment id, into frag_sigs_ (count + 1)
  std::vector<uint32_t> frag_sigs_;
  std::vector<uint8_t> frag_caseless_;  // per fragment id: searched without regard to case
  // Per fragment id: bit t set when a first-pass signature for input type t (or for any type)
  // searches it; and whether a deferred signature does (it is then in the second pass too).
  std::vector<uint16_t> frag_types_;
  std::vector<uint8_t> frag_second_;
  // Per fragment id: its signatures all match at its first occurrence when they match at all
  // (see found_at_first_occurrence()), so the database reports that occurrence only.
  std::vector<uint8_t> frag_single_;
  std::array<bool, kInputTypes> type_has_own_{};  // some first-pass fragment is for t only
  // Deferred signatures whose offset leaves their fragment a few positions (see
  // searched_directly()): the second pass compares those positions instead of searching the
  // whole input for the fragment, and hits of it in the database are not theirs.
  struct Direct {
    uint32_t sig;
    uint32_t frag;
  };
  std::vector<Direct> direct_;
  std::vector<uint8_t> sig_direct_;  // per signature: 1 when it is in direct_
  uint32_t max_frag_len_ = 0;
  std::array<HsDatabase, kInputTypes> db_;  // first pass, by input type (see Databases)
  HsDatabase db2_;                          // second pass
};

}  // namespace vigil::match

#endif  // VIGIL_MATCH_BODY_MATCHER_H_
