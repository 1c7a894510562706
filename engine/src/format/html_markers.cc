// The HTML markers ClamAV's built-in typing looks for, found over a buffer or a stream in pieces.
// The list is clamscan's (1.4.6, probed one spelling at a time): a few tags in lower, upper or
// capitalised spelling only ("<Table" and "<hTmL>" are not HTML), and "<a " followed anywhere
// later by an href. Pieces are joined through a carry of the last kCarry bytes, so a marker split
// across pieces is found exactly once and the finder holds no more than that.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "format/format.h"

namespace vigil::format {
namespace {

// Each marker in the spellings clamscan accepts (lower, UPPER and Capitalised where probed).
constexpr std::string_view kTags[] = {
    "<html>",  "<HTML>",  "<Html>",  "<head>",  "<HEAD>",  "<Head>", "<script",
    "<SCRIPT", "<Script", "<iframe", "<IFRAME", "<table",  "<TABLE", "<img",
    "<IMG",    "<Img",    "<object", "<OBJECT", "<Object",
};
constexpr size_t kLongestTag = 7;

// "<a " or "<A ", then an href later on: h or H, r or R, then "ef" or "EF" (clamscan: "hrEF" is
// an href, "hReF" is not).
bool anchor_at(const uint8_t* p, size_t left) {
  return left >= 3 && p[0] == '<' && (p[1] == 'a' || p[1] == 'A') && p[2] == ' ';
}
bool href_at(const uint8_t* p, size_t left) {
  if (left < 4 || (p[0] != 'h' && p[0] != 'H') || (p[1] != 'r' && p[1] != 'R')) return false;
  return (p[2] == 'e' && p[3] == 'f') || (p[2] == 'E' && p[3] == 'F');
}
bool tag_at(const uint8_t* p, size_t left) {
  // Most '<' in text start no marker: their next letter rules out every one at once.
  if (left < 2) return false;
  switch (p[1] | 0x20) {
    case 'h':
    case 's':
    case 'i':
    case 't':
    case 'o':
      break;
    default:
      return false;
  }
  for (std::string_view tag : kTags) {
    if (tag.size() <= left && std::memcmp(p, tag.data(), tag.size()) == 0) return true;
  }
  return false;
}

}  // namespace

void HtmlTagFinder::scan(const uint8_t* data, size_t size, size_t from, size_t to, uint64_t base) {
  for (size_t i = from; i < to && !found_; ++i) {
    const uint8_t* p = data + i;
    const size_t left = size - i;
    if (*p == '<') {
      if (tag_at(p, left)) found_ = true;
      if (href_from_ == UINT64_MAX && anchor_at(p, left)) href_from_ = base + i + 3;
    } else if (href_from_ != UINT64_MAX && base + i >= href_from_ && href_at(p, left)) {
      found_ = true;
    }
  }
}

void HtmlTagFinder::feed(const uint8_t* data, size_t size) {
  static_assert(kCarry == kLongestTag - 1, "the carry must hold all but one byte of any marker");
  if (found_ || size == 0) return;
  // Markers that start in the carried bytes and may end in this piece.
  if (carry_len_ != 0) {
    uint8_t joined[2 * kCarry];
    const size_t head = std::min(size, kCarry);
    std::memcpy(joined, carry_, carry_len_);
    std::memcpy(joined + carry_len_, data, head);
    scan(joined, carry_len_ + head, 0, carry_len_, fed_ - carry_len_);
  }
  // Markers that start in this piece. One too close to its end to be decided is decided with the
  // next piece, from the carry; deciding one twice does no harm (found_ only ever turns true).
  if (!found_) {
    // Skip ahead to the next byte that can start a marker, which is what makes long text fast.
    size_t i = 0;
    while (i < size && !found_) {
      if (href_from_ != UINT64_MAX) {
        scan(data, size, i, size, fed_);  // an href may start anywhere now: one pass over the rest
        break;
      }
      const void* lt = std::memchr(data + i, '<', size - i);
      if (lt == nullptr) break;
      i = static_cast<size_t>(static_cast<const uint8_t*>(lt) - data);
      scan(data, size, i, i + 1, fed_);
      ++i;
    }
  }
  // Keep the last kCarry bytes of the stream.
  const size_t total = carry_len_ + size;
  const size_t keep = std::min(total, kCarry);
  uint8_t next[kCarry];
  for (size_t k = 0; k < keep; ++k) {
    const size_t pos = total - keep + k;  // position within carry_ + data
    next[k] = pos < carry_len_ ? carry_[pos] : data[pos - carry_len_];
  }
  std::memcpy(carry_, next, keep);
  carry_len_ = keep;
  fed_ += size;
}

}  // namespace vigil::format
