#!/usr/bin/env python3
"""Unit tests of the parity generator, without clamscan or signature data (ctest
conformance.generator). The expression semantics asserted here are the ones observed from
clamscan 1.4.6; the file builders are checked by reading the files back with small readers."""

import os
import random
import struct
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean when run from ctest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containers  # noqa: E402
import hexpattern  # noqa: E402
import logic  # noqa: E402
import ole2  # noqa: E402
import pcre_sample  # noqa: E402
import report  # noqa: E402
import sigparse  # noqa: E402
import synth  # noqa: E402


def synthesize(pattern, mods="", seed=0):
    rng = random.Random(seed)
    s = hexpattern.Synth(rng, lambda: rng.randrange(1, 256))
    return bytes(s.subsig(hexpattern.parse(pattern), mods).values)


class HexPatternTest(unittest.TestCase):
    PATTERNS = ["41424344", "41??43", "4?4?c3", "?1?2", "4142*4344", "4142{3}4344",
                "4142{-4}4344", "4142{2-}4344", "4142{2-5}4344", "41(42|4344)45", "41!(42|43)44",
                "41!(4243|4445)46", "4142[1-3]43", "414243(B)444546", "4142(L)4344",
                "41(W)42", "6a(61|62)??(63|64{1}65)"]

    def test_synthesized_bytes_match_the_reference_regex(self):
        for pattern in self.PATTERNS:
            for mods in ("", "i", "w", "wa", "f", "iwf"):
                for seed in range(5):
                    data = b"\x01\x02" + synthesize(pattern, mods, seed) + b"\x03"
                    regex = hexpattern.to_regex(hexpattern.parse(pattern), mods)
                    self.assertTrue(regex.search(data), (pattern, mods, seed, data))

    def test_wide_widens_wildcards_but_not_gaps(self):
        # clamscan: 41??42::w matches "A\0x\0B\0"; 41{2}42::w matches "A\0xyB\0".
        wide = synthesize("41??42", "w")
        self.assertEqual(len(wide), 6)
        self.assertEqual(wide[1::2], b"\0\0\0")
        self.assertEqual(len(synthesize("41{2}42", "w")), 6)

    def test_negated_alternative_avoids_every_member(self):
        for seed in range(50):
            self.assertNotIn(synthesize("41!(42|43)44", seed=seed)[1], b"BC")

    def test_fullword_is_delimited(self):
        data = synthesize("68656c6c6f", "f")
        self.assertEqual(data, b" hello ")

    def test_malformed_patterns_are_named(self):
        for bad, why in [("414", "odd"), ("41zz", "bad character"), ("41(42", "unbalanced"),
                         ("41{3-1}42", "empty range"), ("41{x}", "bad range")]:
            with self.assertRaisesRegex(hexpattern.PatternError, why):
                hexpattern.parse(bad)


class LogicTest(unittest.TestCase):
    def truth(self, expr, counts):
        return logic.evaluate(logic.parse(expr), counts)[0]

    def test_block_counts_follow_clamscan(self):
        # Observed with clamscan 1.4.6: a block that does not hold counts as zero matches.
        self.assertFalse(self.truth("(0&1)>3", {0: 4}))
        self.assertTrue(self.truth("(0&1)>3", {0: 3, 1: 1}))
        self.assertTrue(self.truth("(0&1)=0", {0: 2}))
        self.assertFalse(self.truth("(0&1)=2", {0: 2}))
        self.assertTrue(self.truth("(0|1|2)>2,2", {0: 2, 2: 1}))
        self.assertFalse(self.truth("(0|1|2)>2,2", {0: 3}))
        self.assertTrue(self.truth("0&1|2", {2: 1}))
        self.assertFalse(self.truth("0&1|2", {0: 1}))

    def test_solutions_satisfy_the_expression(self):
        for expr in ["0&1>50", "(0|1|2|3|4)>3,2&5", "0&1=0&(2|3)&4=0&7>1", "(0&1|2)",
                     "(0>1)&(1>10)&((2&3)>3)", "(0&1)=2", "((0&1)=0)&2", "(0|1)<3,2&2",
                     "((0|1|2)>5,2)&(3|1)", "0=3,1"]:
            for seed in range(5):
                solution = logic.Solver(lambda i: True, random.Random(seed)).solve(
                    logic.parse(expr))
                self.assertIsNotNone(solution, expr)
                self.assertTrue(self.truth(expr, logic.counts_from(solution)), (expr, seed))

    def test_unusable_subsignatures_steer_the_solver(self):
        solution = logic.Solver(lambda i: i != 0, random.Random(1)).solve(logic.parse("0|1"))
        self.assertEqual(logic.counts_from(solution), {1: 1})
        self.assertIsNone(logic.Solver(lambda i: i != 0, random.Random(1)).solve(
            logic.parse("0&1")))

    def test_malformed_expressions_are_named(self):
        for bad in ["0&", "(0|1", "0&&1", "0=", "0x"]:
            with self.assertRaises(logic.ExprError):
                logic.parse(bad)


class SigParseTest(unittest.TestCase):
    def test_offsets(self):
        cases = {"*": ("ANY", 0, 0, 0), "12": ("ABS", 12, 0, 0), "12,4": ("ABS", 12, 0, 4),
                 "EOF-9": ("EOF", 9, 0, 0), "EP+3,2": ("EP", 3, 0, 2), "EP-7": ("EP", -7, 0, 0),
                 "S2+16": ("S", 16, 2, 0), "SE1": ("SE", 0, 1, 0), "SL+5": ("SL", 5, 0, 0),
                 "VI": ("VI", 0, 0, 0)}
        for text, (anchor, value, section, shift) in cases.items():
            off = sigparse.parse_offset(text)
            self.assertEqual((off.anchor, off.value, off.section, off.shift),
                             (anchor, value, section, shift), text)

    def test_ldb_fields(self):
        sig = sigparse.parse_ldb("Test.A-1;Engine:81-255,Target:1,FileSize:10-20;0&1&2;"
                                 "EP+4:4142::i;S0+2:43??;0&1/ab+c/si")
        self.assertEqual((sig.name, sig.target, sig.conditions["FileSize"]),
                         ("Test.A-1", 1, (10, 20)))
        self.assertEqual(sig.subsigs[0].mods, "i")
        self.assertEqual(sig.subsigs[1].offset.anchor, "S")
        self.assertEqual((sig.subsigs[2].pcre, sig.subsigs[2].pcre_flags), ("ab+c", "si"))

    def test_unsupported_lines_give_reasons(self):
        for line, why in [("A;Target:1;0", "fewer than four"), ("A;Bogus:1;0;41", "unknown key"),
                          ("A;Target:0;0&1;4142", "missing subsignature"),
                          ("A;Target:0;0;4142::q", "modifier"),
                          ("A;Target:0;0;0(>>4#ib2#=0)", "byte-compare")]:
            with self.assertRaisesRegex(sigparse.Unsupported, why):
                sigparse.parse_ldb(line)


def read_compound(data):
    """A minimal MS-CFB reader: {path: stream bytes}."""
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    fat_count, dir_start = struct.unpack_from("<II", data, 44)
    minifat_start = struct.unpack_from("<I", data, 60)[0]
    difat = struct.unpack_from("<109I", data, 76)[:fat_count]
    fat = []
    for s in difat:
        fat += struct.unpack_from("<%dI" % (sector // 4), data, (s + 1) * sector)

    def chain(start, table, unit, base):
        out, s = b"", start
        while s < 0xFFFFFFF0:
            out += base[s * unit:(s + 1) * unit] if unit != sector else data[
                (s + 1) * sector:(s + 2) * sector]
            s = table[s]
        return out

    entries = chain(dir_start, fat, sector, data)
    parsed = []
    for i in range(0, len(entries), 128):
        name_len, kind = struct.unpack_from("<HB", entries, i + 64)
        left, right, child = struct.unpack_from("<III", entries, i + 68)
        start, size = struct.unpack_from("<IQ", entries, i + 116)
        name = entries[i:i + name_len - 2].decode("utf-16-le") if name_len else ""
        parsed.append((name, kind, left, right, child, start, size))
    mini = chain(parsed[0][5], fat, sector, data)
    minifat_bytes = chain(minifat_start, fat, sector, data) if minifat_start < 0xFFFFFFF0 else b""
    minifat = struct.unpack("<%dI" % (len(minifat_bytes) // 4), minifat_bytes)
    out = {}

    def walk(index, prefix):
        if index == 0xFFFFFFFF:
            return
        name, kind, left, right, child, start, size = parsed[index]
        walk(left, prefix)
        walk(right, prefix)
        if kind == 2:
            body = chain(start, fat, sector, data) if size >= 4096 else chain(
                start, minifat, 64, mini)
            out[prefix + name] = body[:size]
        elif kind == 1:
            walk(child, prefix + name + "/")

    walk(parsed[0][4], "")
    return out


class FileTest(unittest.TestCase):
    def test_compound_file_reads_back(self):
        big = bytes(range(256)) * 40
        tree = {"A": b"small", "Storage": {"Inner": b"x" * 100, "Big": big}, "Zed": big[:5000]}
        self.assertEqual(read_compound(ole2.compound_file(tree)),
                         {"A": b"small", "Storage/Inner": b"x" * 100, "Storage/Big": big,
                          "Zed": big[:5000]})

    def test_ole2_payload_ends_the_file(self):
        payload = b"\x07" * 4608
        data = containers.ole2_of(payload)
        self.assertTrue(data.endswith(payload))
        self.assertEqual(read_compound(data)["Contents"], payload)

    def generate(self, line, fmt="ldb", seed=1):
        sig = sigparse.parse_line(fmt, line)
        return sig, synth.Generator(sig, seed).generate()

    def test_pe_entry_point_and_sections(self):
        sig, gen = self.generate("T.Pe;Target:1,NumberOfSections:3-4;0&1&2;EP+0:5589e5c3;"
                                 "S2+4:cafebabe;EOF-8:0102030405060708")
        data = gen.data
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        self.assertEqual(data[pe:pe + 4], b"PE\0\0")
        nsec = struct.unpack_from("<H", data, pe + 6)[0]
        self.assertEqual(nsec, 3)
        ep_rva = struct.unpack_from("<I", data, pe + 24 + 16)[0]
        table = pe + 24 + 0xE0
        sections = [struct.unpack_from("<IIII", data, table + 40 * i + 8) for i in range(nsec)]
        vsize, rva, rsize, raw = sections[0]
        self.assertEqual(data[raw + ep_rva - rva:][:4], bytes.fromhex("5589e5c3"))
        self.assertEqual(data[sections[2][3] + 4:][:4], bytes.fromhex("cafebabe"))
        self.assertTrue(data.endswith(bytes.fromhex("0102030405060708")))

    def test_counts_and_negations_hold_in_the_file(self):
        sig, gen = self.generate("T.Count;Target:0;0&1>3&2=0;616263646566;31323334::w;"
                                 "7a7a7a7a7a")
        self.assertEqual(gen.counts[1], 4)
        self.assertEqual(gen.counts[2], 0)
        self.assertEqual(gen.data.count("1234".encode("utf-16-le")), 4)

    def test_file_size_and_text_normalization(self):
        sig, gen = self.generate("T.Txt;Target:7,FileSize:3000-4000;0;68656c6c6f20776f726c64")
        self.assertTrue(3000 <= len(gen.data) <= 4000)
        self.assertEqual(gen.data, gen.data.lower())
        with self.assertRaisesRegex(sigparse.Unsupported, "uppercase"):
            self.generate("T.Txt2;Target:7;0;48454c4c4f")

    def test_pcre_subsignature_is_triggered(self):
        sig, gen = self.generate("T.Re;Engine:81-255,Target:0;1;6d61726b6572;0/ev[a-c]l\\(\\d+\\)/")
        self.assertIn(b"marker", gen.data)
        self.assertRegex(gen.data, rb"ev[a-c]l\(\d+\)")

    def test_containers_wrap_the_file(self):
        sig, gen = self.generate("T.Zip;Target:0,Container:CL_TYPE_ZIP;0;6e6565646c65")
        self.assertEqual(gen.data[:4], b"PK\x03\x04")
        with self.assertRaisesRegex(sigparse.Unsupported, "CL_TYPE_RAR"):
            synth.check_conditions(sigparse.parse_ldb(
                "T.Rar;Target:0,Container:CL_TYPE_RAR;0;6e6565646c65"), None)

    def test_conflicting_fixed_offsets_are_skipped(self):
        with self.assertRaisesRegex(sigparse.Unsupported, "collides"):
            self.generate("T.Clash;Target:1;0&1;EP+0:4142434445;EP+0:5152535455")


class PcreTest(unittest.TestCase):
    def test_samples_match(self):
        for regex, flags in [("a[0-9]{3}b", ""), ("(foo|bar)\\s+\\1", "i"),
                             ("^x(?<n>y+)z$", "m"), ("\\x2Eview.*?tree", "s")]:
            compiled = pcre_sample.compile_pcre(regex, flags)
            data, _ = pcre_sample.Sampler(random.Random(3)).sample(compiled)
            self.assertTrue(compiled.search(data), regex)

    def test_huge_repetition_is_a_named_skip(self):
        compiled = pcre_sample.compile_pcre("(ab\\r\\n){1000,}", "")
        with self.assertRaisesRegex(pcre_sample.SampleError, "recursion limit"):
            pcre_sample.Sampler(random.Random(1)).sample(compiled)


class ReportTest(unittest.TestCase):
    class Args:
        sigfiles = ["x.ldb"]
        seed = 1
        sample = None
        min_agreement = 99.0
        no_extra = True

    def test_agreement_misses_and_extras(self):
        results = [(0, "A", "ldb", "A;Target:0;0;41", "f0", None, ""),
                   (1, "B", "ldb", "B;Target:1;0;42", "f1", None, ""),
                   (2, "C", "ldb", "C;Target:1;0;43", "f2", None, ""),
                   (3, "D", "ldb", "D;Target:0;0;44", None, "skip reason", "")]
        clam = {"f0": {"A.UNOFFICIAL"}, "f1": {"B.UNOFFICIAL"}}
        vigil = {"f0": {"A.UNOFFICIAL"}, "f2": {"Z.UNOFFICIAL"}}
        s = report.Summary(self.Args, results, {}, clam, vigil, 0, 1, "")
        self.assertEqual([e[0] for e in s.detected], ["f0", "f1"])
        self.assertEqual(len(s.misses), 1)
        self.assertEqual(s.agreement(), 50.0)
        self.assertEqual([e[0] for e in s.extra], ["f2"])
        self.assertEqual(s.skips["skip reason"], 1)
        self.assertEqual(s.exit_status(), 1)
        text = s.render(0.0)
        self.assertRegex(text, r"vigil agreed +1  \(50\.00% of detected\)")
        self.assertRegex(text,
                         r"result: FAIL: agreement 50\.00% < 99%; 1 file\(s\) with Vigil-extra")


if __name__ == "__main__":
    unittest.main()
