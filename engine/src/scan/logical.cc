// Building, storing and evaluating the logical-signature table (see logical.h). Counters are
// 16-bit and saturate at the matcher's per-signature cap, which is the highest count any
// comparison in the expression can tell apart. Macros are resolved at the end of an input from
// recorded match starts, since a block scan's hits do not arrive in input order.
#include "scan/logical.h"

#include <iterator>
#include <string>

namespace vigil::scan {
namespace {

using common::Status;

Status corrupt(const std::string& why) {
  return Status(VIGIL_ERR_CORRUPT, "logical signatures: " + why);
}

bool in(uint64_t v, uint64_t lo, uint64_t hi) { return v >= lo && v <= hi; }

void record(LogicalState& state, std::vector<uint64_t>& starts, uint64_t start) {
  if (starts.size() < LogicalTable::kMaxMacroStarts &&
      state.macro_starts < LogicalTable::kMaxMacroStartsTotal) {
    starts.push_back(start);
    ++state.macro_starts;
  } else if (starts.empty() || starts.back() != UINT64_MAX) {
    starts.push_back(UINT64_MAX);  // marks the overflow once; never a match start
    ++state.limited;
  }
}

// Empties a list of starts, giving back what one large input made it hold.
void forget(std::vector<uint64_t>& starts) {
  if (starts.capacity() > 4096) {
    std::vector<uint64_t>().swap(starts);
  } else {
    starts.clear();
  }
}

// How often a macro counts (see logical.h), from its N-1's match starts (sorted, distinct) and
// its group's (sorted): at each match of N-1 after the first, the last group start before it
// is measured from the previous match of N-1.
uint32_t macro_count(const MacroEntry& m, const std::vector<uint64_t>& from,
                     const std::vector<uint64_t>& group) {
  uint32_t count = 0;
  size_t gi = 0;
  for (size_t i = 1; i < from.size(); ++i) {
    while (gi < group.size() && group[gi] < from[i]) ++gi;
    if (gi == 0) continue;
    uint64_t g = group[gi - 1], q = from[i - 1];
    if (g >= q && g - q >= m.min && g - q <= m.max) ++count;
  }
  return count;
}

}  // namespace

common::Result<LogicalTable> LogicalTable::build(const sig::SignatureSet& set,
                                                 const std::vector<uint32_t>& kept,
                                                 sig::Diagnostics& diags) {
  // Body forms per logical signature, and how many of them the matcher took.
  std::vector<uint32_t> forms(set.logical.size(), 0), taken(set.logical.size(), 0);
  for (const sig::BodySig& b : set.body) {
    if (b.logical != sig::kNotLogical && b.logical < forms.size()) ++forms[b.logical];
  }
  for (uint32_t i : kept) {
    const sig::BodySig& b = set.body[i];
    if (b.logical != sig::kNotLogical && b.logical < taken.size()) ++taken[b.logical];
  }
  LogicalTable t;
  std::vector<uint32_t> index_of(set.logical.size(), kDead);
  for (uint32_t li = 0; li < set.logical.size(); ++li) {
    const sig::LogicalSig& l = set.logical[li];
    auto drop = [&](vigil_diag_code code, const std::string& why) {
      diags.push_back(
          sig::Diagnostic{code, VIGIL_SEVERITY_ERROR,
                          l.file_index < set.files.size() ? set.files[l.file_index] : std::string(),
                          l.line, l.name, why});
    };
    if (taken[li] != forms[li]) {
      // The matcher said why (a diagnostic per subsignature); this names the consequence.
      drop(VIGIL_DIAG_NO_FRAGMENT,
           "logical signature dropped: a subsignature could not be planned");
      continue;
    }
    std::vector<match::Regex> compiled;
    bool pcre_ok = true;
    for (const sig::PcreSubsig& p : l.pcres) {
      auto r = match::Regex::compile(p.pattern, p.flags);
      if (!r.is_ok()) {
        if (r.status().code() != VIGIL_ERR_SIGNATURE) return r.status();
        drop(VIGIL_DIAG_SYNTAX,
             "subsignature " + std::to_string(p.subsig) + ": " + r.status().message());
        pcre_ok = false;
        break;
      }
      compiled.push_back(r.take());
    }
    if (!pcre_ok) continue;
    LogicalEntry e;
    e.file_size_lo = l.file_size.lo;
    e.file_size_hi = l.file_size.hi;
    e.entry_point_lo = l.entry_point.lo;
    e.entry_point_hi = l.entry_point.hi;
    e.sections_lo = l.sections.lo;
    e.sections_hi = l.sections.hi;
    e.conditions = static_cast<uint8_t>((l.has_file_size ? LogicalEntry::kHasFileSize : 0) |
                                        (l.has_entry_point ? LogicalEntry::kHasEntryPoint : 0) |
                                        (l.has_sections ? LogicalEntry::kHasSections : 0));
    e.target = l.target;
    e.subsigs = l.subsigs;
    e.container = static_cast<uint8_t>(l.container);
    e.program_begin = static_cast<uint32_t>(t.program_.size());
    e.program_size = static_cast<uint32_t>(l.program.size());
    t.program_.insert(t.program_.end(), l.program.begin(), l.program.end());
    e.slot_begin = t.slots_;
    e.pcre_begin = static_cast<uint32_t>(t.pcres_.size());
    e.pcre_count = static_cast<uint32_t>(l.pcres.size());
    for (size_t k = 0; k < l.pcres.size(); ++k) {
      const sig::PcreSubsig& p = l.pcres[k];
      PcreEntry pe;
      pe.offset_base = p.offset.base;
      pe.offset_shift = p.offset.shift;
      pe.offset_section = p.offset.section;
      pe.offset_kind = static_cast<uint8_t>(p.offset.kind);
      pe.slot = e.slot_begin + p.subsig;
      pe.max_hits = p.max_hits;
      pe.trigger_begin = static_cast<uint32_t>(t.program_.size());
      pe.trigger_size = static_cast<uint32_t>(p.trigger.size());
      t.program_.insert(t.program_.end(), p.trigger.begin(), p.trigger.end());
      t.pcres_.push_back(pe);
      t.regexes_.push_back(std::move(compiled[k]));
    }
    e.chain_begin = static_cast<uint32_t>(t.chains_.size());
    e.chain_count = static_cast<uint8_t>(l.intermediates.size());
    for (sig::ContainerType c : l.intermediates) t.chains_.push_back(static_cast<uint8_t>(c));
    e.macro_begin = static_cast<uint32_t>(t.macros_.size());
    e.macro_count = static_cast<uint8_t>(l.macros.size());
    for (const sig::MacroSubsig& m : l.macros) {
      MacroEntry me;
      me.min = m.min;
      me.max = m.max;
      me.subsig = m.subsig;
      me.group = m.group;
      t.macros_.push_back(me);
    }
    e.bcomp_begin = static_cast<uint32_t>(t.bcomps_.size());
    e.bcomp_count = static_cast<uint32_t>(l.byte_compares.size());
    t.bcomps_.insert(t.bcomps_.end(), l.byte_compares.begin(), l.byte_compares.end());
    t.slots_ += l.subsigs;
    index_of[li] = static_cast<uint32_t>(t.entries_.size());
    t.slot_owner_.insert(t.slot_owner_.end(), l.subsigs, index_of[li]);
    t.entries_.push_back(e);
    t.kept_.push_back(li);
  }
  t.derive();
  t.roles_.assign(kept.size(), kPlain);
  for (size_t s = 0; s < kept.size(); ++s) {
    const sig::BodySig& b = set.body[kept[s]];
    if (b.macro_group != sig::kNoMacroGroup) {
      if (b.macro_group >= sig::kMacroGroups) return Status(VIGIL_ERR_INTERNAL, "bad macro group");
      t.roles_[s] = kFirstGroup + b.macro_group;  // recorded only if some macro uses the group
      continue;
    }
    if (b.logical == sig::kNotLogical) continue;
    if (b.logical >= index_of.size()) {
      return Status(VIGIL_ERR_INTERNAL, "subsignature without its logical signature");
    }
    uint32_t index = index_of[b.logical];
    if (index == kDead) {
      t.roles_[s] = kDead;
      continue;
    }
    if (b.subsig >= t.entries_[index].subsigs) {
      return Status(VIGIL_ERR_INTERNAL, "subsignature index out of range");
    }
    t.roles_[s] = t.entries_[index].slot_begin + b.subsig;
  }
  return t;
}

void LogicalTable::no_deferred_parts() {
  open_slot_.assign(slots_, 0);
  has_deferred_.assign(entries_.size(), 0);
  // PCRE, macro and byte-compare subsignatures are settled after the passes, whatever the split.
  for (const PcreEntry& p : pcres_) open_slot_[p.slot] = 1;
  for (const LogicalEntry& e : entries_) {
    for (uint32_t k = e.macro_begin; k < e.macro_begin + e.macro_count; ++k) {
      open_slot_[e.slot_begin + macros_[k].subsig] = 1;
    }
    for (uint32_t k = e.bcomp_begin; k < e.bcomp_begin + e.bcomp_count; ++k) {
      open_slot_[e.slot_begin + bcomps_[k].subsig] = 1;
    }
  }
}

Status LogicalTable::set_passes(const std::vector<uint8_t>& deferred) {
  no_deferred_parts();
  const size_t n = std::min(deferred.size(), roles_.size());
  auto live = [this](uint32_t slot) { return slot < slots_; };
  for (size_t s = 0; s < n; ++s) {
    if (deferred[s] != 0 && live(roles_[s])) {
      has_deferred_[slot_owner_[roles_[s]]] = 1;
      open_slot_[roles_[s]] = 1;
    }
  }
  // A first-pass subsignature is what touches a signature with deferred ones, so that the
  // second pass is considered at all (wants_second()).
  std::vector<uint8_t> anchored(entries_.size(), 0);
  for (size_t s = 0; s < n; ++s) {
    if (deferred[s] == 0 && live(roles_[s])) anchored[slot_owner_[roles_[s]]] = 1;
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (has_deferred_[i] != 0 && anchored[i] == 0) {
      return Status(VIGIL_ERR_CORRUPT, "logical signature " + std::to_string(i) +
                                           ": every pattern subsignature is deferred");
    }
  }
  return Status::ok();
}

bool LogicalTable::wants_second(const LogicalState& state, const LogicalFacts& facts) const {
  uint16_t counts[sig::kMaxSubsigs];
  uint8_t open[sig::kMaxSubsigs];
  for (uint32_t index : state.touched) {
    const LogicalEntry& e = entries_[index];
    if (has_deferred_[index] == 0 || !conditions_hold(e, facts)) continue;
    for (uint32_t k = 0; k < e.subsigs; ++k) {
      counts[k] = state.counts[e.slot_begin + k];
      open[k] = open_slot_[e.slot_begin + k];
    }
    // A macro or byte compare cannot match once the subsignature it measures from is known to
    // have no match, nor a PCRE once its trigger cannot hold.
    auto closed_at_zero = [&](uint32_t k) { return open[k] == 0 && counts[k] == 0; };
    for (uint32_t m = e.macro_begin; m < e.macro_begin + e.macro_count; ++m) {
      if (closed_at_zero(macros_[m].subsig - 1u)) open[macros_[m].subsig] = 0;
    }
    for (uint32_t b = e.bcomp_begin; b < e.bcomp_begin + e.bcomp_count; ++b) {
      if (closed_at_zero(bcomps_[b].trigger)) open[bcomps_[b].subsig] = 0;
    }
    for (uint32_t p = e.pcre_begin; p < e.pcre_begin + e.pcre_count; ++p) {
      const PcreEntry& pe = pcres_[p];
      if (!sig::may_hold(program_.data() + pe.trigger_begin, pe.trigger_size, counts, open)) {
        open[pe.slot - e.slot_begin] = 0;
      }
    }
    if (sig::may_hold(program_.data() + e.program_begin, e.program_size, counts, open)) return true;
  }
  return false;
}

void LogicalTable::prepare(LogicalState& state) const {
  state.counts.assign(slots_, 0);
  state.touched.clear();
  state.touched_gen.assign(entries_.size(), 0);
  state.trigger_end.assign(bcomps_.size(), 0);
  state.macro_from.assign(macros_.size(), {});
  for (std::vector<uint64_t>& g : state.group_starts) g.clear();
  state.groups_hit = 0;
  state.groups_sorted = 0;
  state.gen = 1;
}

void LogicalTable::derive() {
  macro_of_pred_.assign(slots_, kPlain);
  groups_used_ = 0;
  for (const LogicalEntry& e : entries_) {
    for (uint32_t k = e.macro_begin; k < e.macro_begin + e.macro_count; ++k) {
      macro_of_pred_[e.slot_begin + macros_[k].subsig - 1] = k;
      groups_used_ |= uint32_t{1} << macros_[k].group;
    }
  }
  no_deferred_parts();
}

void LogicalTable::hit(LogicalState& state, uint32_t s, uint64_t start) const {
  uint32_t slot = slot_of(s);
  if (slot >= kFirstGroup) {
    if (slot == kPlain || slot == kDead || start == UINT64_MAX) return;
    uint32_t g = slot - kFirstGroup;
    if ((groups_used_ >> g & 1) == 0) return;
    state.groups_hit |= uint32_t{1} << g;
    record(state, state.group_starts[g], start);
    return;
  }
  uint16_t& c = state.counts[slot];
  if (c != UINT16_MAX) ++c;
  uint32_t owner = slot_owner_[slot];
  if (state.touched_gen[owner] != state.gen) {
    state.touched_gen[owner] = state.gen;
    state.touched.push_back(owner);
  }
  const LogicalEntry& e = entries_[owner];
  if (macro_of_pred_[slot] != kPlain && start != UINT64_MAX) {
    record(state, state.macro_from[macro_of_pred_[slot]], start);
  }
  // A byte compare reads at its trigger's last match: the one that starts last (ClamAV reads
  // at the last match it saw, and reports matches in the order of the input).
  for (uint32_t k = e.bcomp_begin; k < e.bcomp_begin + e.bcomp_count; ++k) {
    if (bcomps_[k].trigger != slot - e.slot_begin) continue;
    if (start != UINT64_MAX) state.trigger_end[k] = std::max(state.trigger_end[k], start + 1);
  }
}

void LogicalTable::reset(LogicalState& state) const {
  for (uint32_t index : state.touched) {
    const LogicalEntry& e = entries_[index];
    std::fill_n(state.counts.begin() + e.slot_begin, e.subsigs, uint16_t{0});
    std::fill_n(state.trigger_end.begin() + e.bcomp_begin, e.bcomp_count, uint64_t{0});
    for (uint32_t k = e.macro_begin; k < e.macro_begin + e.macro_count; ++k) {
      forget(state.macro_from[k]);
    }
  }
  for (uint32_t g = 0; g < sig::kMacroGroups; ++g) {
    if ((state.groups_hit >> g & 1) != 0) forget(state.group_starts[g]);
  }
  state.macro_starts = 0;
  state.groups_hit = 0;
  state.groups_sorted = 0;
  state.touched.clear();
  if (++state.gen == 0) {  // wrapped: forget every stamp
    std::fill(state.touched_gen.begin(), state.touched_gen.end(), 0);
    state.gen = 1;
  }
}

// Each PCRE subsignature in order: when its trigger holds over the counts so far, its matches
// in the offset window become its count.
void LogicalTable::run_pcres(const LogicalEntry& e, LogicalState& state,
                             const LogicalFacts& facts) const {
  uint16_t* counts = state.counts.data() + e.slot_begin;
  for (uint32_t k = e.pcre_begin; k < e.pcre_begin + e.pcre_count; ++k) {
    const PcreEntry& p = pcres_[k];
    if (!sig::evaluate(program_.data() + p.trigger_begin, p.trigger_size, counts)) continue;
    sig::Offset offset{static_cast<sig::Offset::Kind>(p.offset_kind), p.offset_base, p.offset_shift,
                       p.offset_section};
    uint64_t lo = 0, hi = 0;
    if (!offset.start_range(facts.size, facts.anchors, lo, hi)) continue;
    uint32_t found = 0;
    Status st = regexes_[k].find(facts.data, facts.size, lo, hi, state.regex,
                                 [&](match::RegexMatch) { return ++found < p.max_hits; });
    if (!st.is_ok()) ++state.limited;
    counts[p.slot - e.slot_begin] = static_cast<uint16_t>(std::min<uint32_t>(found, UINT16_MAX));
  }
}

// Each byte compare whose trigger matched: its count is 1 when the comparison holds at the
// trigger's last match, else 0. They run before the PCREs, whose triggers may name them.
void LogicalTable::run_byte_compares(const LogicalEntry& e, LogicalState& state,
                                     const LogicalFacts& facts) const {
  uint16_t* counts = state.counts.data() + e.slot_begin;
  for (uint32_t k = e.bcomp_begin; k < e.bcomp_begin + e.bcomp_count; ++k) {
    const sig::ByteCompare& b = bcomps_[k];
    uint64_t end = state.trigger_end[k];
    bool holds = end != 0 && counts[b.trigger] != 0 &&
                 sig::byte_compare_holds(b, facts.data, facts.size, end - 1);
    counts[b.subsig] = holds ? 1 : 0;
  }
}

// Each macro's count, from the starts recorded in this input (an overflow marker, UINT64_MAX,
// sorts last and is never taken as a match).
void LogicalTable::run_macros(const LogicalEntry& e, LogicalState& state) const {
  uint16_t* counts = state.counts.data() + e.slot_begin;
  for (uint32_t k = e.macro_begin; k < e.macro_begin + e.macro_count; ++k) {
    const MacroEntry& m = macros_[k];
    std::vector<uint64_t>& group = state.group_starts[m.group];
    if ((state.groups_sorted >> m.group & 1) == 0) {
      std::sort(group.begin(), group.end());
      state.groups_sorted |= uint32_t{1} << m.group;
    }
    std::vector<uint64_t>& from = state.macro_from[k];
    std::sort(from.begin(), from.end());
    from.erase(std::unique(from.begin(), from.end()), from.end());
    if (!from.empty() && from.back() == UINT64_MAX) from.pop_back();
    uint32_t n = macro_count(m, from, group);
    counts[m.subsig] = static_cast<uint16_t>(std::min<uint32_t>(n, UINT16_MAX));
  }
}

bool LogicalTable::conditions_hold(const LogicalEntry& e, const LogicalFacts& facts) const {
  if (e.target != 0 && e.target != facts.type) return false;
  if ((e.conditions & LogicalEntry::kHasFileSize) != 0 &&
      !in(facts.file_size, e.file_size_lo, e.file_size_hi)) {
    return false;
  }
  if ((e.conditions & LogicalEntry::kHasEntryPoint) != 0 &&
      (!facts.anchors.valid || !facts.anchors.has_ep ||
       !in(facts.anchors.ep, e.entry_point_lo, e.entry_point_hi))) {
    return false;
  }
  if ((e.conditions & LogicalEntry::kHasSections) != 0 &&
      (!facts.anchors.valid || !in(facts.anchors.count, e.sections_lo, e.sections_hi))) {
    return false;
  }
  // The immediate parent's type; CL_TYPE_ANY means the input is not inside a container.
  auto want = static_cast<sig::ContainerType>(e.container);
  if (want == sig::ContainerType::kAny && facts.container() != sig::ContainerType::kNone) {
    return false;
  }
  if (want != sig::ContainerType::kNone && want != sig::ContainerType::kAny &&
      want != facts.container()) {
    return false;
  }
  // Intermediates: the innermost containers, outermost first; CL_TYPE_ANY stands for any one.
  if (e.chain_count > facts.depth) return false;
  for (uint32_t k = 0; k < e.chain_count; ++k) {
    auto want_k = static_cast<sig::ContainerType>(chains_[e.chain_begin + k]);
    sig::ContainerType have = facts.parents[facts.depth - e.chain_count + k];
    if (want_k != sig::ContainerType::kAny && want_k != have) return false;
  }
  return true;
}

bool LogicalTable::holds(const LogicalEntry& e, LogicalState& state,
                         const LogicalFacts& facts) const {
  if (!conditions_hold(e, facts)) return false;
  if (e.macro_count != 0) run_macros(e, state);
  if (e.bcomp_count != 0) run_byte_compares(e, state, facts);
  if (e.pcre_count != 0) run_pcres(e, state, facts);
  return sig::evaluate(program_.data() + e.program_begin, e.program_size,
                       state.counts.data() + e.slot_begin);
}

void LogicalTable::write(common::ByteWriter& out) const {
  out.array(entries_);
  out.array(program_);
  out.array(roles_);
  out.array(pcres_);
  out.array(bcomps_);
  out.array(chains_);
  out.array(macros_);
  for (const match::Regex& r : regexes_) out.blob(r.serialize());
}

common::Status LogicalTable::read(common::ByteReader& in, size_t matcher_sigs) {
  in.array(entries_, "entries");
  in.array(program_, "expressions");
  in.array(roles_, "subsignature roles");
  in.array(pcres_, "PCRE subsignatures");
  in.array(bcomps_, "byte compares");
  in.array(chains_, "intermediates");
  in.array(macros_, "macro subsignatures");
  if (!in.ok()) return in.status();
  regexes_.clear();
  for (size_t k = 0; k < pcres_.size(); ++k) {
    std::string_view bytes;
    in.blob(bytes, "regex");
    if (!in.ok()) return in.status();
    auto r = match::Regex::deserialize(bytes);
    if (!r.is_ok()) return corrupt("PCRE " + std::to_string(k) + ": " + r.status().message());
    regexes_.push_back(r.take());
  }
  if (roles_.size() != matcher_sigs) return corrupt("roles do not cover the body signatures");
  slots_ = 0;
  slot_owner_.clear();
  uint32_t pcre_seen = 0, bcomp_seen = 0, chain_seen = 0, macro_seen = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const LogicalEntry& e = entries_[i];
    if (e.slot_begin != slots_ || e.subsigs == 0 || e.subsigs > sig::kMaxSubsigs ||
        slots_ > kFirstGroup - e.subsigs || e.target > sig::kMaxTarget ||
        e.container > static_cast<uint8_t>(sig::ContainerType::kLast) || e.conditions > 7) {
      return corrupt("entry " + std::to_string(i) + " is malformed");
    }
    if (e.program_begin > program_.size() || e.program_size > program_.size() - e.program_begin) {
      return corrupt("entry " + std::to_string(i) + ": expression out of bounds");
    }
    Status st = sig::validate_program(program_.data() + e.program_begin, e.program_size, e.subsigs);
    if (!st.is_ok()) return corrupt("entry " + std::to_string(i) + ": " + st.message());
    if (e.pcre_begin != pcre_seen || e.pcre_count > e.subsigs ||
        e.pcre_count > pcres_.size() - e.pcre_begin) {
      return corrupt("entry " + std::to_string(i) + ": PCRE subsignatures out of bounds");
    }
    for (uint32_t k = e.pcre_begin; k < e.pcre_begin + e.pcre_count; ++k) {
      const PcreEntry& p = pcres_[k];
      if (p.slot < e.slot_begin || p.slot >= e.slot_begin + e.subsigs ||
          p.offset_kind > sig::Offset::kLastKind || p.max_hits == 0 || p.reserved != 0 ||
          p.reserved2 != 0 || p.trigger_begin > program_.size() ||
          p.trigger_size > program_.size() - p.trigger_begin) {
        return corrupt("PCRE " + std::to_string(k) + " is malformed");
      }
      st = sig::validate_program(program_.data() + p.trigger_begin, p.trigger_size, e.subsigs);
      if (!st.is_ok()) return corrupt("PCRE " + std::to_string(k) + ": " + st.message());
    }
    if (e.bcomp_begin != bcomp_seen || e.bcomp_count > e.subsigs ||
        e.bcomp_count > bcomps_.size() - e.bcomp_begin) {
      return corrupt("entry " + std::to_string(i) + ": byte compares out of bounds");
    }
    for (uint32_t k = e.bcomp_begin; k < e.bcomp_begin + e.bcomp_count; ++k) {
      st = sig::validate_byte_compare(bcomps_[k], e.subsigs);
      if (!st.is_ok()) return corrupt("byte compare " + std::to_string(k) + " is malformed");
    }
    bcomp_seen += e.bcomp_count;
    if (e.chain_begin != chain_seen || e.chain_count > sig::kMaxIntermediates ||
        e.chain_count > chains_.size() - e.chain_begin ||
        std::any_of(std::begin(e.reserved), std::end(e.reserved), [](uint8_t b) { return b; })) {
      return corrupt("entry " + std::to_string(i) + ": intermediates out of bounds");
    }
    for (uint32_t k = e.chain_begin; k < e.chain_begin + e.chain_count; ++k) {
      if (chains_[k] == 0 || chains_[k] > static_cast<uint8_t>(sig::ContainerType::kLast)) {
        return corrupt("entry " + std::to_string(i) + ": unknown intermediate container type");
      }
    }
    chain_seen += e.chain_count;
    if (e.macro_begin != macro_seen || e.macro_count >= e.subsigs ||
        e.macro_count > macros_.size() - e.macro_begin) {
      return corrupt("entry " + std::to_string(i) + ": macro subsignatures out of bounds");
    }
    for (uint32_t k = e.macro_begin; k < e.macro_begin + e.macro_count; ++k) {
      const MacroEntry& m = macros_[k];
      if (m.subsig == 0 || m.subsig >= e.subsigs || m.group >= sig::kMacroGroups ||
          m.reserved[0] != 0 || m.reserved[1] != 0) {
        return corrupt("macro subsignature " + std::to_string(k) + " is malformed");
      }
    }
    macro_seen += e.macro_count;
    pcre_seen += e.pcre_count;
    slots_ += e.subsigs;
    slot_owner_.insert(slot_owner_.end(), e.subsigs, static_cast<uint32_t>(i));
  }
  if (pcre_seen != pcres_.size()) return corrupt("PCRE subsignatures without a signature");
  if (bcomp_seen != bcomps_.size()) return corrupt("byte compares without a signature");
  if (chain_seen != chains_.size()) return corrupt("intermediates without a signature");
  if (macro_seen != macros_.size()) return corrupt("macro subsignatures without a signature");
  for (uint32_t r : roles_) {
    if (r < kFirstGroup && r >= slots_) return corrupt("a subsignature role is out of range");
  }
  derive();
  return Status::ok();
}

}  // namespace vigil::scan
