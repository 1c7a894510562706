// PdfReader: a PDF as a container whose members are its streams, decoded. The file is not
// parsed as a document (no xref, no object graph): like a scanner that must also read damaged
// and hostile files, it walks the bytes for "stream" keywords that follow a dictionary, reads
// that dictionary's /Length and /Filter, and hands out the stream's bytes through its filters.
// FlateDecode (zlib or raw deflate), ASCIIHexDecode, ASCII85Decode, LZWDecode (EarlyChange 1,
// the default) and RunLengthDecode are decoded; decoding stops at the first other filter (an
// image codec, a crypt filter) and the member is the bytes decoded up to there. Decoding is pulled
// a block at a time, so a member costs a few fixed buffers whatever it expands to, and the
// descent's size and ratio limits see every block; a stream that stops decoding (damaged,
// truncated) ends where it stopped.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "unpack/readers.h"

namespace vigil::unpack {
namespace {

constexpr size_t kSniffWindow = 1024;          // "%PDF-" may follow some junk, as in readers
constexpr uint64_t kMaxDictionary = 64 << 10;  // how far back a stream's dictionary is looked for
constexpr size_t kMaxFilters = 8;              // a longer chain is decoded this far

bool pdf_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\0';
}
bool delimiter(uint8_t c) { return std::strchr("()<>[]{}/%", c) != nullptr && c != '\0'; }
int hex_value(int c) {
  return c >= '0' && c <= '9'                     ? c - '0'
         : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                  : -1;
}

// One step of a stream's decoding: pull() gives up to n decoded bytes, 0 at the end (including
// an end forced by bytes it cannot decode).
class Stage {
 public:
  virtual ~Stage() = default;
  virtual size_t pull(uint8_t* out, size_t n) = 0;
};

// The stream's own bytes.
class Source final : public Stage {
 public:
  Source(const uint8_t* data, uint64_t size, uint64_t* consumed)
      : data_(data), size_(size), consumed_(consumed) {}
  size_t pull(uint8_t* out, size_t n) override {
    size_t k = static_cast<size_t>(std::min<uint64_t>({n, size_ - pos_, ContainerReader::kBlock}));
    std::memcpy(out, data_ + pos_, k);
    pos_ += k;
    *consumed_ += k;
    return k;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t* consumed_;
};

// A stage that decodes what the stage before it gives, read through a buffer.
class Filter : public Stage {
 public:
  explicit Filter(Stage& in) : in_(in) {}

 protected:
  // The next input byte, or -1 at the input's end.
  int next_in() {
    if (at_ == got_) {
      got_ = in_.pull(buf_, sizeof buf_);
      at_ = 0;
      if (got_ == 0) return -1;
    }
    return buf_[at_++];
  }
  Stage& in_;
  uint8_t buf_[4096];
  size_t at_ = 0, got_ = 0;
};

class Flate final : public Filter {
 public:
  explicit Flate(Stage& in) : Filter(in) { ok_ = inflateInit(&z_) == Z_OK; }
  ~Flate() override { inflateEnd(&z_); }
  size_t pull(uint8_t* out, size_t n) override {
    size_t made = 0;
    while (ok_ && made < n) {
      if (z_.avail_in == 0) {
        if (at_ == got_) {
          got_ = in_.pull(buf_, sizeof buf_);
          at_ = 0;
        }
        if (got_ == 0) break;  // the input ends before the deflate stream does
        z_.next_in = buf_ + at_;
        z_.avail_in = static_cast<uInt>(got_ - at_);
        at_ = got_;
      }
      z_.next_out = out + made;
      z_.avail_out = static_cast<uInt>(std::min<size_t>(n - made, UINT32_MAX));
      const uInt before_in = z_.avail_in;
      int rc = inflate(&z_, Z_NO_FLUSH);
      made = static_cast<size_t>(z_.next_out - out);
      if (rc == Z_DATA_ERROR && z_.total_out == 0 && !raw_ &&
          z_.total_in == before_in - z_.avail_in) {
        // No zlib header: PDF writers also emit bare deflate. Start again as that.
        raw_ = true;
        inflateEnd(&z_);
        Bytef* again = z_.next_in - (before_in - z_.avail_in);
        uInt left = before_in;
        z_ = z_stream{};
        ok_ = inflateInit2(&z_, -MAX_WBITS) == Z_OK;
        z_.next_in = again;
        z_.avail_in = left;
        continue;
      }
      if (rc != Z_OK) ok_ = false;  // the end, or bytes it cannot decode: stop there
    }
    return made;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
  bool raw_ = false;
};

class AsciiHex final : public Filter {
 public:
  using Filter::Filter;
  size_t pull(uint8_t* out, size_t n) override {
    size_t made = 0;
    while (!done_ && made < n) {
      int c = next_in();
      if (c < 0 || c == '>') {  // the end; a lone last digit counts as followed by 0
        if (half_) out[made++] = static_cast<uint8_t>(high_ << 4);
        done_ = true;
        break;
      }
      if (pdf_space(static_cast<uint8_t>(c))) continue;
      const int v = hex_value(c);
      if (v < 0) {
        done_ = true;
        break;
      }
      if (half_) out[made++] = static_cast<uint8_t>(high_ << 4 | v);
      high_ = v;
      half_ = !half_;
    }
    return made;
  }

 private:
  int high_ = 0;
  bool half_ = false;
  bool done_ = false;
};

// A filter whose steps each give a run of bytes (up to kRun), handed out as pull() asks.
class RunFilter : public Filter {
 public:
  using Filter::Filter;
  size_t pull(uint8_t* out, size_t n) override {
    size_t made = 0;
    while (made < n) {
      if (at_run_ == run_len_) {
        at_run_ = run_len_ = 0;
        if (done_ || !step()) {
          done_ = true;
          break;
        }
        continue;
      }
      const size_t k = std::min(n - made, run_len_ - at_run_);
      std::memcpy(out + made, run_ + at_run_, k);
      made += k;
      at_run_ += k;
    }
    return made;
  }

 protected:
  static constexpr size_t kRun = 4096;
  // Puts the next run into run_[0, run_len_); false at the end.
  virtual bool step() = 0;
  uint8_t run_[kRun];
  size_t run_len_ = 0, at_run_ = 0;
  bool done_ = false;
};

// ASCII85Decode: groups of five digits '!'..'u' for four bytes, 'z' for four zeros, a short
// last group padded with 'u'; "~>" (or any byte outside the alphabet) ends the data.
class Ascii85 final : public RunFilter {
 public:
  using RunFilter::RunFilter;

 private:
  bool step() override {
    uint32_t digits[5];
    int k = 0;
    while (k < 5) {
      const int c = next_in();
      if (c < 0 || c == '~') break;
      if (pdf_space(static_cast<uint8_t>(c))) continue;
      if (c == 'z' && k == 0) {
        run_len_ = 4;
        std::memset(run_, 0, run_len_);
        return true;
      }
      if (c < '!' || c > 'u') break;
      digits[k++] = static_cast<uint32_t>(c - '!');
    }
    if (k < 5) done_ = true;  // this group is the last
    if (k < 2) return false;  // nothing, or a single digit that encodes no byte
    for (int j = k; j < 5; ++j) digits[j] = 84;
    uint64_t v = 0;
    for (uint32_t d : digits) v = v * 85 + d;
    if (v > UINT32_MAX) return false;
    for (int j = 0; j < 4; ++j) run_[j] = static_cast<uint8_t>(v >> (24 - 8 * j));
    run_len_ = static_cast<size_t>(k - 1);
    return true;
  }
};

// RunLengthDecode: a length byte L, then L + 1 bytes as they are (L < 128) or one byte
// repeated 257 - L times (L > 128); 128 ends the data.
class RunLength final : public RunFilter {
 public:
  using RunFilter::RunFilter;

 private:
  bool step() override {
    const int l = next_in();
    if (l < 0 || l == 128) return false;
    if (l < 128) {
      for (int k = 0; k <= l; ++k) {
        const int c = next_in();
        if (c < 0) return run_len_ > 0;
        run_[run_len_++] = static_cast<uint8_t>(c);
      }
      return true;
    }
    const int c = next_in();
    if (c < 0) return false;
    run_len_ = static_cast<size_t>(257 - l);
    std::memset(run_, c, run_len_);
    return true;
  }
};

// LZWDecode with the default EarlyChange 1: 9- to 12-bit codes, most significant bit first;
// 256 clears the table, 257 ends the data. A table entry is its prefix's code and its last
// byte, so an entry's bytes are rebuilt backwards into run_ (at most 4096 of them).
class Lzw final : public RunFilter {
 public:
  using RunFilter::RunFilter;

 private:
  static constexpr uint32_t kClear = 256, kEod = 257, kFirst = 258, kMaxCodes = 4096;
  int read_code() {
    while (bits_ < width_) {
      const int c = next_in();
      if (c < 0) return -1;
      acc_ = acc_ << 8 | static_cast<uint32_t>(c);
      bits_ += 8;
    }
    bits_ -= width_;
    return static_cast<int>(acc_ >> bits_ & ((1u << width_) - 1));
  }
  // The bytes of `code` into run_; false for a code not in the table.
  bool expand(uint32_t code) {
    if (code >= next_ || (code >= kClear && code < kFirst)) return false;
    uint32_t len = 1;
    for (uint32_t c = code; c >= kFirst; c = prefix_[c]) ++len;
    run_len_ = len;
    for (uint32_t c = code; len > 0; c = prefix_[c]) {
      run_[--len] = c < kClear ? static_cast<uint8_t>(c) : last_[c];
      if (c < kClear) break;
    }
    return true;
  }
  bool step() override {
    for (;;) {
      const int code = read_code();
      if (code < 0 || code == static_cast<int>(kEod)) return false;
      if (code == static_cast<int>(kClear)) {
        next_ = kFirst;
        width_ = 9;
        prev_ = -1;
        continue;
      }
      const auto c = static_cast<uint32_t>(code);
      if (prev_ < 0) {
        if (!expand(c)) return false;
      } else {
        // A code not yet in the table is the previous entry plus its own first byte.
        const bool known = c < next_;
        if (!expand(known ? c : static_cast<uint32_t>(prev_))) return false;
        const uint8_t first = run_[0];
        if (!known) {
          if (c != next_ || run_len_ >= kRun) return false;
          run_[run_len_++] = first;
        }
        if (next_ < kMaxCodes) {
          prefix_[next_] = static_cast<uint16_t>(prev_);
          last_[next_] = first;
          ++next_;
        }
      }
      if (next_ + 1 >= (1u << width_) && width_ < 12) ++width_;
      prev_ = code;
      return true;
    }
  }
  uint16_t prefix_[kMaxCodes] = {};
  uint8_t last_[kMaxCodes] = {};
  uint32_t next_ = kFirst, width_ = 9, acc_ = 0, bits_ = 0;
  int prev_ = -1;
};

enum class FilterKind { kFlate, kHex, kA85, kRunLength, kLzw, kOther };

FilterKind filter_kind(std::string_view name) {
  if (name == "FlateDecode" || name == "Fl") return FilterKind::kFlate;
  if (name == "ASCIIHexDecode" || name == "AHx") return FilterKind::kHex;
  if (name == "ASCII85Decode" || name == "A85") return FilterKind::kA85;
  if (name == "RunLengthDecode" || name == "RL") return FilterKind::kRunLength;
  if (name == "LZWDecode" || name == "LZW") return FilterKind::kLzw;
  return FilterKind::kOther;
}

// What a stream's dictionary says about it.
struct StreamInfo {
  int64_t length = -1;  // a direct /Length; -1 when absent or indirect
  std::vector<FilterKind> filters;
};

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && pdf_space(s[i])) ++i;
  return i;
}

// Past the string that opens at s[i] ('('): balanced parentheses, backslash escapes.
size_t skip_string(std::string_view s, size_t i) {
  int nest = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '(') {
      ++nest;
    } else if (s[i] == ')' && --nest == 0) {
      return i + 1;
    }
  }
  return s.size();
}

// Past the hex string that opens at s[i] ('<' not followed by '<').
size_t skip_hex_string(std::string_view s, size_t i) {
  const size_t close = s.find('>', i);
  return close == std::string_view::npos ? s.size() : close + 1;
}

// The dictionary that ends `text` ("<< ... >>", then maybe whitespace): where its "<<" is, or
// npos. Read forwards, so that strings and comments (which may hold "<<" or ">>") are passed
// over as a PDF reader passes them; when that finds none (a stray '(' or "<<" earlier in the
// window), the "<<" that balances the final ">>" counting backwards.
size_t dictionary_start(std::string_view text) {
  size_t open = std::string_view::npos, found = std::string_view::npos, found_end = 0;
  int depth = 0;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '(') {
      i = skip_string(text, i);
    } else if (c == '%') {  // a comment, to the end of its line
      while (i < text.size() && text[i] != '\n' && text[i] != '\r') ++i;
    } else if (c == '<' && i + 1 < text.size() && text[i + 1] == '<') {
      if (depth++ == 0) open = i;
      i += 2;
    } else if (c == '<') {
      i = skip_hex_string(text, i);
    } else if (c == '>' && i + 1 < text.size() && text[i + 1] == '>') {
      i += 2;
      if (depth > 0 && --depth == 0) {
        found = open;
        found_end = i;
      }
    } else {
      ++i;
    }
  }
  if (found != std::string_view::npos && skip_space(text, found_end) == text.size()) return found;
  size_t i = text.size();
  while (i > 0 && pdf_space(text[i - 1])) --i;
  depth = 0;
  while (i >= 2) {
    if (text[i - 1] == '>' && text[i - 2] == '>') {
      ++depth;
      i -= 2;
    } else if (text[i - 1] == '<' && text[i - 2] == '<') {
      i -= 2;
      if (--depth == 0) return i;
    } else {
      --i;
    }
  }
  return std::string_view::npos;
}

// The name at s[i] ('/'), its #xx escapes decoded; i moves past it.
std::string read_name(std::string_view s, size_t& i) {
  std::string name;
  for (++i; i < s.size() && !pdf_space(s[i]) && !delimiter(s[i]); ++i) {
    if (s[i] == '#' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      name.push_back(static_cast<char>(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2])));
      i += 2;
    } else {
      name.push_back(s[i]);
    }
  }
  return name;
}

// /Length and /Filter of the dictionary `dict` ("<< ... >>"), read at its own level only: keys
// of nested dictionaries, the insides of strings and other keys' values are passed over (keys
// and values alternate, so "/S /Filter" is a key and its value).
StreamInfo read_dictionary(std::string_view dict) {
  StreamInfo info;
  int depth = 0;
  bool want_key = true;  // at depth 1: whether the next object is a key or a value
  auto value_done = [&] {
    if (depth == 1) want_key = true;
  };
  for (size_t i = 0; i < dict.size();) {
    const char c = dict[i];
    if (pdf_space(c)) {
      ++i;
    } else if (c == '<' && i + 1 < dict.size() && dict[i + 1] == '<') {
      ++depth;
      i += 2;
    } else if (c == '>' && i + 1 < dict.size() && dict[i + 1] == '>') {
      --depth;
      i += 2;
      value_done();  // a nested dictionary's end ends the value it was
    } else if (c == '(') {
      i = skip_string(dict, i);
      value_done();
    } else if (c == '<') {
      i = skip_hex_string(dict, i);
      value_done();
    } else if (c == '[' && depth == 1 && !want_key) {
      int nest = 0;  // an array value, nested arrays and all
      for (; i < dict.size(); ++i) {
        if (dict[i] == '[') ++nest;
        if (dict[i] == ']' && --nest == 0) break;
      }
      i = std::min(dict.size(), i + 1);
      want_key = true;
    } else if (c == '/' && depth == 1 && want_key) {
      const std::string key = read_name(dict, i);
      want_key = false;
      if (key == "Length") {
        size_t at = skip_space(dict, i);
        int64_t v = 0;
        size_t digits = 0;
        for (; at < dict.size() && dict[at] >= '0' && dict[at] <= '9' && digits < 15; ++at) {
          v = v * 10 + (dict[at] - '0');
          ++digits;
        }
        // "/Length 12 0 R" refers to another object: not known here.
        const size_t next = skip_space(dict, at);
        const bool indirect = next < dict.size() && dict[next] >= '0' && dict[next] <= '9';
        if (digits > 0 && !indirect) info.length = v;
      } else if (key == "Filter") {
        size_t at = skip_space(dict, i);
        const bool array = at < dict.size() && dict[at] == '[';
        if (array) ++at;
        info.filters.clear();
        while (info.filters.size() < kMaxFilters) {
          at = skip_space(dict, at);
          if (at >= dict.size() || dict[at] != '/') break;
          info.filters.push_back(filter_kind(read_name(dict, at)));
          if (!array) break;
        }
        if (array) {
          while (at < dict.size() && dict[at] != ']') ++at;
          at = std::min(dict.size(), at + 1);
        }
        i = at;
        want_key = true;
      }
    } else if (depth == 1 && !want_key) {
      // A value of one token: a name, a number, true/false/null (an "N G R" reference's
      // other tokens are then skipped as keys that are not names).
      if (c == '/') {
        read_name(dict, i);
      } else {
        const size_t from = i;
        while (i < dict.size() && !pdf_space(dict[i]) && !delimiter(dict[i])) ++i;
        if (i == from) ++i;  // a stray delimiter (')', ']', '>'): passed over
      }
      want_key = true;
    } else {
      ++i;
    }
  }
  return info;
}

class PdfReader final : public ContainerReader {
 public:
  PdfReader(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  Next next(Member& member) override;
  int64_t read(uint8_t* out, size_t size) override {
    return top_ == nullptr ? 0 : static_cast<int64_t>(top_->pull(out, size));
  }
  uint64_t consumed() const override { return consumed_; }
  std::string format() const override { return "PDF"; }
  std::string error() const override { return "unreadable PDF"; }

 private:
  std::string_view text(uint64_t from, uint64_t to) const {
    return {reinterpret_cast<const char*>(data_ + from), static_cast<size_t>(to - from)};
  }
  // The start of the next "stream" keyword that opens a stream at or after pos_, or size_.
  uint64_t find_stream(uint64_t& data_start);

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t consumed_ = 0;
  uint32_t count_ = 0;
  std::vector<std::unique_ptr<Stage>> stages_;  // the current member's, source first
  Stage* top_ = nullptr;
};

uint64_t PdfReader::find_stream(uint64_t& data_start) {
  constexpr std::string_view kKeyword = "stream";
  while (pos_ < size_) {
    const void* hit = ::memmem(data_ + pos_, size_ - pos_, kKeyword.data(), kKeyword.size());
    if (hit == nullptr) break;
    const uint64_t at = static_cast<uint64_t>(static_cast<const uint8_t*>(hit) - data_);
    pos_ = at + kKeyword.size();
    // After a dictionary ("... >>" and optional whitespace), and followed by an end of line.
    uint64_t before = at;
    while (before > 0 && pdf_space(data_[before - 1])) --before;
    if (before < 2 || data_[before - 1] != '>' || data_[before - 2] != '>') continue;
    uint64_t start = pos_;
    if (start < size_ && data_[start] == '\r') ++start;
    if (start < size_ && data_[start] == '\n') ++start;
    if (start == pos_) continue;
    data_start = start;
    return at;
  }
  pos_ = size_;
  return size_;
}

ContainerReader::Next PdfReader::next(Member& member) {
  top_ = nullptr;
  stages_.clear();
  const uint64_t from = pos_;
  uint64_t start = 0;
  const uint64_t keyword = find_stream(start);
  if (keyword == size_) return Next::kEnd;
  // The dictionary before it, looked for back to kMaxDictionary or the previous stream's end.
  const uint64_t floor = std::max(keyword > kMaxDictionary ? keyword - kMaxDictionary : 0, from);
  const std::string_view window = text(floor, keyword);
  const size_t dict = dictionary_start(window);
  const StreamInfo info =
      dict == std::string_view::npos ? StreamInfo{} : read_dictionary(window.substr(dict));
  // Its end: the declared length where "endstream" follows it, else the next "endstream".
  uint64_t end = size_;
  if (info.length >= 0 && static_cast<uint64_t>(info.length) <= size_ - start) {
    uint64_t after = start + static_cast<uint64_t>(info.length);
    uint64_t k = after;
    while (k < size_ && pdf_space(data_[k])) ++k;
    if (text(k, std::min(size_, k + 9)) == "endstream") end = after;
  }
  if (end == size_) {
    const void* e = ::memmem(data_ + start, size_ - start, "endstream", 9);
    if (e != nullptr) {
      end = static_cast<uint64_t>(static_cast<const uint8_t*>(e) - data_);
      if (end > start && data_[end - 1] == '\n') --end;
      if (end > start && data_[end - 1] == '\r') --end;
    }
  }
  pos_ = end;
  // The member's name: the object's number where "N G obj" precedes the dictionary.
  std::string name = "stream" + std::to_string(count_++);
  std::string_view head = window.substr(0, dict == std::string_view::npos ? 0 : dict);
  while (!head.empty() && pdf_space(head.back())) head.remove_suffix(1);
  if (head.ends_with("obj")) {
    head.remove_suffix(3);
    size_t i = head.size();
    while (i > 0 && pdf_space(head[i - 1])) --i;
    while (i > 0 && head[i - 1] >= '0' && head[i - 1] <= '9') --i;  // generation
    while (i > 0 && pdf_space(head[i - 1])) --i;
    const size_t num_end = i;
    while (i > 0 && head[i - 1] >= '0' && head[i - 1] <= '9' && num_end - i < 10) --i;
    if (i < num_end) name = "obj" + std::string(head.substr(i, num_end - i));
  }
  stages_.push_back(std::make_unique<Source>(data_ + start, end - start, &consumed_));
  for (FilterKind f : info.filters) {
    Stage& in = *stages_.back();
    if (f == FilterKind::kFlate) {
      stages_.push_back(std::make_unique<Flate>(in));
    } else if (f == FilterKind::kHex) {
      stages_.push_back(std::make_unique<AsciiHex>(in));
    } else if (f == FilterKind::kA85) {
      stages_.push_back(std::make_unique<Ascii85>(in));
    } else if (f == FilterKind::kRunLength) {
      stages_.push_back(std::make_unique<RunLength>(in));
    } else if (f == FilterKind::kLzw) {
      stages_.push_back(std::make_unique<Lzw>(in));
    } else {
      break;  // a filter not decoded here: the member is what is decoded so far
    }
  }
  top_ = stages_.back().get();
  member = Member{name, true, false, -1};
  return Next::kMember;
}

}  // namespace

Sniffed sniff_pdf(const uint8_t* data, uint64_t size) {
  const size_t window = static_cast<size_t>(std::min<uint64_t>(size, kSniffWindow));
  for (size_t i = 0; i + 5 <= window; ++i) {
    const void* hit = std::memchr(data + i, '%', window - i);
    if (hit == nullptr) break;
    i = static_cast<size_t>(static_cast<const uint8_t*>(hit) - data);
    if (i + 5 > window) break;
    if (std::memcmp(data + i + 1, "PDF-", 4) == 0 || std::memcmp(data + i + 1, "pdf-", 4) == 0) {
      return Sniffed{Kind::kPdf, true};
    }
  }
  return Sniffed{};
}

common::Result<std::unique_ptr<ContainerReader>> open_pdf(const uint8_t* data, uint64_t size) {
  return std::unique_ptr<ContainerReader>(new PdfReader(data, size));
}

}  // namespace vigil::unpack
