// Building, storing and evaluating the logical-signature table (see logical.h). Counters are
// 16-bit and saturate at the matcher's per-signature cap, which is the highest count any
// comparison in the expression can tell apart.
#include "scan/logical.h"

#include <string>

namespace vigil::scan {
namespace {

using common::Status;

Status corrupt(const std::string& why) {
  return Status(VIGIL_ERR_CORRUPT, "logical signatures: " + why);
}

bool in(uint64_t v, uint64_t lo, uint64_t hi) { return v >= lo && v <= hi; }

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
    if (taken[li] != forms[li]) {
      // The matcher said why (a diagnostic per subsignature); this names the consequence.
      diags.push_back(sig::Diagnostic{
          VIGIL_DIAG_NO_FRAGMENT, VIGIL_SEVERITY_ERROR,
          l.file_index < set.files.size() ? set.files[l.file_index] : std::string(), l.line, l.name,
          "logical signature dropped: a subsignature could not be planned"});
      continue;
    }
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
    t.slots_ += l.subsigs;
    index_of[li] = static_cast<uint32_t>(t.entries_.size());
    t.slot_owner_.insert(t.slot_owner_.end(), l.subsigs, index_of[li]);
    t.entries_.push_back(e);
    t.kept_.push_back(li);
  }
  t.roles_.assign(kept.size(), kPlain);
  for (size_t s = 0; s < kept.size(); ++s) {
    const sig::BodySig& b = set.body[kept[s]];
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

void LogicalTable::prepare(LogicalState& state) const {
  state.counts.assign(slots_, 0);
  state.touched.clear();
  state.touched_gen.assign(entries_.size(), 0);
  state.gen = 1;
}

void LogicalTable::hit(LogicalState& state, uint32_t s) const {
  uint32_t slot = slot_of(s);
  if (slot == kPlain || slot == kDead) return;
  uint16_t& c = state.counts[slot];
  if (c != UINT16_MAX) ++c;
  uint32_t owner = slot_owner_[slot];
  if (state.touched_gen[owner] != state.gen) {
    state.touched_gen[owner] = state.gen;
    state.touched.push_back(owner);
  }
}

void LogicalTable::reset(LogicalState& state) const {
  for (uint32_t index : state.touched) {
    const LogicalEntry& e = entries_[index];
    std::fill_n(state.counts.begin() + e.slot_begin, e.subsigs, uint16_t{0});
  }
  state.touched.clear();
  if (++state.gen == 0) {  // wrapped: forget every stamp
    std::fill(state.touched_gen.begin(), state.touched_gen.end(), 0);
    state.gen = 1;
  }
}

bool LogicalTable::holds(const LogicalEntry& e, const LogicalState& state,
                         const LogicalFacts& facts) const {
  if (e.target != 0 && e.target != facts.type) return false;
  if ((e.conditions & LogicalEntry::kHasFileSize) != 0 &&
      !in(facts.size, e.file_size_lo, e.file_size_hi)) {
    return false;
  }
  if ((e.conditions & LogicalEntry::kHasEntryPoint) != 0 &&
      (!facts.exe || !facts.has_ep || !in(facts.entry_point, e.entry_point_lo, e.entry_point_hi))) {
    return false;
  }
  if ((e.conditions & LogicalEntry::kHasSections) != 0 &&
      (!facts.exe || !in(facts.sections, e.sections_lo, e.sections_hi))) {
    return false;
  }
  // The immediate parent's type; CL_TYPE_ANY means the input is not inside a container.
  auto want = static_cast<sig::ContainerType>(e.container);
  if (want == sig::ContainerType::kAny && facts.container != sig::ContainerType::kNone) {
    return false;
  }
  if (want != sig::ContainerType::kNone && want != sig::ContainerType::kAny &&
      want != facts.container) {
    return false;
  }
  return sig::evaluate(program_.data() + e.program_begin, e.program_size,
                       state.counts.data() + e.slot_begin);
}

void LogicalTable::write(common::ByteWriter& out) const {
  out.array(entries_);
  out.array(program_);
  out.array(roles_);
}

common::Status LogicalTable::read(common::ByteReader& in, size_t matcher_sigs) {
  in.array(entries_, "entries");
  in.array(program_, "expressions");
  in.array(roles_, "subsignature roles");
  if (!in.ok()) return in.status();
  if (roles_.size() != matcher_sigs) return corrupt("roles do not cover the body signatures");
  slots_ = 0;
  slot_owner_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) {
    const LogicalEntry& e = entries_[i];
    if (e.slot_begin != slots_ || e.subsigs == 0 || e.subsigs > sig::kMaxSubsigs ||
        e.target > sig::kMaxTarget ||
        e.container > static_cast<uint8_t>(sig::ContainerType::kLast) || e.conditions > 7) {
      return corrupt("entry " + std::to_string(i) + " is malformed");
    }
    if (e.program_begin > program_.size() || e.program_size > program_.size() - e.program_begin) {
      return corrupt("entry " + std::to_string(i) + ": expression out of bounds");
    }
    Status st = sig::validate_program(program_.data() + e.program_begin, e.program_size, e.subsigs);
    if (!st.is_ok()) return corrupt("entry " + std::to_string(i) + ": " + st.message());
    slots_ += e.subsigs;
    slot_owner_.insert(slot_owner_.end(), e.subsigs, static_cast<uint32_t>(i));
  }
  for (uint32_t r : roles_) {
    if (r != kPlain && r != kDead && r >= slots_) {
      return corrupt("a subsignature role is out of range");
    }
  }
  return Status::ok();
}

}  // namespace vigil::scan
