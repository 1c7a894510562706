"""File layouts per ClamAV target type: a header that makes clamscan type the file as the target
wants, the subsignature pieces after it, and a trailer.

Text targets (3 HTML, 7 ASCII) are matched by ClamAV on normalized text (lowercase, whitespace
runs as one space, HTML entities decoded), so their files are written already normalized, with
filler from a lowercase alphabet; `&` is the one byte that must be escaped in HTML.
"""

import struct

import containers
import ole2
import pe
from canvas import Canvas, Collision, absolute_first, hard, mixed
from sigparse import Unsupported

TEXT_FILLER = b"abcdefghijklmnopqrstuvwxyz0123456789"
ELF_BASE = 0x08048000


class Layout:
    """Target-specific header and trailer; `header(total, ep)` returns a Frag for offset 0."""

    header_len = 0
    trailer = b""
    text = False  # normalized text target
    ep = False  # supports EP+n offsets

    def header(self, total, ep):
        return None

    def finish(self, data):
        return data


class Raw(Layout):
    pass


class Text(Layout):
    text = True


class Html(Layout):
    text = True
    header_len = 13
    trailer = b"\n</body></html>\n"

    def header(self, total, ep):
        return hard(b"<html><body>\n")

    def finish(self, data):
        return data[:self.header_len] + data[self.header_len:].replace(b"&", b"&amp;")


class BareHtml(Html):
    """HTML whose first bytes are a signature piece at offset 0 (a <script> or <%@ page); the
    <html> that makes clamscan type the file as HTML comes after the pieces instead."""

    header_len = 0
    trailer = b"\n<html><body></body></html>\n"

    def header(self, total, ep):
        return None


class Magic(Layout):
    """`floating`: clamscan also finds the magic a little way into the file (PDF does), so a
    piece that owns offset 0 can precede it."""

    def __init__(self, magic, trailer=b"", essential=None, floating=False):
        self.magic = magic
        self.header_len = len(magic)
        self.trailer = trailer
        self.essential = essential or [(0, len(magic))]
        self.floating = floating

    def header(self, total, ep):
        return mixed(self.magic, self.essential)


class Mail(Layout):
    magic = (b"From: sender@example.com\nTo: rcpt@example.com\nSubject: conformance sample\n"
             b"MIME-Version: 1.0\nContent-Type: text/plain\n\n")
    header_len = len(magic)

    def header(self, total, ep):
        return hard(self.magic)


class Swf(Layout):
    header_len = 13

    def header(self, total, ep):
        return hard(b"FWS\x0a" + struct.pack("<I", total) + b"\x00\x00\x18\x01\x00")


class Elf(Layout):
    header_len = 84
    ep = True

    def header(self, total, ep):
        ident = b"\x7fELF\x01\x01\x01" + bytes(9)
        ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, ELF_BASE + (ep or self.header_len),
                                   52, 0, 0, 52, 32, 1, 40, 0, 0)
        phdr = struct.pack("<IIIIIIII", 1, 0, ELF_BASE, ELF_BASE, total, total, 5, 0x1000)
        return hard(ehdr + phdr)


class MachO(Layout):
    header_len = 28

    def header(self, total, ep):
        return hard(struct.pack("<IIIIIII", 0xFEEDFACE, 7, 3, 2, 0, 0, 0))


LAYOUTS = {
    0: Raw(),
    3: Html(),
    4: Mail(),
    5: Magic(b"GIF89a\x10\x00\x10\x00\x00\x00\x00", b";", [(0, 6)]),
    6: Elf(),
    7: Text(),
    9: MachO(),
    10: Magic(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n", [(0, 9)], floating=True),
    11: Swf(),
    12: Magic(b"\xca\xfe\xba\xbe\x00\x00\x00\x32"),
}
TARGET_NAMES = {0: "any", 1: "PE", 2: "OLE2", 3: "HTML", 4: "mail", 5: "graphics", 6: "ELF",
                7: "ASCII", 9: "Mach-O", 10: "PDF", 11: "Flash", 12: "Java"}


def _tail(canvas, pieces, rng, size_range, pad, trailer=b"", round_to=1, margin=0):
    """Appends `*` pieces, padding up to the FileSize range, the trailer and EOF-n pieces.
    `margin` keeps the size that far inside the range (normalization shortens text)."""
    for off, frag in pieces:
        if off.anchor == "ANY":
            canvas.append(frag, rng.randint(1, 6))
    eof = [(o, f) for o, f in pieces if o.anchor == "EOF"]
    canvas.grow(len(canvas) + rng.randint(1, 6))
    for o, f in eof:
        if len(f) > o.value:
            raise Unsupported("EOF-n piece longer than n")
    trailer = b"" if eof else trailer
    lo, hi = size_range
    end = len(canvas) + len(trailer)
    size = max([len(canvas) + o.value for o, _ in eof] + [end, lo + margin])
    size = (size + round_to - 1) // round_to * round_to
    if size > hi:
        raise Unsupported("FileSize: content larger than the range allows")
    canvas.fill(pad(size - len(trailer) - len(canvas)))
    if trailer:
        canvas.append(hard(trailer), 0)
    try:
        for o, f in eof:
            canvas.put_floating(size - o.value, min(o.shift, o.value - len(f)), f, "EOF piece")
    except Collision as e:
        raise Unsupported(str(e)) from None


def build(target, pieces, conditions, rng, free_byte, pad):
    """Lays out `pieces` ((Offset, Frag) pairs) for `target`; returns the bytes ClamAV will
    match the signature against (normalized form for text targets) and the file itself."""
    size_range = conditions.get("FileSize", (0, 1 << 40))
    anchors = {o.anchor for o, _ in pieces}
    if target == 1 or (target == 0 and anchors & {"EP", "S", "SE", "SL"}):
        data = pe.build(pieces, conditions, rng, free_byte,
                        lambda c: _tail(c, pieces, rng, size_range, pad))
        return data, data
    if target == 2:
        return _build_ole2(pieces, rng, free_byte, pad, size_range)
    layout = LAYOUTS.get(target)
    if layout is None:
        raise Unsupported("target type %d not synthesized" % target)
    if anchors & {"S", "SE", "SL", "VI"} or ("EP" in anchors and not layout.ep):
        raise Unsupported("%s target: section/EP offsets not synthesized"
                          % TARGET_NAMES.get(target, target))
    if "ABS" in anchors and target == 3:
        layout = BareHtml()
    canvas = Canvas(free_byte)
    canvas.grow(layout.header_len)
    eps = [(o, f) for o, f in pieces if o.anchor == "EP"]
    ep = None
    if eps:
        ep = layout.header_len + max([-o.value for o, _ in eps] + [0]) + rng.randint(0, 8)
    name = "%s header" % TARGET_NAMES.get(target, target)
    try:
        # The header goes first so floating pieces settle around it; its size fields are
        # rewritten once the size is known.
        head = layout.header(0, ep)
        moved = None
        if head is not None and isinstance(layout, Magic) and not _fits_all(head, pieces):
            # A piece at offset 0 brings its own magic (PNG instead of GIF), or for a floating
            # magic (%FDF before %PDF) the header follows the absolute pieces.
            moved, head = (head if layout.floating else None), None
        if head is not None:
            canvas.put(0, head, name)
        for o, f in eps:
            canvas.put_floating(ep + o.value, o.shift, f, "EP piece")
        for o, f in absolute_first(pieces):
            canvas.put_floating(o.value, o.shift, f, "absolute piece")
        if moved is not None:
            canvas.append(moved, 1)
        margin = 64 if layout.text and size_range[1] - size_range[0] > 128 else 0
        _tail(canvas, pieces, rng, size_range, pad, layout.trailer, margin=margin)
        if head is not None:
            canvas.overwrite(0, layout.header(len(canvas), ep))
    except Collision as e:
        raise Unsupported(str(e)) from None
    scanned = canvas.bytes()
    return scanned, layout.finish(scanned)


def _fits_all(head, pieces):
    probe = Canvas(lambda: 0)
    probe.put(0, head)
    return all(probe.fits(o.value, f) for o, f in pieces if o.anchor == "ABS" and not o.shift)


def _build_ole2(pieces, rng, free_byte, pad, size_range):
    if any(o.anchor == "ABS" for o, _ in pieces):
        raise Unsupported("OLE2 target: absolute offset (VBA module source) not synthesized")
    if any(o.anchor not in ("ANY", "EOF") for o, _ in pieces):
        raise Unsupported("OLE2 target: section/EP offsets not synthesized")
    lo, hi = size_range
    overhead = containers.ole2_overhead(max(lo, ole2.MINI_CUTOFF) // ole2.SECTOR * ole2.SECTOR)
    stream = Canvas(free_byte)
    _tail(stream, pieces, rng, (max(lo - overhead, ole2.MINI_CUTOFF), hi - overhead), pad,
          round_to=ole2.SECTOR)
    data = containers.ole2_of(stream.bytes())
    if not lo <= len(data) <= hi:
        raise Unsupported("FileSize: OLE2 layout cannot meet the range")
    return data, data
