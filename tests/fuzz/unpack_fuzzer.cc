// Fuzzes the unpacker: the input is scanned as a file that may be an archive or a compressed
// stream (any format libarchive reads, nested), a message or a PDF, with small limits so that every
// input is cheap, by buffer and as a stream given in pieces. Beyond "no crash, no leak, no hang":
// both ways report the same detections with the same member paths; counts agree with the callback;
// a path never goes deeper than the recursion limit; heuristic alerts carry no signature id;
// first-match reports at most one; the scan info stays within the limits.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "vigil/vigil.h"

namespace {

constexpr uint32_t kMaxRecursion = 6;
constexpr uint32_t kMaxFiles = 64;
constexpr uint64_t kMaxFileSize = 256 << 10;
constexpr uint64_t kMaxScanSize = 1 << 20;

struct Fixture {
  vigil::fuzz::EnginePtr engine;
  vigil::fuzz::ScratchPtr scratch;
};

const Fixture& fixture() {
  static const Fixture* fx = [] {
    auto* f = new Fixture;
    vigil_load_options* opts = nullptr;
    FUZZ_CHECK(vigil_load_options_new(&opts) == VIGIL_OK);
    vigil::fuzz::OptionsPtr owner(opts);
    // "MARKER" anywhere, and the MD5 of "hello\n".
    const char kNdb[] = "Fz.Marker:0:*:4d41524b4552\n";
    const char kHdb[] = "b1946ac92492d2347c6235b4d2611184:6:Fz.Hello\n";
    FUZZ_CHECK(vigil_load_options_add_memory(opts, "f.ndb", kNdb, sizeof kNdb - 1) == VIGIL_OK);
    FUZZ_CHECK(vigil_load_options_add_memory(opts, "f.hdb", kHdb, sizeof kHdb - 1) == VIGIL_OK);
    vigil_engine* e = nullptr;
    FUZZ_CHECK(vigil_engine_load(opts, &e, nullptr) == VIGIL_OK);
    f->engine.reset(e);
    vigil_scratch* s = nullptr;
    FUZZ_CHECK(vigil_scratch_new(e, &s) == VIGIL_OK);
    f->scratch.reset(s);
    vigil_scan_limits l{};
    l.struct_size = sizeof l;
    FUZZ_CHECK(vigil_scan_limits_default(&l) == VIGIL_OK);
    l.max_recursion = kMaxRecursion;
    l.max_files = kMaxFiles;
    l.max_file_size = kMaxFileSize;
    l.max_scan_size = kMaxScanSize;
    l.max_scan_time_ms = 5000;
    FUZZ_CHECK(vigil_scratch_set_limits(s, &l) == VIGIL_OK);
    return f;
  }();
  return *fx;
}

struct Seen {
  std::string name;
  uint32_t id;
  vigil_sig_kind kind;
  std::vector<std::string> path;
  bool operator==(const Seen&) const = default;
};

int record(const vigil_match* m, void* user) {
  FUZZ_CHECK(m->name != nullptr && m->name[0] != '\0');
  FUZZ_CHECK(m->path_depth <= kMaxRecursion);
  FUZZ_CHECK((m->path_depth == 0) == (m->path == nullptr));
  Seen s{m->name, m->signature_id, m->kind, {}};
  for (uint32_t i = 0; i < m->path_depth; ++i) {
    FUZZ_CHECK(m->path[i] != nullptr);
    s.path.emplace_back(m->path[i]);
  }
  if (m->kind == VIGIL_SIG_HEURISTIC) {
    FUZZ_CHECK(m->signature_id == VIGIL_SIGNATURE_ID_NONE);
    FUZZ_CHECK(std::strncmp(m->name, "Heuristics.", 11) == 0);
  } else {
    FUZZ_CHECK(m->signature_id < 2);
  }
  static_cast<std::vector<Seen>*>(user)->push_back(std::move(s));
  return 0;
}

constexpr uint32_t kAlerts =
    VIGIL_SCAN_ALERT_ENCRYPTED | VIGIL_SCAN_ALERT_BROKEN | VIGIL_SCAN_ALERT_EXCEEDS_MAX;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& fx = fixture();
  for (uint32_t flags : {uint32_t{0}, VIGIL_SCAN_ALLMATCH | kAlerts}) {
    std::vector<Seen> by_buffer;
    vigil_scan_result r{};
    FUZZ_CHECK(vigil_scan_buffer(fx.engine.get(), fx.scratch.get(), data, size, flags, record,
                                 &by_buffer, &r) == VIGIL_OK);
    FUZZ_CHECK(r.detections == by_buffer.size());
    if ((flags & VIGIL_SCAN_ALLMATCH) == 0) FUZZ_CHECK(by_buffer.size() <= 1);
    FUZZ_CHECK(r.bytes_scanned >= size && r.bytes_scanned <= size + kMaxScanSize);
    vigil_scan_info info{};
    info.struct_size = sizeof info;
    FUZZ_CHECK(vigil_scratch_get_scan_info(fx.scratch.get(), &info) == VIGIL_OK);
    FUZZ_CHECK(info.max_depth <= kMaxRecursion);
    FUZZ_CHECK(info.bytes_scanned == r.bytes_scanned);
    FUZZ_CHECK(info.members <= info.containers * kMaxFiles);
    if (info.limits_exceeded != 0 || info.encrypted != 0 || info.broken != 0) {
      FUZZ_CHECK(r.incomplete != 0);
    }

    // The same bytes as a stream, in pieces of a size the input picks.
    vigil_stream* raw = nullptr;
    FUZZ_CHECK(vigil_stream_new(fx.engine.get(), flags, 0, &raw) == VIGIL_OK);
    std::unique_ptr<vigil_stream, void (*)(vigil_stream*)> stream(raw, vigil_stream_free);
    const size_t piece = 1 + (size != 0 ? data[size - 1] % 97 : 0);
    for (size_t at = 0; at < size; at += piece) {
      size_t n = piece < size - at ? piece : size - at;
      FUZZ_CHECK(vigil_stream_write(stream.get(), (at / piece) % 2 ? fx.scratch.get() : nullptr,
                                    data + at, n) == VIGIL_OK);
    }
    std::vector<Seen> by_stream;
    vigil_scan_result sr{};
    FUZZ_CHECK(vigil_stream_finish(stream.get(), fx.scratch.get(), record, &by_stream, &sr) ==
               VIGIL_OK);
    // A scan-time limit could cut one and not the other; it is far above what inputs take.
    FUZZ_CHECK(by_stream == by_buffer);
    FUZZ_CHECK(sr.bytes_scanned == r.bytes_scanned);
  }
  return 0;
}
