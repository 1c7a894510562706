"""Logical expressions of .ldb signatures: parse, evaluate on match counts, and solve.

Solving picks how many times each subsignature should occur so the expression holds, as a
per-subsignature [lo, hi] range: `A=0` and `A<X` bound occurrences from above, `A>X,Y` asks for
repeats across Y distinct subsignatures, `|` takes the cheapest satisfiable branch. The result is
always re-checked with evaluate() on the counts found in the finished file.
"""

import re
from dataclasses import dataclass


class ExprError(Exception):
    pass


@dataclass
class Leaf:
    index: int


@dataclass
class Op:
    kind: str  # '&' or '|'
    children: list
    closed: bool = False  # parenthesized: a following operator starts a new node


@dataclass
class Cmp:
    child: object
    op: str  # '=', '>', '<'
    x: int
    y: int | None


_TOKEN = re.compile(r"\s*(\d+|[()&|=<>,])")


def parse(text):
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExprError("logical expression: bad character at %d" % pos)
        tokens.append(m.group(1))
        pos = m.end()
    node, rest = _parse_seq(tokens, 0)
    if rest != len(tokens):
        raise ExprError("logical expression: trailing %r" % "".join(tokens[rest:]))
    return node


def _parse_seq(tokens, i):
    # '&' and '|' are applied left to right, which is how clamscan reads "0&1|2".
    node, i = _parse_term(tokens, i)
    while i < len(tokens) and tokens[i] in "&|":
        kind = tokens[i]
        rhs, i = _parse_term(tokens, i + 1)
        if isinstance(node, Op) and node.kind == kind and not node.closed:
            node.children.append(rhs)
        else:
            node = Op(kind, [node, rhs])
    return node, i


def _number(tokens, i):
    if i >= len(tokens) or not tokens[i].isdigit():
        raise ExprError("logical expression: number expected")
    return int(tokens[i]), i + 1


def _parse_term(tokens, i):
    if i >= len(tokens):
        raise ExprError("logical expression: unexpected end")
    if tokens[i] == "(":
        node, i = _parse_seq(tokens, i + 1)
        if i >= len(tokens) or tokens[i] != ")":
            raise ExprError("logical expression: ')' expected")
        i += 1
        if isinstance(node, Op):
            node.closed = True
    else:
        index, i = _number(tokens, i)
        node = Leaf(index)
    while i < len(tokens) and tokens[i] in "=<>":
        op = tokens[i]
        x, i = _number(tokens, i + 1)
        y = None
        if i < len(tokens) and tokens[i] == ",":
            y, i = _number(tokens, i + 1)
        node = Cmp(node, op, x, y)
    return node, i


def leaves(node):
    if isinstance(node, Leaf):
        return [node.index]
    if isinstance(node, Cmp):
        return leaves(node.child)
    out = []
    for child in node.children:
        out += [i for i in leaves(child) if i not in out]
    return out


def evaluate(node, counts):
    """Returns (truth, total matches, set of matched subsignatures) for `counts` per index."""
    if isinstance(node, Leaf):
        c = counts.get(node.index, 0)
        return c > 0, c, {node.index} if c > 0 else set()
    if isinstance(node, Cmp):
        _, total, distinct = evaluate(node.child, counts)
        ok = {"=": total == node.x, ">": total > node.x, "<": total < node.x}[node.op]
        if node.y is not None:
            ok = ok and len(distinct) >= node.y
        return ok, total, distinct
    results = [evaluate(c, counts) for c in node.children]
    truth = all(r[0] for r in results) if node.kind == "&" else any(r[0] for r in results)
    if not truth:
        # clamscan counts a block that does not hold as zero matches: (0&1)=0 holds when only
        # 0 occurs, (0&1)>3 needs both.
        return False, 0, set()
    return True, sum(r[1] for r in results), set().union(*(r[2] for r in results))


def merge(a, b):
    out = dict(a)
    for index, (lo, hi) in b.items():
        if index in out:
            lo = max(lo, out[index][0])
            hi = min(hi, out[index][1])
            if lo > hi:
                return None
        out[index] = (lo, hi)
    return out


INF = 1 << 30


class Solver:
    """`usable(i)` says whether subsignature i can be placed in a file at all; `rng` orders
    otherwise equal choices so different seeds explore different branches."""

    def __init__(self, usable, rng):
        self.usable = usable
        self.rng = rng

    def solve(self, node):
        if isinstance(node, Leaf):
            return {node.index: (1, INF)} if self.usable(node.index) else None
        if isinstance(node, Cmp):
            return self._cmp(node)
        if node.kind == "&":
            out = {}
            for child in node.children:
                part = self.solve(child)
                out = None if part is None else merge(out, part)
                if out is None:
                    return None
            return out
        options = [s for s in (self.solve(c) for c in node.children) if s is not None]
        if not options:
            return None
        self.rng.shuffle(options)
        return min(options, key=lambda s: sum(lo for lo, _ in s.values()))

    def _cmp(self, node):
        members = leaves(node.child)
        usable = [i for i in members if self.usable(i)]
        self.rng.shuffle(usable)
        need = node.y or 0
        if node.op == "<":
            if need >= node.x or len(usable) < need:
                return None
            # Each member below X; the sum is left to evaluate() on the finished file.
            out = {i: (0, node.x - 1) for i in members}
            out.update({i: (1, 1) for i in usable[:need]})
            return out
        total = node.x + 1 if node.op == ">" else node.x
        if total == 0:
            return {i: (0, 0) for i in members}
        base = self.solve(node.child)  # the block itself must hold for its matches to count
        if base is None:
            return None
        counts = {i: lo for i, (lo, _) in base.items() if lo > 0}
        for i in usable:
            if len(counts) >= need:
                break
            counts.setdefault(i, 1)
        if len(counts) < need or not counts:
            return None
        missing = total - sum(counts.values())
        if missing < 0 and node.op == "=":
            return None
        first = sorted(counts)[0]
        counts[first] += max(missing, 0)
        # '>' is satisfied by more occurrences too; '=' needs these exact numbers.
        exact = node.op == "="
        out = {i: (0, 0 if exact else INF) for i in members}
        out.update({i: (0, 0) for i, (_, hi) in base.items() if hi == 0})
        out.update({i: (c, c if exact else INF) for i, c in counts.items()})
        return out


def counts_from(solution):
    return {i: lo for i, (lo, _) in solution.items()}
