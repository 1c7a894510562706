"""Random strings that a PCRE subsignature's regex matches, drawn from Python's regex parser.

ClamAV's PCRE dialect is close to Python's `re` for the expressions found in real signatures;
the few differences that matter (named groups spelled (?<n>..), \\z) are rewritten first. Each
sample is confirmed with re.search before use, so an unsupported construct costs a skip, never a
wrong file.
"""

import re

try:
    import re._parser as sre_parse  # Python 3.11+
    from re._constants import (ANY, ASSERT, ASSERT_NOT, AT, BRANCH, CATEGORY, GROUPREF, IN,
                               LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, NOT_LITERAL, RANGE,
                               SUBPATTERN, AT_BEGINNING, AT_BEGINNING_STRING)
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse
    from sre_constants import (ANY, ASSERT, ASSERT_NOT, AT, BRANCH, CATEGORY, GROUPREF, IN,
                               LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, NOT_LITERAL, RANGE,
                               SUBPATTERN, AT_BEGINNING, AT_BEGINNING_STRING)

try:
    from re._constants import POSSESSIVE_REPEAT, ATOMIC_GROUP
except ImportError:  # pragma: no cover
    POSSESSIVE_REPEAT = ATOMIC_GROUP = None


class SampleError(Exception):
    """No sample for this regex; the message is the skip reason, `detail` the specifics."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.detail = detail


_FLAG_MAP = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
_CATEGORIES = {
    "CATEGORY_DIGIT": b"0123456789",
    "CATEGORY_NOT_DIGIT": b"abcdefghijklmnopqrstuvwxyz ",
    "CATEGORY_SPACE": b" ",
    "CATEGORY_NOT_SPACE": b"abcdefghijklmnopqrstuvwxyz0123456789",
    "CATEGORY_WORD": b"abcdefghijklmnopqrstuvwxyz0123456789",
    "CATEGORY_NOT_WORD": b" .,;-",
}
MAX_REPEATS = 3
# clamscan stops a PCRE at its recursion limit (pcre_exec -53) well before 1000 repeats of a
# group; larger lower bounds cannot be detected by a default clamscan, so they are skipped.
MAX_LOWER_BOUND = 500


def translate(regex):
    """PCRE source as ClamAV stores it -> Python bytes regex source."""
    text = regex.replace("\\/", "/")
    text = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", text)
    text = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", text)
    text = text.replace("\\z", "\\Z")
    return text.encode("latin-1")


def compile_pcre(regex, flags):
    py_flags = re.DOTALL if "s" in flags else 0
    for ch, f in _FLAG_MAP.items():
        if ch in flags:
            py_flags |= f
    try:
        return re.compile(translate(regex), py_flags)
    except (re.error, OverflowError, UnicodeEncodeError) as e:
        raise SampleError("pcre: not expressible in Python re", str(e)) from None


class Sampler:
    def __init__(self, rng, lowercase=False):
        self.rng = rng
        self.lowercase = lowercase

    def sample(self, compiled):
        """Returns bytes matching `compiled`, plus whether the regex is anchored at its start."""
        try:
            tree = sre_parse.parse(compiled.pattern.decode("latin-1"), compiled.flags & ~re.ASCII)
        except Exception as e:  # noqa: BLE001 - any parser complaint is a skip reason
            raise SampleError("pcre: not expressible in Python re", str(e)) from None
        self.nocase = bool(compiled.flags & re.IGNORECASE)
        self.dotall = bool(compiled.flags & re.DOTALL)
        anchored = bool(tree.data) and tree.data[0][0] == AT and tree.data[0][1] in (
            AT_BEGINNING, AT_BEGINNING_STRING)
        for _ in range(20):
            self.groups = {}
            out = bytearray()
            self._seq(tree.data, out)
            if compiled.search(bytes(out)):
                return bytes(out), anchored
        raise SampleError("pcre: no matching sample found")

    def _char(self, c):
        if self.nocase and chr(c).isalpha():
            return ord(chr(c).lower()) if self.lowercase or self.rng.random() < 0.5 else ord(
                chr(c).upper())
        return c

    def _seq(self, items, out):
        for op, av in items:
            self._item(op, av, out)

    def _item(self, op, av, out):
        rng = self.rng
        if op == LITERAL:
            out.append(self._char(av) & 0xFF)
        elif op == NOT_LITERAL:
            out.append(rng.choice([c for c in b"xqz_ " if c != av]))
        elif op == ANY:
            out.append(rng.choice(b"abcdefghijklmnopqrstuvwxyz"))
        elif op == IN:
            out.append(self._in(av))
        elif op in (MAX_REPEAT, MIN_REPEAT) or op == POSSESSIVE_REPEAT:
            lo, hi, sub = av
            if lo > MAX_LOWER_BOUND:
                raise SampleError("pcre: repetition beyond clamscan's PCRE recursion limit")
            hi = min(hi, lo + MAX_REPEATS) if hi != sre_parse.MAXREPEAT else lo + MAX_REPEATS
            for _ in range(rng.randint(lo, max(lo, min(hi, lo + 1)))):
                self._seq(sub, out)
        elif op == SUBPATTERN:
            group, _, _, sub = av
            start = len(out)
            self._seq(sub, out)
            if group is not None:
                self.groups[group] = bytes(out[start:])
        elif op == ATOMIC_GROUP and op is not None:
            self._seq(av, out)
        elif op == BRANCH:
            self._seq(rng.choice(av[1]), out)
        elif op == GROUPREF:
            out += self.groups.get(av, b"")
        elif op in (AT, ASSERT, ASSERT_NOT):
            pass  # anchors and lookarounds: left to the final re.search check
        else:
            raise SampleError("pcre: unsupported construct", str(op))

    def _in(self, items):
        allowed, negate = set(), False
        for op, av in items:
            if op == NEGATE:
                negate = True
            elif op == LITERAL:
                allowed.add(av)
            elif op == RANGE:
                allowed.update(range(av[0], av[1] + 1))
            elif op == CATEGORY:
                allowed.update(_CATEGORIES.get(str(av), b""))
        if negate:
            pool = [c for c in b"abcdefghijklmnopqrstuvwxyz0123456789 _-.,;" if c not in allowed]
        else:
            pool = sorted(c for c in allowed if c < 256)
        if not pool:
            raise SampleError("pcre: empty character class")
        printable = [c for c in pool if 0x20 <= c < 0x7F]
        return self._char(self.rng.choice(printable or pool)) & 0xFF
