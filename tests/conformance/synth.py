"""Generates one file that satisfies one signature, or says why it cannot.

Steps: check the target description block, decide which subsignatures can be placed at all, solve
the logical expression for how often each must occur (PCRE triggers included), synthesize the
pieces, lay them out for the target type, wrap in a container if asked, and finally count every
subsignature in the bytes ClamAV will see: a file whose counts do not satisfy the expression is
regenerated with the next seed and, after a few tries, skipped with the reason.
"""

import random
import re
from dataclasses import dataclass

import containers
import filetypes
import hexpattern
import logic
import pcre_sample
import sigparse
from sigparse import Unsupported

ATTEMPTS = 4
TEXT_TARGETS = (3, 7)
NORMAL_WS = re.compile(rb"[\t\n\r\f\v ]{2,}|[\t\n\r\f\v]")


@dataclass
class Generated:
    data: bytes
    counts: dict


def _free_byte_source(rng, text):
    if text:
        return lambda: filetypes.TEXT_FILLER[rng.randrange(len(filetypes.TEXT_FILLER))]
    return lambda: rng.randrange(1, 256)


def _pad_source(rng, text):
    table = bytes(filetypes.TEXT_FILLER[i % len(filetypes.TEXT_FILLER)] for i in range(256))
    if text:
        return lambda n: rng.randbytes(n).translate(table)
    return rng.randbytes


def _normalized(data):
    return data.lower() == data and not NORMAL_WS.search(data)


def check_conditions(sig, flevel):
    c = sig.conditions
    for key in ("IconGroup1", "IconGroup2"):
        if key in c:
            raise Unsupported("%s condition (needs an .idb icon database)" % key)
    if "HandlerType" in c:
        raise Unsupported("HandlerType condition")
    if "Intermediates" in c:
        raise Unsupported("Intermediates condition")
    container = c.get("Container")
    if container and container != "CL_TYPE_ANY" and container not in containers.WRAPPERS:
        raise Unsupported("Container:%s not synthesized" % container)
    if flevel is not None and "Engine" in c and not c["Engine"][0] <= flevel <= c["Engine"][1]:
        raise Unsupported("Engine range excludes clamscan's functionality level")
    if sig.target == 8 or sig.target > 12:
        raise Unsupported("target type %d not synthesized" % sig.target)


class Generator:
    def __init__(self, sig, seed):
        self.sig = sig
        self.seed = seed
        self.reasons = {}  # subsig index -> why it cannot be placed
        self.samples = {}  # PCRE subsig index -> compiled regex
        self.text = sig.target in TEXT_TARGETS
        for sub in sig.subsigs:
            reason = self._unusable(sub)
            if reason:
                self.reasons[sub.index] = reason

    def _unusable(self, sub):
        anchor = sub.offset.anchor
        if anchor == "ABS" and self.sig.target == 2:
            return "OLE2 target: absolute offset (VBA module source) not synthesized"
        if anchor == "VI":
            return "VI (version info) offset not synthesized"
        if anchor in ("EP", "S", "SE", "SL") and self.sig.target not in (0, 1, 6):
            return "%s target: section/EP offsets not synthesized" % (
                filetypes.TARGET_NAMES.get(self.sig.target, self.sig.target))
        if sub.pcre is not None:
            try:
                self.samples[sub.index] = pcre_sample.compile_pcre(sub.pcre, sub.pcre_flags)
            except pcre_sample.SampleError as e:
                return str(e)
            return None
        if not hexpattern.has_static_bytes(sub.tokens) and anchor == "ANY":
            return "hex pattern: no static bytes"
        if self.text and "i" not in sub.mods:
            literal = bytes(t.value for t in sub.tokens
                            if isinstance(t, hexpattern.Byte) and t.mask == 0xFF)
            if literal.lower() != literal:
                return "normalized text target: pattern has uppercase letters"
            if NORMAL_WS.search(literal):
                return "normalized text target: pattern has non-normalized whitespace"
        return None

    def _solve(self, rng):
        usable = lambda i: i not in self.reasons  # noqa: E731
        solver = logic.Solver(usable, rng)
        solution = solver.solve(self.sig.expr)
        for _ in range(len(self.sig.subsigs)):
            if solution is None:
                break
            changed = False
            for sub in self.sig.subsigs:
                if sub.pcre is None or solution.get(sub.index, (0, 0))[0] == 0:
                    continue
                if logic.evaluate(sub.trigger, logic.counts_from(solution))[0]:
                    continue
                need = solver.solve(sub.trigger)
                solution = None if need is None else logic.merge(solution, need)
                changed = True
                if solution is None:
                    break
            if not changed:
                break
        if solution is None:
            if self.reasons:
                raise Unsupported(sorted(self.reasons.values())[0])
            raise Unsupported("logical expression: no satisfying assignment found")
        counts = logic.counts_from(solution)
        for sub in self.sig.subsigs:
            if counts.get(sub.index, 0) > 1 and sub.offset.anchor not in ("ANY", "SE"):
                if not sub.offset.shift:
                    raise Unsupported("fixed-offset subsignature needed more than once")
        return counts

    def _pieces(self, counts, rng, synth, sampler):
        pieces = []
        for sub in self.sig.subsigs:
            for _ in range(counts.get(sub.index, 0)):
                if sub.pcre is not None:
                    data, anchored = sampler.sample(self.samples[sub.index])
                    offset = sub.offset
                    if anchored and offset.anchor == "ANY":
                        if "m" in sub.pcre_flags:
                            data = b"\n" + data  # ^ in multiline mode: start of a line
                        else:
                            offset = sigparse.Offset("ABS", 0)  # ^: start of the buffer
                    pieces.append((offset, filetypes.hard(data)))
                    continue
                for _ in range(8):
                    frag = synth.subsig(sub.tokens, sub.mods)
                    if not self.text or _normalized(bytes(frag.values)):
                        break
                else:
                    raise Unsupported("normalized text target: no normalized form of subsig")
                pieces.append((sub.offset, frag))
        if self.sig.target != 3:  # HTML keeps signature order: tags read in sequence
            rng.shuffle(pieces)
        return pieces

    def count(self, scanned):
        """Occurrences of each subsignature in `scanned`; a PCRE counts only when triggered."""
        counts = {}
        for sub in self.sig.subsigs:
            if sub.pcre is None:
                counts[sub.index] = sum(1 for _ in hexpattern.to_regex(sub.tokens, sub.mods)
                                        .finditer(scanned))
        for sub in self.sig.subsigs:
            if sub.pcre is not None:
                triggered = logic.evaluate(sub.trigger, counts)[0]
                found = len(self.samples[sub.index].findall(scanned)) if triggered else 0
                counts[sub.index] = found if "g" in sub.pcre_flags else min(found, 1)
        return counts

    def generate(self):
        last = Unsupported("self-check: expression not satisfied by the generated bytes")
        for attempt in range(ATTEMPTS):
            rng = random.Random("%s/%d/%d" % (self.sig.name, self.seed, attempt))
            free_byte = _free_byte_source(rng, self.text)
            synth = hexpattern.Synth(rng, free_byte, lowercase=self.text)
            sampler = pcre_sample.Sampler(rng, lowercase=self.text)
            counts = self._solve(rng)
            try:
                pieces = self._pieces(counts, rng, synth, sampler)
            except (pcre_sample.SampleError, hexpattern.PatternError) as e:
                last = Unsupported(str(e), e.detail)
                continue
            scanned, data = filetypes.build(self.sig.target, pieces, self.sig.conditions, rng,
                                            free_byte, _pad_source(rng, self.text))
            found = self.count(scanned)
            if not logic.evaluate(self.sig.expr, found)[0]:
                bad = ["subsig %d occurs %d times, wanted %d" % (i, found[i], counts.get(i, 0))
                       for i in sorted(found) if found[i] != counts.get(i, 0)]
                last = Unsupported("self-check: expression not satisfied by the generated bytes",
                                   "; ".join(bad))
                continue
            container = self.sig.conditions.get("Container")
            if container in containers.WRAPPERS:
                data = containers.WRAPPERS[container](data)
            return Generated(data, found)
        raise last
