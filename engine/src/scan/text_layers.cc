// Text normalization, one pass each over the input. Whitespace is space, tab, CR, LF, VT and
// FF; case folding is ASCII only. HTML parsing is deliberately shallow (tags, comments and
// character references), the level ClamAV's normalizer works at: it serves signature matching,
// not rendering, and never allocates beyond the output.
#include "scan/text_layers.h"

#include <array>
#include <cstring>
#include <string_view>

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

// A character reference at data[i] ('&'): its byte and length, or false.
bool reference(const uint8_t* d, uint64_t size, uint64_t i, char& out, uint64_t& len) {
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
  out = lower(static_cast<uint8_t>(v));
  return true;
}

// Where `what` next starts in data[from, size), or size when it does not.
uint64_t find(const uint8_t* data, uint64_t size, uint64_t from, std::string_view what) {
  if (from > size) return size;
  const void* at = ::memmem(data + from, size - from, what.data(), what.size());
  return at == nullptr ? size : static_cast<uint64_t>(static_cast<const uint8_t*>(at) - data);
}

}  // namespace

void normalize_text(const uint8_t* data, uint64_t size, std::string& out) {
  // Every byte as put() would append it, without a branch per byte: folded through a table
  // (whitespace to ' '), written, and kept unless it is a space following a space.
  static const std::array<char, 256> kFold = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = space(static_cast<uint8_t>(c)) ? ' ' : lower(c);
    return t;
  }();
  const size_t base = out.size();
  out.resize(base + size);
  char* const first = out.data() + base;
  char* o = first;
  bool in_space = false;
  for (uint64_t i = 0; i < size; ++i) {
    char c = kFold[data[i]];
    bool sp = c == ' ';
    *o = c;
    o += (sp && in_space) ? 0 : 1;
    in_space = sp;
  }
  out.resize(base + static_cast<size_t>(o - first));
}

void normalize_html(const uint8_t* data, uint64_t size, std::string& markup, std::string& text) {
  markup.reserve(markup.size() + size);
  text.reserve(text.size() + size / 2);
  bool markup_space = false, text_space = false;
  bool in_tag = false;
  uint8_t quote = 0;  // the quote of an attribute value being read, if any
  // Bytes with no role in the markup: a run of them is appended lowered in one go, as the
  // loop below would append them one by one.
  static const std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
      t[c] = !space(static_cast<uint8_t>(c)) && c != '<' && c != '>' && c != '&' && c != '"' &&
             c != '\'';
    }
    return t;
  }();
  auto append_lowered = [](std::string& out, const uint8_t* from, uint64_t n) {
    const size_t base = out.size();
    out.resize(base + n);
    for (uint64_t k = 0; k < n; ++k) out[base + k] = lower(from[k]);
  };
  for (uint64_t i = 0; i < size; ++i) {
    uint8_t c = data[i];
    if (kPlain[c]) {
      uint64_t end = i + 1;
      while (end < size && kPlain[data[end]]) ++end;
      append_lowered(markup, data + i, end - i);
      markup_space = false;
      if (!in_tag) {
        append_lowered(text, data + i, end - i);
        text_space = false;
      }
      i = end - 1;
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
    if (in_tag && (c == '"' || c == '\'')) {
      // A quoted attribute value; after it closes, a space separates the next attribute.
      markup.push_back(static_cast<char>(c));
      markup_space = false;
      if (quote == 0) {
        quote = c;
      } else if (quote == c) {
        quote = 0;
        if (i + 1 < size && data[i + 1] != '>' && !space(data[i + 1]))
          put(markup, ' ', markup_space);
      }
      continue;
    }
    if (c == '<') {
      // Whitespace between tags is dropped.
      if (markup_space && markup.size() >= 2 && markup[markup.size() - 2] == '>') {
        markup.pop_back();
      }
      in_tag = true;
      markup.push_back('<');
      markup_space = false;
      put(text, ' ', text_space);
      continue;
    }
    if (c == '>' && in_tag) {
      in_tag = false;
      quote = 0;
      markup.push_back('>');
      markup_space = true;  // a space right after a tag is dropped too
      continue;
    }
    char out = lower(c);
    uint64_t len = 1;
    if (c == '&' && reference(data, size, i, out, len)) i += len - 1;
    put(markup, out, markup_space);
    if (!in_tag) put(text, out, text_space);
  }
}

}  // namespace vigil::scan
