// One scan: allowlist first (an allowlisted input is clean whatever matches, so it costs only
// the digests its size calls for), then the body matcher, then hash signatures (digests
// computed only when some signature has this size), the order ClamAV reports matches in.
// Digests are computed once and shared.
#include "scan/scanner.h"

#include "scan/job.h"

namespace vigil::scan {
namespace {

struct BodySinkCtx {
  const Engine* engine;
  Callback cb;
  vigil_scan_result* result;
  bool stop;
};

bool report(const Engine& e, Callback cb, uint32_t id, vigil_sig_kind kind, uint64_t offset,
            vigil_scan_result& result) {
  ++result.detections;
  if (cb.fn == nullptr) return true;
  vigil_match m{e.names.c_str(id), id, kind, offset, cb.path, cb.depth};
  return cb.fn(&m, cb.user) == 0;
}

bool on_body_hit(void* raw, uint32_t sig, uint64_t start) {
  BodySinkCtx& c = *static_cast<BodySinkCtx*>(raw);
  if (!report(*c.engine, c.cb, sig, VIGIL_SIG_BODY, start, *c.result)) {
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
  auto body = match::BodyMatcher::build(set.body, set.files, set.diags, target);
  if (!body.is_ok()) return body.status();
  engine->body = body.take();
  for (uint32_t i : engine->body->kept()) engine->names.add(set.body[i].name);
  uint32_t hash_base = static_cast<uint32_t>(engine->names.size());
  for (const sig::HashSig& h : set.hashes) engine->names.add(h.name);
  engine->hashes.build(set.hashes, hash_base);
  engine->allow.build(set.allow, 0);

  vigil_engine_stats& st = engine->stats;
  st.struct_size = sizeof st;
  st.body_signatures = engine->body->signature_count();
  st.hash_signatures = set.hashes.size();
  st.allowlist_entries = set.allow.size();
  st.ignored_signatures = set.ignored;
  st.skipped_lines = set.skipped + (set.body.size() - engine->body->signature_count());
  st.fragments = engine->body->fragment_count();
  return engine;
}

common::Result<std::unique_ptr<Scratch>> make_scratch(const Engine& engine) {
  auto s = std::make_unique<Scratch>();
  s->engine = &engine;
  common::Status st = engine.body->prepare(s->match);
  if (!st.is_ok()) return st;
  return s;
}

namespace {

// One level: the allowlist (an allowlisted input is clean, members and all), the members
// inside it (deepest first, so a detection carries the most precise path), then the level's
// own bytes: the body matcher (run by `body`, which reports through the sink it is given and
// sets level.incomplete), then the hash signatures.
template <typename BodyFn>
common::Status scan_level(Job& job, const uint8_t* data, uint64_t size, uint32_t depth,
                          bool& allowlisted, BodyFn&& body) {
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
  // Body signatures before hash signatures, as ClamAV reports them: a file both match is
  // named after its body signature, and with ALLMATCH the body matches come first.
  BodySinkCtx ctx{&engine, cb, &level, false};
  st = body(match::HitSink{&on_body_hit, &ctx}, job.all(), level);
  bool stopped = ctx.stop;
  if (st.is_ok() && !stopped && (job.all() || level.detections == 0)) {
    st = lookup(engine.hashes, data, size, digests, scratch.hash_hits);
    for (uint32_t id : scratch.hash_hits) {
      if (!st.is_ok()) break;
      if (!report(engine, cb, id, VIGIL_SIG_HASH, VIGIL_OFFSET_NONE, level)) {
        stopped = true;
        break;
      }
      if (!job.all()) break;
    }
  }
  job.add(level, stopped);
  return st;
}

common::Status scan_stream(Job& job, Stream& stream, uint32_t depth, bool& allowlisted,
                           uint64_t window) {
  const uint8_t* data = stream.data.data();
  const uint64_t size = stream.data.size();
  return scan_level(job, data, size, depth, allowlisted,
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
  common::Status st = scan_level(job, data, size, 0, allowlisted,
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
  if (stream.data.capacity() > kStreamKeepCapacity) {
    std::vector<uint8_t>().swap(stream.data);
  } else {
    stream.data.clear();
  }
}

}  // namespace vigil::scan
