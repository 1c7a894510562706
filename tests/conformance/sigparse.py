"""Reads ClamAV .ldb and .ndb lines (optionally from .gz files) into Signature records.

This is the generator's own small reader, deliberately separate from the engine's: it only needs
to know enough to build a file, and everything it cannot build raises Unsupported with a short
reason that the summary counts. Offsets, modifiers and PCRE parts are split here once.
"""

import gzip
import re
from dataclasses import dataclass, field

import hexpattern
import logic


class Unsupported(Exception):
    """The signature cannot be generated; str(e) is the counted skip reason and `detail` what
    the report adds for this one signature."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.detail = detail


@dataclass
class Offset:
    anchor: str  # ANY ABS EOF EP S SE SL VI
    value: int = 0  # n in n / EOF-n / EP+n / Sx+n (negative for EP-n)
    section: int = 0
    shift: int = 0  # MaxShift of a floating offset


@dataclass
class Subsig:
    index: int
    text: str
    offset: Offset
    tokens: list | None = None  # hex pattern tokens
    mods: str = ""
    pcre: str | None = None  # regex source
    pcre_flags: str = ""
    trigger: object = None  # logic node for a PCRE trigger


@dataclass
class Signature:
    name: str
    fmt: str  # 'ldb' or 'ndb'
    line: str
    target: int
    expr: object
    subsigs: list
    conditions: dict = field(default_factory=dict)


_OFFSET_FORMS = [
    (re.compile(r"\*"), lambda m: Offset("ANY")),
    (re.compile(r"(\d+)"), lambda m: Offset("ABS", int(m[1]))),
    (re.compile(r"EOF-(\d+)"), lambda m: Offset("EOF", int(m[1]))),
    (re.compile(r"EP([+-])(\d+)"), lambda m: Offset("EP", int(m[2]) * (1 if m[1] == "+" else -1))),
    (re.compile(r"S(\d+)\+(\d+)"), lambda m: Offset("S", int(m[2]), int(m[1]))),
    (re.compile(r"SE(\d+)"), lambda m: Offset("SE", 0, int(m[1]))),
    (re.compile(r"SL\+(\d+)"), lambda m: Offset("SL", int(m[1]))),
    (re.compile(r"VI"), lambda m: Offset("VI")),
]


def parse_offset(text):
    base, _, shift = text.partition(",")
    for pattern, make in _OFFSET_FORMS:
        m = pattern.fullmatch(base)
        if m:
            off = make(m)
            if shift:
                if not shift.isdigit() or off.anchor in ("ANY", "VI", "SE"):
                    raise Unsupported("offset: bad MaxShift", text)
                off.shift = int(shift)
            return off
    raise Unsupported("offset: unknown form", text)


def _hex_subsig(index, text, offset_text):
    body, mods = text, ""
    if "::" in text:
        body, mods = text.rsplit("::", 1)
        if not re.fullmatch(r"[iwfa]+", mods):
            raise Unsupported("subsig modifier: unknown", mods)
    if offset_text is None:
        offset_text, sep, body = body.rpartition(":")
        offset_text = offset_text if sep else None
    if "$" in body:
        raise Unsupported("macro subsignature")
    if re.match(r"\d+\((<<|>>)", body):
        raise Unsupported("byte-compare subsignature")
    offset = parse_offset(offset_text) if offset_text is not None else Offset("ANY")
    try:
        tokens = hexpattern.parse(body)
    except hexpattern.PatternError as e:
        raise Unsupported(str(e), e.detail) from None
    if not tokens:
        raise Unsupported("hex pattern: empty")
    return Subsig(index, text, offset, tokens=tokens, mods=mods)


def _pcre_subsig(index, text):
    slash = text.index("/")
    prefix, rest = text[:slash], text[slash + 1:]
    end = rest.rfind("/")
    if end < 0:
        raise Unsupported("pcre: unterminated regex")
    regex, flags = rest[:end], rest[end + 1:]
    if not re.fullmatch(r"[greismxAEU]*", flags):
        raise Unsupported("pcre: unknown flag", flags)
    offset_text, _, trigger_text = prefix.rpartition(":")
    offset = parse_offset(offset_text) if offset_text else Offset("ANY")
    try:
        trigger = logic.parse(trigger_text)
    except logic.ExprError as e:
        raise Unsupported("pcre trigger: malformed", str(e)) from None
    if any(i >= index for i in logic.leaves(trigger)):
        raise Unsupported("pcre trigger: refers to a later subsignature")
    return Subsig(index, text, offset, pcre=regex, pcre_flags=flags, trigger=trigger)


def _subsig(index, text):
    if "/" in text:
        return _pcre_subsig(index, text)
    return _hex_subsig(index, text, None)


def _range(value):
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
    if not m:
        raise Unsupported("target block: bad range", value)
    lo = int(m[1])
    return lo, int(m[2]) if m[2] else lo


def _conditions(block):
    out = {}
    for item in block.split(","):
        key, _, value = item.partition(":")
        if key in ("Engine", "FileSize", "EntryPoint", "NumberOfSections"):
            out[key] = _range(value)
        elif key == "Target":
            if not value.isdigit():
                raise Unsupported("target block: bad Target", value)
            out[key] = int(value)
        elif key in ("Container", "Intermediates", "IconGroup1", "IconGroup2", "HandlerType"):
            out[key] = value
        else:
            raise Unsupported("target block: unknown key %s" % key)
    return out


def parse_ldb(line):
    fields = line.split(";")
    if len(fields) < 4:
        raise Unsupported("ldb: fewer than four fields")
    name, block, expr_text = fields[0], fields[1], fields[2]
    conditions = _conditions(block)
    try:
        expr = logic.parse(expr_text)
    except logic.ExprError as e:
        raise Unsupported("logical expression: malformed", str(e)) from None
    subsigs = [_subsig(i, text) for i, text in enumerate(fields[3:])]
    if any(i >= len(subsigs) for i in logic.leaves(expr)):
        raise Unsupported("logical expression: refers to a missing subsignature")
    return Signature(name, "ldb", line, conditions.get("Target", 0), expr, subsigs, conditions)


def parse_ndb(line):
    fields = line.split(":")
    if len(fields) < 4:
        raise Unsupported("ndb: fewer than four fields")
    name, target, offset_text, body = fields[:4]
    if not target.isdigit():
        raise Unsupported("ndb: bad target", target)
    sub = _hex_subsig(0, body, offset_text)
    conditions = {}
    if len(fields) > 4 and fields[4]:
        conditions["Engine"] = (int(fields[4]), int(fields[5]) if len(fields) > 5 else 255)
    return Signature(name, "ndb", line, int(target), logic.Leaf(0), [sub], conditions)


def read(path):
    """Yields (format, line) for each signature line of a .ldb/.ndb file, gzipped or not."""
    fmt = "ldb" if ".ldb" in path else "ndb" if ".ndb" in path else None
    if fmt is None:
        raise ValueError("%s: not a .ldb or .ndb file" % path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield fmt, line


def parse_line(fmt, line):
    return parse_ldb(line) if fmt == "ldb" else parse_ndb(line)
