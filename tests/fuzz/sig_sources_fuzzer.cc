// Fuzzes signature loading through the public API, the path every database takes: the line
// reader, gzip inflation, every line parser (.hdb .hsb .ndb .ldb .fp .sfp .ign2), ignore lists,
// fragment planning and the Hyperscan compile, then a scan with whatever loaded. Signature
// files come from feeds and users, so any byte string must load or be rejected with
// diagnostics, never crash, leak or leave the engine inconsistent.
//
// Input: byte 0 picks the source format (low 3 bits: hdb hsb ndb fp sfp ign2 ldb, or 7 =
// several sources separated by NUL, each led by its own format byte, which can also pick
// ndb.gz) and the load flags
// (bit 3: UNOFFICIAL suffix, bit 4: strict load instead of VIGIL_LOAD_SKIP_BAD_LINES). The rest
// is the source text. An ignore list is loaded next to a small fixed set it can name.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "vigil/vigil.h"

namespace {

using vigil::fuzz::DiagsPtr;
using vigil::fuzz::EnginePtr;
using vigil::fuzz::OptionsPtr;
using vigil::fuzz::ScratchPtr;

constexpr const char* kNames[] = {"fuzz.hdb", "fuzz.hsb",  "fuzz.ndb", "fuzz.fp",
                                  "fuzz.sfp", "fuzz.ign2", "fuzz.ldb", "fuzz.ndb.gz"};
constexpr size_t kFormats = sizeof kNames / sizeof kNames[0];
constexpr size_t kIgn2 = 5, kGzip = 7;

// Signatures an ignore list can name (Fz.Body, Fz.Hash) when the input is one.
constexpr char kCompanionNdb[] = "Fz.Body:0:*:66757a7a(42|62)6f6479\n";
constexpr char kCompanionHdb[] = "0123456789abcdef0123456789abcdef:5:Fz.Hash\n";

// Bytes every loaded engine scans besides the input: an executable header, text, runs of
// 00/FF and the companion signature's body.
constexpr uint8_t kFixed[] = {'M',  'Z',  0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
                              0x00, 0xff, 0xff, 0x00, 0x00, 0x7f, 'E',  'L',  'F',  0x02, 0x01,
                              0x01, 0x00, 'h',  'e',  'l',  'l',  'o',  ' ',  'w',  'o',  'r',
                              'l',  'd',  '\r', '\n', 'f',  'u',  'z',  'z',  'B',  'o',  'd',
                              'y',  '\n', 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xcc,
                              0xcc, 0x90, 0x90, 0xde, 0xad, 0xbe, 0xef, 'P',  'K',  0x03, 0x04};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const bool strict = (mode & 0x10) != 0;
  uint32_t flags = strict ? 0 : VIGIL_LOAD_SKIP_BAD_LINES;
  if (mode & 0x08) flags |= VIGIL_LOAD_UNOFFICIAL_SUFFIX;

  vigil_load_options* raw_opts = nullptr;
  FUZZ_CHECK(vigil_load_options_new(&raw_opts) == VIGIL_OK);
  OptionsPtr opts(raw_opts);
  FUZZ_CHECK(vigil_load_options_set_flags(opts.get(), flags) == VIGIL_OK);

  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::pair<size_t, std::string_view>> sources;  // (format, text)
  if ((mode & 0x07) == 7) {
    while (!rest.empty() && sources.size() < 4) {
      size_t nul = rest.find('\0');
      std::string_view chunk = rest.substr(0, nul);
      if (!chunk.empty()) {
        sources.emplace_back(static_cast<uint8_t>(chunk[0]) % kFormats, chunk.substr(1));
      }
      rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    }
  } else {
    sources.emplace_back(mode & 0x07, rest);
  }
  bool has_ignores = false, has_gzip = false, has_dat = false;
  for (const auto& [format, text] : sources) {
    // Whatever its name, a source with a DAT's magic is loaded as a DAT (see vigil.h).
    has_dat = has_dat || (format != kGzip && text.starts_with("VIGILDAT"));
    FUZZ_CHECK(vigil_load_options_add_memory(opts.get(), kNames[format], text.data(),
                                             text.size()) == VIGIL_OK);
    has_ignores = has_ignores || format == kIgn2;
    has_gzip = has_gzip || format == kGzip;
  }
  if (has_ignores) {
    FUZZ_CHECK(vigil_load_options_add_memory(opts.get(), "companion.ndb", kCompanionNdb,
                                             std::strlen(kCompanionNdb)) == VIGIL_OK);
    FUZZ_CHECK(vigil_load_options_add_memory(opts.get(), "companion.hdb", kCompanionHdb,
                                             std::strlen(kCompanionHdb)) == VIGIL_OK);
  }

  // A non-NULL sentinel: the load must overwrite it (NULL on failure).
  vigil_engine* const sentinel = reinterpret_cast<vigil_engine*>(&raw_opts);
  vigil_engine* raw_engine = sentinel;
  vigil_diagnostics* raw_diags = nullptr;
  vigil_status st = vigil_engine_load(opts.get(), &raw_engine, &raw_diags);
  FUZZ_CHECK(raw_engine != sentinel);
  EnginePtr engine(raw_engine);
  DiagsPtr diags(raw_diags);

  FUZZ_CHECK((st == VIGIL_OK) == (engine != nullptr));
  FUZZ_CHECK(diags != nullptr);
  size_t errors = vigil::fuzz::check_diagnostics(diags.get());
  if (has_dat) {
    // The DAT loader's outcomes: combined with other sources (INVALID_ARGUMENT), or refused as
    // damaged, untrusted or too new; each names the problem.
    FUZZ_CHECK(st != VIGIL_ERR_INTERNAL && st != VIGIL_ERR_NO_SIGNATURES);
    if (st != VIGIL_OK) FUZZ_CHECK(errors > 0);
    return 0;
  }
  // Only these outcomes are legitimate for in-memory sources (IO: a corrupt .gz).
  FUZZ_CHECK(st == VIGIL_OK || st == VIGIL_ERR_NO_SIGNATURES ||
             (st == VIGIL_ERR_SIGNATURE && strict) || (st == VIGIL_ERR_IO && has_gzip));
  if (st == VIGIL_ERR_SIGNATURE) FUZZ_CHECK(errors > 0);
  if (st == VIGIL_OK && strict) FUZZ_CHECK(errors == 0);
  if (st == VIGIL_OK && errors > 0) {
    vigil_diagnostic last{};
    FUZZ_CHECK(vigil_diagnostics_get(diags.get(), vigil_diagnostics_count(diags.get()) - 1,
                                     &last) == VIGIL_OK);
    FUZZ_CHECK(last.code == VIGIL_DIAG_SKIPPED_SUMMARY);
  }
  if (!engine) return 0;

  vigil_engine_stats stats{};
  stats.struct_size = sizeof stats;
  FUZZ_CHECK(vigil_engine_get_stats(engine.get(), &stats) == VIGIL_OK);
  FUZZ_CHECK(stats.body_signatures + stats.hash_signatures + stats.allowlist_entries +
                 stats.logical_signatures >
             0);
  FUZZ_CHECK(stats.body_signatures + stats.logical_signatures == 0 || stats.fragments > 0);
  // Each logical signature brings at most 64 subsignatures, two forms each.
  FUZZ_CHECK(stats.fragments <= stats.body_signatures + 128 * stats.logical_signatures);
  // Ids run over the body signatures (subsignatures included), hash, then logical ones.
  const uint64_t sig_count =
      stats.body_signatures + stats.hash_signatures + 129 * stats.logical_signatures;

  vigil_scratch* raw_scratch = nullptr;
  FUZZ_CHECK(vigil_scratch_new(engine.get(), &raw_scratch) == VIGIL_OK);
  ScratchPtr scratch(raw_scratch);
  vigil::fuzz::scan_both_ways(engine.get(), scratch.get(), kFixed, sizeof kFixed, sig_count);
  vigil::fuzz::scan_both_ways(engine.get(), scratch.get(), data, size, sig_count);
  vigil::fuzz::scan_both_ways(engine.get(), scratch.get(), nullptr, 0, sig_count);
  return 0;
}
