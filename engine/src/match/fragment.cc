// Chooses each signature's prefilter literal: every window of up to kMaxFragmentBytes inside a
// run of exact top-level bytes is scored, and the best window wins (ties: the earliest).
#include "match/fragment.h"

#include <array>

namespace vigil::match {
namespace {

int byte_score(uint8_t b) {
  switch (b) {
    case 0x00:
    case 0xFF:
      return 1;
    case 0x20:
    case 0xCC:
    case 0x90:
    case 0x0A:
    case 0x0D:
    case 0x01:
      return 3;
    default:
      break;
  }
  if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return 5;
  return 6;
}

}  // namespace

int fragment_score(std::string_view bytes) {
  std::array<bool, 256> seen{};
  int score = 0, distinct = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint8_t b = static_cast<uint8_t>(bytes[i]);
    score += (i > 0 && bytes[i - 1] == bytes[i]) ? 1 : byte_score(b);
    if (!seen[b]) {
      seen[b] = true;
      ++distinct;
    }
  }
  return score + 2 * distinct;
}

size_t fixed_tail(const sig::Sequence& pattern) {
  size_t tail = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const sig::Node& n = pattern[i];
    if (n.kind == sig::NodeKind::kGap && n.min != n.max) tail = i + 1;
  }
  return tail;
}

std::optional<Fragment> choose_fragment(const sig::Sequence& pattern, bool caseless, size_t from) {
  std::optional<Fragment> best;
  auto fixed = [caseless](const sig::Node& n) {
    return n.is_exact_byte() || (caseless && sig::is_caseless_letter(n));
  };
  size_t i = from;
  while (i < pattern.size()) {
    if (!fixed(pattern[i])) {
      ++i;
      continue;
    }
    size_t run_end = i;
    while (run_end < pattern.size() && fixed(pattern[run_end])) ++run_end;
    std::string run;
    for (size_t k = i; k < run_end; ++k) {
      const sig::Node& n = pattern[k];
      run.push_back(static_cast<char>(n.mask == 0xDF ? n.value | 0x20 : n.value));
    }
    if (run.size() >= kMinFragmentBytes) {
      size_t width = run.size() < kMaxFragmentBytes ? run.size() : kMaxFragmentBytes;
      for (size_t off = 0; off + width <= run.size(); ++off) {
        std::string_view w = std::string_view(run).substr(off, width);
        int s = fragment_score(w);
        if (!best || s > best->score) {
          bool folded = false;
          for (size_t k = i + off; k < i + off + width; ++k) {
            folded = folded || sig::is_caseless_letter(pattern[k]);
          }
          best = Fragment{static_cast<uint32_t>(i + off), static_cast<uint32_t>(i + off + width),
                          std::string(w), s, folded};
        }
      }
    }
    i = run_end;
  }
  return best;
}

}  // namespace vigil::match
