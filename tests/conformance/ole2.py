"""OLE2 compound files (MS-CFB version 3) for the OLE2 target and the CL_TYPE_MSOLE2 container.

Streams below the 4096-byte cutoff go to the mini stream, larger ones to regular sectors in the
order given, so the last large stream ends the file (EOF-n offsets land in it). Sibling entries
form a balanced tree in the (length, uppercase name) order readers search by.
"""

import struct

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SECTOR = 512
MINI_CUTOFF = 4096


def _key(name):
    return len(name), name.upper()


class _Entry:
    def __init__(self, name, data=None):
        self.name = name
        self.data = data  # None for a storage
        self.children = []
        self.left = self.right = self.child = NOSTREAM
        self.index = 0
        self.start = ENDOFCHAIN


def _tree(entries):
    """Links sorted siblings as a balanced binary tree; returns the index of its root."""
    if not entries:
        return NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.left = _tree(entries[:mid])
    node.right = _tree(entries[mid + 1:])
    return node.index


class _Sectors:
    """Regular sectors after the FAT: chains appended in order."""

    def __init__(self):
        self.fat, self.data = [], bytearray()

    def chain(self, data):
        if not data:
            return ENDOFCHAIN
        count = (len(data) + SECTOR - 1) // SECTOR
        first = len(self.fat)
        self.fat += [first + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        self.data += data.ljust(count * SECTOR, b"\0")
        return first


def compound_file(tree):
    """`tree`: {name: bytes | subtree}. Returns a compound file whose root storage holds it;
    streams under the 4096-byte cutoff live in the mini stream, as readers expect."""
    root = _Entry("Root Entry")
    order = [root]

    def add(parent, spec):
        for name, value in spec.items():
            entry = _Entry(name, value if isinstance(value, bytes) else None)
            entry.index = len(order)
            order.append(entry)
            parent.children.append(entry)
            if entry.data is None:
                add(entry, value)

    add(root, tree)
    streams = [e for e in order if e.data is not None]
    mini, mini_fat = bytearray(), []
    for e in streams:
        if 0 < len(e.data) < MINI_CUTOFF:
            count = (len(e.data) + 63) // 64
            e.start = len(mini_fat)
            mini_fat += [e.start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
            mini += e.data.ljust(count * 64, b"\0")
    mini_fat_bytes = struct.pack("<%dI" % len(mini_fat), *mini_fat)
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % SECTOR)
    # Lay out everything after the FAT with FAT-relative sector numbers, then shift them.
    body = _Sectors()
    directory_len = len(order) * 128
    dir_start = body.chain(bytes(directory_len))
    mini_fat_start = body.chain(mini_fat_bytes)
    root.start = body.chain(bytes(mini))
    for e in streams:
        if len(e.data) >= MINI_CUTOFF:
            e.start = body.chain(e.data)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + len(body.fat):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("OLE2: file too large for a header-only DIFAT")

    def shift(n):
        return n + fat_sectors if n < ENDOFCHAIN - 8 else n

    fat = [FATSECT] * fat_sectors + [shift(n) for n in body.fat]
    fat += [FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat))
    for e in order:
        e.child = _tree(sorted(e.children, key=lambda c: _key(c.name)))
    directory = b""
    for e in order:
        kind = 5 if e is root else 2 if e.data is not None else 1
        name = (e.name + "\0").encode("utf-16-le")
        size = len(mini) if e is root else len(e.data) if e.data is not None else 0
        if e is root or (e.data is not None and len(e.data) >= MINI_CUTOFF):
            start = shift(e.start)
        elif e.data is None:
            start = 0  # storages have no data
        else:
            start = e.start if e.data else ENDOFCHAIN
        directory += struct.pack("<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name), kind, 1,
                                 e.left, e.right, e.child, bytes(16), 0, 0, 0, start, size)
    body.data[dir_start * SECTOR:dir_start * SECTOR + directory_len] = directory
    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    mini_fat_count = len(mini_fat_bytes) // SECTOR
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), bytes(16),
                         0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, fat_sectors, shift(dir_start), 0,
                         MINI_CUTOFF, shift(mini_fat_start) if mini_fat_count else ENDOFCHAIN,
                         mini_fat_count, ENDOFCHAIN, 0) + struct.pack("<109I", *difat)
    return header + struct.pack("<%dI" % len(fat), *fat) + bytes(body.data)
