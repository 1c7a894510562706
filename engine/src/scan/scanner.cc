// One scan: allowlist first (an allowlisted input is clean whatever matches, so it costs only
// the digests its size calls for), then the body matcher, whose subsignature hits feed the
// logical signatures evaluated after it, then hash signatures (digests computed only when some
// signature has this size), the order ClamAV reports matches in. Digests are computed once
// and shared.
#include "scan/scanner.h"

#include <algorithm>

#include "format/format.h"
#include "scan/job.h"
#include "scan/text_layers.h"

namespace vigil::scan {
namespace {

struct BodySinkCtx {
  Job* job;
  Callback cb;
  vigil_scan_result* result;
  bool stop;
};

// Signatures reported for the level so far (Scratch::reported): a text input is matched raw
// and normalized, and a signature found in both is still one detection.
bool first_report(std::vector<uint32_t>& reported, uint32_t id) {
  if (std::find(reported.begin(), reported.end(), id) != reported.end()) return false;
  reported.push_back(id);
  return true;
}

bool report(const Engine& e, Callback cb, uint32_t id, vigil_sig_kind kind, uint64_t offset,
            vigil_scan_result& result) {
  ++result.detections;
  if (cb.fn == nullptr) return true;
  vigil_match m{e.names.c_str(id), id, kind, offset, cb.path, cb.depth};
  return cb.fn(&m, cb.user) == 0;
}

bool on_body_hit(void* raw, uint32_t sig, uint64_t start) {
  BodySinkCtx& c = *static_cast<BodySinkCtx*>(raw);
  const Engine& engine = c.job->engine;
  Scratch& scratch = c.job->scratch;
  if (engine.logical.slot_of(sig) != LogicalTable::kPlain) {
    engine.logical.hit(scratch.logical, sig, start);
    return true;
  }
  if (!first_report(scratch.reported, sig)) return true;
  if (!report(engine, c.cb, sig, VIGIL_SIG_BODY, start, *c.result)) {
    c.stop = true;
    return false;
  }
  return true;
}

// Looks the input up in `table`, computing (into `digests`, shared by both tables) only the
// digest types some entry of this size needs. `hits` gets the matching ids.
common::Status lookup(const hash::HashTable& table, const uint8_t* data, uint64_t size,
                      hash::Digests& digests, std::vector<uint32_t>& hits) {
  hits.clear();
  if (table.empty()) return common::Status::ok();
  auto want = table.wanted_for_size(size);
  if (!want[0] && !want[1] && !want[2]) return common::Status::ok();
  common::Status st = hash::compute_digests(data, size, want, digests);
  if (st.is_ok()) table.lookup(size, digests, hits);
  return st;
}

}  // namespace

common::Result<std::unique_ptr<Engine>> build_engine(sig::SignatureSet& set,
                                                     const match::HsTarget& target) {
  auto engine = std::make_unique<Engine>();
  auto body = match::BodyMatcher::build(set.body, set.files, set.diags, target, &set.logical);
  if (!body.is_ok()) return body.status();
  engine->body = body.take();
  auto logical = LogicalTable::build(set, engine->body->kept(), set.diags);
  if (!logical.is_ok()) return logical.status();
  engine->logical = logical.take();
  common::Status passes = engine->logical.set_passes(engine->body->deferred());
  if (!passes.is_ok()) return common::Status(VIGIL_ERR_INTERNAL, passes.message());
  uint64_t plain = 0, plain_total = 0;
  // Plain .ndb signatures, macro group members included (they are never reported: no name).
  for (const sig::BodySig& b : set.body) plain_total += b.logical == sig::kNotLogical ? 1 : 0;
  for (uint32_t i : engine->body->kept()) {
    bool is_plain = set.body[i].logical == sig::kNotLogical;
    plain += is_plain ? 1 : 0;
    engine->names.add(!set.body[i].counted() ? std::string_view(set.body[i].name)
                                             : std::string_view());
  }
  uint32_t hash_base = static_cast<uint32_t>(engine->names.size());
  for (const sig::HashSig& h : set.hashes) engine->names.add(h.name);
  engine->hashes.build(set.hashes, hash_base);
  engine->allow.build(set.allow, 0);
  engine->logical_base = static_cast<uint32_t>(engine->names.size());
  for (uint32_t li : engine->logical.kept()) engine->names.add(set.logical[li].name);
  uint32_t section_base = static_cast<uint32_t>(engine->names.size());
  for (const sig::HashSig& h : set.section_hashes) engine->names.add(h.name);
  engine->sections.build(set.section_hashes, section_base);

  vigil_engine_stats& st = engine->stats;
  st.struct_size = sizeof st;
  st.body_signatures = plain;
  st.logical_signatures = engine->logical.size();
  st.section_hash_signatures = set.section_hashes.size();
  st.hash_signatures = set.hashes.size();
  st.allowlist_entries = set.allow.size();
  st.ignored_signatures = set.ignored;
  st.skipped_lines =
      set.skipped + (plain_total - plain) + (set.logical.size() - engine->logical.size());
  st.fragments = engine->body->fragment_count();
  return engine;
}

common::Result<std::unique_ptr<Scratch>> make_scratch(const Engine& engine) {
  auto s = std::make_unique<Scratch>();
  s->engine = &engine;
  common::Status st = engine.body->prepare(s->match);
  if (!st.is_ok()) return st;
  engine.logical.prepare(s->logical);
  return s;
}

namespace {

// Whether the level still takes detections: nothing asked to stop, and all-match mode or none
// found yet.
bool wants_more(const Job& job, const vigil_scan_result& level, bool stopped) {
  return !stopped && (job.all() || level.detections == 0);
}

// Reports a whole-input detection (logical or hash) once per level; false when the level
// takes no more.
bool report_once(Job& job, const Callback& cb, uint32_t id, vigil_sig_kind kind,
                 vigil_scan_result& level, bool& stopped) {
  if (!first_report(job.scratch.reported, id)) return true;
  if (!report(job.engine, cb, id, kind, VIGIL_OFFSET_NONE, level)) {
    stopped = true;
    return false;
  }
  return job.all();
}

// Evaluates the logical signatures the last matcher run touched (or forgets them when that run
// failed or the level takes no more detections), after the matcher's second pass over the same
// bytes when a first-pass hit called for it. Returns `st` or the second pass's failure.
common::Status finish_logical(Job& job, const LogicalFacts& facts, common::Status st,
                              BodySinkCtx& ctx, vigil_scan_result& level, bool& stopped) {
  const Engine& engine = job.engine;
  Scratch& scratch = job.scratch;
  LogicalState& state = scratch.logical;
  if (st.is_ok() && wants_more(job, level, stopped) && engine.logical.wants_second(state, facts)) {
    const uint32_t before = scratch.match.abandoned();
    st = engine.body->scan_second(facts.data, facts.size, scratch.match,
                                  match::HitSink{&on_body_hit, &ctx});
    level.incomplete += scratch.match.abandoned() - before;
  }
  if (!st.is_ok() || !wants_more(job, level, stopped)) {
    engine.logical.reset(state);
    return st;
  }
  engine.logical.finish(state, facts, [&](uint32_t index) {
    return report_once(job, ctx.cb, engine.logical_base + index, VIGIL_SIG_LOGICAL, level, stopped);
  });
  level.incomplete += state.limited;  // PCRE searches a work limit ended
  state.limited = 0;
  return st;
}

// The normalized layers of a text input, each matched on its own (see text_layers.h).
common::Status scan_text_layers(Job& job, const uint8_t* data, uint64_t size,
                                const InputFacts& facts, BodySinkCtx& ctx, vigil_scan_result& level,
                                bool& stopped) {
  Scratch& scratch = job.scratch;
  std::string& a = scratch.text_layers[0];
  std::string& b = scratch.text_layers[1];
  std::string& c = scratch.text_layers[2];
  a.clear();
  b.clear();
  c.clear();
  if (facts.type == sig::kTargetHtml) {
    normalize_html(data, size, a, b, c);
  } else {
    normalize_text(data, size, a);
  }
  common::Status st;
  for (const std::string* layer : {&a, &b, &c}) {
    if (layer->empty() || !wants_more(job, level, stopped)) continue;
    const auto* bytes = reinterpret_cast<const uint8_t*>(layer->data());
    scratch.match.facts = facts.matcher(facts.type);
    st = job.engine.body->scan(bytes, layer->size(), scratch.match, job.all(),
                               match::HitSink{&on_body_hit, &ctx});
    level.incomplete += scratch.match.abandoned();
    stopped = stopped || ctx.stop;
    st = finish_logical(job, facts.logical(facts.type, bytes, layer->size(), size, job.parents), st,
                        ctx, level, stopped);
    if (!st.is_ok()) break;
  }
  for (std::string* layer : {&a, &b, &c}) {
    if (layer->capacity() > kStreamKeepCapacity) std::string().swap(*layer);
  }
  return st;
}

// Hash signatures of `table` for data[0, size), computing into `digests` only what entries of
// this size need.
common::Status report_hashes(Job& job, const hash::HashTable& table, const uint8_t* data,
                             uint64_t size, hash::Digests& digests, const Callback& cb,
                             vigil_scan_result& level, bool& stopped) {
  common::Status st = lookup(table, data, size, digests, job.scratch.hash_hits);
  if (!st.is_ok()) return st;
  for (uint32_t id : job.scratch.hash_hits) {
    if (!report_once(job, cb, id, VIGIL_SIG_HASH, level, stopped)) break;
  }
  return st;
}

// PE section hash signatures: each section's raw data that lies inside the input.
common::Status report_section_hashes(Job& job, const uint8_t* data, uint64_t size,
                                     const InputFacts& facts, const Callback& cb,
                                     vigil_scan_result& level, bool& stopped) {
  if (job.engine.sections.empty() || !facts.exe || facts.type != sig::kTargetPe) {
    return common::Status::ok();
  }
  for (const sig::SectionSpan& s : facts.sections) {
    if (!wants_more(job, level, stopped)) break;
    if (s.offset > size || s.size > size - s.offset) continue;
    hash::Digests digests;
    common::Status st = report_hashes(job, job.engine.sections, data + s.offset, s.size, digests,
                                      cb, level, stopped);
    if (!st.is_ok()) return st;
  }
  return common::Status::ok();
}

// One level: the allowlist (an allowlisted input is clean, members and all), the members
// inside it (deepest first, so a detection carries the most precise path), then the level's
// own bytes: the body matcher (run by `body`, which reports through the sink it is given and
// sets level.incomplete), then the hash signatures.
template <typename BodyFn>
common::Status scan_level(Job& job, const uint8_t* data, uint64_t size, uint32_t depth,
                          InputFacts& facts, bool& allowlisted, BodyFn&& body) {
  const Engine& engine = job.engine;
  Scratch& scratch = job.scratch;
  allowlisted = false;
  hash::Digests digests;
  common::Status st = lookup(engine.allow, data, size, digests, scratch.hash_hits);
  if (!st.is_ok()) return st;
  if (!scratch.hash_hits.empty()) {
    allowlisted = true;
    return common::Status::ok();
  }
  // The level's bytes count as examined even when a member's detection ends the scan first.
  job.result.bytes_scanned += size;
  st = descend(job, data, size, depth + 1);
  if (!st.is_ok() || job.stop) return st;

  vigil_scan_result level{};
  const Callback cb = job.here();
  if (!facts.exe_read) facts.parse_exe(data, size);
  // Body signatures before logical and hash signatures, as ClamAV reports them: a file both
  // match is named after its body signature, and with ALLMATCH the body matches come first.
  scratch.reported.clear();
  BodySinkCtx ctx{&job, cb, &level, false};
  bool stopped = false;
  // ClamAV matches HTML only in its normalized forms, never as raw bytes.
  if (facts.type != sig::kTargetHtml) {
    const uint8_t layer = raw_layer_type(facts.type);
    scratch.match.facts = facts.matcher(layer);
    st = body(match::HitSink{&on_body_hit, &ctx}, job.all(), level);
    stopped = ctx.stop;
    st = finish_logical(job, facts.logical(layer, data, size, size, job.parents), st, ctx, level,
                        stopped);
  }
  if (st.is_ok() && wants_more(job, level, stopped) &&
      (facts.type == sig::kTargetAscii || facts.type == sig::kTargetHtml)) {
    st = scan_text_layers(job, data, size, facts, ctx, level, stopped);
  }
  if (st.is_ok() && wants_more(job, level, stopped)) {
    st = report_hashes(job, engine.hashes, data, size, digests, cb, level, stopped);
  }
  if (st.is_ok() && wants_more(job, level, stopped)) {
    st = report_section_hashes(job, data, size, facts, cb, level, stopped);
  }
  job.add(level, stopped);
  return st;
}

common::Status scan_stream(Job& job, Stream& stream, uint32_t depth, bool& allowlisted,
                           uint64_t window) {
  const uint8_t* data = stream.data.data();
  const uint64_t size = stream.data.size();
  stream.facts.identify(data, size, /*whole=*/true);
  return scan_level(job, data, size, depth, stream.facts, allowlisted,
                    [&](match::HitSink sink, bool all, vigil_scan_result& level) {
                      common::Status s = job.engine.body->stream_finish(
                          data, size, stream.match, job.scratch.match, all, sink, window);
                      level.incomplete = stream.match.abandoned;
                      return s;
                    });
}

}  // namespace

Scratch::Scratch() = default;
Scratch::~Scratch() = default;

common::Status scan_member(Job& job, Stream& stream, uint32_t depth, bool& allowlisted) {
  return scan_stream(job, stream, depth, allowlisted, match::kDefaultWindow);
}

common::Status scan_bytes(const Engine& engine, Scratch& scratch, const uint8_t* data,
                          uint64_t size, uint32_t flags, Callback cb, vigil_scan_result& result,
                          uint64_t window, common::ReleaseHook release) {
  Job job(engine, scratch, flags, cb);
  bool allowlisted = false;
  InputFacts facts;
  facts.identify(data, size, /*whole=*/true);
  common::Status st = scan_level(job, data, size, 0, facts, allowlisted,
                                 [&](match::HitSink sink, bool all, vigil_scan_result& level) {
                                   common::Status s = engine.body->scan(data, size, scratch.match,
                                                                        all, sink, window, release);
                                   level.incomplete = scratch.match.abandoned();
                                   return s;
                                 });
  job.finish(result, allowlisted, size);
  return st;
}

common::Status stream_write(Stream& stream, const uint8_t* data, size_t size) {
  if (stream.max_size != 0 && size > stream.max_size - stream.data.size()) {
    return common::Status(VIGIL_ERR_LIMIT, "stream larger than its limit of " +
                                               std::to_string(stream.max_size) + " bytes");
  }
  stream.data.insert(stream.data.end(), data, data + size);
  return common::Status::ok();
}

common::Status stream_scan(Stream& stream, Scratch& scratch, uint64_t window) {
  if (stream.data.size() - stream.match.scanned < stream.batch) return common::Status::ok();
  // Target-typed signatures are filtered as hits come, so nothing is matched before the input
  // is typed.
  if (!stream.facts.typed) {
    if (stream.data.size() < format::kIdentifyBytes) return common::Status::ok();
    stream.facts.identify(stream.data.data(), stream.data.size(), /*whole=*/false);
  }
  scratch.match.facts = stream.facts.matcher(raw_layer_type(stream.facts.type));
  return stream.engine->body->stream_scan(stream.data.data(), stream.data.size(), stream.match,
                                          scratch.match, (stream.flags & VIGIL_SCAN_ALLMATCH) != 0,
                                          window);
}

common::Status stream_finish(Stream& stream, Scratch& scratch, Callback cb,
                             vigil_scan_result& result, uint64_t window) {
  Job job(*stream.engine, scratch, stream.flags, cb);
  bool allowlisted = false;
  common::Status st = scan_stream(job, stream, 0, allowlisted, window);
  job.finish(result, allowlisted, stream.data.size());
  return st;
}

void stream_reset(Stream& stream) {
  stream.match.reset();
  stream.facts.reset();
  if (stream.data.capacity() > kStreamKeepCapacity) {
    std::vector<uint8_t>().swap(stream.data);
  } else {
    stream.data.clear();
  }
}

}  // namespace vigil::scan
