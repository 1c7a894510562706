// Recursive-descent parser for logical expressions (depth-bounded: the text comes from
// signature files) emitting postfix words, and the stack machine that evaluates them. Each
// value carries the number of matches and of distinct subsignatures behind it, which is what
// the count comparisons of a group look at.
#include "sig/logical_expr.h"

#include <algorithm>
#include <bit>

namespace vigil::sig {
namespace {

using common::Status;

constexpr int kMaxNesting = 64;
constexpr size_t kMaxStack = 256;

// The distinct-subsignature minimum Y of the comparison at program[i] ("=X,Y"), 0 when it has
// none; i moves onto its kDistinct word when there is one.
uint32_t distinct_after(const uint32_t* program, size_t size, size_t& i) {
  if (i + 1 < size && expr_op(program[i + 1]) == ExprOp::kDistinct)
    return expr_operand(program[++i]);
  return 0;
}

class Parser {
 public:
  Parser(std::string_view text, uint32_t subsigs) : t_(text), subsigs_(subsigs) {}

  uint32_t highest() const { return highest_; }

  common::Result<Program> run() {
    if (!expr(0)) return error();
    if (pos_ != t_.size()) {
      fail("unexpected '" + std::string(1, t_[pos_]) + "'");
      return error();
    }
    return std::move(out_);
  }

 private:
  // expr := operand (('&' | '|') operand)*. As ClamAV 1.4 reads it, a chain at the top level
  // groups from the right ("0&1|2" is "0&(1|2)") and one inside parentheses from the left
  // ("(0&1|2)" is "((0&1)|2)"); a count binds to the operand just before it.
  bool expr(int depth) {
    if (depth > kMaxNesting) return fail("nested too deeply");
    if (!operand(depth)) return false;
    std::vector<uint32_t> ops;
    while (pos_ < t_.size() && (t_[pos_] == '&' || t_[pos_] == '|')) {
      uint32_t op = expr_word(t_[pos_] == '&' ? ExprOp::kAnd : ExprOp::kOr, 0);
      ++pos_;
      if (!operand(depth)) return false;
      if (depth > 0) {
        out_.push_back(op);  // from the left: join as soon as the right operand is there
      } else {
        ops.push_back(op);
      }
    }
    // From the right: operands o1..on are on the stack in order; the joins, last first.
    out_.insert(out_.end(), ops.rbegin(), ops.rend());
    return true;
  }

  // operand := (number | '(' expr ')') [('=' | '>' | '<') number [',' number]]
  bool operand(int depth) {
    if (pos_ >= t_.size()) return fail("expression ends where an operand was expected");
    const bool group = t_[pos_] == '(';
    if (group) {
      ++pos_;
      if (!expr(depth + 1)) return false;
      if (pos_ >= t_.size() || t_[pos_] != ')') return fail("missing ')'");
      ++pos_;
    } else {
      uint32_t index = 0;
      size_t at = pos_;
      if (!number(index)) return fail("expected a subsignature number or '('");
      if (index >= subsigs_) {
        pos_ = at;
        return fail("subsignature " + std::to_string(index) +
                    " does not exist (the signature has " + std::to_string(subsigs_) + ")");
      }
      out_.push_back(expr_word(ExprOp::kSub, index));
      if (index > highest_) highest_ = index;
    }
    if (pos_ < t_.size() && (t_[pos_] == '=' || t_[pos_] == '>' || t_[pos_] == '<')) {
      char op = t_[pos_++];
      uint32_t x = 0;
      if (!number(x)) return fail("expected a count after '" + std::string(1, op) + "'");
      if (x > kMaxCount) return fail("count " + std::to_string(x) + " is too large");
      ExprOp cmp = op == '=' ? ExprOp::kEq : op == '>' ? ExprOp::kGt : ExprOp::kLt;
      out_.push_back(expr_word(cmp, x));
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        uint32_t y = 0;
        if (!number(y)) return fail("expected a distinct-subsignature count after ','");
        if (y > kMaxSubsigs) return fail("distinct count " + std::to_string(y) + " is too large");
        // On a single subsignature ClamAV ignores the distinct count.
        if (group) out_.push_back(expr_word(ExprOp::kDistinct, y));
      }
    }
    return true;
  }

  bool number(uint32_t& out) {
    size_t start = pos_;
    uint64_t v = 0;
    while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') {
      v = v * 10 + static_cast<uint64_t>(t_[pos_] - '0');
      if (v > 0xFFFFFF) return false;
      ++pos_;
    }
    out = static_cast<uint32_t>(v);
    return pos_ > start;
  }

  bool fail(std::string why) {
    if (why_.empty()) why_ = "column " + std::to_string(pos_ + 1) + ": " + why;
    return false;
  }
  Status error() const {
    return Status(VIGIL_ERR_SIGNATURE, "invalid logical expression: " + why_);
  }

  std::string_view t_;
  uint32_t subsigs_;
  size_t pos_ = 0;
  uint32_t highest_ = 0;
  Program out_;
  std::string why_;
};

struct Value {
  bool truth;
  uint32_t count;     // matches behind the value
  uint32_t distinct;  // distinct subsignatures behind it
};

}  // namespace

common::Result<Program> parse_expression(std::string_view text, uint32_t subsigs, bool whole) {
  if (text.empty()) return Status(VIGIL_ERR_SIGNATURE, "invalid logical expression: empty");
  std::string compact;  // spaces are tolerated, as ClamAV tolerates them
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  Parser parser(compact, subsigs);
  auto program = parser.run();
  if (program.is_ok() && whole && parser.highest() + 1 != subsigs) {
    return Status(VIGIL_ERR_SIGNATURE, "the signature has " + std::to_string(subsigs) +
                                           " subsignatures but its expression's highest is " +
                                           std::to_string(parser.highest()) + " (they must agree)");
  }
  if (program.is_ok()) {
    Status st = validate_program(program.value().data(), program.value().size(), subsigs);
    if (!st.is_ok()) return Status(VIGIL_ERR_SIGNATURE, "invalid logical expression: too complex");
  }
  return program;
}

common::Status validate_program(const uint32_t* program, size_t size, uint32_t subsigs) {
  auto bad = [](size_t at, const char* why) {
    return Status(VIGIL_ERR_CORRUPT, "logical expression word " + std::to_string(at) + ": " + why);
  };
  size_t depth = 0;
  for (size_t i = 0; i < size; ++i) {
    uint32_t w = program[i];
    switch (expr_op(w)) {
      case ExprOp::kSub:
        if (expr_operand(w) >= subsigs) return bad(i, "subsignature out of range");
        if (++depth > kMaxStack) return bad(i, "stack too deep");
        break;
      case ExprOp::kAnd:
      case ExprOp::kOr:
        if (depth < 2) return bad(i, "operator without two operands");
        --depth;
        break;
      case ExprOp::kEq:
      case ExprOp::kGt:
      case ExprOp::kLt:
        if (depth < 1) return bad(i, "comparison without an operand");
        if (expr_operand(w) > kMaxCount) return bad(i, "count too large");
        distinct_after(program, size, i);
        break;
      default:
        return bad(i, "unknown operation");
    }
  }
  if (depth != 1) return bad(size, "does not leave exactly one value");
  return Status::ok();
}

bool evaluate(const uint32_t* program, size_t size, const uint16_t* counts) {
  Value stack[kMaxStack];
  size_t top = 0;
  for (size_t i = 0; i < size; ++i) {
    uint32_t w = program[i];
    ExprOp op = expr_op(w);
    if (op == ExprOp::kSub) {
      uint32_t c = counts[expr_operand(w)];
      stack[top++] = Value{c > 0, c, c > 0 ? 1u : 0u};
      continue;
    }
    if (op == ExprOp::kAnd || op == ExprOp::kOr) {
      Value b = stack[--top];
      Value& a = stack[top - 1];
      bool truth = op == ExprOp::kAnd ? (a.truth && b.truth) : (a.truth || b.truth);
      a = truth ? Value{true, a.count + b.count, a.distinct + b.distinct} : Value{false, 0, 0};
      continue;
    }
    // A comparison on the value below it, with its optional distinct minimum.
    uint32_t x = expr_operand(w);
    const uint32_t y = distinct_after(program, size, i);
    Value& a = stack[top - 1];
    bool holds = op == ExprOp::kEq ? a.count == x : op == ExprOp::kGt ? a.count > x : a.count < x;
    if (y != 0 && a.distinct < y) holds = false;
    a.truth = holds;
    if (!holds) a.count = a.distinct = 0;
  }
  return top == 1 && stack[0].truth;
}

namespace {

// What a value of evaluate() may be: false (count and distinct 0, as evaluate() leaves every
// false value), or true with count and distinct count somewhere in the given ranges.
struct Maybe {
  bool may_true = false;
  bool may_false = false;
  uint32_t lo = 0, hi = 0;    // count, when true
  uint32_t dlo = 0, dhi = 0;  // distinct subsignatures, when true
};

constexpr uint32_t kUnbounded = UINT32_MAX / 4;  // above any count; sums stay in range
uint32_t sum(uint32_t a, uint32_t b) { return std::min(a + b, kUnbounded); }

// Merges the true case `b` into `a` (the hull of both ranges).
void widen(Maybe& a, uint32_t lo, uint32_t hi, uint32_t dlo, uint32_t dhi) {
  if (!a.may_true) {
    a.may_true = true;
    a.lo = lo, a.hi = hi, a.dlo = dlo, a.dhi = dhi;
    return;
  }
  a.lo = std::min(a.lo, lo), a.hi = std::max(a.hi, hi);
  a.dlo = std::min(a.dlo, dlo), a.dhi = std::max(a.dhi, dhi);
}

// A comparison on `a`: which of its cases (false with count 0, or true in its ranges) can
// satisfy "count op x" with at least y distinct subsignatures.
Maybe compare(const Maybe& a, ExprOp op, uint32_t x, uint32_t y) {
  uint32_t want_lo = op == ExprOp::kGt ? x + 1 : op == ExprOp::kEq ? x : 0;
  uint32_t want_hi = op == ExprOp::kLt ? x - 1 : op == ExprOp::kEq ? x : kUnbounded;
  const bool none = op == ExprOp::kLt && x == 0;
  Maybe r;
  auto take = [&](uint32_t lo, uint32_t hi, uint32_t dlo, uint32_t dhi) {
    const uint32_t l = std::max(lo, want_lo), h = std::min(hi, want_hi);
    if (!none && l <= h && dhi >= y) widen(r, l, h, std::max(dlo, y), dhi);
    if (none || lo < want_lo || hi > want_hi || dlo < y) r.may_false = true;
  };
  if (a.may_false) take(0, 0, 0, 0);
  if (a.may_true) take(a.lo, a.hi, a.dlo, a.dhi);
  return r;
}

}  // namespace

bool may_hold(const uint32_t* program, size_t size, const uint16_t* counts, const uint8_t* open) {
  Maybe stack[kMaxStack];
  size_t top = 0;
  for (size_t i = 0; i < size; ++i) {
    uint32_t w = program[i];
    ExprOp op = expr_op(w);
    if (op == ExprOp::kSub) {
      const uint32_t s = expr_operand(w);
      Maybe& v = stack[top++];
      v = Maybe{};
      if (open[s] != 0) {
        v = Maybe{true, true, 1, kUnbounded, 1, 1};
      } else if (counts[s] > 0) {
        v = Maybe{true, false, counts[s], counts[s], 1, 1};
      } else {
        v.may_false = true;
      }
      continue;
    }
    if (op == ExprOp::kAnd || op == ExprOp::kOr) {
      const Maybe b = stack[--top];
      const Maybe a = stack[top - 1];
      Maybe r;
      if (a.may_true && b.may_true) {
        widen(r, sum(a.lo, b.lo), sum(a.hi, b.hi), sum(a.dlo, b.dlo), sum(a.dhi, b.dhi));
      }
      if (op == ExprOp::kAnd) {
        r.may_false = a.may_false || b.may_false;
      } else {
        if (a.may_true && b.may_false) widen(r, a.lo, a.hi, a.dlo, a.dhi);
        if (a.may_false && b.may_true) widen(r, b.lo, b.hi, b.dlo, b.dhi);
        r.may_false = a.may_false && b.may_false;
      }
      stack[top - 1] = r;
      continue;
    }
    const uint32_t y = distinct_after(program, size, i);
    stack[top - 1] = compare(stack[top - 1], op, expr_operand(w), y);
  }
  return top == 1 && stack[0].may_true;
}

std::vector<uint16_t> hit_caps(const uint32_t* program, size_t size, uint32_t subsigs) {
  std::vector<uint16_t> caps(subsigs, 1);
  // Per stack entry, the first program word that produced it: a comparison raises the cap of
  // every subsignature from there to itself.
  std::vector<size_t> firsts;
  for (size_t i = 0; i < size; ++i) {
    ExprOp op = expr_op(program[i]);
    if (op == ExprOp::kSub) {
      firsts.push_back(i);
    } else if (op == ExprOp::kAnd || op == ExprOp::kOr) {
      if (firsts.size() < 2) break;
      firsts.pop_back();
    } else if (op == ExprOp::kEq || op == ExprOp::kGt || op == ExprOp::kLt) {
      if (firsts.empty()) break;
      uint32_t cap = std::min<uint32_t>(expr_operand(program[i]) + 1, kMaxCount + 1);
      for (size_t k = firsts.back(); k < i; ++k) {
        if (expr_op(program[k]) != ExprOp::kSub) continue;
        uint32_t s = expr_operand(program[k]);
        if (s < subsigs) caps[s] = std::max<uint16_t>(caps[s], static_cast<uint16_t>(cap));
      }
    }
  }
  return caps;
}

namespace {

using MaybeSet = std::optional<AnchorSet>;

// The better of two sets either of which would do: the rarer weakest member, then the smaller.
MaybeSet either(const MaybeSet& a, const MaybeSet& b) {
  if (!a) return b;
  if (!b) return a;
  if (a->score != b->score) return a->score > b->score ? a : b;
  return std::popcount(a->mask) <= std::popcount(b->mask) ? a : b;
}

// Both sets together, when both are needed.
MaybeSet both(const MaybeSet& a, const MaybeSet& b) {
  if (!a || !b) return std::nullopt;
  return AnchorSet{a->mask | b->mask, std::min(a->score, b->score)};
}

}  // namespace

std::optional<AnchorSet> anchors(const uint32_t* program, size_t size,
                                 const std::vector<std::optional<AnchorSet>>& leaf) {
  // Per value: `truth`, a set one of which matched when the value is true, and `count`, one
  // of which matched when its count is above zero (what a comparison on it looks at).
  struct Entry {
    MaybeSet truth;
    MaybeSet count;
  };
  std::vector<Entry> stack;
  for (size_t i = 0; i < size; ++i) {
    uint32_t w = program[i];
    ExprOp op = expr_op(w);
    if (op == ExprOp::kSub) {
      uint32_t s = expr_operand(w);
      MaybeSet l = s < leaf.size() ? leaf[s] : std::nullopt;
      stack.push_back(Entry{l, l});
      continue;
    }
    if (stack.empty()) return std::nullopt;
    if (op == ExprOp::kAnd || op == ExprOp::kOr) {
      if (stack.size() < 2) return std::nullopt;
      Entry b = stack.back();
      stack.pop_back();
      Entry& a = stack.back();
      // A true AND needs both sides true, a true OR one of them; either way a count above
      // zero means the value is true, or that some side's count is.
      MaybeSet truth = op == ExprOp::kAnd ? either(a.truth, b.truth) : both(a.truth, b.truth);
      a = Entry{truth, either(truth, both(a.count, b.count))};
      continue;
    }
    // A comparison holds with no match at all unless it asks for a count or a distinct
    // number above zero; when it holds the count is unchanged, else zero.
    uint32_t x = expr_operand(w);
    const uint32_t y = distinct_after(program, size, i);
    Entry& a = stack.back();
    bool needs_match = y > 0 || (op == ExprOp::kEq && x > 0) || op == ExprOp::kGt;
    a.truth = needs_match ? a.count : std::nullopt;
  }
  if (stack.size() != 1) return std::nullopt;
  return stack.back().truth;
}

}  // namespace vigil::sig
