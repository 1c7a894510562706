// Stream scans (see StreamMatch): each call prefilters the bytes that arrived since the last
// one and settles every candidate the bytes so far decide. A candidate is decided when the
// longest its right part can be has arrived (plus two bytes, for a class at the pattern's end),
// so its confirm sees exactly what a scan of the whole input would; unbounded right parts and
// end-relative offsets wait for the end. Per signature, candidates are settled in hit order, so
// the match reported is the one scan() reports.
#include <algorithm>
#include <functional>

#include "match/body_matcher.h"

namespace vigil::match {

void StreamMatch::reset() {
  scanned = 0;
  rescan = false;
  // Lists that grew large for one input are released, not kept for the next.
  if (pending.capacity() > kMaxWaiting / 8) std::vector<Candidate>().swap(pending);
  if (at_end.capacity() > kMaxWaiting / 8) std::vector<Candidate>().swap(at_end);
  pending.clear();
  at_end.clear();
  found.clear();
  confirmed.clear();
  plain_found = false;
  abandoned = 0;
}

void StreamMatch::give_up_waiting() {
  rescan = true;
  std::vector<Candidate>().swap(pending);
  std::vector<Candidate>().swap(at_end);
  found.clear();
  confirmed.clear();
  plain_found = false;
  abandoned = 0;  // the whole-input scan counts its own
}

namespace {

bool before(uint64_t end_a, uint32_t sig_a, const StreamMatch::Found& b) {
  return end_a < b.end || (end_a == b.end && sig_a < b.sig);
}

}  // namespace

struct StreamContext {
  enum class Outcome { kWait, kNo, kYes };

  const BodyMatcher* m;
  StreamMatch* stream;
  MatchState* state;
  const uint8_t* data;
  uint64_t size;
  bool final;
  bool all;
  BodyMatcher::Windows w{};

  bool subsig(uint32_t s) const { return m->plan_.sigs[s].is_subsig(); }

  // In first-match mode, a candidate after the best one found cannot be the one reported.
  // Subsignatures are never beaten: every one before the end of the scan counts.
  bool beaten(uint64_t end, uint32_t sig) const {
    if (all || !stream->plain_found || subsig(sig)) return false;
    for (const StreamMatch::Found& f : stream->found) {
      if (!subsig(f.sig) && !before(end, sig, f)) return true;
    }
    return false;
  }

  // Whether the signature has all the occurrences it can use, or is not for this input or
  // this pass (a stream is the first pass; deferred signatures wait for the second).
  bool done(uint32_t s) const {
    const PlannedSig& p = m->plan_.sigs[s];
    if (!p.in_pass(state->facts.type, /*second=*/false)) return true;
    auto it = stream->confirmed.find(s);
    return it != stream->confirmed.end() && it->second >= p.max_hits;
  }

  // Confirms the candidate if the bytes so far decide it; otherwise sets `ready`.
  Outcome settle(uint64_t end, uint32_t s, uint64_t& ready) {
    const PlannedSig& p = m->plan_.sigs[s];
    if (!final) {
      ready = UINT64_MAX;
      // The end, and an executable's layout, are known only once the input is complete.
      if (p.offset().kind == sig::Offset::Kind::kFromEnd || p.offset().exe_relative()) {
        return Outcome::kWait;
      }
      uint64_t right = m->plan_.right_span_max(p);
      if (right >= UINT64_MAX - 2 - end) return Outcome::kWait;
      ready = end + right + 2;
      if (ready > size) return Outcome::kWait;
    }
    uint64_t start = 0;
    if (!confirm_match(m->plan_, p, s, state->gen, data, size, end - (p.frag_end - p.frag_begin),
                       state->memos[s % MatchState::kMemoSlots], start, state->facts.exe)) {
      return Outcome::kNo;
    }
    ++stream->confirmed[s];
    if (!p.is_subsig()) stream->plain_found = true;
    stream->found.push_back(StreamMatch::Found{end, s, start});
    return Outcome::kYes;
  }

  // False when too many wait: the stream then falls back to one whole-input scan at its end.
  bool wait(uint64_t ready, uint64_t end, uint32_t s) {
    if (stream->pending.size() + stream->at_end.size() >= StreamMatch::kMaxWaiting) {
      // A fragment that hits everywhere under a signature that cannot be decided yet: rather
      // than remember every hit, the end scans the whole input as one.
      stream->give_up_waiting();
      return false;
    }
    if (ready == UINT64_MAX) {
      stream->at_end.push_back(StreamMatch::Candidate{ready, end, s});
      return true;
    }
    stream->pending.push_back(StreamMatch::Candidate{ready, end, s});
    std::push_heap(stream->pending.begin(), stream->pending.end(), std::greater<>());
    return true;
  }

  bool settled_already(const StreamMatch::Candidate& c) const {
    return done(c.sig) || beaten(c.end, c.sig);
  }

  // Earlier candidates first: they all end before any new hit. Before the end only those the
  // bytes now decide are looked at, so a call costs what it settles, not all that waits.
  void retry_waiting() {
    std::vector<StreamMatch::Candidate>& heap = stream->pending;
    while (!heap.empty() && (final || heap.front().ready <= size)) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>());
      StreamMatch::Candidate c = heap.back();
      heap.pop_back();
      uint64_t ready = 0;
      if (!settled_already(c) && settle(c.end, c.sig, ready) == Outcome::kWait) {
        wait(ready, c.end, c.sig);  // one out, at most one back in: never over the cap
      }
    }
    if (!final) return;
    for (const StreamMatch::Candidate& c : stream->at_end) {
      uint64_t ready = 0;
      if (!settled_already(c)) settle(c.end, c.sig, ready);
    }
    stream->at_end.clear();
  }

  static int on_hit(unsigned int id, unsigned long long /*from*/, unsigned long long to,
                    unsigned int /*flags*/, void* raw) {
    StreamContext& c = *static_cast<StreamContext*>(raw);
    uint64_t end = c.w.base + to;
    if (end <= c.w.seen_end) return 0;
    const BodyMatcher& m = *c.m;
    if (!m.check_hit(c.data, c.size, id, end)) return 0;
    for (uint32_t i = m.frag_sigs_begin_[id]; i < m.frag_sigs_begin_[id + 1]; ++i) {
      uint32_t s = m.frag_sigs_[i];
      if (c.done(s)) continue;
      uint64_t ready = 0;
      Outcome o = c.settle(end, s, ready);
      if (o == Outcome::kWait && !c.wait(ready, end, s)) {
        c.w.stopped = true;  // the end scans everything again: nothing more to prefilter now
        return 1;
      }
      if (o == Outcome::kYes && !c.all && !c.subsig(s)) {
        c.w.stopped = true;
        return 1;
      }
    }
    return 0;
  }
};

common::Status BodyMatcher::stream_scan(const uint8_t* data, uint64_t size, StreamMatch& stream,
                                        MatchState& state, bool all_matches,
                                        uint64_t window) const {
  return stream_advance(data, size, stream, state, all_matches, false, window);
}

common::Status BodyMatcher::stream_advance(const uint8_t* data, uint64_t size, StreamMatch& stream,
                                           MatchState& state, bool all_matches, bool final,
                                           uint64_t window) const {
  for (ConfirmMemo& memo : state.memos) memo.abandoned = 0;
  const hs_database_t* db = first_database(state.facts.type);
  if (db == nullptr || stream.rescan) {
    stream.scanned = std::max(stream.scanned, size);
    return common::Status::ok();
  }
  if (!final && size <= stream.scanned) return common::Status::ok();
  next_generation(state);
  StreamContext ctx{this, &stream, &state, data, size, final, all_matches};
  ctx.retry_waiting();
  // In first-match mode a hit found ends the prefilter: every later hit comes after it.
  if (size > stream.scanned && (all_matches || !stream.plain_found)) {
    common::Status st = run_windows(db, data, size, stream.scanned, window, state, ctx.w,
                                    &StreamContext::on_hit, &ctx, {});
    if (!st.is_ok()) return st;
  }
  stream.scanned = std::max(stream.scanned, size);
  // After a give-up the whole-input scan at the end counts its own abandoned confirms.
  stream.abandoned = stream.rescan ? 0 : stream.abandoned + state.abandoned();
  return common::Status::ok();
}

common::Status BodyMatcher::stream_finish(const uint8_t* data, uint64_t size, StreamMatch& stream,
                                          MatchState& state, bool all_matches, HitSink sink,
                                          uint64_t window) const {
  common::Status st = stream_advance(data, size, stream, state, all_matches, true, window);
  if (!st.is_ok()) return st;
  if (stream.rescan) {
    st = scan(data, size, state, all_matches, sink, window);
    stream.abandoned += state.abandoned();
    return st;
  }
  std::vector<StreamMatch::Found>& found = stream.found;
  std::sort(found.begin(), found.end(),
            [](const StreamMatch::Found& a, const StreamMatch::Found& b) {
              return before(a.end, a.sig, b);
            });
  for (const StreamMatch::Found& f : found) {
    if (!sink.fn(sink.ctx, f.sig, f.start) || (!all_matches && !plan_.sigs[f.sig].is_subsig())) {
      break;
    }
  }
  return common::Status::ok();
}

}  // namespace vigil::match
