// Fuzzes the one hex-pattern parser (internal API) and then, for every pattern it accepts, the
// matcher: a one-signature engine is built through the public API from "Fuzz:0:*:<pattern>"
// and scans buffers generated to fit the pattern (gaps, alternatives and negations chosen by a
// PRNG seeded from the input), near misses, and the input's own bytes. Verdicts are checked
// against a naive reference matcher, so the fragment planner and the backtracking confirmer
// are tested for wrong answers, not only for crashes. The loader must agree with the parser.
//
// Input: the pattern, optionally followed by a NUL and data to scan as well.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "reference_matcher.h"
#include "sig/offset.h"
#include "sig/pattern.h"
#include "vigil/vigil.h"

namespace {

namespace sig = vigil::sig;
using vigil::fuzz::DiagsPtr;
using vigil::fuzz::EnginePtr;
using vigil::fuzz::OptionsPtr;
using vigil::fuzz::ScratchPtr;

constexpr size_t kMaxBuffer = 512;   // generated inputs stay small: the oracle is O(n x nodes)
constexpr uint32_t kMaxGapDraw = 6;  // extra bytes a ranged gap may take beyond its minimum

class Rng {
 public:
  explicit Rng(std::string_view seed) {
    for (char c : seed) state_ = (state_ ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  }
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;
};

// Writes bytes that fit `seq` (an instance of the pattern). Filler for gaps and negations is
// drawn mostly from the pattern's own bytes, to make near misses and overlapping candidates.
// Returns false if the instance would exceed kMaxBuffer; sets `exact` false where it could not
// honour a constraint (a class, or a negation it failed to avoid).
class Generator {
 public:
  Generator(Rng& rng, const std::vector<uint8_t>& alphabet) : rng_(rng), alphabet_(alphabet) {}

  bool emit(const sig::Sequence& seq, std::string& out, bool& exact) {
    for (const sig::Node& n : seq) {
      if (out.size() > kMaxBuffer) return false;
      switch (n.kind) {
        case sig::NodeKind::kByte:
          out.push_back(static_cast<char>(n.value | (filler() & ~n.mask)));
          break;
        case sig::NodeKind::kGap: {
          uint64_t span = n.max == sig::kUnbounded ? kMaxGapDraw : uint64_t{n.max} - n.min;
          uint64_t len = n.min + rng_.below(std::min<uint64_t>(span, kMaxGapDraw) + 1);
          if (out.size() + len > kMaxBuffer) return false;
          for (uint64_t i = 0; i < len; ++i) out.push_back(static_cast<char>(filler()));
          break;
        }
        case sig::NodeKind::kAlt:
          if (!n.negated) {
            if (!emit(n.branches[rng_.below(n.branches.size())], out, exact)) return false;
          } else {
            emit_negated(n, out, exact);
          }
          break;
        case sig::NodeKind::kClass:
          exact = false;
          if (n.edge == sig::ClassEdge::kMiddle) out.push_back(rng_.below(2) ? ' ' : '\n');
          break;
      }
    }
    return true;
  }

 private:
  uint8_t filler() {
    if (!alphabet_.empty() && rng_.below(4) != 0) return alphabet_[rng_.below(alphabet_.size())];
    return static_cast<uint8_t>(rng_.next());
  }

  void emit_negated(const sig::Node& n, std::string& out, bool& exact) {
    size_t len = n.branches.front().size();
    std::string candidate;
    for (int attempt = 0; attempt < 16; ++attempt) {
      candidate.clear();
      for (size_t i = 0; i < len; ++i) candidate.push_back(static_cast<char>(filler()));
      bool hit = false;
      for (const sig::Sequence& b : n.branches) {
        bool all = true;
        for (size_t i = 0; i < len && all; ++i) {
          all = (static_cast<uint8_t>(candidate[i]) & b[i].mask) == b[i].value;
        }
        hit = hit || all;
      }
      if (!hit) break;
      if (attempt == 15) exact = false;
    }
    out += candidate;
  }

  Rng& rng_;
  const std::vector<uint8_t>& alphabet_;
};

void collect_bytes(const sig::Sequence& seq, std::vector<uint8_t>& out) {
  for (const sig::Node& n : seq) {
    if (n.kind == sig::NodeKind::kByte) out.push_back(n.value);
    for (const sig::Sequence& b : n.branches) collect_bytes(b, out);
  }
}

[[noreturn]] void report_mismatch(std::string_view pattern, const std::string& buf, bool engine,
                                  bool reference) {
  std::fprintf(stderr, "pattern: %.*s\nbuffer (%zu bytes): ", static_cast<int>(pattern.size()),
               pattern.data(), buf.size());
  for (char c : buf) std::fprintf(stderr, "%02x", static_cast<uint8_t>(c));
  std::fprintf(stderr, "\nengine says %s, reference says %s\n", engine ? "match" : "no match",
               reference ? "match" : "no match");
  FUZZ_CHECK(engine == reference);
  __builtin_unreachable();
}

// Loads "Fuzz:0:*:<text>" strictly. Returns the status; the engine on success.
vigil_status load_one(std::string_view text, EnginePtr& engine, DiagsPtr& diags) {
  std::string line = "Fuzz:0:*:" + std::string(text) + "\n";
  vigil_load_options* raw_opts = nullptr;
  FUZZ_CHECK(vigil_load_options_new(&raw_opts) == VIGIL_OK);
  OptionsPtr opts(raw_opts);
  FUZZ_CHECK(vigil_load_options_add_memory(opts.get(), "fuzz.ndb", line.data(), line.size()) ==
             VIGIL_OK);
  vigil_engine* raw_engine = nullptr;
  vigil_diagnostics* raw_diags = nullptr;
  vigil_status st = vigil_engine_load(opts.get(), &raw_engine, &raw_diags);
  engine.reset(raw_engine);
  diags.reset(raw_diags);
  return st;
}

bool all_errors_have_code(const vigil_diagnostics* diags, vigil_diag_code code) {
  for (size_t i = 0; i < vigil_diagnostics_count(diags); ++i) {
    vigil_diagnostic d{};
    FUZZ_CHECK(vigil_diagnostics_get(diags, i, &d) == VIGIL_OK);
    if (d.severity == VIGIL_SEVERITY_ERROR && d.code != code) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::string_view text = input.substr(0, nul);
  std::string_view extra =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  auto parsed = sig::parse_hex_pattern(text);
  if (!parsed.is_ok()) {
    FUZZ_CHECK(parsed.status().code() == VIGIL_ERR_SIGNATURE);
    FUZZ_CHECK(parsed.status().message().starts_with("column "));
  } else {
    const sig::Sequence& seq = parsed.value();
    FUZZ_CHECK(!seq.empty());
    sig::LengthRange len = sig::sequence_length(seq);
    FUZZ_CHECK(len.min <= len.max || len.max == sig::kUnbounded);
  }
  // A field separator or line break would change what the .ndb line means.
  if (text.find_first_of(":\r\n") != std::string_view::npos) return 0;

  EnginePtr engine;
  DiagsPtr diags;
  vigil_status st = load_one(text, engine, diags);
  FUZZ_CHECK(diags != nullptr);
  vigil::fuzz::check_diagnostics(diags.get());
  if (!parsed.is_ok()) {  // the loader must reject what the parser rejects, as a syntax error
    FUZZ_CHECK(st == VIGIL_ERR_SIGNATURE && engine == nullptr);
    FUZZ_CHECK(vigil_diagnostics_count(diags.get()) >= 1);
    FUZZ_CHECK(all_errors_have_code(diags.get(), VIGIL_DIAG_SYNTAX));
    return 0;
  }
  if (st != VIGIL_OK) {  // accepted by the parser: only "no fragment" may drop it
    FUZZ_CHECK(st == VIGIL_ERR_SIGNATURE && engine == nullptr);
    FUZZ_CHECK(all_errors_have_code(diags.get(), VIGIL_DIAG_NO_FRAGMENT));
    return 0;
  }
  FUZZ_CHECK(engine != nullptr);

  vigil_scratch* raw_scratch = nullptr;
  FUZZ_CHECK(vigil_scratch_new(engine.get(), &raw_scratch) == VIGIL_OK);
  ScratchPtr scratch(raw_scratch);

  const sig::Sequence& seq = parsed.value();
  std::vector<uint8_t> alphabet;
  collect_bytes(seq, alphabet);
  Rng rng(input);
  Generator gen(rng, alphabet);
  const bool judged = vigil::fuzz::reference_supports(seq);

  std::vector<std::string> buffers;
  buffers.emplace_back(text);
  if (nul != std::string_view::npos) buffers.emplace_back(extra);
  for (int round = 0; round < 3; ++round) {
    std::string prefix, instance, suffix;
    bool exact = true;
    sig::Sequence filler_gap{sig::Node::gap(0, 12)};
    if (!gen.emit(filler_gap, prefix, exact) || !gen.emit(seq, instance, exact)) break;
    gen.emit(filler_gap, suffix, exact);
    if (judged && exact) {  // the generator must produce what the reference accepts
      vigil::fuzz::ReferenceMatcher ref(reinterpret_cast<const uint8_t*>(instance.data()),
                                        instance.size());
      FUZZ_CHECK(ref.matches_at(seq, 0));
    }
    std::string whole = prefix + instance + suffix;
    buffers.push_back(whole);
    if (!instance.empty()) {  // a near miss: one byte of the instance changed
      whole[prefix.size() + rng.below(instance.size())] ^= static_cast<char>(1 + rng.below(255));
      buffers.push_back(std::move(whole));
    }
  }

  for (const std::string& buf : buffers) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(buf.data());
    std::vector<vigil::fuzz::Hit> hits =
        vigil::fuzz::scan_both_ways(engine.get(), scratch.get(), bytes, buf.size(), 1);
    if (!judged || buf.size() > kMaxBuffer ||
        !vigil::fuzz::within_confirm_budget(seq, buf.size())) {
      continue;
    }
    vigil::fuzz::ReferenceMatcher ref(bytes, buf.size());
    bool expected = ref.matches_anywhere(seq, sig::Offset{});
    if (expected != !hits.empty()) report_mismatch(text, buf, !hits.empty(), expected);
    if (!hits.empty()) FUZZ_CHECK(ref.matches_at(seq, hits[0].offset));
  }
  return 0;
}
