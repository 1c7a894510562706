// The one lexer/parser for ClamAV hex body patterns. Recursive descent over the text: bytes
// with nibble wildcards, "*", "{n}", "{-n}", "{n-}", "{n-m}", "[x-y]" single-byte anchors,
// alternatives "(..|..)" (nested, variable length) and negated "!(..|..)", and the classes
// (B), (L), (W). Every error names the 1-based column where parsing stopped.
#include <algorithm>
#include <charconv>
#include <span>
#include <string>

#include "common/hex.h"
#include "sig/pattern.h"

namespace vigil::sig {
namespace {

using common::Result;
using common::Status;

constexpr int kMaxDepth = kMaxPatternDepth;
constexpr uint32_t kMaxAnchorGap = 32;
// Fewest bytes a pattern of fixed bytes only may have: ClamAV's minimum for a body signature,
// and for a logical signature's subsignature.
constexpr size_t kMinExactBody = 3;
constexpr size_t kMinExactSubsig = 2;

class Parser {
 public:
  Parser(std::string_view text, HexRules rules) : text_(text), rules_(rules) {}

  Result<Sequence> parse() {
    Sequence seq;
    if (!parse_sequence(seq, 0)) return error_;
    if (pos_ != text_.size()) {
      return fail(text_[pos_] == ')' ? "unbalanced ')'" : "unexpected '|' outside alternatives");
    }
    if (seq.empty()) return fail_at(0, "empty pattern");
    if (!validate_top(seq)) return error_;
    if (branching_ > kMaxBranchingNodes) {
      return fail_at(
          0, "too many gaps and alternatives (limit " + std::to_string(kMaxBranchingNodes) + ")");
    }
    return seq;
  }

 private:
  Status fail_at(size_t col, const std::string& msg) {
    error_ = Status(VIGIL_ERR_SIGNATURE, "column " + std::to_string(col + 1) + ": " + msg);
    return error_;
  }
  Status fail(const std::string& msg) { return fail_at(pos_, msg); }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  // Parses nodes until end of text, or '|' / ')' inside an alternative.
  bool parse_sequence(Sequence& out, int depth) {
    while (!at_end()) {
      char c = peek();
      if (c == '|' || c == ')') return true;  // the caller decides whether that is an error
      if (!parse_element(out, depth)) return false;
    }
    return true;
  }

  bool parse_element(Sequence& out, int depth) {
    char c = peek();
    if (common::hex_digit_value(c) >= 0 || c == '?') return parse_byte(out);
    if (c == '*') {
      if (depth > 0) return fail("'*' is not allowed inside alternatives"), false;
      ++pos_;
      return push_gap(out, 0, kUnbounded);
    }
    if (c == '{') return parse_brace(out, depth);
    if (c == '[') return parse_anchor(out, depth);
    if (c == '(' || c == '!') return parse_group(out, depth);
    if (c == ' ' || c == '\t') return fail("whitespace is not allowed in hex patterns"), false;
    std::string shown = (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)
                            ? std::string(1, c)
                            : "\\x" + std::to_string(static_cast<unsigned char>(c));
    return fail("unexpected character '" + shown + "'"), false;
  }

  bool parse_byte(Sequence& out) {
    if (pos_ + 1 >= text_.size()) return fail("odd number of hex digits"), false;
    char hi = peek(), lo = peek(1);
    int hv = common::hex_digit_value(hi), lv = common::hex_digit_value(lo);
    if ((hv < 0 && hi != '?') || (lv < 0 && lo != '?')) {
      return fail_at(pos_ + (hv < 0 && hi != '?' ? 0 : 1), "invalid hex digit"), false;
    }
    uint8_t mask = static_cast<uint8_t>((hi == '?' ? 0 : 0xF0) | (lo == '?' ? 0 : 0x0F));
    uint8_t value = static_cast<uint8_t>(((hv < 0 ? 0 : hv) << 4) | (lv < 0 ? 0 : lv));
    out.push_back(Node::byte(value, mask));
    pos_ += 2;
    return true;
  }

  bool read_number(uint32_t& value) {
    size_t start = pos_;
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    if (start == pos_) return false;
    uint64_t v = 0;
    auto r = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (r.ec != std::errc() || v > kMaxGap) {
      pos_ = start;
      return fail("number out of range (limit " + std::to_string(kMaxGap) + ")"), false;
    }
    value = static_cast<uint32_t>(v);
    return true;
  }

  bool push_gap(Sequence& out, uint32_t lo, uint32_t hi) {
    if (!out.empty() && out.back().kind == NodeKind::kGap) {
      Node& prev = out.back();  // "{2}{3}" or "*{4}": merge into one gap
      prev.min = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{prev.min} + lo, kMaxGap));
      prev.max = (prev.max == kUnbounded || hi == kUnbounded)
                     ? kUnbounded
                     : static_cast<uint32_t>(std::min<uint64_t>(uint64_t{prev.max} + hi, kMaxGap));
    } else {
      out.push_back(Node::gap(lo, hi));
    }
    if (lo != hi) ++branching_;
    return true;
  }

  // {n} {-n} {n-} {n-m}
  bool parse_brace(Sequence& out, int depth) {
    size_t open = pos_++;
    uint32_t lo = 0, hi = 0;
    if (peek() == '-') {
      ++pos_;
      if (!read_number(hi))
        return error_.is_ok() ? (fail("expected a number after '{-'"), false) : false;
    } else {
      if (!read_number(lo))
        return error_.is_ok() ? (fail("expected a number after '{'"), false) : false;
      if (peek() == '-') {
        ++pos_;
        if (peek() == '}') {
          hi = kUnbounded;
        } else if (!read_number(hi)) {
          return error_.is_ok() ? (fail("expected a number or '}' after '-'"), false) : false;
        }
      } else {
        hi = lo;
      }
    }
    if (peek() != '}') return fail_at(open, "unterminated '{'"), false;
    ++pos_;
    if (hi < lo) return fail_at(open, "gap range {n-m} with m < n"), false;
    if (depth > 0 && lo != hi) {
      return fail_at(open, "only fixed gaps {n} are allowed inside alternatives"), false;
    }
    return push_gap(out, lo, hi);
  }

  // [x-y]: a bounded gap that ClamAV allows only next to a single byte at a pattern edge.
  bool parse_anchor(Sequence& out, int depth) {
    size_t open = pos_++;
    if (depth > 0) return fail_at(open, "'[x-y]' is not allowed inside alternatives"), false;
    uint32_t lo = 0, hi = 0;
    if (!read_number(lo))
      return error_.is_ok() ? (fail("expected a number after '['"), false) : false;
    if (peek() != '-') return fail("expected '-' in '[x-y]'"), false;
    ++pos_;
    if (!read_number(hi))
      return error_.is_ok() ? (fail("expected a number after '-'"), false) : false;
    if (peek() != ']') return fail_at(open, "unterminated '['"), false;
    ++pos_;
    if (hi < lo || hi > kMaxAnchorGap) {
      return fail_at(open, "'[x-y]' needs 0 <= x <= y <= " + std::to_string(kMaxAnchorGap)), false;
    }
    anchors_.push_back({out.size(), open});
    out.push_back(Node::gap(lo, hi));
    if (lo != hi) ++branching_;
    return true;
  }

  bool parse_group(Sequence& out, int depth) {
    size_t open = pos_;
    bool negated = false;
    if (peek() == '!') {
      if (peek(1) != '(') return fail("'!' must be followed by '('"), false;
      negated = true;
      ++pos_;
    }
    if (!negated && peek(2) == ')' && (peek(1) == 'B' || peek(1) == 'L' || peek(1) == 'W')) {
      if (depth > 0) return fail("character classes are not allowed inside alternatives"), false;
      Node n;
      n.kind = NodeKind::kClass;
      n.cls = peek(1) == 'B'   ? ClassKind::kWordBoundary
              : peek(1) == 'L' ? ClassKind::kLineBoundary
                               : ClassKind::kNonAlnum;
      out.push_back(std::move(n));
      pos_ += 3;
      return true;
    }
    if (depth + 1 > kMaxDepth) return fail("alternatives nested too deeply"), false;
    ++pos_;  // '('
    Node alt;
    alt.kind = NodeKind::kAlt;
    alt.negated = negated;
    for (;;) {
      size_t branch_start = pos_;
      Sequence branch;
      if (!parse_sequence(branch, depth + 1)) return false;
      if (branch.empty()) return fail_at(branch_start, "empty alternative"), false;
      alt.branches.push_back(std::move(branch));
      if (at_end()) return fail_at(open, "unbalanced '('"), false;
      if (peek() == ')') break;
      ++pos_;  // '|'
    }
    ++pos_;  // ')'
    if (negated && !validate_negated(alt, open)) return false;
    ++branching_;
    out.push_back(std::move(alt));
    return true;
  }

  bool validate_negated(const Node& alt, size_t open) {
    size_t len = alt.branches.front().size();
    for (const Sequence& b : alt.branches) {
      for (const Node& n : b) {
        if (!n.is_exact_byte()) {
          return fail_at(open, "negated alternatives may hold only fixed bytes"), false;
        }
      }
      if (b.size() != len) {
        return fail_at(open, "negated alternatives must all have the same length"), false;
      }
    }
    return true;
  }

  // Classes at the pattern's edges test a neighbour byte; in the middle they consume bytes.
  static void place_classes(Sequence& seq) {
    for (size_t i = 0; i < seq.size(); ++i) {
      Node& n = seq[i];
      if (n.kind != NodeKind::kClass) continue;
      if (i == 0) {
        n.edge = ClassEdge::kBefore;
      } else if (i + 1 == seq.size()) {
        n.edge = ClassEdge::kAfter;
      } else if (n.cls == ClassKind::kLineBoundary) {
        n = Node::byte(0x0A);  // in the middle, ClamAV 1.4 matches LF only (not CRLF)
      }
    }
  }

  bool validate_top(Sequence& seq) {
    place_classes(seq);
    bool all_exact =
        std::all_of(seq.begin(), seq.end(), [](const Node& n) { return n.is_exact_byte(); });
    const size_t min_exact = rules_ == HexRules::kSubsig ? kMinExactSubsig : kMinExactBody;
    if (all_exact && seq.size() < min_exact) {
      return fail_at(0, "a pattern of fixed bytes only must be at least " +
                            std::to_string(min_exact) + " bytes long"),
             false;
    }
    if (seq.front().kind == NodeKind::kGap) return fail_at(0, "pattern starts with a gap"), false;
    const Node& last = seq.back();
    bool fixed_tail = rules_ == HexRules::kSubsig && last.kind == NodeKind::kGap &&
                      last.min == last.max && seq.size() > 1;
    if (last.kind == NodeKind::kGap && !fixed_tail) {
      return fail_at(text_.size() - 1, "pattern ends with a gap"), false;
    }
    for (const auto& [index, col] : anchors_) {
      bool leading = index == 1 && seq[0].kind == NodeKind::kByte;
      bool trailing = index + 2 == seq.size() && seq.back().kind == NodeKind::kByte;
      if (!leading && !trailing) {
        return fail_at(col, "'[x-y]' must follow the first byte or precede the last byte"), false;
      }
    }
    return true;
  }

  std::string_view text_;
  HexRules rules_;
  size_t pos_ = 0;
  size_t branching_ = 0;
  std::vector<std::pair<size_t, size_t>> anchors_;  // (node index, column)
  Status error_;
};

// Adds lengths where kUnboundedLength absorbs; real lengths are far below 2^63.
uint64_t sat_add(uint64_t a, uint64_t b) {
  return (a == kUnboundedLength || b == kUnboundedLength) ? kUnboundedLength : a + b;
}

}  // namespace

LengthRange sequence_length(const Node* first, size_t count) {
  LengthRange r;
  for (const Node& n : std::span(first, count)) {
    switch (n.kind) {
      case NodeKind::kByte:
        r.min += 1;
        r.max = sat_add(r.max, 1);
        break;
      case NodeKind::kGap:
        r.min += n.min;
        r.max = sat_add(r.max, n.max == kUnbounded ? kUnboundedLength : n.max);
        break;
      case NodeKind::kClass:
        if (n.edge == ClassEdge::kMiddle) {
          r.min += 1;
          r.max = sat_add(r.max, 1);
        }
        break;
      case NodeKind::kAlt: {
        uint64_t lo = kUnboundedLength, hi = 0;
        for (const Sequence& b : n.branches) {
          LengthRange br = sequence_length(b);
          lo = std::min(lo, br.min);
          hi = std::max(hi, br.max);
        }
        r.min += lo;
        r.max = sat_add(r.max, hi);
        break;
      }
    }
  }
  return r;
}

common::Result<Sequence> parse_hex_pattern(std::string_view text, HexRules rules) {
  return Parser(text, rules).parse();
}

}  // namespace vigil::sig
