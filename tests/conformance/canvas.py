"""A byte canvas where placed fragments must agree on every bit they both fix.

Every builder lays a file out on one of these: headers contribute their essential fields as hard
bits and leave the rest free, subsignature fragments contribute their literal bytes, and a
collision between two hard bits is reported instead of silently producing a file that cannot
match. Free cells keep filler drawn from the file type's alphabet.
"""

from hexpattern import Frag


class Collision(Exception):
    pass


class Canvas:
    def __init__(self, free_byte):
        self.values = bytearray()
        self.masks = bytearray()
        self.free_byte = free_byte

    def __len__(self):
        return len(self.values)

    def grow(self, size):
        while len(self.values) < size:
            self.values.append(self.free_byte())
            self.masks.append(0)

    def fill(self, data):
        """Appends bytes that nothing depends on (padding); cheaper than grow() for megabytes."""
        self.values += data
        self.masks += bytes(len(data))

    def fits(self, pos, frag):
        if pos < 0:
            return False
        end = min(len(self.values), pos + len(frag))
        for i in range(pos, end):
            both = self.masks[i] & frag.masks[i - pos]
            if both and (self.values[i] ^ frag.values[i - pos]) & both:
                return False
        return True

    def put(self, pos, frag, what="fragment"):
        if not self.fits(pos, frag):
            raise Collision("%s collides with other fixed bytes" % what)
        self.grow(pos + len(frag))
        for i, (v, m) in enumerate(zip(frag.values, frag.masks)):
            old_v, old_m = self.values[pos + i], self.masks[pos + i]
            if m == 0 and old_m != 0:
                continue
            self.values[pos + i] = (old_v & old_m) | (v & ~old_m & 0xFF)
            self.masks[pos + i] = old_m | m

    def overwrite(self, pos, frag):
        """Rewrites the fixed bits of an earlier placement whose values changed (a header's
        length fields once the size is known)."""
        self.grow(pos + len(frag))
        for i, (v, m) in enumerate(zip(frag.values, frag.masks)):
            if m:
                self.values[pos + i] = (self.values[pos + i] & ~m & 0xFF) | (v & m)
                self.masks[pos + i] |= m

    def put_floating(self, pos, shift, frag, what="fragment"):
        """Places at the first offset in [pos, pos+shift] where the fragment fits."""
        for p in range(pos, pos + shift + 1):
            if self.fits(p, frag):
                self.put(p, frag, what)
                return p
        raise Collision("%s collides with other fixed bytes" % what)

    def append(self, frag, gap):
        """Places after everything so far, `gap` free bytes later; returns the offset."""
        pos = len(self.values) + gap
        self.put(pos, frag)
        return pos

    def bytes(self):
        return bytes(self.values)

    def frag(self):
        f = Frag()
        f.values += self.values
        f.masks += self.masks
        return f


def hard(data):
    """A Frag of bytes that must all hold."""
    f = Frag()
    f.values += data
    f.masks += b"\xff" * len(data)
    return f


def soft(data):
    """A Frag of default bytes that any placed fragment may overwrite."""
    f = Frag()
    f.values += data
    f.masks += bytes(len(data))
    return f


def mixed(data, hard_ranges):
    """Default bytes where only the (start, end) ranges listed are essential."""
    f = soft(data)
    for start, end in hard_ranges:
        for i in range(start, end):
            f.masks[i] = 0xFF
    return f


def absolute_first(pieces):
    """The absolute-offset pieces of (Offset, Frag) pairs, fixed ones before floating ones, so
    a floating piece moves aside instead of taking a fixed piece's place."""
    return sorted(((o, f) for o, f in pieces if o.anchor == "ABS"),
                  key=lambda p: (p[0].shift, p[0].value))
