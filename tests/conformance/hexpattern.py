"""ClamAV body-signature hex patterns: tokenizer, synthesizer and a reference regex.

One pattern (with its ::iwfa modifiers) becomes bytes that satisfy it, as a Frag of values and
bit masks so overlapping placements can be merged (a nibble wildcard fixes four bits, `??` none).
The same tokens also compile to a Python bytes regex that the generator uses to count how often
each subsignature really occurs in a finished file, which is what keeps A=0 / A=X honest.
"""

import re
from dataclasses import dataclass, field

HEX = "0123456789abcdefABCDEF"
ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# A gap filled with more than this many bytes would bloat files; `*` and `{n-}` use a few bytes.
MAX_OPEN_GAP = 6


class PatternError(Exception):
    """A pattern the generator cannot read or satisfy; the message is the skip reason and
    `detail` the offending text."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.detail = detail


@dataclass
class Byte:
    value: int
    mask: int  # 0xff literal, 0xf0 / 0x0f nibble wildcard, 0x00 `??`


@dataclass
class Gap:
    lo: int
    hi: int | None  # None: unbounded (`*`, `{n-}`)


@dataclass
class Alt:
    options: list  # list of token lists
    negated: bool


@dataclass
class CharClass:
    kind: str  # 'B' word boundary, 'L' line end, 'W' non-alphanumeric


@dataclass
class Frag:
    """Bytes with a mask of the bits that must hold; mask 0 cells are free filler."""

    values: bytearray = field(default_factory=bytearray)
    masks: bytearray = field(default_factory=bytearray)

    def add(self, value, mask):
        self.values.append(value & 0xFF)
        self.masks.append(mask & 0xFF)

    def __len__(self):
        return len(self.values)


def _hex_byte(text, i):
    pair = text[i:i + 2]
    if len(pair) < 2:
        raise PatternError("hex pattern: odd number of digits")
    hi, lo = pair
    if hi == "?" and lo == "?":
        return Byte(0, 0x00)
    if hi == "?" and lo in HEX:
        return Byte(int(lo, 16), 0x0F)
    if lo == "?" and hi in HEX:
        return Byte(int(hi, 16) << 4, 0xF0)
    if hi in HEX and lo in HEX:
        return Byte(int(pair, 16), 0xFF)
    raise PatternError("hex pattern: bad character", pair)


def _parse_range(body):
    m = re.fullmatch(r"(\d*)-(\d*)|(\d+)", body)
    if not m:
        raise PatternError("hex pattern: bad range", body)
    if m.group(3) is not None:
        n = int(m.group(3))
        return Gap(n, n)
    lo = int(m.group(1)) if m.group(1) else 0
    hi = int(m.group(2)) if m.group(2) else None
    if hi is not None and hi < lo:
        raise PatternError("hex pattern: empty range", body)
    return Gap(lo, hi)


def _split_options(body):
    options, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            options.append(body[start:i])
            start = i + 1
    options.append(body[start:])
    return options


def parse(text):
    """Tokenizes a hex pattern; raises PatternError naming what it does not understand."""
    tokens, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "*":
            tokens.append(Gap(0, None))
            i += 1
        elif ch in "{[":
            close = "}" if ch == "{" else "]"
            end = text.find(close, i)
            if end < 0:
                raise PatternError("hex pattern: unterminated range", ch)
            tokens.append(_parse_range(text[i + 1:end]))
            i = end + 1
        elif ch == "(" or text.startswith("!(", i):
            negated = ch == "!"
            start = i + (2 if negated else 1)
            depth, end = 1, start
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            if depth:
                raise PatternError("hex pattern: unbalanced parenthesis")
            body = text[start:end - 1]
            if body in ("B", "L", "W") and not negated:
                tokens.append(CharClass(body))
            else:
                options = [parse(o) for o in _split_options(body)]
                if any(not o for o in options):
                    raise PatternError("hex pattern: empty alternative")
                tokens.append(Alt(options, negated))
            i = end
        else:
            tokens.append(_hex_byte(text, i))
            i += 2
    return tokens


def has_static_bytes(tokens):
    return any(isinstance(t, Byte) and t.mask == 0xFF for t in tokens)


class Synth:
    """Turns tokens into a Frag. `free_byte()` draws filler suited to the target file type;
    `lowercase` (normalized text targets) writes ::i letters and alternatives in lowercase."""

    def __init__(self, rng, free_byte, lowercase=False):
        self.rng = rng
        self.free_byte = free_byte
        self.lowercase = lowercase

    def _unit(self, out, value, mask, mods):
        if mask != 0xFF:
            value = self._fill_masked(value, mask)
        elif "i" in mods and (0x41 <= value <= 0x5A or 0x61 <= value <= 0x7A):
            value = value | 0x20 if self.lowercase or self.rng.random() < 0.5 else value & ~0x20
        out.add(value, mask)
        if "w" in mods:
            out.add(0, 0xFF)

    def _fill_masked(self, value, mask):
        for _ in range(64):
            candidate = self.free_byte()
            if (candidate ^ value) & mask == 0:
                return candidate
        return (value & mask) | (self.rng.randrange(256) & ~mask & 0xFF)

    def gap_length(self, gap):
        hi = gap.hi if gap.hi is not None else gap.lo + MAX_OPEN_GAP
        return self.rng.randint(gap.lo, min(hi, gap.lo + MAX_OPEN_GAP))

    def tokens(self, tokens, mods, out=None):
        out = Frag() if out is None else out
        for tok in tokens:
            if isinstance(tok, Byte):
                self._unit(out, tok.value, tok.mask, mods)
            elif isinstance(tok, Gap):
                for _ in range(self.gap_length(tok)):
                    out.add(self.free_byte(), 0)
            elif isinstance(tok, CharClass):
                self._unit(out, 0x0A if tok.kind == "L" else 0x20, 0xFF, mods)
            elif tok.negated:
                self._negated(out, tok, mods)
            else:
                options = tok.options
                if self.lowercase:  # normalized text: prefer branches already lowercase
                    options = [o for o in options if not _has_upper(o)] or options
                self.tokens(self.rng.choice(options), mods, out)
        return out

    def _negated(self, out, alt, mods):
        width = len(alt.options[0])
        if any(len(o) != width or not all(isinstance(t, Byte) and t.mask == 0xFF for t in o)
               for o in alt.options):
            raise PatternError("hex pattern: negated alternative of mixed width")
        banned = {bytes(t.value for t in o) for o in alt.options}
        for _ in range(256):
            pick = bytes(self.free_byte() for _ in range(width))
            if "i" in mods:
                if pick.lower() not in {b.lower() for b in banned}:
                    break
            elif pick not in banned:
                break
        else:
            raise PatternError("hex pattern: no byte outside a negated alternative")
        for b in pick:
            self._unit(out, b, 0xFF, mods.replace("i", ""))

    def subsig(self, tokens, mods):
        """Whole subsignature: picks ascii or wide for ::a, surrounds ::f with delimiters."""
        form = mods
        if "w" in mods and "a" in mods:
            form = mods.replace("a", "") if self.rng.random() < 0.5 else mods.replace("w", "")
        out = Frag()
        if "f" in mods:
            self._unit(out, 0x20, 0xFF, form)
        self.tokens(tokens, form, out)
        if "f" in mods:
            self._unit(out, 0x20, 0xFF, form)
        return out


def _has_upper(tokens):
    return any(isinstance(t, Byte) and t.mask == 0xFF and 0x41 <= t.value <= 0x5A
               for t in tokens)


def _byte_class(value, mask, nocase):
    if mask == 0:
        return b"."
    if mask == 0xFF:
        if nocase and bytes([value]).isalpha():
            pair = re.escape(bytes([value | 0x20])) + re.escape(bytes([value & ~0x20]))
            return b"[" + pair + b"]"
        return re.escape(bytes([value]))
    members = b"".join(re.escape(bytes([v])) for v in range(256) if (v ^ value) & mask == 0)
    return b"[" + members + b"]"


def _regex_tokens(tokens, nocase, wide):
    parts = []
    suffix = b"\\x00" if wide else b""
    for tok in tokens:
        if isinstance(tok, Byte):
            parts.append(_byte_class(tok.value, tok.mask, nocase) + suffix)
        elif isinstance(tok, Gap):
            hi = b"" if tok.hi is None else str(tok.hi).encode()
            parts.append(b".{%d,%s}?" % (tok.lo, hi))
        elif isinstance(tok, CharClass):
            cls = {"B": b"[^A-Za-z0-9]", "L": b"(?:\\r\\n|\\r|\\n)", "W": b"[^A-Za-z0-9]"}
            parts.append(cls[tok.kind] + suffix)
        elif tok.negated:
            alts = b"|".join(_regex_tokens(o, nocase, wide) for o in tok.options)
            width = len(tok.options[0]) * (2 if wide else 1)
            parts.append(b"(?!(?:" + alts + b"))" + b".{%d}" % width)
        else:
            parts.append(b"(?:" + b"|".join(_regex_tokens(o, nocase, wide) for o in tok.options)
                         + b")")
    return b"".join(parts)


def to_regex(tokens, mods):
    """A bytes regex for the subsignature, used to count its occurrences in a generated file."""
    forms = []
    if "w" in mods:
        forms.append(True)
    if "w" not in mods or "a" in mods:
        forms.append(False)
    alts = []
    for wide in forms:
        body = _regex_tokens(tokens, "i" in mods, wide)
        if "f" in mods:
            before = b"(?<![A-Za-z0-9])" + (b"(?<![A-Za-z0-9]\\x00)" if wide else b"")
            body = before + body + b"(?![A-Za-z0-9])"
        alts.append(body)
    return re.compile(b"(?=(?:" + b"|".join(alts) + b"))", re.DOTALL)
