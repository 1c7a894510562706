// Parses logical signatures, "NAME;TARGETDESC;EXPRESSION;SUBSIG0[;SUBSIG1...]". The target
// description's conditions are checked here once (ranges, types, functionality level); each
// subsignature is validated with the one hex lexer and becomes a BodySig tagged with its
// signature, so the matcher plans subsignatures exactly as it plans .ndb signatures. Forms this
// engine cannot honour (icon groups, handler types, container types it does not know) reject
// the whole signature with an UNSUPPORTED diagnostic naming the construct. A macro
// subsignature is no pattern: it is kept with the signature and resolved at scan time.
#include <algorithm>
#include <array>
#include <string>

#include "sig/fields.h"
#include "sig/signature_set.h"

namespace vigil::sig {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ContainerType::kLast) + 1> kTypeNames = {
    "",
    "CL_TYPE_ANY",
    "CL_TYPE_ZIP",
    "CL_TYPE_RAR",
    "CL_TYPE_7Z",
    "CL_TYPE_GZ",
    "CL_TYPE_BZ",
    "CL_TYPE_XZ",
    "CL_TYPE_POSIX_TAR",
    "CL_TYPE_CPIO_ODC",
    "CL_TYPE_MSCAB",
    "CL_TYPE_ARJ",
    "CL_TYPE_ISO9660",
    "CL_TYPE_MAIL",
    "CL_TYPE_MSOLE2",
    "CL_TYPE_PDF",
    "CL_TYPE_OOXML_WORD",
    "CL_TYPE_OOXML_PPT",
    "CL_TYPE_OOXML_XL",
    "CL_TYPE_AUTOIT",
    "CL_TYPE_NULSFT",
    "CL_TYPE_MSCHM",
    "CL_TYPE_SWF",
    "CL_TYPE_HTML",
    "CL_TYPE_XAR",
    "CL_TYPE_DMG",
    "CL_TYPE_MACHO_UNIBIN"};

// Other spellings ClamAV uses for the same container families.
struct Alias {
  std::string_view name;
  ContainerType type;
};
constexpr Alias kAliases[] = {
    {"CL_TYPE_OLD_TAR", ContainerType::kTar},    {"CL_TYPE_CPIO_OLD", ContainerType::kCpio},
    {"CL_TYPE_CPIO_NEWC", ContainerType::kCpio}, {"CL_TYPE_CPIO_CRC", ContainerType::kCpio},
    {"CL_TYPE_ZIPSFX", ContainerType::kZip},     {"CL_TYPE_RARSFX", ContainerType::kRar},
    {"CL_TYPE_7ZSFX", ContainerType::k7z},       {"CL_TYPE_CABSFX", ContainerType::kCab},
    {"CL_TYPE_ARJSFX", ContainerType::kArj},
};

// "a-b", inclusive; ClamAV refuses a single value.
bool parse_range(std::string_view text, Range& out) {
  size_t dash = text.find('-');
  return dash != std::string_view::npos && parse_number(text.substr(0, dash), out.lo) &&
         parse_number(text.substr(dash + 1), out.hi) && out.lo <= out.hi;
}

// A construct this engine does not run: the signature is skipped with a warning (ClamAV too
// skips unknown keys and types, and loads icon-group signatures that then never match).
bool unsupported(const LineContext& ctx, std::string_view name, std::string message) {
  report(ctx, VIGIL_DIAG_UNSUPPORTED, VIGIL_SEVERITY_WARNING, name, "skipped: " + message);
  return false;
}

// The target description block. False (with a diagnostic) when it is malformed, names what
// this engine cannot check, or excludes this engine's functionality level.
bool parse_target_desc(std::string_view text, const LineContext& ctx, LogicalSig& out) {
  bool have_target = false;
  for (std::string_view item : split_fields(text, ',')) {
    size_t colon = item.find(':');
    std::string_view key = item.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : item.substr(colon + 1);
    auto bad_value = [&](const std::string& what) {
      return report_error(ctx, out.name,
                          "invalid " + std::string(key) + " '" + std::string(value) + "': " + what);
    };
    if (key == "Engine") {
      Range r;
      if (!parse_range(value, r)) return bad_value("expected min-max");
      if (r.lo > kEngineFlevel || r.hi < kEngineFlevel) {
        report(ctx, VIGIL_DIAG_FLEVEL, VIGIL_SEVERITY_WARNING, out.name,
               "skipped: requires functionality level " + std::string(value) + ", engine has " +
                   std::to_string(kEngineFlevel));
        return false;
      }
    } else if (key == "Target") {
      uint32_t t = 0;
      if (!parse_number(value, t)) return bad_value("expected a number");
      if (!known_target(t)) {
        return unsupported(ctx, out.name,
                           "target type " + std::to_string(t) + " is not one this engine knows");
      }
      out.target = static_cast<uint8_t>(t);
      have_target = true;
    } else if (key == "FileSize") {
      if (!parse_range(value, out.file_size)) return bad_value("expected min-max");
      out.has_file_size = true;
    } else if (key == "EntryPoint") {
      if (!parse_range(value, out.entry_point)) return bad_value("expected min-max");
      out.has_entry_point = true;
    } else if (key == "NumberOfSections") {
      if (!parse_range(value, out.sections)) return bad_value("expected min-max");
      out.has_sections = true;
    } else if (key == "Container") {
      out.container = container_type(value);
      if (out.container == ContainerType::kNone) {
        return unsupported(
            ctx, out.name,
            "container type '" + std::string(value) + "' is not one this engine knows");
      }
    } else if (key == "Intermediates") {
      // "T1>T2>...>Tn", outermost first: Tn is the container immediately holding the input.
      out.intermediates.clear();
      for (std::string_view name : split_fields(value, '>')) {
        if (name.empty()) return bad_value("a container type is missing between '>'");
        ContainerType t = container_type(name);
        if (t == ContainerType::kNone) {
          return unsupported(
              ctx, out.name,
              "container type '" + std::string(name) + "' is not one this engine knows");
        }
        out.intermediates.push_back(t);
      }
      if (out.intermediates.size() > kMaxIntermediates) {
        return bad_value("more than " + std::to_string(kMaxIntermediates) + " container types");
      }
    } else if (key == "IconGroup1" || key == "IconGroup2" || key == "HandlerType") {
      return unsupported(ctx, out.name,
                         "the " + std::string(key) + " condition is not supported by this engine");
    } else {
      return unsupported(ctx, out.name,
                         "unknown target description key '" + std::string(key) + "'");
    }
  }
  if (!have_target) return report_error(ctx, out.name, "target description has no Target");
  if ((out.has_entry_point || out.has_sections) && !executable_target(out.target)) {
    return report_error(
        ctx, out.name,
        "EntryPoint and NumberOfSections need target type 1, 6 or 9 (an executable)");
  }
  return true;
}

// A subsignature's "OFFSET:" part: malformed is an error, one this engine cannot resolve (VI)
// skips the signature, and an executable-relative one needs an executable target.
bool parse_subsig_offset(std::string_view text, const std::string& where, const LogicalSig& sig,
                         const LineContext& ctx, Offset& out) {
  auto offset = parse_offset(text);
  if (!offset.is_ok()) {
    bool unsup = offset.status().code() == VIGIL_ERR_UNSUPPORTED;
    if (unsup) return unsupported(ctx, sig.name, where + offset.status().message());
    return report_error(ctx, sig.name, where + offset.status().message());
  }
  out = offset.value();
  if (out.exe_relative() && !executable_target(sig.target)) {
    return report_error(
        ctx, sig.name,
        where + "offset '" + std::string(text) + "' needs target type 1, 6 or 9 (an executable)");
  }
  return true;
}

// A PCRE subsignature, "[OFFSET:]TRIGGER/REGEX/FLAGS" (hex never holds a '/'). The regex
// itself is compiled with the engine; here its place, trigger and offset are checked.
bool parse_pcre(std::string_view text, uint32_t index, LogicalSig& sig, const LineContext& ctx) {
  auto where = [&] { return "subsignature " + std::to_string(index) + ": "; };
  size_t first = text.find('/'), last = text.rfind('/');
  if (first == last) return report_error(ctx, sig.name, where() + "PCRE without a closing '/'");
  PcreSubsig p;
  p.subsig = static_cast<uint8_t>(index);
  p.pattern.assign(text.substr(first + 1, last - first - 1));
  p.flags.assign(text.substr(last + 1));
  std::string_view head = text.substr(0, first);
  size_t colon = head.rfind(':');
  std::string_view trigger = colon == std::string_view::npos ? head : head.substr(colon + 1);
  if (colon != std::string_view::npos &&
      !parse_subsig_offset(head.substr(0, colon), where(), sig, ctx, p.offset)) {
    return false;
  }
  if (trigger.empty()) return report_error(ctx, sig.name, where() + "PCRE without a trigger");
  auto program = parse_expression(trigger, sig.subsigs, /*whole=*/false);
  if (!program.is_ok()) {
    return report_error(ctx, sig.name, where() + "trigger: " + program.status().message());
  }
  p.trigger = program.take();
  if (p.pattern.empty()) return report_error(ctx, sig.name, where() + "empty PCRE");
  sig.pcres.push_back(std::move(p));
  return true;
}

// A macro subsignature, "${MIN-MAX}GROUP$": no offset, no modifiers, MIN and MAX decimal.
bool parse_macro(std::string_view text, uint32_t index, LogicalSig& sig, const LineContext& ctx) {
  auto fail = [&](const std::string& why) {
    return report_error(ctx, sig.name,
                        "subsignature " + std::to_string(index) + ": macro subsignature '" +
                            std::string(text) + "': " + why);
  };
  if (text.size() < 2 || text.back() != '$') return fail("missing the closing '$'");
  size_t close = text.find('}');
  if (close == std::string_view::npos) return fail("expected ${MIN-MAX}GROUP$");
  std::string_view range = text.substr(2, close - 2);
  std::string_view group = text.substr(close + 1, text.size() - close - 2);
  MacroSubsig m;
  m.subsig = static_cast<uint8_t>(index);
  size_t dash = range.find('-');
  if (dash == std::string_view::npos || !parse_number(range.substr(0, dash), m.min) ||
      !parse_number(range.substr(dash + 1), m.max)) {
    return fail("expected a distance range MIN-MAX in decimal");
  }
  if (!parse_macro_group(group, m.group)) {
    return fail("the macro group must be a number from 0 to " + std::to_string(kMacroGroups - 1));
  }
  // MIN > MAX is accepted, as clamscan accepts it: such a macro never counts.
  sig.macros.push_back(m);
  return true;
}

// One subsignature: "[OFFSET:]HEX[::MODIFIERS]". Appends its body form(s) to `out`.
bool parse_subsig(std::string_view text, uint32_t index, LogicalSig& sig, const LineContext& ctx,
                  std::vector<BodySig>& out) {
  auto where = [&] { return "subsignature " + std::to_string(index) + ": "; };
  if (text.find('/') != std::string_view::npos) return parse_pcre(text, index, sig, ctx);
  if (text.starts_with("${")) return parse_macro(text, index, sig, ctx);
  if (text.find('#') != std::string_view::npos) {  // hex never holds a '#'
    auto b = parse_byte_compare(text, index, sig.subsigs);
    if (!b.is_ok()) return report_error(ctx, sig.name, where() + b.status().message());
    sig.byte_compares.push_back(b.value());
    return true;
  }
  uint8_t mods = 0;
  bool ascii = false;
  size_t sep = text.find("::");
  if (sep != std::string_view::npos) {
    std::string_view letters = text.substr(sep + 2);
    text = text.substr(0, sep);
    for (char c : letters) {  // no letters: a plain subsignature, as ClamAV reads "::"
      if (c == 'i') {
        mods |= kModNocase;
      } else if (c == 'w') {
        mods |= kModWide;
      } else if (c == 'f') {
        mods |= kModFullword;
      } else if (c == 'a') {
        ascii = true;
      } else {
        return report_error(ctx, sig.name,
                            where() + "unknown modifier '" + std::string(1, c) + "'");
      }
    }
  }
  BodySig body;
  size_t colon = text.find(':');
  std::string_view hex = text;
  if (colon != std::string_view::npos) {
    if (!parse_subsig_offset(text.substr(0, colon), where(), sig, ctx, body.offset)) return false;
    hex = text.substr(colon + 1);
  }
  if ((mods != 0 || ascii) && hex.find("!(") != std::string_view::npos) {
    return report_error(ctx, sig.name, where() + "a negated alternative cannot take modifiers");
  }
  auto pattern = parse_hex_pattern(hex, HexRules::kSubsig);
  if (!pattern.is_ok()) {
    return report_error(ctx, sig.name,
                        where() + "invalid hex pattern: " + pattern.status().message());
  }
  body.name = sig.name;
  body.hex.assign(hex);
  body.line = ctx.line;
  body.target = sig.target;
  body.subsig = static_cast<uint8_t>(index);
  if (!ascii || (mods & kModWide) == 0) {  // "::a" alone is the ASCII form only
    body.modifiers = mods;
    out.push_back(std::move(body));
    return true;
  }
  // "::wa": the ASCII form and the wide form.
  body.modifiers = static_cast<uint8_t>(mods & ~kModWide);
  out.push_back(body);
  body.modifiers = static_cast<uint8_t>(mods | kModWide);
  out.push_back(std::move(body));
  return true;
}

// What subsignature k is when it is not a pattern ("a PCRE", ...), or nullptr for a pattern.
const char* special_kind(const LogicalSig& sig, uint32_t k) {
  const char* kind = nullptr;
  for (const PcreSubsig& p : sig.pcres) kind = p.subsig == k ? "a PCRE" : kind;
  for (const ByteCompare& o : sig.byte_compares) kind = o.subsig == k ? "a byte compare" : kind;
  for (const MacroSubsig& m : sig.macros) kind = m.subsig == k ? "a macro" : kind;
  return kind;
}

// A byte compare reads where a pattern subsignature matched, and a macro measures from the
// matches of the subsignature before it: both need a pattern there (known only once every
// subsignature is read). ClamAV's documentation says a macro cannot be the first subsignature.
bool check_pattern_anchors(const LogicalSig& sig, const LineContext& ctx) {
  for (const MacroSubsig& m : sig.macros) {
    std::string where = "subsignature " + std::to_string(m.subsig) + ": macro subsignature: ";
    if (m.subsig == 0) {
      return report_error(ctx, sig.name,
                          where +
                              "it cannot be subsignature 0 (it measures from the "
                              "subsignature before it)");
    }
    if (const char* kind = special_kind(sig, m.subsig - 1u)) {
      return report_error(ctx, sig.name,
                          where + "subsignature " + std::to_string(m.subsig - 1) +
                              " before it is " + kind + " (it must be a pattern subsignature)");
    }
  }
  for (const ByteCompare& b : sig.byte_compares) {
    if (const char* kind = special_kind(sig, b.trigger)) {
      return report_error(ctx, sig.name,
                          "subsignature " + std::to_string(b.subsig) +
                              ": byte compare: its trigger, subsignature " +
                              std::to_string(b.trigger) + ", is " + kind +
                              " (it must be a pattern subsignature)");
    }
  }
  return true;
}

}  // namespace

ContainerType container_type(std::string_view name) {
  for (size_t i = 1; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<ContainerType>(i);
  }
  for (const Alias& a : kAliases) {
    if (a.name == name) return a.type;
  }
  return ContainerType::kNone;
}

bool parse_ldb_line(std::string_view line, const LineContext& ctx, LogicalSig& out,
                    std::vector<BodySig>& subsigs) {
  std::vector<std::string_view> f = split_fields(line, ';');
  std::string_view name = f.empty() ? std::string_view() : f[0];
  if (f.size() < 4) {
    return report_error(ctx, name,
                        "expected NAME;TARGETDESC;EXPRESSION;SUBSIG0[;SUBSIG1...], got " +
                            std::to_string(f.size()) + " fields");
  }
  if (f.size() - 3 > kMaxSubsigs) {
    return report_error(ctx, name,
                        std::to_string(f.size() - 3) + " subsignatures, more than the " +
                            std::to_string(kMaxSubsigs) + " allowed");
  }
  if (!valid_name(name)) return report_error(ctx, name, "empty or invalid signature name");
  out = LogicalSig{};
  out.name.assign(name);
  out.line = ctx.line;
  if (!parse_target_desc(f[1], ctx, out)) return false;
  out.subsigs = static_cast<uint8_t>(f.size() - 3);
  auto program = parse_expression(f[2], out.subsigs);
  if (!program.is_ok()) return report_error(ctx, name, program.status().message());
  out.program = program.take();
  std::vector<uint16_t> none(out.subsigs, 0);
  if (evaluate(out.program.data(), out.program.size(), none.data())) {
    return unsupported(ctx, name,
                       "logical expression holds when no subsignature matches: it would name "
                       "every file");
  }
  size_t first = subsigs.size();
  for (size_t i = 3; i < f.size(); ++i) {
    if (!parse_subsig(f[i], static_cast<uint32_t>(i - 3), out, ctx, subsigs)) {
      subsigs.resize(first);
      return false;
    }
  }
  if (!check_pattern_anchors(out, ctx)) {
    subsigs.resize(first);
    return false;
  }
  // Counts that matter: those the expression compares, and those PCRE triggers compare. A byte
  // compare reads at its trigger's last match, so every match of a trigger is reported.
  std::vector<uint16_t> caps = hit_caps(out.program.data(), out.program.size(), out.subsigs);
  for (const PcreSubsig& p : out.pcres) {
    std::vector<uint16_t> more = hit_caps(p.trigger.data(), p.trigger.size(), out.subsigs);
    for (size_t k = 0; k < caps.size(); ++k) caps[k] = std::max(caps[k], more[k]);
  }
  // A macro counts from its predecessor's matches, so every match of that is reported too.
  for (const ByteCompare& b : out.byte_compares) caps[b.trigger] = uint16_t{kMaxCount + 1};
  for (const MacroSubsig& m : out.macros) caps[m.subsig - 1u] = uint16_t{kMaxCount + 1};
  for (size_t i = first; i < subsigs.size(); ++i) subsigs[i].max_hits = caps[subsigs[i].subsig];
  for (PcreSubsig& p : out.pcres) p.max_hits = caps[p.subsig];
  out.text.assign(line);
  return true;
}

}  // namespace vigil::sig
