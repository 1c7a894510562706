// Logical signatures at scan time. The body matcher confirms subsignatures like any pattern and
// reports each hit; LogicalTable maps a hit to its signature's counter (and, for a byte
// compare's trigger, keeps its last match start), remembers which signatures were touched,
// and at the end of the input evaluates only those: their target description (file size,
// entry point, section count, container), macros, byte compares, PCREs and expression. The cost
// of a scan grows with the subsignature hits in it, not with the signatures loaded.
//
// Macro subsignatures ("${MIN-MAX}G$" at index N) follow what clamscan 1.4.6 does, not only
// what its manual says: the macro counts at a match of subsignature N-1 (not its first) when
// the last match of a group-G member starting before it starts MIN to MAX bytes (inclusive)
// after the previous match of N-1. So "aaa..bbb" alone never counts; "aaa..bbb..aaa" does.
// The positions of group members and of each macro's N-1 are recorded per input (bounded) and
// resolved at the end; group members are never reported themselves.
#ifndef VIGIL_SCAN_LOGICAL_H_
#define VIGIL_SCAN_LOGICAL_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "common/byte_io.h"
#include "common/status.h"
#include "match/regex.h"
#include "sig/signature_set.h"

namespace vigil::scan {

// One logical signature, fixed layout (stored in DATs as an array).
struct LogicalEntry {
  uint64_t file_size_lo = 0;
  uint64_t file_size_hi = UINT64_MAX;
  uint64_t entry_point_lo = 0;
  uint64_t entry_point_hi = UINT64_MAX;
  uint64_t sections_lo = 0;
  uint64_t sections_hi = UINT64_MAX;
  uint32_t program_begin = 0;  // into LogicalTable::program
  uint32_t program_size = 0;
  uint32_t slot_begin = 0;  // its subsignatures' counters: [slot_begin, slot_begin + subsigs)
  uint32_t pcre_begin = 0;  // its PCRE subsignatures: [pcre_begin, pcre_begin + pcre_count)
  uint32_t pcre_count = 0;
  uint32_t bcomp_begin = 0;  // its byte compares: [bcomp_begin, bcomp_begin + bcomp_count)
  uint32_t bcomp_count = 0;
  uint32_t chain_begin = 0;  // its Intermediates: LogicalTable::chains_[chain_begin, + count)
  uint32_t macro_begin = 0;
  uint8_t target = 0;
  uint8_t subsigs = 0;
  uint8_t container = 0;   // sig::ContainerType
  uint8_t conditions = 0;  // kHas* bits
  uint8_t chain_count = 0;
  uint8_t macro_count = 0;  // its macros: LogicalTable::macros_[macro_begin, + count)
  uint8_t reserved[6] = {};

  static constexpr uint8_t kHasFileSize = 1;
  static constexpr uint8_t kHasEntryPoint = 2;
  static constexpr uint8_t kHasSections = 4;
};

// A PCRE subsignature, fixed layout; its regex is LogicalTable::regexes_ at the same index.
struct PcreEntry {
  uint64_t offset_base = 0;  // sig::Offset
  uint64_t offset_shift = 0;
  uint32_t slot = 0;           // its counter
  uint32_t trigger_begin = 0;  // into LogicalTable::program
  uint32_t trigger_size = 0;
  uint32_t offset_section = 0;
  uint16_t max_hits = 1;
  uint8_t offset_kind = 0;
  uint8_t reserved = 0;
  uint32_t reserved2 = 0;
};

// A macro subsignature, fixed layout.
struct MacroEntry {
  uint32_t min = 0;  // distance from the previous match of subsignature `subsig - 1`
  uint32_t max = 0;
  uint8_t subsig = 0;  // relative to its signature; at least 1
  uint8_t group = 0;
  uint8_t reserved[2] = {};
};

// What the conditions look at, for one input (a layer of one: see text_layers.h).
struct LogicalFacts {
  const uint8_t* data = nullptr;  // the layer's bytes, for PCRE and byte-compare subsignatures
  uint64_t size = 0;
  uint64_t file_size = 0;   // the input's own size (FileSize), whatever layer is matched
  sig::ExeAnchors anchors;  // entry point and sections, for conditions and PCRE offsets
  uint8_t type = 0;
  const sig::ContainerType* parents = nullptr;  // every container holding it, outermost first
  size_t depth = 0;
  // The container immediately holding the input (kNone at the top).
  sig::ContainerType container() const {
    return depth == 0 ? sig::ContainerType::kNone : parents[depth - 1];
  }
};

// Per-scratch counters. Reset touches only what a scan touched.
struct LogicalState {
  std::vector<uint16_t> counts;       // by slot
  std::vector<uint32_t> touched;      // signatures hit since the last reset
  std::vector<uint32_t> touched_gen;  // per signature: the generation it was touched in
  std::vector<uint64_t> trigger_end;  // per byte compare: 1 + its trigger's last start, or 0
  uint32_t gen = 1;
  std::vector<std::vector<uint64_t>> macro_from;  // per macro: its N-1's match starts
  std::array<std::vector<uint64_t>, sig::kMacroGroups> group_starts;  // members' match starts
  size_t macro_starts = 0;     // starts recorded in all those lists since the last reset
  uint32_t groups_hit = 0;     // groups with starts recorded since the last reset
  uint32_t groups_sorted = 0;  // of those, the ones sorted for evaluation
  match::RegexScratch regex;
  // PCRE searches ended by a work limit, and macro starts past kMaxMacroStarts: the verdict
  // is incomplete.
  uint32_t limited = 0;
};

class LogicalTable {
 public:
  static constexpr uint32_t kPlain = UINT32_MAX;
  static constexpr uint32_t kDead = UINT32_MAX - 1;  // part of a signature that was dropped
  // Roles [kFirstGroup, kDead) are members of macro group role - kFirstGroup (.ndb signatures
  // never reported; their matches are recorded only when some macro uses the group).
  static constexpr uint32_t kFirstGroup = kDead - sig::kMacroGroups;
  // Match starts recorded per group, and per macro for its N-1, in one input; and in all of
  // them together (8 MiB), however many macros a signature set has.
  static constexpr size_t kMaxMacroStarts = size_t{1} << 16;
  static constexpr size_t kMaxMacroStartsTotal = size_t{1} << 20;

  // From a loaded set: `kept` maps matcher signatures to set.body indices. A logical signature
  // some of whose subsignatures the matcher could not take is dropped, with a diagnostic.
  static common::Result<LogicalTable> build(const sig::SignatureSet& set,
                                            const std::vector<uint32_t>& kept,
                                            sig::Diagnostics& diags);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  static bool is_member(uint32_t role) { return role >= kFirstGroup && role < kDead; }
  // set.logical indices of the signatures in the table, in table order (build() only).
  const std::vector<uint32_t>& kept() const { return kept_; }
  // The counter slot of matcher signature s; kPlain for a plain signature, kDead for one whose
  // logical signature was dropped, kFirstGroup + g for a member of macro group g.
  uint32_t slot_of(uint32_t s) const { return s < roles_.size() ? roles_[s] : kPlain; }

  // From the matcher's split between its passes (deferred[s]: matcher signature s is searched
  // in the second): which signatures have deferred subsignatures. VIGIL_ERR_CORRUPT
  // for a split no build makes: a signature whose pattern subsignatures are all deferred
  // could never call for the second pass, so it could never match.
  common::Status set_passes(const std::vector<uint8_t>& deferred);
  // After the first pass: whether some touched signature with deferred subsignatures could
  // still hold, its conditions met and its expression possibly true for some counts of the
  // subsignatures not known yet (deferred ones; PCRE, macro and byte-compare ones unless what
  // they depend on already rules them out), the first pass's counts taken as they are.
  bool wants_second(const LogicalState& state, const LogicalFacts& facts) const;

  void prepare(LogicalState& state) const;
  // Counts a hit of matcher signature s (a subsignature) that starts at `start`.
  void hit(LogicalState& state, uint32_t s, uint64_t start) const;
  // Calls on_match(index) for each touched signature whose conditions and expression hold,
  // in index order, until it returns false; then resets the state for the next input.
  template <typename Fn>
  void finish(LogicalState& state, const LogicalFacts& facts, Fn&& on_match) const;
  // Forgets the counts of the current input without evaluating them.
  void reset(LogicalState& state) const;

  void write(common::ByteWriter& out) const;
  // Reads and validates what write() wrote, for a matcher of `matcher_sigs` signatures.
  common::Status read(common::ByteReader& in, size_t matcher_sigs);

 private:
  bool conditions_hold(const LogicalEntry& e, const LogicalFacts& facts) const;
  bool holds(const LogicalEntry& e, LogicalState& state, const LogicalFacts& facts) const;
  void run_pcres(const LogicalEntry& e, LogicalState& state, const LogicalFacts& facts) const;
  void run_byte_compares(const LogicalEntry& e, LogicalState& state,
                         const LogicalFacts& facts) const;
  void run_macros(const LogicalEntry& e, LogicalState& state) const;
  // macro_of_pred_ and groups_used_ from entries_ and macros_, and the passes as if nothing
  // were deferred (no_deferred_parts()), until set_passes() says otherwise.
  void derive();
  // open_slot_ and has_deferred_ with no subsignature deferred: open are only the slots settled
  // after the passes (PCRE, macro and byte-compare subsignatures).
  void no_deferred_parts();

  std::vector<LogicalEntry> entries_;
  std::vector<uint32_t> program_;
  std::vector<uint32_t> roles_;  // per matcher signature: its slot, or kPlain
  std::vector<PcreEntry> pcres_;
  std::vector<match::Regex> regexes_;
  std::vector<sig::ByteCompare> bcomps_;  // subsignature indices relative to their signature
  std::vector<uint8_t> chains_;           // Intermediates conditions (sig::ContainerType)
  std::vector<MacroEntry> macros_;
  std::vector<uint32_t> macro_of_pred_;  // per slot: the macro measuring from it, or kPlain
  uint32_t groups_used_ = 0;             // bit g: some macro uses group g
  std::vector<uint32_t> slot_owner_;     // per slot: its signature
  std::vector<uint8_t> has_deferred_;    // per signature: some subsignature is deferred
  std::vector<uint8_t> open_slot_;       // per slot: deferred, PCRE or byte compare (unknown after
                                         // the first pass)
  std::vector<uint32_t> kept_;
  uint32_t slots_ = 0;
};

template <typename Fn>
void LogicalTable::finish(LogicalState& state, const LogicalFacts& facts, Fn&& on_match) const {
  std::vector<uint32_t>& t = state.touched;
  std::sort(t.begin(), t.end());
  bool go = true;
  for (uint32_t index : t) {
    if (go && holds(entries_[index], state, facts)) go = on_match(index);
  }
  reset(state);
}

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_LOGICAL_H_
