// Builds the fragment database and runs scans. The Hyperscan callback is the hot path: per
// hit it walks the (usually one) signatures sharing the fragment, skips any already reported
// in this scan, and confirms the rest in place on the caller's buffer.
#include "match/body_matcher.h"

#include <algorithm>
#include <unordered_map>

#include "match/fragment.h"

namespace vigil::match {

struct ScanContext {
  const BodyMatcher* m;
  MatchState* state;
  const uint8_t* data;
  uint64_t size;
  uint64_t base;
  uint64_t seen_end;  // hits ending at or before this were seen in the previous window
  bool all_matches;
  bool stopped;
  HitSink sink;

  static int on_hit(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                    unsigned int /*flags*/, void* raw) {
    ScanContext& c = *static_cast<ScanContext*>(raw);
    uint64_t end = c.base + to;
    if (end <= c.seen_end) return 0;
    const BodyMatcher& m = *c.m;
    uint64_t frag_pos = end - m.frag_len_[id];
    for (uint32_t i = m.frag_sigs_begin_[id]; i < m.frag_sigs_begin_[id + 1]; ++i) {
      uint32_t s = m.frag_sigs_[i];
      if (c.state->reported_gen[s] == c.state->gen) continue;
      uint64_t start = 0;
      if (!confirm_match(m.sigs_[s], s, c.state->gen, c.data, c.size, frag_pos,
                         c.state->memos[s % MatchState::kMemoSlots], start)) {
        continue;
      }
      c.state->reported_gen[s] = c.state->gen;
      if (!c.sink.fn(c.sink.ctx, s, start) || !c.all_matches) {
        c.stopped = true;
        return 1;
      }
    }
    return 0;
  }
};

common::Result<std::unique_ptr<BodyMatcher>> BodyMatcher::build(
    std::vector<sig::BodySig>& sigs, const std::vector<std::string>& files,
    sig::Diagnostics& diags) {
  auto m = std::make_unique<BodyMatcher>();
  auto frag_ids = std::make_unique<std::unordered_map<std::string, uint32_t>>();
  std::vector<std::string> literals;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (fragment id, local sig)
  for (size_t i = 0; i < sigs.size(); ++i) {
    sig::BodySig& s = sigs[i];
    auto parsed = sig::parse_hex_pattern(s.hex);
    std::string().swap(s.hex);  // the text is not needed past this point
    std::optional<Fragment> f;
    if (parsed.is_ok()) f = choose_fragment(parsed.value());
    if (!f) {
      diags.push_back(sig::Diagnostic{
          parsed.is_ok() ? VIGIL_DIAG_NO_FRAGMENT : VIGIL_DIAG_SYNTAX, VIGIL_SEVERITY_ERROR,
          s.file_index < files.size() ? files[s.file_index] : std::string(), s.line, s.name,
          parsed.is_ok() ? "pattern has no run of " + std::to_string(kMinFragmentBytes) +
                               " or more fixed bytes outside alternatives to search for"
                         : "invalid hex pattern: " + parsed.status().message()});
      continue;
    }
    sig::Sequence pattern = parsed.take();
    PlannedSig p;
    p.offset = s.offset;
    p.frag_begin = f->begin;
    p.frag_end = f->end;
    sig::LengthRange lr = sig::sequence_length(pattern.data(), f->begin);  // left of the fragment
    p.left_min = lr.min;
    p.left_max = lr.max;
    bool literal = std::all_of(pattern.begin(), pattern.end(),
                               [](const sig::Node& n) { return n.is_exact_byte(); });
    if (literal) {
      for (const sig::Node& n : pattern) p.literal.push_back(static_cast<char>(n.value));
    } else {
      p.pattern = std::move(pattern);
    }
    auto [it, inserted] = frag_ids->emplace(f->bytes, static_cast<uint32_t>(literals.size()));
    if (inserted) literals.push_back(f->bytes);
    uint32_t local = static_cast<uint32_t>(m->sigs_.size());
    pairs.emplace_back(it->second, local);
    m->sigs_.push_back(std::move(p));
    m->kept_.push_back(static_cast<uint32_t>(i));
  }
  frag_ids.reset();
  std::sort(pairs.begin(), pairs.end());
  m->frag_len_.resize(literals.size());
  m->frag_sigs_begin_.assign(literals.size() + 1, 0);
  for (size_t i = 0; i < literals.size(); ++i) {
    m->frag_len_[i] = static_cast<uint32_t>(literals[i].size());
    m->max_frag_len_ = std::max(m->max_frag_len_, m->frag_len_[i]);
  }
  for (const auto& [frag, local] : pairs) {
    ++m->frag_sigs_begin_[frag + 1];
    m->frag_sigs_.push_back(local);
  }
  for (size_t i = 1; i < m->frag_sigs_begin_.size(); ++i) {
    m->frag_sigs_begin_[i] += m->frag_sigs_begin_[i - 1];
  }
  if (!literals.empty()) {
    auto db = compile_literals(literals);
    if (!db.is_ok()) return db.status();
    m->db_ = db.take();
  }
  return m;
}

common::Status BodyMatcher::prepare(MatchState& state) const {
  state.reported_gen.assign(sigs_.size(), 0);
  state.gen = 0;
  if (db_) {
    auto s = make_scratch(db_.get());
    if (!s.is_ok()) return s.status();
    state.hs = s.take();
  }
  return common::Status::ok();
}

common::Status BodyMatcher::scan(const uint8_t* data, uint64_t size, MatchState& state,
                                 bool all_matches, HitSink sink, uint64_t window,
                                 common::ReleaseHook release) const {
  for (ConfirmMemo& memo : state.memos) memo.abandoned = 0;  // counts are per scan
  if (!db_ || size == 0) return common::Status::ok();
  if (++state.gen == 0) {  // generation wrapped: forget every old stamp and memo owner
    std::fill(state.reported_gen.begin(), state.reported_gen.end(), 0);
    for (ConfirmMemo& memo : state.memos) memo.owner_sig = UINT32_MAX;
    state.gen = 1;
  }
  if (window <= max_frag_len_) window = max_frag_len_ + 1;
  ScanContext ctx{this, &state, data, size, 0, 0, all_matches, false, sink};
  uint64_t overlap = max_frag_len_ - 1;
  for (;;) {
    uint64_t len = std::min(window, size - ctx.base);
    hs_error_t rc =
        hs_scan(db_.get(), reinterpret_cast<const char*>(data + ctx.base),
                static_cast<unsigned int>(len), 0, state.hs.get(), &ScanContext::on_hit, &ctx);
    if (rc == HS_SCAN_TERMINATED && ctx.stopped) break;
    if (rc != HS_SUCCESS) {
      return common::Status(VIGIL_ERR_BACKEND,
                            "Hyperscan scan failed (" + std::to_string(rc) + ")");
    }
    uint64_t end = ctx.base + len;
    if (end >= size) break;
    ctx.seen_end = end;
    ctx.base = end - overlap;
    // Keep one window behind the scan resident for confirms that look back; drop the rest.
    if (ctx.base > window) release(ctx.base - window);
  }
  return common::Status::ok();
}

}  // namespace vigil::match
