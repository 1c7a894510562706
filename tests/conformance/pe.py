"""A minimal PE32 executable around subsignature fragments (Target 1 and section/EP offsets).

The file is MZ header, PE header, one section table entry per section, the raw section data
and an overlay. Code at EP+n goes into section 0 at the entry point, Sx+n / SEx / SL+n into the
section they name, `*` pieces and EOF-n pieces into the overlay. clamscan's PE parser accepts
the result (checked with clamscan --debug: "Recognized MS-EXE/DLL file", no header warnings).
"""

import struct

from canvas import Canvas, Collision, absolute_first, mixed
from sigparse import Unsupported

FILE_ALIGN = 0x200
SECT_ALIGN = 0x1000
IMAGE_BASE = 0x400000
PE_OFFSET = 0x80  # leaves the DOS stub area free for absolute-offset pieces
DOS_AREA = 0x400  # absolute pieces starting below this push the PE header after them


def _align(n, a):
    return (n + a - 1) // a * a


def _section_count(pieces, conditions):
    needed = 1
    for off, _ in pieces:
        if off.anchor in ("S", "SE"):
            needed = max(needed, off.section + 1)
    lo, hi = conditions.get("NumberOfSections", (1, 96))
    count = max(needed, lo, 1)
    if count > hi:
        raise Unsupported("PE: NumberOfSections range below the sections the offsets need")
    return count


def _headers(sections, ep_rva, size_image, size_headers, pe_offset):
    dos = bytearray(pe_offset)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, pe_offset)
    coff = struct.pack("<HHIIIHH", 0x14C, len(sections), 0, 0, 0, 0xE0, 0x0102)
    opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, 6, 0, SECT_ALIGN, 0, 0, ep_rva,
                      SECT_ALIGN, SECT_ALIGN, IMAGE_BASE, SECT_ALIGN, FILE_ALIGN, 4, 0, 0, 0, 4, 0,
                      0, size_image, size_headers, 0, 2, 0, 0x100000, 0x1000, 0x100000, 0x1000, 0,
                      16) + bytes(128)
    table = b""
    for i, (vsize, rva, rsize, raw) in enumerate(sections):
        name = (b".text" if i == 0 else b".data%d" % i).ljust(8, b"\0")
        table += struct.pack("<8sIIIIIIHHI", name, vsize, rva, rsize, raw, 0, 0, 0, 0, 0xE0000060)
    data = bytes(dos) + b"PE\0\0" + coff + opt + table
    # MZ, e_lfanew and everything from the PE signature on are essential; the rest of the DOS
    # header and stub may be overwritten by absolute-offset pieces.
    return mixed(data, [(0, 2), (0x3C, 0x40), (pe_offset, len(data))])


def build(pieces, conditions, rng, free_byte, tail):
    """`pieces`: (Offset, Frag) pairs; `tail(canvas)` appends `*` and EOF pieces and pads to the
    FileSize condition. Returns the file bytes."""
    count = _section_count(pieces, conditions)
    secs = [Canvas(free_byte) for _ in range(count)]
    back = max([-o.value for o, _ in pieces if o.anchor == "EP" and o.value < 0] + [0])
    ep_off = back + rng.randint(0, 8)
    lo_ep = conditions.get("EntryPoint", (0, 0))[0]
    dos_end = max([o.value + o.shift + len(f) for o, f in pieces
                   if o.anchor == "ABS" and o.value < DOS_AREA] + [PE_OFFSET])
    pe_offset = _align(dos_end, 8)
    header_len = pe_offset + 4 + 20 + 0xE0 + 40 * count
    abs_end = max([o.value + o.shift + len(f) for o, f in pieces if o.anchor == "ABS"] + [0])
    first_raw = _align(max(header_len, abs_end), FILE_ALIGN)
    if lo_ep > first_raw + ep_off:
        ep_off = lo_ep - first_raw
    secs[0].grow(ep_off)
    try:
        for off, frag in pieces:
            if off.anchor == "EP":
                secs[0].put_floating(ep_off + off.value, off.shift, frag, "EP piece")
            elif off.anchor == "S":
                secs[off.section].put_floating(off.value, off.shift, frag, "section piece")
            elif off.anchor == "SL":
                secs[-1].put_floating(off.value, off.shift, frag, "last-section piece")
        for off, frag in pieces:
            if off.anchor == "SE":
                target = secs[off.section]
                target.append(frag, rng.randint(1, 4))
    except Collision as e:
        raise Unsupported("PE: %s" % e) from None
    for s in secs:
        s.grow(max(len(s), 16) + rng.randint(0, 16))
    layout, raw, rva = [], first_raw, SECT_ALIGN
    for s in secs:
        rsize = _align(len(s), FILE_ALIGN)
        layout.append((len(s), rva, rsize, raw))
        raw += rsize
        rva += _align(len(s), SECT_ALIGN)
    ep_raw = layout[0][3] + ep_off
    hi_ep = conditions.get("EntryPoint", (0, 1 << 40))[1]
    if not lo_ep <= ep_raw <= hi_ep:
        raise Unsupported("PE: EntryPoint range not reachable")
    out = Canvas(free_byte)
    out.grow(first_raw)
    for s, (_, _, rsize, raw_off) in zip(secs, layout):
        out.put(raw_off, s.frag(), "section data")
        out.grow(raw_off + rsize)
    try:
        out.put(0, _headers(layout, layout[0][1] + ep_off, rva, first_raw, pe_offset),
                "PE header")
        for off, frag in absolute_first(pieces):
            out.put_floating(off.value, off.shift, frag, "absolute piece")
    except Collision as e:
        raise Unsupported("PE: %s" % e) from None
    tail(out)
    return out.bytes()
