// Text normalization, one pass each over the input. Whitespace is space, tab, CR, LF, VT and
// FF; case folding is ASCII only. HTML parsing is deliberately shallow (tags, comments and
// character references), the level ClamAV's normalizer works at: it serves signature matching,
// not rendering, and never allocates beyond the output.
#include "scan/text_layers.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace vigil::scan {
namespace {

bool space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
char lower(uint8_t c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c); }

// Appends `c`, turning a run of whitespace into one space.
void put(std::string& out, char c, bool& in_space) {
  if (space(static_cast<uint8_t>(c))) {
    if (!in_space) out.push_back(' ');
    in_space = true;
    return;
  }
  out.push_back(c);
  in_space = false;
}

// A character reference at data[i] ('&'): its byte and length, or false. A numeric one is
// lowered unless `keep_case`.
bool reference(const uint8_t* d, uint64_t size, uint64_t i, char& out, uint64_t& len,
               bool keep_case = false) {
  static const struct {
    const char* name;
    char value;
  } kNamed[] = {{"amp;", '&'},  {"lt;", '<'},    {"gt;", '>'},
                {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", ' '}};
  uint64_t rest = size - i - 1;
  const char* p = reinterpret_cast<const char*>(d + i + 1);
  for (const auto& n : kNamed) {
    size_t k = std::strlen(n.name);
    if (rest >= k && std::memcmp(p, n.name, k) == 0) {
      out = n.value;
      len = k + 1;
      return true;
    }
  }
  if (rest < 3 || p[0] != '#') return false;
  bool hex = p[1] == 'x' || p[1] == 'X';
  uint64_t j = hex ? 2 : 1;
  uint32_t v = 0;
  uint64_t digits = 0;
  for (; j < rest && digits < 7; ++j, ++digits) {
    char c = p[j];
    int dv = c >= '0' && c <= '9'                            ? c - '0'
             : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                             : -1;
    if (dv < 0) break;
    v = v * (hex ? 16 : 10) + static_cast<uint32_t>(dv);
  }
  if (digits == 0 || v > 0xFF) return false;
  len = 1 + j + (j < rest && p[j] == ';' ? 1 : 0);
  out = keep_case ? static_cast<char>(v) : lower(static_cast<uint8_t>(v));
  return true;
}

// Whether a tag named `name` (any case) starts at data[at]: the name, then whitespace, '>' or
// '/' (or the input's end).
bool tag_named(const uint8_t* data, uint64_t size, uint64_t at, std::string_view name) {
  if (size - at < name.size()) return false;
  for (size_t k = 0; k < name.size(); ++k) {
    if (lower(data[at + k]) != name[k]) return false;
  }
  if (at + name.size() == size) return true;
  const uint8_t next = data[at + name.size()];
  return space(next) || next == '>' || next == '/';
}

// Whether a tag can start with this byte after '<' (and any whitespace): a letter, or '/', '!'
// or '?'; otherwise the '<' is text, as clamscan reads it.
bool tag_start(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!' || c == '?';
}

// Whether the tag's markup so far ends with '=' (and maybe a space): a quote there opens an
// attribute value.
bool after_equals(const std::string& markup) {
  size_t n = markup.size();
  if (n > 0 && markup[n - 1] == ' ') --n;
  return n > 0 && markup[n - 1] == '=';
}

// The '=' signs in the tag's markup since its last space or '<': one when an attribute's value
// has just begun, more when '=' is a byte of that value.
int equals_in_token(const std::string& markup) {
  int n = 0;
  for (size_t k = markup.size(); k > 0 && markup[k - 1] != ' ' && markup[k - 1] != '<'; --k) {
    n += markup[k - 1] == '=' ? 1 : 0;
  }
  return n;
}

// Where `what` next starts in data[from, size), or size when it does not.
uint64_t find(const uint8_t* data, uint64_t size, uint64_t from, std::string_view what) {
  if (from > size) return size;
  const void* at = ::memmem(data + from, size - from, what.data(), what.size());
  return at == nullptr ? size : static_cast<uint64_t>(static_cast<const uint8_t*>(at) - data);
}

// A byte of a JavaScript identifier or number.
bool word_byte(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

// Identifiers a script declares (var NAME, function NAME, its parameters), each renamed n000,
// n001... in the order declared; each script of a page starts again from n000.
using JsNames = std::unordered_map<std::string, std::string>;
constexpr size_t kMaxJsNames = 1000;  // more declarations keep their own names

// Appends one script's text as ClamAV's JavaScript normalizer writes it: a newline between
// scripts, "<script>", the tokens lowercased with /* */ comments and the slashes of // dropped,
// a space only between two words, declared identifiers renamed (and their later uses),
// strings in double quotes; then "</script>".
void normalize_script(const uint8_t* d, uint64_t n, std::string& out) {
  JsNames names;
  if (!out.empty()) out.push_back('\n');
  out += "<script>";
  // What the next words declare: a variable after "var", a function's name after "function",
  // its parameters inside the parentheses after that.
  enum class Declare {
    kNone,
    kVar,
    kFunctionName,
    kBeforeParams,
    kParams
  } declare = Declare::kNone;
  bool last_word = false;
  for (uint64_t i = 0; i < n;) {
    const uint8_t c = d[i];
    if (space(c)) {
      ++i;
    } else if (c == '/' && i + 1 < n && d[i + 1] == '/') {
      i += 2;  // clamscan drops the slashes and keeps the line's words ("}//done" -> "}done")
    } else if (c == '/' && i + 1 < n && d[i + 1] == '*') {
      i = std::min(n, find(d, n, i + 2, "*/") + 2);
    } else if (c == '"' || c == '\'') {
      // A string, written in double quotes whatever it was quoted with, its line breaks as
      // spaces (clamscan: 'X<LF>Y' becomes "x y"); an escaped byte is kept with its backslash.
      out.push_back('"');
      for (++i; i < n && d[i] != c; ++i) {
        if (d[i] == '\\' && i + 1 < n) {
          out.push_back('\\');
          out.push_back(lower(d[++i]));
        } else {
          out.push_back(d[i] == '\n' || d[i] == '\r' ? ' ' : lower(d[i]));
        }
      }
      out.push_back('"');
      i = std::min(n, i + 1);
      last_word = false;
    } else if (word_byte(c)) {
      const uint64_t from = i;
      while (i < n && word_byte(d[i])) ++i;
      std::string word;
      for (uint64_t k = from; k < i; ++k) word.push_back(lower(d[k]));
      if (last_word) out.push_back(' ');
      const bool declares = declare == Declare::kVar || declare == Declare::kFunctionName ||
                            declare == Declare::kParams;
      auto known = names.find(word);
      if (declares && known == names.end() && !(word[0] >= '0' && word[0] <= '9') &&
          names.size() < kMaxJsNames) {
        char renamed[16];
        std::snprintf(renamed, sizeof renamed, "n%03zu", names.size());
        known = names.emplace(word, renamed).first;
      }
      out += known != names.end() ? known->second : word;
      if (word == "var") {
        declare = Declare::kVar;
      } else if (word == "function") {
        declare = Declare::kFunctionName;
      } else if (declare == Declare::kFunctionName) {
        declare = Declare::kBeforeParams;
      } else if (declare != Declare::kParams) {
        declare = Declare::kNone;
      }
      last_word = true;
    } else {
      out.push_back(static_cast<char>(c));
      if (c == '(' && (declare == Declare::kFunctionName || declare == Declare::kBeforeParams)) {
        declare = Declare::kParams;
      } else if (declare != Declare::kParams || c == ')') {
        declare = Declare::kNone;
      }
      last_word = false;
      ++i;
    }
  }
  out += "</script>";
}

// The folding table: whitespace to ' ', ASCII letters lowered.
const std::array<char, 256>& fold_table() {
  static const std::array<char, 256> table = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = space(static_cast<uint8_t>(c)) ? ' ' : lower(c);
    return t;
  }();
  return table;
}

// Folds data[0, size) to `o` without a branch per byte: each byte folded through the table,
// written, and kept unless it is a space following a space. Returns the end of the output.
char* fold_bytes(const uint8_t* data, uint64_t size, char* o, bool& in_space) {
  const std::array<char, 256>& fold = fold_table();
  for (uint64_t i = 0; i < size; ++i) {
    char c = fold[data[i]];
    bool sp = c == ' ';
    *o = c;
    o += (sp && in_space) ? 0 : 1;
    in_space = sp;
  }
  return o;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define VIGIL_FOLD_AVX512 1
// The same 64 bytes at a time (AVX-512 VBMI2: the kept bytes compressed in a register and
// stored whole). Folds whole blocks only; returns how many input bytes it consumed. The output
// never runs ahead of the input, so a whole block always fits.
__attribute__((target("avx512f,avx512bw,avx512vbmi2"))) uint64_t fold_blocks_avx512(
    const uint8_t* data, uint64_t size, char*& o, bool& in_space) {
  const __m512i k9 = _mm512_set1_epi8(9), k4 = _mm512_set1_epi8(4);
  const __m512i kA = _mm512_set1_epi8('A'), k25 = _mm512_set1_epi8(25);
  const __m512i kSpace = _mm512_set1_epi8(' '), kCase = _mm512_set1_epi8(0x20);
  uint64_t i = 0;
  for (; i + 64 <= size; i += 64) {
    const __m512i v = _mm512_loadu_si512(data + i);
    const __mmask64 ws = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, k9), k4) |
                         _mm512_cmpeq_epi8_mask(v, kSpace);  // tab..CR, and space
    const __mmask64 upper = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, kA), k25);
    const __m512i folded =
        _mm512_mask_mov_epi8(_mm512_mask_mov_epi8(v, upper, _mm512_or_si512(v, kCase)), ws, kSpace);
    const __mmask64 drop = ws & ((ws << 1) | (in_space ? 1u : 0u));
    const __mmask64 keep = ~drop;
    _mm512_storeu_si512(o, _mm512_maskz_compress_epi8(keep, folded));
    o += _mm_popcnt_u64(keep);
    in_space = (ws >> 63) != 0;
  }
  return i;
}
#endif

}  // namespace

void normalize_text_bytewise(const uint8_t* data, uint64_t size, std::string& out) {
  const size_t base = out.size();
  out.resize(base + size);
  bool in_space = false;
  char* end = fold_bytes(data, size, out.data() + base, in_space);
  out.resize(static_cast<size_t>(end - out.data()));
}

void normalize_text(const uint8_t* data, uint64_t size, std::string& out) {
  out.reserve(out.size() + size);
#ifdef VIGIL_FOLD_AVX512
  static const bool vbmi2 =
      __builtin_cpu_supports("avx512bw") != 0 && __builtin_cpu_supports("avx512vbmi2") != 0;
#endif
  // Folded a chunk at a time into a buffer on the stack and appended: the output is written
  // once, where growing the string first would zero it all before it is written.
  constexpr uint64_t kChunk = uint64_t{16} << 10;  // whole 64-byte blocks
  char buf[kChunk];
  bool in_space = false;
  for (uint64_t at = 0; at < size;) {
    const uint64_t n = std::min(kChunk, size - at);
    char* o = buf;
    uint64_t done = 0;
#ifdef VIGIL_FOLD_AVX512
    if (vbmi2) done = fold_blocks_avx512(data + at, n, o, in_space);
#endif
    o = fold_bytes(data + at + done, n - done, o, in_space);
    out.append(buf, static_cast<size_t>(o - buf));
    at += n;
  }
}

void normalize_html(const uint8_t* data, uint64_t size, std::string& markup, std::string& text,
                    std::string& script) {
  const size_t script_base = script.size();
  const size_t markup_base = markup.size();
  markup.reserve(markup.size() + size);
  text.reserve(text.size() + size / 2);
  bool markup_space = false, text_space = false;
  bool in_tag = false;
  bool past_name = false;     // the tag's name has ended (at whitespace): attributes follow
  bool script_tag = false;    // the tag being read is <script ...>
  bool in_script = false;     // between <script ...> and </script>
  uint64_t script_from = 0;   // where the current script's text starts
  uint8_t quote = 0;          // the quote of an attribute value being read, if any
  bool spaced_value = false;  // it holds whitespace or '>'
  // An <a> tag's href and an <img> tag's src go to the text layer too, as clamscan writes them
  // there: the first such attribute of the tag, its value with references decoded and
  // whitespace collapsed, its case kept.
  std::string_view link_attr;       // " href=" or " src=" in the tag being read, else empty
  bool link_done = false;           // the tag's link was written
  uint64_t link_from = UINT64_MAX;  // where the quoted link value being read starts
  auto names_link = [&] {
    return !link_attr.empty() && !link_done && past_name && !in_script &&
           markup.size() > link_attr.size() &&
           markup.compare(markup.size() - link_attr.size(), link_attr.size(), link_attr) == 0;
  };
  auto write_link = [&](uint64_t from, uint64_t to) {
    for (uint64_t k = from; k < to; ++k) {
      char out = static_cast<char>(data[k]);
      uint64_t len = 1;
      if (data[k] == '&' && reference(data, to, k, out, len, /*keep_case=*/true)) {
        k += len - 1;
      } else if (out == '\'') {
        out = '"';  // as in the value's markup
      }
      put(text, out, text_space);
    }
    put(text, ' ', text_space);
    link_done = true;
  };
  // Bytes with no role in the markup: a run of them is appended lowered in one go, as the
  // loop below would append them one by one.
  static const std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
      t[c] = !space(static_cast<uint8_t>(c)) && c != '<' && c != '>' && c != '&' && c != '"' &&
             c != '\'' && c != '=';
    }
    return t;
  }();
  auto append_lowered = [](std::string& out, const uint8_t* from, uint64_t n) {
    const size_t base = out.size();
    out.append(reinterpret_cast<const char*>(from), n);  // appended, then lowered in place
    for (char *p = out.data() + base, *end = p + n; p != end; ++p) *p = lower(*p);
  };
  // Script text (outside its tags) is markup only, with no whitespace at all ("var a = b"
  // becomes "vara=b", as in ClamAV's normalized markup) and double quotes for single ones.
  auto script_text = [&] { return in_script && !in_tag; };
  for (uint64_t i = 0; i < size; ++i) {
    uint8_t c = data[i];
    if (in_tag && quote == 0 && c != '"' && c != '\'' && c != '>' && !space(c) && names_link()) {
      uint64_t end = i;  // an unquoted link value: up to whitespace or the tag's end
      while (end < size && !space(data[end]) && data[end] != '>') ++end;
      write_link(i, end);
    }
    if (kPlain[c]) {
      uint64_t end = i + 1;
      while (end < size && kPlain[data[end]]) ++end;
      append_lowered(markup, data + i, end - i);
      markup_space = false;
      if (!in_tag && !in_script) {
        append_lowered(text, data + i, end - i);
        text_space = false;
      }
      i = end - 1;
      continue;
    }
    if (in_tag && quote != 0) {
      // In a quoted attribute value, '<' and '>' are the value's bytes.
      if (c == quote) {
        markup.push_back('"');  // clamscan writes every quote in a tag as a double one
        markup_space = false;
        quote = 0;
        if (link_from != UINT64_MAX) write_link(link_from, i);
        link_from = UINT64_MAX;
        // After the value closes, a space separates the next attribute (not before '=', and
        // not after a value that holds whitespace or '>').
        if (!spaced_value && i + 1 < size && data[i + 1] != '>' && data[i + 1] != '=' &&
            !space(data[i + 1])) {
          put(markup, ' ', markup_space);
        }
        continue;
      }
      if (c == '<' || c == '>') {
        markup.push_back(static_cast<char>(c));
        markup_space = false;
        spaced_value = spaced_value || c == '>';
        continue;
      }
      if (space(c)) {
        // A run of whitespace in a value is its first byte, a line feed as a space; a carriage
        // return is dropped.
        if (c == '\r') continue;
        if (!markup_space) markup.push_back(c == '\n' ? ' ' : static_cast<char>(c));
        markup_space = true;
        spaced_value = true;
        continue;
      }
    }
    if (script_text() && space(c)) continue;
    if (in_tag && quote == 0 && space(c)) {
      // In a tag, clamscan drops the whitespace around '=' and before the tag's '>'.
      uint64_t next = i + 1;
      while (next < size && space(data[next])) ++next;
      const bool dropped =
          (!markup.empty() && markup.back() == '=' && equals_in_token(markup) == 1) ||
          (next < size && (data[next] == '=' || data[next] == '>'));
      if (!dropped) put(markup, ' ', markup_space);
      i = next - 1;
      past_name = true;
      continue;
    }
    if (script_text() && c == '<' && !tag_named(data, size, i + 1, "/script")) {
      markup.push_back('<');  // a comparison, or "<!--" around old scripts: script text
      markup_space = false;
      continue;
    }
    if (!in_tag && c == '<' && size - i >= 4 && std::memcmp(data + i, "<!--", 4) == 0) {
      // A comment; one left open runs to the end.
      i = find(data, size, i + 4, "-->") + 2;
      continue;
    }
    if (!in_tag && c == '<' && size - i >= 2 && data[i + 1] == '!') {
      // A declaration or CDATA section ("<!doctype ...>", "<![cdata[...") is dropped through
      // the next '>'.
      i = find(data, size, i + 2, ">");
      continue;
    }
    if (in_tag && quote == 0 && (c == '"' || c == '\'') && past_name && after_equals(markup)) {
      // An attribute value opens (a quote elsewhere in a tag, or within its name, is a byte).
      quote = c;
      spaced_value = false;
      if (names_link()) link_from = i + 1;
      markup.push_back('"');
      markup_space = false;
      continue;
    }
    uint64_t name = i + 1;  // where a tag's name would start: whitespace after '<' is dropped
    while (c == '<' && !in_tag && name < size && space(data[name])) ++name;
    if (c == '<' && !in_tag && !(name < size && tag_start(data[name]))) {
      // Not a tag ("a <1", "\"<\"+s"): a byte of text.
      put(markup, '<', markup_space);
      put(text, '<', text_space);
      continue;
    }
    if (c == '<') {
      // Whitespace between tags is dropped.
      if (markup_space && markup.size() >= 2 && markup[markup.size() - 2] == '>') {
        markup.pop_back();
      }
      if (!in_tag) {
        script_tag = tag_named(data, size, name, "script");
        if (in_script && tag_named(data, size, name, "/script")) {
          in_script = false;
          normalize_script(data + script_from, i - script_from, script);
        }
        i = name - 1;
        past_name = false;
        link_attr = tag_named(data, size, name, "a")     ? " href="
                    : tag_named(data, size, name, "img") ? " src="
                                                         : "";
        link_done = false;
        link_from = UINT64_MAX;
      }
      in_tag = true;
      markup.push_back('<');
      markup_space = false;
      put(text, ' ', text_space);
      continue;
    }
    if (c == '>' && in_tag) {
      in_tag = false;
      if (script_tag && !in_script) {
        in_script = true;
        script_from = i + 1;
      }
      script_tag = false;
      markup.push_back('>');
      markup_space = true;  // a space right after a tag is dropped too
      continue;
    }
    // In script text and in attribute values, clamscan's markup writes every single quote as a
    // double one.
    char out = lower(c);
    if (c == '\'' && (script_text() || (in_tag && (quote != 0 || equals_in_token(markup) > 0)))) {
      out = '"';
    }
    uint64_t len = 1;
    if (c == '&' && reference(data, size, i, out, len)) i += len - 1;
    put(markup, out, markup_space);
    if (!in_tag && !in_script) put(text, out, text_space);
  }
  if (in_script) normalize_script(data + script_from, size - script_from, script);
  // Renamed names and the tags around each script can make the layer longer than the input; it
  // is cut there, so that a match's offset always lies within the input's size.
  if (script.size() > script_base + size) script.resize(script_base + size);
  // The spaces written after attribute values can make the markup longer too.
  if (markup.size() > markup_base + size) markup.resize(markup_base + size);
}

}  // namespace vigil::scan
