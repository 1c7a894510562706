// Compiling a PCRE subsignature's regex, and its serialized form. PCRE2 always compiles it
// (twice: unanchored for searches, anchored for single-position attempts, since the JIT takes
// no PCRE2_ANCHORED at match time): PCRE2 is what defines a match. Hyperscan is then offered
// the same expression, first exactly (start of match tracked, unless every match has one
// length), then as a prefilter; what it accepts decides the engine. The serialized form keeps
// the pattern, not PCRE2's code, because PCRE2 does not validate serialized code it loads.
#include "match/regex.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/byte_io.h"
#include "match/regex_internal.h"

namespace vigil::match {
namespace {

constexpr char kMagic[4] = {'V', 'R', 'X', '1'};

common::Status bad_signature(std::string message) {
  return common::Status(VIGIL_ERR_SIGNATURE, std::move(message));
}

// The flag letters ClamAV documents (clamscan 1.4 refuses any other): ClamAV's own, then
// PCRE's compile options.
struct FlagLetter {
  char letter;
  uint32_t pcre_option;
  unsigned hs_flag;
  bool RegexFlagSet::*field;
};
constexpr FlagLetter kFlagLetters[] = {
    {'g', 0, 0, &RegexFlagSet::global},
    {'r', 0, 0, &RegexFlagSet::rolling},
    {'e', 0, 0, &RegexFlagSet::encompass},
    {'i', PCRE2_CASELESS, HS_FLAG_CASELESS, nullptr},
    {'s', PCRE2_DOTALL, HS_FLAG_DOTALL, nullptr},
    {'m', PCRE2_MULTILINE, HS_FLAG_MULTILINE, nullptr},
    {'x', PCRE2_EXTENDED, 0, &RegexFlagSet::extended},
    {'A', PCRE2_ANCHORED, 0, &RegexFlagSet::anchored},
    {'E', PCRE2_DOLLAR_ENDONLY, 0, &RegexFlagSet::dollar_endonly},
    {'U', PCRE2_UNGREEDY, 0, nullptr},
};

common::Result<RegexFlagSet> parse_flags(std::string_view flags) {
  RegexFlagSet f;
  for (char c : flags) {
    const FlagLetter* known = nullptr;
    for (const FlagLetter& l : kFlagLetters) known = l.letter == c ? &l : known;
    if (known == nullptr) {
      std::string shown = (c >= 0x21 && c < 0x7f) ? std::string("'") + c + "'"
                                                  : "byte " + std::to_string(uint8_t(c));
      return bad_signature("unknown PCRE flag " + shown + " (known: g r e i s m x A E U)");
    }
    f.pcre_options |= known->pcre_option;
    f.hs_flags |= known->hs_flag;
    if (known->field != nullptr) f.*(known->field) = true;
  }
  return f;
}

common::Result<PcreCode> compile_pcre(std::string_view pattern, uint32_t options) {
  std::unique_ptr<pcre2_compile_context, decltype(&pcre2_compile_context_free)> ctx(
      pcre2_compile_context_create(nullptr), &pcre2_compile_context_free);
  if (ctx == nullptr) throw std::bad_alloc();
  pcre2_set_newline(ctx.get(), PCRE2_NEWLINE_LF);  // whatever the library was built with
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                    options | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_USE_OFFSET_LIMIT, &err,
                    &err_offset, ctx.get());
  if (code == nullptr) {
    if (err == PCRE2_ERROR_HEAP_FAILED) throw std::bad_alloc();
    return bad_signature("bad regex at offset " + std::to_string(err_offset) + ": " +
                         pcre2_error_text(err));
  }
  // Without a JIT (or for a pattern it cannot take) pcre2_match interprets: same results.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return PcreCode(code);
}

// Compiles one expression for Hyperscan; nullptr when Hyperscan refuses it.
HsDatabase compile_hs(const std::string& expression, unsigned flags, const HsTarget& target) {
  auto db = compile_expression(expression, flags, target);
  if (db.is_ok()) return db.take();
  if (db.status().code() == VIGIL_ERR_NOMEM) throw std::bad_alloc();
  return HsDatabase();
}

std::string hs_expression(const RegexCompiled& c) {
  return (c.flag_set.extended ? "(?x)" : "") + c.pattern;
}

// Hyperscan's bounds on the length of a match of the expression (as compiled with `flags`);
// false if it cannot say.
bool hs_widths(const RegexCompiled& c, unsigned flags, uint64_t& min, uint64_t& max) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(hs_expression(c).c_str(), flags, &info, &err) != HS_SUCCESS) {
    if (err != nullptr) hs_free_compile_error(err);
    return false;
  }
  min = info->min_width;
  max = info->max_width == UINT_MAX ? UINT64_MAX : info->max_width;
  std::free(info);
  return true;
}

// The one length of every match, or 0 when lengths vary (or Hyperscan cannot say).
uint64_t fixed_width(const RegexCompiled& c) {
  uint64_t min = 0, max = 0;
  return hs_widths(c, c.flag_set.hs_flags, min, max) && min == max ? max : 0;
}

// Hyperscan's prefilter stands a back-reference in for a copy of the group it refers to. That
// only widens the match set while the copy means what the capture meant: an assertion or an
// inline option inside the group could fail (or differ) where the copy lands. So a pattern
// with back-references gets no prefilter if it has any assertion or inline option (a lexical
// screen: escapes and classes are skipped, the rest errs towards yes).
bool prefilter_may_miss(const RegexCompiled& c) {
  uint32_t backrefs = 0;
  if (pcre2_pattern_info(c.search.get(), PCRE2_INFO_BACKREFMAX, &backrefs) != 0) return true;
  if (backrefs == 0) return false;
  const std::string& p = c.pattern;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '^' || p[i] == '$') return true;
    if (p[i] == '\\') {
      if (++i < p.size() && std::strchr("bBAzZGK", p[i]) != nullptr) return true;
    } else if (p[i] == '[') {  // a class: its ^ is not an assertion
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      for (; j < p.size() && p[j] != ']'; ++j) j += p[j] == '\\';
      i = j;
    } else if (p[i] == '(' && i + 2 < p.size() && p[i + 1] == '?') {
      char k = p[i + 2];
      bool named = k == 'P' || k == '\'' ||
                   (k == '<' && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!');
      if (k != ':' && k != '#' && !named) return true;  // lookaround, options, conditions
    }
  }
  return false;
}

// Offers the expression to Hyperscan: exactly when its match set is PCRE2's (E changes `$`,
// which Hyperscan cannot express, but dropping it only adds matches), else as a prefilter.
// Patterns holding a NUL byte stay with PCRE2 (Hyperscan takes C strings).
void attach_hyperscan(RegexCompiled& c, const HsTarget& target) {
  if (c.pattern.find('\0') != std::string::npos) return;
  // Hyperscan reports no empty matches, and a regex that may match the empty string matches
  // at nearly every place anyway: PCRE2 alone then. Prefiltering keeps lookarounds' effect on
  // where a match ends (it drops them), so its least width bounds the regex's from below.
  uint64_t min = 0, max = 0;
  if (!hs_widths(c, c.flag_set.hs_flags | HS_FLAG_PREFILTER, min, max) || min == 0) return;
  const std::string expression = hs_expression(c);
  if (!c.flag_set.dollar_endonly) {
    c.hs_fixed_width = fixed_width(c);
    unsigned som = c.hs_fixed_width != 0 ? 0 : HS_FLAG_SOM_LEFTMOST;
    c.hs = compile_hs(expression, c.flag_set.hs_flags | som, target);
    if (c.hs != nullptr) {
      c.engine = RegexEngine::kHyperscan;
      return;
    }
    c.hs_fixed_width = 0;
  }
  if (prefilter_may_miss(c)) return;
  c.hs = compile_hs(expression, c.flag_set.hs_flags | HS_FLAG_PREFILTER, target);
  if (c.hs != nullptr) c.engine = RegexEngine::kHyperscanPrefilter;
}

common::Result<std::shared_ptr<RegexCompiled>> compile_pcre_side(std::string_view pattern,
                                                                 std::string_view flags) {
  auto parsed = parse_flags(flags);
  if (!parsed.is_ok()) return parsed.status();
  if (pattern.empty()) return bad_signature("empty regex");
  auto c = std::make_shared<RegexCompiled>();
  c->pattern = std::string(pattern);
  c->flags = std::string(flags);
  c->flag_set = parsed.value();
  auto search = compile_pcre(pattern, c->flag_set.pcre_options);
  if (!search.is_ok()) return search.status();
  auto anchored = compile_pcre(pattern, c->flag_set.pcre_options | PCRE2_ANCHORED);
  if (!anchored.is_ok()) return anchored.status();
  c->search = search.take();
  c->anchored = anchored.take();
  return c;
}

}  // namespace

common::Result<Regex> Regex::compile(std::string_view pattern, std::string_view flags,
                                     const RegexOptions& options) {
  auto c = compile_pcre_side(pattern, flags);
  if (!c.is_ok()) return c.status();
  if (options.allow_hyperscan) attach_hyperscan(*c.value(), options.target);
  return Regex(c.take());
}

std::string Regex::serialize() const {
  common::ByteWriter w;
  w.bytes(kMagic, sizeof(kMagic));
  w.u8(static_cast<uint8_t>(compiled_->engine));
  w.blob(compiled_->pattern);
  w.blob(compiled_->flags);
  std::string hs_bytes;
  if (compiled_->hs != nullptr) {
    auto s = serialize_database(compiled_->hs.get());
    if (!s.is_ok()) throw std::bad_alloc();  // Hyperscan fails here only for memory
    hs_bytes = s.take();
  }
  w.blob(hs_bytes);
  return w.take();
}

common::Result<Regex> Regex::deserialize(std::string_view bytes, const RegexOptions& options) {
  common::ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                       "serialized regex");
  const uint8_t* magic = nullptr;
  uint8_t engine = 0;
  std::string_view pattern, flags, hs_bytes;
  if (r.bytes(sizeof(kMagic), magic, "magic") && std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    r.fail("magic", "not a serialized regex");
  }
  if (r.u8(engine, "engine") && engine > static_cast<uint8_t>(RegexEngine::kHyperscan)) {
    r.fail("engine", "unknown engine " + std::to_string(engine));
  }
  r.blob(pattern, "pattern") && r.blob(flags, "flags") && r.blob(hs_bytes, "hyperscan database");
  if (r.ok() && !r.at_end()) r.fail("end", std::to_string(r.remaining()) + " bytes left over");
  const auto kind = static_cast<RegexEngine>(engine);
  if (r.ok() && (kind == RegexEngine::kPcre2) != hs_bytes.empty()) {
    r.fail("hyperscan database",
           kind == RegexEngine::kPcre2 ? "present for a PCRE2 regex" : "missing");
  }
  if (!r.ok()) return r.status();

  auto c = compile_pcre_side(pattern, flags);
  if (!c.is_ok()) {
    return common::Status(VIGIL_ERR_CORRUPT, "serialized regex: " + c.status().message());
  }
  RegexCompiled& compiled = *c.value();
  if (kind == RegexEngine::kPcre2 || !options.allow_hyperscan) return Regex(c.take());

  auto db =
      deserialize_database(reinterpret_cast<const uint8_t*>(hs_bytes.data()), hs_bytes.size());
  if (!db.is_ok() && db.status().code() == VIGIL_ERR_VERSION) {
    attach_hyperscan(compiled, options.target);  // built elsewhere: build it here
    return Regex(c.take());
  }
  if (!db.is_ok()) {
    return common::Status(db.status().code(), "serialized regex: " + db.status().message());
  }
  char* info = nullptr;
  bool block = false;
  if (hs_database_info(db.value().get(), &info) == HS_SUCCESS) {
    block = std::string_view(info).find("Mode: BLOCK") != std::string_view::npos;
    std::free(info);
  }
  if (!block) {
    return common::Status(VIGIL_ERR_CORRUPT,
                          "serialized regex: the Hyperscan database is not a block-mode one");
  }
  compiled.engine = kind;
  compiled.hs = db.take();
  compiled.hs_fixed_width = kind == RegexEngine::kHyperscan ? fixed_width(compiled) : 0;
  return Regex(c.take());
}

RegexEngine Regex::engine() const { return compiled_->engine; }
const std::string& Regex::pattern() const { return compiled_->pattern; }
const std::string& Regex::flags() const { return compiled_->flags; }
bool Regex::global() const { return compiled_->flag_set.global; }
bool Regex::rolling() const { return compiled_->flag_set.rolling; }
bool Regex::encompass() const { return compiled_->flag_set.encompass; }

}  // namespace vigil::match
