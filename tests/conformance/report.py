"""Compares per-file name sets from clamscan and vigil-scan and renders the summary and report.

The denominator is the set of generated files on which clamscan reports the intended name; a
file agrees when Vigil reports exactly clamscan's set of names for it. Any name Vigil reports
that clamscan does not, on any file, is a Vigil-extra. Names are compared as printed (both with
the .UNOFFICIAL suffix); the intended name is matched with the suffix removed.
"""

import collections

import filetypes

SUFFIX = ".UNOFFICIAL"
LINE_LIMIT = 400


def _plain(name):
    return name[:-len(SUFFIX)] if name.endswith(SUFFIX) else name


def _pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


class Summary:
    def __init__(self, args, results, rejected, clam, vigil, member_lines, vigil_rc, vigil_err):
        self.args = args
        self.read = len(results)
        self.skips = collections.Counter()
        self.skipped = []  # (name, reason, detail)
        self.generated = []  # (file, name, line, target)
        for _, name, fmt, line, file_name, reason, detail in results:
            if file_name is not None and line in rejected:
                reason, detail = "clamscan rejects the signature", rejected[line]
            if file_name is None or line in rejected:
                self.skips[reason] += 1
                self.skipped.append((name, reason, detail))
            else:
                self.generated.append((file_name, name, line, _target(fmt, line)))
        self.clam, self.vigil = clam, vigil
        self.vigil_rc, self.vigil_err = vigil_rc, vigil_err
        self.member_lines = member_lines
        self.detected, self.misses, self.agreed = [], [], []
        self.vigil_missed, self.extra = [], []
        for entry in self.generated:
            file_name, name = entry[0], entry[1]
            c, v = clam.get(file_name, set()), vigil.get(file_name, set())
            if v - c:
                self.extra.append((file_name, name, sorted(v - c)))
            if name not in {_plain(n) for n in c}:
                self.misses.append((entry, sorted(c)))
                continue
            self.detected.append(entry)
            if c == v:
                self.agreed.append(entry)
            else:
                self.vigil_missed.append((entry, sorted(c), sorted(v)))
        known = {g[0] for g in self.generated}
        for file_name in sorted(set(vigil) - known):
            self.extra.append((file_name, "(no signature)", sorted(vigil[file_name])))

    def agreement(self):
        return _pct(len(self.agreed), len(self.detected))

    def failures(self):
        out = []
        if self.args.min_agreement is not None and (
                not self.detected or self.agreement() < self.args.min_agreement):
            out.append("agreement %.2f%% < %g%%" % (self.agreement(), self.args.min_agreement))
        if self.args.no_extra and self.extra:
            out.append("%d file(s) with Vigil-extra names" % len(self.extra))
        return out

    def exit_status(self):
        return 1 if self.failures() else 0

    def _by_target(self):
        rows = collections.defaultdict(lambda: [0, 0, 0])
        for entry in self.generated:
            rows[entry[3]][0] += 1
        for entry in self.detected:
            rows[entry[3]][1] += 1
        for entry in self.agreed:
            rows[entry[3]][2] += 1
        return sorted(rows.items())

    def render(self, seconds):
        a = self.args
        sample = "all" if a.sample is None else "%d per file" % a.sample
        g, d = len(self.generated), len(self.detected)
        out = ["Vigil detection parity: %s (seed %d, sample %s)"
               % (" ".join(a.sigfiles), a.seed, sample),
               "  signatures read      %7d" % self.read,
               "  generated            %7d" % g,
               "  skipped              %7d" % sum(self.skips.values())]
        out += ["  %9d  %s" % (n, r) for r, n in self.skips.most_common()]
        out += ["  clamscan detected    %7d  (%.2f%% of generated: the denominator)"
                % (d, _pct(d, g)),
                "  generator misses     %7d  (clamscan did not report the intended name)"
                % len(self.misses),
                "  vigil agreed         %7d  (%.2f%% of detected)" % (len(self.agreed),
                                                                     self.agreement()),
                "  vigil missed         %7d  (clamscan reported a name Vigil did not)"
                % len(self.vigil_missed),
                "  vigil extra          %7d  (files where Vigil reported a name clamscan did not)"
                % len(self.extra),
                "  by target            generated / detected / agreed"]
        for target, (tg, td, ta) in self._by_target():
            label = "%s %s" % (target, filetypes.TARGET_NAMES.get(target, "?"))
            out.append("    %-16s %7d %9d %8d" % (label, tg, td, ta))
        if self.member_lines:
            out.append("  note: %d vigil-scan line(s) name a container member (file/member) where "
                       "clamscan names the file" % self.member_lines)
        if self.vigil_rc not in (0, 1):
            err = self.vigil_err.strip().splitlines()
            out.append("  vigil-scan exit %d: %s" % (self.vigil_rc, err[-1] if err else ""))
        fails = self.failures()
        checked = a.min_agreement is not None or a.no_extra
        out.append("  result: %s" % ("FAIL: " + "; ".join(fails) if fails else
                                     "PASS" if checked else "(no thresholds given)"))
        out.append("  time: %.1f s" % seconds)
        return "\n".join(out) + "\n"

    def details(self):
        out = ["", "== generator misses (clamscan did not report the intended name)"]
        for (file_name, name, line, _), c in self.misses:
            out.append("%s  %s  clamscan: %s\n    %s" % (file_name, name, ", ".join(c) or "-",
                                                        _clip(line)))
        out += ["", "== vigil missed (file, intended name, clamscan names, vigil names)"]
        for (file_name, name, _, _), c, v in self.vigil_missed:
            out.append("%s  %s  clamscan: %s  vigil: %s" % (file_name, name, ", ".join(c),
                                                           ", ".join(v) or "-"))
        out += ["", "== vigil extra (file, intended name, names only Vigil reported)"]
        for file_name, name, names in self.extra:
            out.append("%s  %s  %s" % (file_name, name, ", ".join(names)))
        out += ["", "== skipped signatures"]
        out += ["%s  %s%s" % (name, reason, "  (%s)" % detail if detail else "")
                for name, reason, detail in self.skipped]
        if self.vigil_err.strip():
            out += ["", "== vigil-scan stderr (exit %d)" % self.vigil_rc, self.vigil_err.rstrip()]
        return "\n".join(out) + "\n"


def _clip(line):
    return line if len(line) <= LINE_LIMIT else line[:LINE_LIMIT] + "..."


def _target(fmt, line):
    if fmt == "ndb":
        parts = line.split(":")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
    block = line.split(";")[1] if ";" in line else ""
    for item in block.split(","):
        if item.startswith("Target:") and item[7:].isdigit():
            return int(item[7:])
    return 0
