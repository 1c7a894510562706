// Differential test: random patterns (every construct but classes, which the table covers) and
// random data over a small alphabet, judged by a naive reference matcher that tries every
// start and every gap length. The reference works on the generator's own tree, not on the
// engine's parse, so parser and matcher are both under test.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "scan_support.h"

namespace vigil::match {
namespace {

struct G {
  enum Kind { kByte, kGap, kAlt } kind = kByte;
  uint8_t value = 0, mask = 0xFF;
  uint32_t min = 0, max = 0;  // max == UINT32_MAX: unbounded
  bool negated = false;
  std::vector<std::vector<G>> branches;
};
using GSeq = std::vector<G>;

const char kAlphabet[] = "ABCDAB\n";

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  uint8_t letter() { return static_cast<uint8_t>(kAlphabet[pick(0, sizeof kAlphabet - 2)]); }

  G byte(bool exact) {
    G g;
    g.value = letter();
    if (!exact) {
      int r = pick(0, 3);
      g.mask = r == 0 ? 0x00 : r == 1 ? 0xF0 : r == 2 ? 0x0F : 0xFF;
      g.value &= g.mask;
    }
    return g;
  }

  GSeq branch(int depth, bool fixed_only, int len) {
    GSeq s;
    for (int i = 0; i < len; ++i) {
      if (!fixed_only && depth < 2 && pick(0, 5) == 0) {
        s.push_back(alt(depth + 1, false));
      } else {
        s.push_back(byte(fixed_only));
      }
    }
    return s;
  }

  G alt(int depth, bool allow_negated) {
    G g;
    g.kind = G::kAlt;
    g.negated = allow_negated && pick(0, 3) == 0;
    int n = pick(2, 3);
    int len = pick(1, 2);
    for (int i = 0; i < n; ++i) {
      g.branches.push_back(branch(depth, g.negated, g.negated ? len : pick(1, 3)));
    }
    return g;
  }

  G gap() {
    G g;
    g.kind = G::kGap;
    switch (pick(0, 4)) {
      case 0:
        g.min = g.max = pick(0, 4);
        break;
      case 1:
        g.max = pick(1, 5);
        break;
      case 2:
        g.min = pick(0, 3);
        g.max = UINT32_MAX;
        break;
      case 3:
        g.min = pick(0, 3);
        g.max = g.min + pick(1, 4);
        break;
      default:
        g.max = UINT32_MAX;
        break;
    }
    return g;
  }

  GSeq pattern() {
    GSeq s;
    int n = pick(1, 5);
    for (int i = 0; i < n; ++i) {
      if (i > 0 && pick(0, 2) == 0) s.push_back(gap());
      int r = pick(0, 4);
      if (r == 0) {
        s.push_back(alt(0, true));
      } else {
        s.push_back(byte(r == 1));
      }
    }
    // The fixed run the prefilter needs, somewhere not at a gap edge.
    size_t at = static_cast<size_t>(pick(0, static_cast<int>(s.size())));
    GSeq run = {byte(true), byte(true), byte(true)};
    s.insert(s.begin() + at, run.begin(), run.end());
    return s;
  }

  std::mt19937 rng_;
};

std::string render(const GSeq& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const G& g : s) {
    if (g.kind == G::kByte) {
      out += (g.mask & 0xF0) ? hex[g.value >> 4] : '?';
      out += (g.mask & 0x0F) ? hex[g.value & 15] : '?';
    } else if (g.kind == G::kGap) {
      if (g.max == UINT32_MAX && g.min == 0) {
        out += "*";
      } else {
        // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "{" + std::to_string().
        out += '{';
        if (g.min != 0 || g.max == UINT32_MAX || g.min == g.max) out += std::to_string(g.min);
        if (g.min != g.max) out += '-';
        if (g.max != UINT32_MAX && g.min != g.max) out += std::to_string(g.max);
        out += '}';
      }
    } else {
      out += g.negated ? "!(" : "(";
      for (size_t i = 0; i < g.branches.size(); ++i) {
        if (i) out += "|";
        out += render(g.branches[i]);
      }
      out += ")";
    }
  }
  return out;
}

// Naive reference: does s[i..] match data at pos, then k(end)?
bool ref(const GSeq& s, size_t i, size_t pos, const std::string& d,
         const std::function<bool(size_t)>& k) {
  if (i == s.size()) return k(pos);
  const G& g = s[i];
  if (g.kind == G::kByte) {
    return pos < d.size() && (static_cast<uint8_t>(d[pos]) & g.mask) == g.value &&
           ref(s, i + 1, pos + 1, d, k);
  }
  if (g.kind == G::kGap) {
    size_t hi = g.max == UINT32_MAX ? d.size() : pos + g.max;
    for (size_t p = pos + g.min; p <= hi && p <= d.size(); ++p) {
      if (ref(s, i + 1, p, d, k)) return true;
    }
    return false;
  }
  if (g.negated) {
    size_t len = g.branches[0].size();
    if (pos + len > d.size()) return false;
    for (const GSeq& b : g.branches) {
      if (ref(b, 0, pos, d, [&](size_t e) { return e == pos + len; })) return false;
    }
    return ref(s, i + 1, pos + len, d, k);
  }
  for (const GSeq& b : g.branches) {
    if (ref(b, 0, pos, d, [&](size_t e) { return ref(s, i + 1, e, d, k); })) return true;
  }
  return false;
}

void instantiate(Gen& gen, const GSeq& s, std::string& out) {
  for (const G& g : s) {
    if (g.kind == G::kByte) {
      out += static_cast<char>(g.value | (gen.letter() & ~g.mask));
    } else if (g.kind == G::kGap) {
      int extra =
          g.max == UINT32_MAX ? gen.pick(0, 6) : gen.pick(0, static_cast<int>(g.max - g.min));
      for (uint32_t j = 0; j < g.min + extra; ++j) out += static_cast<char>(gen.letter());
    } else if (!g.negated) {
      instantiate(gen, g.branches[gen.pick(0, static_cast<int>(g.branches.size()) - 1)], out);
    } else {
      for (size_t j = 0; j < g.branches[0].size(); ++j) out += 'z';  // matches no branch
    }
  }
}

TEST(Differential, EngineAgreesWithNaiveReference) {
  Gen gen(20261127);
  int positives = 0;
  constexpr int kRounds = 2500;
  for (int round = 0; round < kRounds; ++round) {
    GSeq pat = gen.pattern();
    std::string hex = render(pat);
    std::string data;
    int len = gen.pick(0, 80);
    for (int j = 0; j < len; ++j) data += static_cast<char>(gen.letter());
    if (gen.pick(0, 1)) {
      std::string inst;
      instantiate(gen, pat, inst);
      data.insert(static_cast<size_t>(gen.pick(0, static_cast<int>(data.size()))), inst);
    }
    std::string offset = "*";
    sig::Offset off;
    int o = gen.pick(0, 5);
    if (o == 1) {
      off.kind = sig::Offset::Kind::kAbsolute;
      off.base = gen.pick(0, 10);
      off.shift = gen.pick(0, 3) == 0 ? gen.pick(0, 20) : 0;
      offset = std::to_string(off.base);
      if (off.shift) offset.append(",").append(std::to_string(off.shift));
    } else if (o == 2) {
      off.kind = sig::Offset::Kind::kFromEnd;
      off.base = gen.pick(0, 30);
      offset = std::string("EOF-").append(std::to_string(off.base));
    }
    bool expected = false;
    std::vector<bool> valid_start(data.size() + 1, false);
    for (size_t s = 0; s <= data.size(); ++s) {
      if (!off.allows(s, data.size())) continue;
      valid_start[s] = ref(pat, 0, s, data, [](size_t) { return true; });
      expected = expected || valid_start[s];
    }
    uint64_t window = round % 2 ? kDefaultWindow : 1;
    int64_t got = vigil::testing::match_offset(hex, data, offset, window);
    ASSERT_EQ(got >= 0, expected) << "pattern " << hex << " offset " << offset << " data '" << data
                                  << "'";
    if (got >= 0) {
      ++positives;
      ASSERT_TRUE(valid_start[static_cast<size_t>(got)])
          << "reported start " << got << " is not a match start; pattern " << hex;
    }
  }
  EXPECT_GT(positives, kRounds / 5);  // the generator must exercise matches, not just misses
}

}  // namespace
}  // namespace vigil::match
