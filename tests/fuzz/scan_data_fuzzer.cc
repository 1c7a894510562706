// Fuzzes scanning: the input is the scanned data, the engine is fixed (built once) from body
// signatures that use every construct of the hex grammar and every offset form, plus hash
// signatures (one with size "*") and an allowlist entry. Each input is scanned first-match and
// all-match through the public API, by buffer and by descriptor (memfd, pipe), and all-match
// through the scan module with a tiny prefilter window, so matches straddle window edges.
// Verdicts are checked against a naive reference matcher and the hash/allowlist contents.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "format/format.h"
#include "fuzz_check.h"
#include "reference_matcher.h"
#include "scan/scanner.h"
#include "scan/text_layers.h"
#include "sig/offset.h"
#include "sig/pattern.h"
#include "sig/signature_set.h"
#include "vigil/vigil.h"

namespace {

namespace sig = vigil::sig;
using vigil::fuzz::Hit;

// One signature per construct; names say what each exercises.
constexpr char kNdb[] =
    "Fz.Any:0:*:deadbeef??cafe\n"
    "Fz.QQ:0:*:414243??4445\n"
    "Fz.NibLo:0:*:6e69626c6f4?21\n"
    "Fz.NibHi:0:*:?16e696268\n"
    "Fz.Star:0:*:7374617274*656e64\n"
    "Fz.Fixed:0:*:6669786564{4}676170\n"
    "Fz.UpTo:0:*:7570{-3}746f21\n"
    "Fz.AtLeast:0:*:6c65617374{2-}2121\n"
    "Fz.Range:0:*:72616e{1-5}676521\n"
    "Fz.Alt:0:*:616c74(aa|bb)2121\n"
    "Fz.AltWide:0:*:(aabb|ccdd)6d756c7469\n"
    "Fz.Neg:0:*:6e6567!(aa|bb)6e6567\n"
    "Fz.NegWide:0:*:6e6d!(6162|6364|6566)6e6d21\n"
    "Fz.Nested:0:*:6e6573(aa|bb(cc|dd)ee)746564\n"
    "Fz.DeepNest:0:*:6470(61|62(63|64(65|66)))7468\n"
    "Fz.AltVar:0:*:616c(61|6161)(62|6262)(63|6363)6c61\n"
    "Fz.GapInAlt:0:*:6669(61{2}62|63)6e616c\n"
    "Fz.Anchor:0:*:aa[1-4]bbcc\n"
    "Fz.AnchorEnd:0:*:656e64616e63686f72[2-3]ff\n"
    "Fz.B:0:*:(B)776f7264(B)\n"
    "Fz.BMid:0:*:6d6964(B)6d6964\n"
    "Fz.L:0:*:(L)6c696e65(L)\n"
    "Fz.LMid:0:*:6c6d6964(L)6c6d6964\n"
    "Fz.W:0:*:7768(W)776877\n"
    "Fz.Off0:0:0:7f454c46\n"
    "Fz.Off0Gap:0:0:4d5a{2-6}5045\n"
    "Fz.EOF:0:EOF-4:54524c52\n"
    "Fz.EOFShift:0:EOF-16,8:656f66736874\n"
    "Fz.Shift:0:10,20:7368696674\n"
    "Fz.Patho:0:*:6161{0-8}6161{0-8}6161{0-8}616162\n"
    "Fz.Zeros:0:*:0000000000{2}ff00\n"
    "Fz.Share1:0:*:736861726564??01\n"
    "Fz.Share2:0:*:736861726564(02|03)\n"
    "Fz.Long:0:*:"
    "746869732d69732d612d6c6f6e672d667261676d656e742d6f662d666f7274792d62797465732121\n";

// Hash signatures: MD5 with size "*" (needs the flevel field), SHA256 and SHA1 with a size.
constexpr char kHdb[] =
    "362e8056e8e71d4d232a5e31134dc70a:*:Fz.Hash.Any:73\n"
    "3e99b83b2db633b14c348f5bf0dc79769e850bbad3b53b772b10a45d6a02427b:22:Fz.Hash.Sized\n";
constexpr char kHsb[] = "9eb3fcb92ce66112276fb5c68aa2c842f988b788:22:Fz.Hash.Sha1\n";
constexpr char kFp[] = "bcc18a6a7351cb0946cd2189d96dba3c:31:Fz.Allowed\n";

// What each hash signature's file holds, and the allowlisted file (it also holds Fz.Any's body).
const std::map<std::string, std::string_view> kHashContent = {
    {"Fz.Hash.Any", "vigil fuzz hash any\n"},
    {"Fz.Hash.Sized", "vigil fuzz hash sized\n"},
    {"Fz.Hash.Sha1", "vigil fuzz sha1 sized\n"}};
constexpr std::string_view kAllowed("\xde\xad\xbe\xef\x00\xca\xfe vigil fuzz allowlisted\n", 31);

// A body signature as the reference sees it, parsed from kNdb with the sig facade.
struct Body {
  std::string name;
  sig::Sequence pattern;
  sig::Offset offset;
};

std::map<std::string, Body> parse_ndb(std::string_view text) {
  std::map<std::string, Body> out;
  while (!text.empty()) {
    std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1), c3 = line.find(':', c2 + 1);
    FUZZ_CHECK(c3 != std::string_view::npos);
    auto offset = sig::parse_offset(line.substr(c2 + 1, c3 - c2 - 1));
    auto pattern = sig::parse_hex_pattern(line.substr(c3 + 1));
    FUZZ_CHECK(offset.is_ok() && pattern.is_ok());
    Body b{std::string(line.substr(0, c1)), pattern.take(), offset.value()};
    out.emplace(b.name, std::move(b));
  }
  return out;
}

struct Fixture {
  vigil_engine* engine = nullptr;
  vigil_scratch* scratch = nullptr;
  uint64_t signature_count = 0;
  std::unique_ptr<vigil::scan::Engine> internal;
  std::unique_ptr<vigil::scan::Scratch> internal_scratch;
  std::vector<Body> body;  // by signature id
};

std::vector<sig::Source> sources() {
  return {
      {"fz.ndb", true, kNdb}, {"fz.hdb", true, kHdb}, {"fz.hsb", true, kHsb}, {"fz.fp", true, kFp}};
}

[[noreturn]] void die_with_diagnostics(const vigil_diagnostics* diags) {
  for (size_t i = 0; i < vigil_diagnostics_count(diags); ++i) {
    vigil_diagnostic d{};
    vigil_diagnostics_get(diags, i, &d);
    std::fprintf(stderr, "%s:%u: %s: %s\n", d.file, d.line, d.signature, d.message);
  }
  std::fprintf(stderr, "scan_data: the fixed signature set no longer loads cleanly\n");
  std::abort();
}

// Built once per process and kept (reachable, so not a leak) for every input.
const Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    vigil_load_options* opts = nullptr;
    FUZZ_CHECK(vigil_load_options_new(&opts) == VIGIL_OK);
    for (const sig::Source& s : sources()) {
      FUZZ_CHECK(vigil_load_options_add_memory(opts, s.name.c_str(), s.bytes.data(),
                                               s.bytes.size()) == VIGIL_OK);
    }
    vigil_diagnostics* diags = nullptr;
    vigil_status st = vigil_engine_load(opts, &fx->engine, &diags);  // strict
    vigil_load_options_free(opts);
    if (st != VIGIL_OK || vigil_diagnostics_count(diags) != 0) die_with_diagnostics(diags);
    vigil_diagnostics_free(diags);
    FUZZ_CHECK(vigil_scratch_new(fx->engine, &fx->scratch) == VIGIL_OK);
    vigil_engine_stats stats{};
    stats.struct_size = sizeof stats;
    FUZZ_CHECK(vigil_engine_get_stats(fx->engine, &stats) == VIGIL_OK);
    fx->signature_count = stats.body_signatures + stats.hash_signatures;

    sig::SignatureSet set = sig::load_sources(sources(), sig::LoadFlags{});
    auto built = vigil::scan::build_engine(set);
    FUZZ_CHECK(built.is_ok() && set.diags.empty());
    fx->internal = built.take();
    auto scratch = vigil::scan::make_scratch(*fx->internal);
    FUZZ_CHECK(scratch.is_ok());
    fx->internal_scratch = scratch.take();
    FUZZ_CHECK(fx->internal->body->signature_count() == stats.body_signatures);
    FUZZ_CHECK(fx->internal->names.size() == fx->signature_count);
    std::map<std::string, Body> parsed = parse_ndb(kNdb);
    FUZZ_CHECK(parsed.size() == stats.body_signatures);
    for (uint32_t id = 0; id < stats.body_signatures; ++id) {
      auto it = parsed.find(std::string(fx->internal->names[id]));
      FUZZ_CHECK(it != parsed.end());
      fx->body.push_back(it->second);
    }
    return fx;
  }();
  return *f;
}

// All-match scan of a descriptor through the public API (rewound first).
std::vector<Hit> scan_fd_all(const Fixture& fx, int fd, size_t size) {
  std::vector<Hit> hits;
  vigil_scan_result result{};
  FUZZ_CHECK(vigil_scan_fd(fx.engine, fx.scratch, fd,
                           VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_NO_CONTAINERS, &vigil::fuzz::record_hit,
                           &hits, &result) == VIGIL_OK);
  FUZZ_CHECK(result.bytes_scanned == size && result.detections == hits.size());
  return hits;
}

std::vector<Hit> sorted(std::vector<Hit> hits) {
  std::sort(hits.begin(), hits.end());
  return hits;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& fx = fixture();
  std::vector<Hit> hits =
      vigil::fuzz::scan_both_ways(fx.engine, fx.scratch, data, size, fx.signature_count);
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // The same signatures through the scan module, with a window so small that nearly every
  // match crosses a window edge, must report exactly the same (signature, offset) pairs.
  const uint64_t window = 1 + size % 61;
  std::vector<Hit> windowed;
  vigil_scan_result result{};
  vigil::common::Status st = vigil::scan::scan_bytes(
      *fx.internal, *fx.internal_scratch, data, size,
      VIGIL_SCAN_ALLMATCH | VIGIL_SCAN_NO_CONTAINERS,
      vigil::scan::Callback{&vigil::fuzz::record_hit, &windowed}, result, window);
  FUZZ_CHECK(st.is_ok());
  if (sorted(windowed) != sorted(hits)) {
    std::fprintf(stderr, "window %llu: %zu hits, default window: %zu hits\n",
                 static_cast<unsigned long long>(window), windowed.size(), hits.size());
    FUZZ_CHECK(sorted(windowed) == sorted(hits));
  }

  // The same bytes arriving by descriptor: a memfd is a regular file (read into the scratch's
  // buffer), a pipe is spooled to a temporary file and mapped. Verdicts must not change.
  int mfd = memfd_create("scan_data", MFD_CLOEXEC);
  FUZZ_CHECK(mfd >= 0);
  FUZZ_CHECK(size == 0 || write(mfd, data, size) == static_cast<ssize_t>(size));
  FUZZ_CHECK(scan_fd_all(fx, mfd, size) == hits);
  close(mfd);
  int pipefd[2];
  if (size <= 4096 && pipe(pipefd) == 0) {  // fits the pipe buffer: no writer thread needed
    FUZZ_CHECK(size == 0 || write(pipefd[1], data, size) == static_cast<ssize_t>(size));
    close(pipefd[1]);
    FUZZ_CHECK(scan_fd_all(fx, pipefd[0], size) == hits);
    close(pipefd[0]);
  }

  // Allowlist and hash signatures: exact contents.
  const bool allowed = text == kAllowed;
  vigil_scan_result r{};
  FUZZ_CHECK(vigil_scan_buffer(fx.engine, fx.scratch, data, size, VIGIL_SCAN_NO_CONTAINERS, nullptr,
                               nullptr, &r) == VIGIL_OK);
  FUZZ_CHECK(r.allowlisted == (allowed ? 1u : 0u));
  if (allowed) {
    FUZZ_CHECK(hits.empty());
    return 0;
  }
  std::vector<bool> found(fx.signature_count, false);
  for (const Hit& h : hits) found[h.id] = true;
  for (uint32_t id = static_cast<uint32_t>(fx.body.size()); id < fx.signature_count; ++id) {
    auto it = kHashContent.find(std::string(fx.internal->names[id]));
    FUZZ_CHECK(it != kHashContent.end());
    FUZZ_CHECK(found[id] == (text == it->second));
  }

  // Body signatures against the reference, where it can judge. ASCII text is matched as its
  // bytes and as its normalized layer (lowercased, whitespace collapsed), each at offsets of
  // its own: a hit must hold in one of them, and a signature is found when either holds it.
  // HTML is matched only in layers the reference cannot build (markup and scripts rewritten).
  const auto type = static_cast<uint8_t>(vigil::format::identify_file(data, size));
  if (type == vigil::sig::kTargetHtml) return 0;
  std::string layer;
  if (type == vigil::sig::kTargetAscii) vigil::scan::normalize_text(data, size, layer);
  const auto* layer_bytes = reinterpret_cast<const uint8_t*>(layer.data());
  vigil::fuzz::ReferenceMatcher ref(data, size), ref_layer(layer_bytes, layer.size());
  const bool layered = type == vigil::sig::kTargetAscii;
  for (const Hit& h : hits) {
    if (h.kind != VIGIL_SIG_BODY) continue;
    FUZZ_CHECK(h.id < fx.body.size());
    const Body& s = fx.body[h.id];
    const bool raw =
        s.offset.allows(h.offset, size) &&
        (!vigil::fuzz::reference_supports(s.pattern) || ref.matches_at(s.pattern, h.offset));
    const bool in_layer =
        layered && s.offset.allows(h.offset, layer.size()) &&
        (!vigil::fuzz::reference_supports(s.pattern) || ref_layer.matches_at(s.pattern, h.offset));
    FUZZ_CHECK(raw || in_layer);
  }
  for (uint32_t id = 0; id < fx.body.size(); ++id) {
    const Body& s = fx.body[id];
    if (!vigil::fuzz::reference_supports(s.pattern) ||
        !vigil::fuzz::within_confirm_budget(s.pattern, size)) {
      continue;
    }
    const bool expected = ref.matches_anywhere(s.pattern, s.offset) ||
                          (layered && ref_layer.matches_anywhere(s.pattern, s.offset));
    if (expected != found[id]) {
      std::fprintf(stderr, "%s: engine says %s, reference says %s\n", s.name.c_str(),
                   found[id] ? "match" : "no match", expected ? "match" : "no match");
      FUZZ_CHECK(expected == found[id]);
    }
  }
  return 0;
}
