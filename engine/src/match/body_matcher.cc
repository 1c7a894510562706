// Builds the fragment database and runs scans. The Hyperscan callback is the hot path: per
// hit it walks the (usually one) signatures sharing the fragment, skips any already reported
// in this scan, and confirms the rest in place on the caller's buffer.
#include "match/body_matcher.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "match/fragment.h"
#include "match/passes.h"
#include "sig/logical_expr.h"

namespace vigil::match {

struct ScanContext {
  const BodyMatcher* m;
  MatchState* state;
  const uint8_t* data;
  uint64_t size;
  BodyMatcher::Windows w;
  bool all_matches;
  HitSink sink;
  bool second = false;  // the second pass: deferred signatures only

  static int on_hit(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                    unsigned int /*flags*/, void* raw) {
    ScanContext& c = *static_cast<ScanContext*>(raw);
    uint64_t end = c.w.base + to;
    if (end <= c.w.seen_end) return 0;
    const BodyMatcher& m = *c.m;
    // A database from a file (or the cache) is only known to be a valid Hyperscan database,
    // not to search for these fragments: the id, the end and the fragment's bytes are checked
    // before any confirm relies on them (8 bytes at most).
    if (!m.check_hit(c.data, c.size, id, end)) return 0;
    uint64_t frag_pos = end - m.frag_len(id);
    for (uint32_t i = m.frag_sigs_begin_[id]; i < m.frag_sigs_begin_[id + 1]; ++i) {
      uint32_t s = m.frag_sigs_[i];
      if (m.sig_direct_[s] != 0 || !m.wanted(*c.state, s, c.second)) continue;
      uint64_t start = 0;
      const PlannedSig& p = m.plan_.sigs[s];
      if (!confirm_match(m.plan_, p, s, c.state->gen, c.data, c.size, frag_pos,
                         c.state->memos[s % MatchState::kMemoSlots], start, c.state->facts.exe)) {
        continue;
      }
      m.count_hit(*c.state, s);
      if (!c.sink.fn(c.sink.ctx, s, start) || (!c.all_matches && !p.is_subsig())) {
        c.w.stopped = true;
        return 1;
      }
    }
    return 0;
  }
};

namespace {

uint8_t lower(uint8_t b) { return b >= 'A' && b <= 'Z' ? static_cast<uint8_t>(b | 0x20) : b; }

bool equal_caseless(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool BodyMatcher::check_hit(const uint8_t* data, uint64_t size, uint32_t id, uint64_t end) const {
  if (id >= fragment_count() || end < frag_len(id) || end > size) return false;
  const uint8_t* at = data + end - frag_len(id);
  const uint8_t* want = frag_bytes_.data() + frag_begin_[id];
  if (frag_caseless_[id] != 0) return equal_caseless(at, want, frag_len(id));
  return std::memcmp(at, want, frag_len(id)) == 0;
}

common::Result<std::unique_ptr<BodyMatcher>> BodyMatcher::build(
    std::vector<sig::BodySig>& sigs, const std::vector<std::string>& files, sig::Diagnostics& diags,
    const HsTarget& target, const std::vector<sig::LogicalSig>* logical) {
  auto m = std::make_unique<BodyMatcher>();
  std::vector<int> scores;  // per kept signature: its fragment's
  auto frag_ids = std::make_unique<std::unordered_map<std::string, uint32_t>>();
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (fragment id, local sig)
  for (size_t i = 0; i < sigs.size(); ++i) {
    sig::BodySig& s = sigs[i];
    auto parsed = sig::parse_hex_pattern(
        s.hex, s.logical == sig::kNotLogical ? sig::HexRules::kBody : sig::HexRules::kSubsig);
    std::string().swap(s.hex);  // the text is not needed past this point
    std::optional<Fragment> f;
    if (parsed.is_ok()) {
      sig::apply_modifiers(parsed.value(), s.modifiers);
      const bool nocase = (s.modifiers & sig::kModNocase) != 0;
      // A subsignature whose count the expression compares counts distinct match ends, as
      // ClamAV does ("AA{1-5}BB" in "AA.AA.BB" once, in "AA.BB.BB" twice): its fragment is
      // taken from its fixed-length tail where that has one. (Byte-compare triggers and macro
      // parts, which read each match's start, keep the best fragment anywhere.)
      const size_t tail =
          s.max_hits > 1 && s.max_hits <= sig::kMaxCount ? fixed_tail(parsed.value()) : 0;
      f = choose_fragment(parsed.value(), nocase, tail);
      if (!f && tail != 0) f = choose_fragment(parsed.value(), nocase);
    }
    if (!f) {
      diags.push_back(sig::Diagnostic{
          parsed.is_ok() ? VIGIL_DIAG_NO_FRAGMENT : VIGIL_DIAG_SYNTAX, VIGIL_SEVERITY_ERROR,
          s.file_index < files.size() ? files[s.file_index] : std::string(), s.line, s.name,
          parsed.is_ok() ? "pattern has no run of " + std::to_string(kMinFragmentBytes) +
                               " or more fixed bytes outside alternatives to search for"
                         : "invalid hex pattern: " + parsed.status().message()});
      continue;
    }
    SigTraits traits{s.target, s.counted(), s.max_hits};
    common::Status st = m->plan_.add(parsed.value(), s.offset, f->begin, f->end, traits);
    if (!st.is_ok()) return st;
    // A caseless fragment is a different search from the same bytes taken exactly.
    auto [it, inserted] = frag_ids->emplace((f->caseless ? "i" : "x") + f->bytes,
                                            static_cast<uint32_t>(frag_ids->size()));
    if (inserted) {
      m->frag_bytes_.insert(m->frag_bytes_.end(), f->bytes.begin(), f->bytes.end());
      m->frag_begin_.push_back(static_cast<uint32_t>(m->frag_bytes_.size()));
      m->frag_caseless_.push_back(f->caseless ? 1 : 0);
    }
    pairs.emplace_back(it->second, static_cast<uint32_t>(m->kept_.size()));
    m->kept_.push_back(static_cast<uint32_t>(i));
    scores.push_back(f->score);
  }
  frag_ids.reset();
  if (logical != nullptr) {
    std::vector<uint8_t> deferred = plan_passes(sigs, m->kept_, scores, *logical);
    for (size_t k = 0; k < deferred.size(); ++k) {
      if (deferred[k] != 0) m->plan_.sigs[k].role |= PlannedSig::kRoleDeferred;
    }
  }
  common::Status st = m->finish_fragments(pairs);
  if (!st.is_ok()) return st;
  if (m->fragment_count() != 0) {
    st = m->compile_database(target);
    if (!st.is_ok()) return st;
  }
  return m;
}

common::Status BodyMatcher::finish_fragments(
    const std::vector<std::pair<uint32_t, uint32_t>>& unsorted) {
  auto pairs = unsorted;
  std::sort(pairs.begin(), pairs.end());
  frag_sigs_begin_.assign(fragment_count() + 1, 0);
  frag_sigs_.clear();
  for (const auto& [frag, local] : pairs) {
    ++frag_sigs_begin_[frag + 1];
    frag_sigs_.push_back(local);
  }
  for (size_t i = 1; i < frag_sigs_begin_.size(); ++i) {
    frag_sigs_begin_[i] += frag_sigs_begin_[i - 1];
  }
  common::Status st = validate_fragments();
  if (st.is_ok()) set_passes();
  return st;
}

// Checks the fragment table against the plan; also sets max_frag_len_.
common::Status BodyMatcher::validate_fragments() const {
  auto bad = [](const std::string& why) {
    return common::Status(VIGIL_ERR_CORRUPT, "fragment table: " + why);
  };
  const size_t frags = frag_begin_.size() - 1;
  if (frag_begin_.empty() || frag_begin_.front() != 0 || frag_begin_.back() != frag_bytes_.size()) {
    return bad("byte ranges do not cover the fragment bytes");
  }
  if (frag_caseless_.size() != frags) return bad("caseless flags do not cover the fragments");
  if (frag_sigs_begin_.size() != frags + 1 || frag_sigs_begin_.front() != 0 ||
      frag_sigs_begin_.back() != frag_sigs_.size()) {
    return bad("signature ranges do not cover the signature list");
  }
  for (size_t f = 0; f < frags; ++f) {
    if (frag_begin_[f] > frag_begin_[f + 1] || frag_sigs_begin_[f] > frag_sigs_begin_[f + 1]) {
      return bad("ranges out of order at fragment " + std::to_string(f));
    }
    uint32_t len = frag_begin_[f + 1] - frag_begin_[f];
    if (len < kMinFragmentBytes || len > kMaxFragmentBytes) {
      return bad("fragment " + std::to_string(f) + " has length " + std::to_string(len));
    }
    for (uint32_t i = frag_sigs_begin_[f]; i < frag_sigs_begin_[f + 1]; ++i) {
      uint32_t s = frag_sigs_[i];
      if (s >= plan_.sigs.size()) return bad("signature index out of range");
      const PlannedSig& p = plan_.sigs[s];
      if (p.frag_end - p.frag_begin != len)
        return bad("fragment length differs from its signature's");
      if (frag_caseless_[f] > 1) return bad("bad caseless flag");
      for (uint32_t k = 0; k < len; ++k) {
        uint8_t want = p.is_literal() ? plan_.bytes[p.begin + p.frag_begin + k]
                                      : plan_.nodes[p.begin + p.frag_begin + k].value;
        uint8_t have = frag_bytes_[frag_begin_[f] + k];
        // A caseless node holds its letter in upper case (value & 0xDF) and the fragment in
        // lower case; an exact letter in a caseless fragment would widen the search.
        bool exact = p.is_literal() || plan_.nodes[p.begin + p.frag_begin + k].mask == 0xFF;
        bool letter = (want | 0x20) >= 'a' && (want | 0x20) <= 'z';
        bool same =
            frag_caseless_[f] == 0 ? have == want : have == lower(want) && !(exact && letter);
        if (!same) return bad("fragment bytes differ from its signature's");
      }
    }
  }
  return common::Status::ok();
}

void BodyMatcher::write_plan(common::ByteWriter& out) const {
  out.array(plan_.sigs);
  out.array(plan_.nodes);
  out.array(plan_.operands);
  out.array(plan_.branches);
  out.array(plan_.bytes);
  out.array(frag_bytes_);
  out.array(frag_begin_);
  out.array(frag_sigs_begin_);
  out.array(frag_sigs_);
  out.array(frag_caseless_);
}

common::Result<std::unique_ptr<BodyMatcher>> BodyMatcher::read_plan(common::ByteReader& in) {
  auto m = std::make_unique<BodyMatcher>();
  in.array(m->plan_.sigs, "signatures");
  in.array(m->plan_.nodes, "pattern nodes");
  in.array(m->plan_.operands, "node operands");
  in.array(m->plan_.branches, "branches");
  in.array(m->plan_.bytes, "literal bytes");
  in.array(m->frag_bytes_, "fragment bytes");
  in.array(m->frag_begin_, "fragment offsets");
  in.array(m->frag_sigs_begin_, "fragment signature offsets");
  in.array(m->frag_sigs_, "fragment signatures");
  in.array(m->frag_caseless_, "fragment case flags");
  if (!in.ok()) return in.status();
  if (!in.at_end()) return common::Status(VIGIL_ERR_CORRUPT, "body plan: trailing bytes");
  // Each signature must be searched for under exactly one fragment.
  std::vector<bool> listed(m->plan_.sigs.size(), false);
  for (uint32_t s : m->frag_sigs_) {
    if (s >= listed.size() || listed[s]) {
      return common::Status(VIGIL_ERR_CORRUPT,
                            "body plan: fragment table does not list every signature once");
    }
    listed[s] = true;
  }
  if (m->frag_sigs_.size() != m->plan_.sigs.size()) {
    return common::Status(VIGIL_ERR_CORRUPT,
                          "body plan: fragment table does not list every signature once");
  }
  common::Status st = m->plan_.validate();
  if (st.is_ok()) st = m->validate_fragments();
  if (!st.is_ok()) return common::Status(VIGIL_ERR_CORRUPT, "body plan: " + st.message());
  m->kept_.resize(m->plan_.sigs.size());
  for (uint32_t i = 0; i < m->kept_.size(); ++i) m->kept_[i] = i;
  m->set_max_frag_len();
  m->set_passes();
  return m;
}

void BodyMatcher::set_max_frag_len() {
  max_frag_len_ = 0;
  for (uint32_t f = 0; f < fragment_count(); ++f)
    max_frag_len_ = std::max(max_frag_len_, frag_len(f));
}

common::Status BodyMatcher::prepare(MatchState& state) const {
  state.reported_gen.assign(plan_.sigs.size(), 0);
  state.hits.assign(plan_.sigs.size(), 0);
  state.gen = 0;
  state.hs.reset();
  for (const HsDatabase* db : all_databases()) {
    common::Status st = grow_scratch(db->get(), state.hs);
    if (!st.is_ok()) return st;
  }
  return common::Status::ok();
}

void BodyMatcher::next_generation(MatchState& state) const {
  if (++state.gen == 0) {  // generation wrapped: forget every old stamp and memo owner
    std::fill(state.reported_gen.begin(), state.reported_gen.end(), 0);
    for (ConfirmMemo& memo : state.memos) memo.owner_sig = UINT32_MAX;
    state.gen = 1;
  }
}

common::Status BodyMatcher::scan(const uint8_t* data, uint64_t size, MatchState& state,
                                 bool all_matches, HitSink sink, uint64_t window,
                                 common::ReleaseHook release) const {
  for (ConfirmMemo& memo : state.memos) memo.abandoned = 0;  // counts are per scan
  const hs_database_t* db = first_database(state.facts.type);
  if (db == nullptr || size == 0) return common::Status::ok();
  next_generation(state);
  ScanContext ctx{this, &state, data, size, {}, all_matches, sink};
  return run_windows(db, data, size, 0, window, state, ctx.w, &ScanContext::on_hit, &ctx, release);
}

common::Status BodyMatcher::scan_second(const uint8_t* data, uint64_t size, MatchState& state,
                                        HitSink sink) const {
  if ((!db2_ && direct_.empty()) || size == 0) return common::Status::ok();
  // A generation of its own: the signatures searched now are not searched in the first pass,
  // so none was confirmed yet. Subsignatures never end a scan, so all_matches is moot.
  next_generation(state);
  ScanContext ctx{this, &state, data, size, {}, true, sink, /*second=*/true};
  if (db2_) {
    common::Status st = run_windows(db2_.get(), data, size, 0, kDefaultWindow, state, ctx.w,
                                    &ScanContext::on_hit, &ctx, {});
    if (!st.is_ok() || ctx.w.stopped) return st;
  }
  scan_direct(data, size, state, sink);
  return common::Status::ok();
}

// Each direct signature's fragment positions, in order, while it can use more occurrences.
// Only subsignatures are deferred, so the order between signatures is immaterial (their
// occurrences are counted per subsignature) and none ends the scan.
void BodyMatcher::scan_direct(const uint8_t* data, uint64_t size, MatchState& state,
                              HitSink sink) const {
  for (const Direct& d : direct_) {
    const PlannedSig& p = plan_.sigs[d.sig];
    const uint64_t len = frag_len(d.frag);
    uint64_t lo = 0, hi = 0;
    if (!wanted(state, d.sig, /*second=*/true) || size < len ||
        !p.offset().start_range(size, state.facts.exe, lo, hi) || lo > size) {
      continue;
    }
    // start_range bounds the shift, searched_directly() the left part: a few thousand at most.
    const uint64_t last = std::min(size - len, std::min(hi, size) + p.left_max);
    for (uint64_t pos = lo + p.left_min; pos <= last; ++pos) {
      if (!check_hit(data, size, d.frag, pos + len)) continue;
      uint64_t start = 0;
      if (!confirm_match(plan_, p, d.sig, state.gen, data, size, pos,
                         state.memos[d.sig % MatchState::kMemoSlots], start, state.facts.exe)) {
        continue;
      }
      count_hit(state, d.sig);
      if (!sink.fn(sink.ctx, d.sig, start)) return;
      if (!wanted(state, d.sig, /*second=*/true)) break;
    }
  }
}

common::Status BodyMatcher::run_windows(const hs_database_t* db, const uint8_t* data, uint64_t size,
                                        uint64_t from, uint64_t window, MatchState& state,
                                        Windows& w, match_event_handler on_hit, void* ctx,
                                        common::ReleaseHook release) const {
  if (window <= max_frag_len_) window = max_frag_len_ + 1;
  const uint64_t overlap = max_frag_len_ - 1;
  w.seen_end = from;
  w.base = from > overlap ? from - overlap : 0;
  for (;;) {
    uint64_t len = std::min(window, size - w.base);
    hs_error_t rc = hs_scan(db, reinterpret_cast<const char*>(data + w.base),
                            static_cast<unsigned int>(len), 0, state.hs.get(), on_hit, ctx);
    if (rc == HS_SCAN_TERMINATED && w.stopped) break;
    if (rc != HS_SUCCESS) {
      return common::Status(VIGIL_ERR_BACKEND,
                            "Hyperscan scan failed (" + std::to_string(rc) + ")");
    }
    uint64_t end = w.base + len;
    if (end >= size) break;
    w.seen_end = end;
    w.base = end - overlap;
    // Keep one window behind the scan resident for confirms that look back; drop the rest.
    if (w.base > window) release(w.base - window);
  }
  return common::Status::ok();
}

}  // namespace vigil::match
