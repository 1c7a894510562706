// Byte-compare subsignatures: the strict parser of "TRIGGER(>>OFFSET#OPTIONS#CMP[,CMP])" and
// the evaluator. The evaluator reproduces what clamscan 1.4.6 was observed to do with the bytes
// it reads (numbers as C's strtoll reads them, little-endian hex swapped by the digits it has,
// signed 64-bit comparisons), because signatures are written against that behaviour; the
// parser refuses what ClamAV loads but can never match (a hex read without an endianness, a
// trigger on itself), naming the problem, rather than loading a subsignature that is inert.
#include "sig/byte_compare.h"

#include <charconv>
#include <string>

#include "common/hex.h"
#include "sig/fields.h"

namespace vigil::sig {
namespace {

using common::Status;

Status bad(const std::string& what) { return Status(VIGIL_ERR_SIGNATURE, "byte compare: " + what); }

// An unsigned number in the signature text, decimal or "0x" hex.
bool parse_unsigned(std::string_view s, uint64_t& out) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  return parse_number(s, out, base);
}

// The length rule of each base, shared by parsing and by DAT validation: empty when `length`
// suits `base`, else why not.
std::string length_problem(ByteBase base, uint64_t length) {
  if (base == ByteBase::kRaw) {
    if (length != 1 && length != 2 && length != 4 && length != 8) {
      return "raw reads take 1, 2, 4 or 8 bytes";
    }
  } else if (base == ByteBase::kAuto && length < kMinAutoRead) {
    return "auto reads are at least " + std::to_string(kMinAutoRead) +
           " characters (ClamAV never matches shorter ones)";
  } else if (base == ByteBase::kHex && length > kMaxHexRead) {
    return "hex reads are at most " + std::to_string(kMaxHexRead) + " characters";
  } else if (length > kMaxTextRead) {
    return "text reads are at most " + std::to_string(kMaxTextRead) + " characters";
  }
  return std::string();
}

// A comparison constant: an optional '-' and an unsigned number in the signed 64-bit range.
bool parse_signed(std::string_view s, int64_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  uint64_t mag = 0;
  if (!parse_unsigned(s, mag)) return false;
  if (mag > (neg ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) return false;
  out = static_cast<int64_t>(neg ? ~mag + 1 : mag);
  return true;
}

bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// A number read from the data as strtoll reads it: leading white space, a sign, "0x" before
// hex digits (always allowed in hex, the choice of base in auto), then digits.
struct TextNumber {
  bool ok = false;
  bool hex = false;
  uint64_t mag = 0;
  bool neg = false;
  uint32_t digits = 0;
  size_t end = 0;  // one past the last digit
};

TextNumber read_number(const uint8_t* p, size_t n, ByteBase base) {
  TextNumber t;
  size_t i = 0;
  while (i < n && is_space(p[i])) ++i;
  if (i < n && (p[i] == '+' || p[i] == '-')) t.neg = p[i++] == '-';
  bool prefixed = i + 2 < n && p[i] == '0' && (p[i + 1] == 'x' || p[i + 1] == 'X') &&
                  common::hex_digit_value(static_cast<char>(p[i + 2])) >= 0;
  t.hex = base == ByteBase::kHex || (base == ByteBase::kAuto && prefixed);
  if (t.hex && prefixed) i += 2;
  const uint64_t limit = t.neg ? uint64_t{1} << 63 : uint64_t{INT64_MAX};
  const uint32_t radix = t.hex ? 16 : 10;
  for (; i < n; ++i) {
    int d = t.hex ? common::hex_digit_value(static_cast<char>(p[i]))
                  : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
    if (d < 0) break;
    if (t.mag > (limit - static_cast<uint64_t>(d)) / radix) return t;  // out of range
    t.mag = t.mag * radix + static_cast<uint64_t>(d);
    ++t.digits;
  }
  t.end = i;
  t.ok = t.digits > 0;
  return t;
}

// The text read at p[0, b.length) as a number, if it holds one of the kind asked for.
bool text_value(const ByteCompare& b, const uint8_t* p, int64_t& out) {
  auto base = static_cast<ByteBase>(b.base);
  TextNumber t = read_number(p, b.length, base);
  if (!t.ok) return false;
  if (b.exact != 0 && (t.end != b.length || is_space(p[0]))) return false;
  if (b.little != 0) {
    if (!t.hex) return false;  // a little-endian decimal has no meaning
    if (t.end != b.length) {   // a partial read keeps whole bytes only
      t = read_number(p, t.end & ~size_t{1}, base);
      if (!t.ok) return false;
    }
    uint32_t bytes = (t.digits + 1) / 2;
    if (bytes > 8) return false;
    t.mag = __builtin_bswap64(t.mag) >> (8 * (8 - bytes));
  }
  out = static_cast<int64_t>(t.neg ? ~t.mag + 1 : t.mag);
  return true;
}

bool raw_value(const ByteCompare& b, const uint8_t* p, int64_t& out) {
  uint64_t v = 0;
  for (uint32_t k = 0; k < b.length; ++k) {
    uint32_t shift = b.little != 0 ? 8 * k : 8 * (b.length - 1 - k);
    v |= uint64_t{p[k]} << shift;
  }
  out = static_cast<int64_t>(v);
  return true;
}

}  // namespace

common::Result<ByteCompare> parse_byte_compare(std::string_view text, uint32_t index,
                                               uint32_t subsigs) {
  ByteCompare b;
  b.subsig = static_cast<uint8_t>(index);
  size_t open = text.find('(');
  if (open == std::string_view::npos || text.empty() || text.back() != ')') {
    return bad("expected TRIGGER(>>OFFSET#OPTIONS#COMPARISONS), got '" + std::string(text) + "'");
  }
  std::string_view trigger = text.substr(0, open);
  uint32_t t = 0;
  auto r = std::from_chars(trigger.data(), trigger.data() + trigger.size(), t);
  if (trigger.empty() || r.ec != std::errc() || r.ptr != trigger.data() + trigger.size()) {
    return bad("trigger '" + std::string(trigger) + "' is not a subsignature number");
  }
  if (t >= subsigs) {
    return bad("trigger subsignature " + std::to_string(t) + " does not exist (the signature has " +
               std::to_string(subsigs) + ")");
  }
  if (t == index) return bad("a byte compare cannot trigger on itself");
  b.trigger = static_cast<uint8_t>(t);

  std::string_view body = text.substr(open + 1, text.size() - open - 2);
  size_t h1 = body.find('#');
  size_t h2 = h1 == std::string_view::npos ? h1 : body.find('#', h1 + 1);
  if (h2 == std::string_view::npos || body.find('#', h2 + 1) != std::string_view::npos) {
    return bad("expected OFFSET#OPTIONS#COMPARISONS inside the parentheses, got '" +
               std::string(body) + "'");
  }
  std::string_view offset = body.substr(0, h1);
  std::string_view options = body.substr(h1 + 1, h2 - h1 - 1);
  std::string_view comparisons = body.substr(h2 + 1);

  if (!offset.starts_with(">>") && !offset.starts_with("<<")) {
    return bad("offset '" + std::string(offset) + "' must start with >> or <<");
  }
  b.backward = offset[0] == '<' ? 1 : 0;
  if (!parse_unsigned(offset.substr(2), b.offset)) {
    return bad("offset '" + std::string(offset) + "' is not a decimal or 0x number");
  }

  std::string_view o = options;
  auto option_error = [&](const std::string& what) {
    return bad("options '" + std::string(options) + "': " + what);
  };
  if (o.empty()) return option_error("empty");
  size_t letter = std::string_view("hdai").find(o[0]);  // in ByteBase order
  if (letter == std::string_view::npos) {
    return option_error("the first letter must be h, d, a or i");
  }
  b.base = static_cast<uint8_t>(letter);
  const auto base = static_cast<ByteBase>(b.base);
  o.remove_prefix(1);
  bool have_endian = !o.empty() && (o[0] == 'l' || o[0] == 'b');
  if (have_endian) {
    b.little = o[0] == 'l' ? 1 : 0;
    o.remove_prefix(1);
  }
  if (base == ByteBase::kDecimal && b.little != 0) {
    return option_error("decimal reads are big-endian, 'l' is not allowed");
  }
  if (base != ByteBase::kDecimal && !have_endian) {
    return option_error("needs an endianness, l or b, after the base");
  }
  if (!o.empty() && o[0] == 'e') {
    b.exact = 1;
    o.remove_prefix(1);
  }
  uint64_t length = 0;
  if (!parse_unsigned(o, length) || length == 0) {
    return option_error("the length must be a number of bytes, at least 1");
  }
  if (std::string why = length_problem(base, length); !why.empty()) return option_error(why);
  if (base == ByteBase::kRaw) b.exact = 1;  // a raw read is always exact
  b.length = static_cast<uint32_t>(length);

  size_t comma = comparisons.find(',');
  std::string_view sets[2] = {comparisons.substr(0, comma),
                              comma == std::string_view::npos ? "" : comparisons.substr(comma + 1)};
  b.comparisons = comma == std::string_view::npos ? 1 : 2;
  if (comma != std::string_view::npos && sets[1].find(',') != std::string_view::npos) {
    return bad("at most two comparisons, got '" + std::string(comparisons) + "'");
  }
  for (uint32_t k = 0; k < b.comparisons; ++k) {
    std::string_view c = sets[k];
    if (c.empty() || (c[0] != '<' && c[0] != '>' && c[0] != '=')) {
      return bad("comparison '" + std::string(c) + "' must start with <, > or =");
    }
    b.ops[k] = static_cast<uint8_t>(c[0] == '<'   ? ByteCmpOp::kLess
                                    : c[0] == '>' ? ByteCmpOp::kGreater
                                                  : ByteCmpOp::kEqual);
    if (!parse_signed(c.substr(1), b.values[k])) {
      return bad("comparison value '" + std::string(c.substr(1)) +
                 "' is not a decimal or 0x number in the signed 64-bit range");
    }
  }
  return b;
}

common::Status validate_byte_compare(const ByteCompare& b, uint32_t subsigs) {
  bool ok = b.subsig < subsigs && b.trigger < subsigs && b.trigger != b.subsig &&
            b.base <= static_cast<uint8_t>(ByteBase::kLast) && b.little <= 1 && b.exact <= 1 &&
            b.backward <= 1 && (b.comparisons == 1 || b.comparisons == 2) && b.length != 0;
  for (uint32_t k = 0; ok && k < 2; ++k) {
    ok = b.ops[k] <= static_cast<uint8_t>(ByteCmpOp::kLast) && (k < b.comparisons || b.ops[k] == 0);
  }
  for (uint8_t r : b.reserved) ok = ok && r == 0;
  if (ok) {
    auto base = static_cast<ByteBase>(b.base);
    ok = length_problem(base, b.length).empty() && (base != ByteBase::kRaw || b.exact == 1) &&
         (base != ByteBase::kDecimal || b.little == 0);
  }
  return ok ? Status::ok() : Status(VIGIL_ERR_CORRUPT, "malformed byte compare");
}

bool byte_compare_holds(const ByteCompare& b, const uint8_t* data, uint64_t size,
                        uint64_t trigger_start) {
  uint64_t pos = 0;
  if (b.backward != 0) {
    if (b.offset > trigger_start) return false;
    pos = trigger_start - b.offset;
  } else {
    if (b.offset > UINT64_MAX - trigger_start) return false;
    pos = trigger_start + b.offset;
  }
  // ClamAV never evaluates a read at the first byte of the data.
  if (pos == 0 || pos > size || b.length > size - pos) return false;
  int64_t v = 0;
  bool have = static_cast<ByteBase>(b.base) == ByteBase::kRaw ? raw_value(b, data + pos, v)
                                                              : text_value(b, data + pos, v);
  if (!have) return false;
  for (uint32_t k = 0; k < b.comparisons; ++k) {
    auto op = static_cast<ByteCmpOp>(b.ops[k]);
    bool holds = op == ByteCmpOp::kLess      ? v < b.values[k]
                 : op == ByteCmpOp::kGreater ? v > b.values[k]
                                             : v == b.values[k];
    if (!holds) return false;
  }
  return true;
}

}  // namespace vigil::sig
