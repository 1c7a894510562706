// Hostile DATs for the loader: sections altered and then re-sealed with valid checksums (what a
// compromised builder or a hostile unsigned file looks like) must each fail with
// VIGIL_ERR_CORRUPT naming the section and the rule, never crash or loop; a damaged source IR
// fails the rebuild it is read for.
#include "dat/loader_support.h"

namespace vigil::scan::dat_test {
namespace {

// ---------------------------------------------------------------------------------------------
// Hostile sections, re-sealed: each must fail with VIGIL_ERR_CORRUPT and a message that starts
// with the section's name and says what is wrong.

using Change = std::function<void(Unsealed&)>;

struct HostileCase {
  const char* what;
  Change change;
  std::string message;  // the whole message, or its start when it ends in "..."
};

uint32_t sig_of(Unsealed& u, std::string_view name) {
  return NameParts(u[SectionType::kNames]).id_of(name);
}

Change without(SectionType type) {
  return [type](Unsealed& u) { u.remove(type); };
}
Change on_bytes(SectionType type, std::function<void(std::string&)> f) {
  return [type, f](Unsealed& u) { f(u[type]); };
}
Change on_plan(std::function<void(PlanParts&, Unsealed&)> f) {
  return [f](Unsealed& u) {
    PlanParts p(u[SectionType::kBodyPlan]);
    f(p, u);
    u[SectionType::kBodyPlan] = p.encode();
  };
}
Change on_names(std::function<void(NameParts&)> f) {
  return [f](Unsealed& u) {
    NameParts n(u[SectionType::kNames]);
    f(n);
    u[SectionType::kNames] = n.encode();
  };
}
// Changes the MD5 entries by size of the hash signatures or the allowlist.
Change on_md5s(SectionType type, std::function<void(std::vector<HashEntry>&)> f) {
  return [type, f](Unsealed& u) {
    HashParts h(u[type]);
    f(h.sized(sig::HashType::kMd5));
    u[type] = h.encode();
  };
}

// The index of Test.Neg's top-level node holding its negated alternative "!(45|46)".
uint32_t neg_alt_node(PlanParts& p, Unsealed& u) {
  const match::PlannedSig& s = p.sigs[sig_of(u, "Test.Neg")];
  EXPECT_FALSE(s.is_literal());
  EXPECT_EQ(p.nodes[s.begin + 4].node_kind(), sig::NodeKind::kAlt);
  EXPECT_TRUE(p.nodes[s.begin + 4].negated());
  return s.begin + 4;
}
// Its branches: (first in PlanParts::branches, count).
match::Operand& neg_alt(PlanParts& p, Unsealed& u) {
  return p.operands[p.nodes[neg_alt_node(p, u)].operand];
}
// Test.Alt's ranged gap "{2-4}".
match::FlatNode& alt_gap(PlanParts& p, Unsealed& u) {
  const match::PlannedSig& s = p.sigs[sig_of(u, "Test.Alt")];
  for (uint32_t i = s.begin; i < s.begin + s.length; ++i) {
    if (p.nodes[i].node_kind() == sig::NodeKind::kGap) return p.nodes[i];
  }
  ADD_FAILURE() << "no gap";
  return p.nodes[0];
}

const std::vector<HostileCase>& hostile_cases() {
  using match::PlannedSig;
  using P = PlanParts;
  using U = Unsealed;
  using S = SectionType;
  constexpr uint64_t kHuge = uint64_t{1} << 62;
  const std::string kHashTable =
      "hash signatures: entries: out of order, or an id or digest out "
      "of range";
  static const std::vector<HostileCase> kCases = {
      // Missing and duplicated sections.
      {"no meta", without(S::kMeta), "DAT has no meta section"},
      {"no names", without(S::kNames), "DAT has no names section"},
      {"no plan", without(S::kBodyPlan), "DAT has no body plan section"},
      {"no database", without(S::kHsDatabase), "DAT has no pattern database section"},
      {"no hashes", without(S::kHashes), "DAT has no hash signatures section"},
      {"no allowlist", without(S::kAllow), "DAT has no allowlist section"},
      {"duplicated names",
       [](U& u) {
         u.sections.push_back({S::kNames, u[S::kNames]});
       },
       "section 9 (names): duplicated"},

      // Meta.
      {"meta trailing bytes", on_bytes(S::kMeta, [](std::string& s) { s += '\0'; }),
       "meta: end: trailing bytes"},
      {"meta truncated", on_bytes(S::kMeta, [](std::string& s) { s.resize(20); }),
       "meta: hash signatures: truncated (needs 8 bytes, 4 left) at offset 16"},
      {"meta huge version text",
       on_bytes(S::kMeta,
                [](std::string& s) {
                  s = with_meta(s, [](DatMeta& m) { m.hs_version.assign(300, 'x'); });
                }),
       "meta: Hyperscan version: too long"},

      // Names.
      {"names not NUL-terminated", on_names([](NameParts& n) { n.text.back() = 'x'; }),
       "names: offsets: do not delimit NUL-terminated names"},
      {"names offsets falling", on_names([](NameParts& n) { std::swap(n.ends[1], n.ends[2]); }),
       "names: offsets: do not delimit NUL-terminated names"},
      {"names offset past the text", on_names([](NameParts& n) { n.ends.back() += 1; }),
       "names: offsets: do not delimit NUL-terminated names"},
      {"names text after the last name", on_names([](NameParts& n) { n.text += "Orphan\0"s; }),
       "names: offsets: leave bytes after the last name"},
      {"names huge text length", on_bytes(S::kNames, [](std::string& s) { set_u64(s, 0, kHuge); }),
       "names: text: ..."},
      {"names huge count",
       on_bytes(S::kNames, [](std::string& s) { set_u64(s, 8 + NameParts(s).text.size(), kHuge); }),
       "names: offsets: count exceeds the bytes left"},
      {"names trailing bytes", on_bytes(S::kNames, [](std::string& s) { s += 'x'; }),
       "names: trailing bytes"},
      {"fewer names than body signatures", on_names([](NameParts& n) {
         n.ends.resize(2);
         n.text.resize(n.ends.back());
       }),
       "names: fewer names than signatures"},
      {"one name more than signatures", on_names([](NameParts& n) {
         n.text += "Extra\0"s;
         n.ends.push_back(static_cast<uint32_t>(n.text.size()));
       }),
       "hash and logical signatures: count does not match the names"},

      // Body plan: the signature records.
      {"plan huge signature count",
       on_bytes(S::kBodyPlan, [](std::string& s) { set_u64(s, 0, kHuge); }),
       "body plan: signatures: count exceeds the bytes left"},
      {"plan truncated", on_bytes(S::kBodyPlan, [](std::string& s) { s.resize(100); }),
       "body plan: signatures: count exceeds the bytes left"},
      {"plan trailing bytes", on_bytes(S::kBodyPlan, [](std::string& s) { s += '\0'; }),
       "body plan: trailing bytes"},
      // The two-pass split (match/passes.h): a plain signature is never deferred, and a
      // logical one always keeps a subsignature in the first pass.
      {"plan deferred plain signature", on_plan([](P& p, U& u) {
         p.sigs[sig_of(u, "Test.Literal")].role = match::PlannedSig::kRoleDeferred;
       }),
       "body plan: signature 2: bad offset kind or flags"},
      {"plan every subsignature deferred", on_plan([](P& p, U&) {
         for (match::PlannedSig& s : p.sigs) {
           if (s.is_subsig()) s.role |= match::PlannedSig::kRoleDeferred;
         }
       }),
       "logical signatures: logical signature 0: every pattern subsignature is deferred"},
      {"plan offset kind",
       on_plan([](P& p, U& u) { p.sigs[sig_of(u, "Test.Offset")].offset_kind = 9; }),
       "body plan: signature 4: bad offset kind or flags"},
      {"plan fragment outside its signature", on_plan([](P& p, U& u) {
         PlannedSig& s = p.sigs[sig_of(u, "Test.Literal")];
         s.frag_end = s.length + 1;
       }),
       "body plan: signature 2: fragment out of range"},
      {"plan literal bytes out of range", on_plan([](P& p, U& u) {
         p.sigs[sig_of(u, "Test.Literal")].begin = static_cast<uint32_t>(p.bytes.size());
       }),
       "body plan: signature 2: bytes out of bounds"},
      {"plan node index out of range", on_plan([](P& p, U& u) {
         p.sigs[sig_of(u, "Test.Neg")].begin = static_cast<uint32_t>(p.nodes.size() - 2);
       }),
       "body plan: signature 3: node range out of bounds"},
      {"plan node count huge",
       on_plan([](P& p, U& u) { p.sigs[sig_of(u, "Test.Neg")].length = UINT32_MAX; }),
       "body plan: signature 3: node range out of bounds"},
      {"plan fragment not fixed bytes", on_plan([](P& p, U& u) {
         const PlannedSig& s = p.sigs[sig_of(u, "Test.Neg")];
         p.nodes[s.begin + s.frag_begin].mask = 0xF0;
         p.nodes[s.begin + s.frag_begin].value &= 0xF0;
       }),
       "body plan: signature 3: fragment is not fixed bytes"},

      // Body plan: nodes, operands and branches.
      {"plan unknown node kind",
       on_plan([](P& p, U& u) { p.nodes[p.sigs[sig_of(u, "Test.Neg")].begin + 6].kind = 9; }),
       "body plan: signature 3: unknown node kind 9"},
      {"plan byte outside its mask",
       on_plan([](P& p, U& u) { p.nodes[p.sigs[sig_of(u, "Test.Neg")].begin + 6].mask = 0x0F; }),
       "body plan: signature 3: bad byte node"},
      {"plan byte node with flags",
       on_plan([](P& p, U& u) { p.nodes[p.sigs[sig_of(u, "Test.Neg")].begin + 6].flags = 1; }),
       "body plan: signature 3: bad byte node"},
      {"plan alternative with unknown flags",
       on_plan([](P& p, U& u) { p.nodes[neg_alt_node(p, u)].flags = 2; }),
       "body plan: signature 3: bad alternative"},
      {"plan alternative operand out of range", on_plan([](P& p, U& u) {
         p.nodes[neg_alt_node(p, u)].operand = static_cast<uint32_t>(p.operands.size());
       }),
       "body plan: signature 3: bad alternative"},
      {"plan gap operand out of range",
       on_plan([](P& p, U& u) { alt_gap(p, u).operand = UINT32_MAX; }),
       "body plan: signature 0: bad gap"},
      // The parser allows only fixed gaps inside alternatives; a ranged or unbounded one there
      // would let the confirmer search without the top level's exhausted marks.
      {"plan ranged gap inside an alternative", on_plan([](P& p, U& u) {
         const match::PlannedSig& s = p.sigs[sig_of(u, "Test.Alt")];
         for (uint32_t i = s.begin; i < s.begin + s.length; ++i) {
           if (p.nodes[i].node_kind() != sig::NodeKind::kAlt || p.nodes[i].negated()) continue;
           const match::BranchSpan& b = p.branches[p.operands[p.nodes[i].operand].a];
           match::FlatNode& n = p.nodes[b.first];
           n = match::FlatNode{};
           n.kind = static_cast<uint8_t>(sig::NodeKind::kGap);
           n.operand = static_cast<uint32_t>(p.operands.size());
           p.operands.push_back(match::Operand{0, sig::kUnbounded});
           return;
         }
         ADD_FAILURE() << "no alternative";
       }),
       "body plan: signature 0: ranged gap inside an alternative"},
      {"plan gap minimum above maximum", on_plan([](P& p, U& u) {
         match::Operand& gap = p.operands[alt_gap(p, u).operand];
         gap.a = gap.b + 1;
       }),
       "body plan: signature 0: gap minimum above maximum"},
      {"plan operands huge count",
       on_bytes(S::kBodyPlan,
                [](std::string& s) {
                  P p(s);
                  set_u64(s, 16 + p.sigs.size() * sizeof(PlannedSig) + p.nodes.size() * 8, kHuge);
                }),
       "body plan: node operands: count exceeds the bytes left"},
      {"plan branch pointing backwards (cycle)", on_plan([](P& p, U& u) {
         p.branches[neg_alt(p, u).a + 1].first = p.sigs[sig_of(u, "Test.Neg")].begin;
       }),
       "body plan: signature 3: branch does not point forward"},
      {"plan branch pointing at its alternative",
       on_plan([](P& p, U& u) { p.branches[neg_alt(p, u).a].first = neg_alt_node(p, u); }),
       "body plan: signature 3: branch does not point forward"},
      {"plan branch range out of bounds", on_plan([](P& p, U& u) { neg_alt(p, u).b = 1000; }),
       "body plan: signature 3: branch range out of bounds"},
      {"plan branch nodes out of bounds", on_plan([](P& p, U& u) {
         p.branches[neg_alt(p, u).a + 1].first = static_cast<uint32_t>(p.nodes.size());
       }),
       "body plan: signature 3: node range out of bounds"},
      {"plan negated branches of different lengths",
       on_plan([](P& p, U& u) { p.branches[neg_alt(p, u).a + 1].count = 2; }),
       "body plan: signature 3: negated alternative with branches of different lengths"},
      {"plan negated alternative of a gap", on_plan([](P& p, U& u) {
         p.nodes[p.branches[neg_alt(p, u).a].first].kind =
             static_cast<uint8_t>(sig::NodeKind::kGap);
       }),
       "body plan: signature 3: negated alternative of something other than bytes"},

      // Body plan: the fragment table.
      {"fragment of length 0", on_plan([](P& p, U&) { p.frag_begin[1] = p.frag_begin[0]; }),
       "body plan: fragment table: fragment 0 has length 0"},
      {"fragment of length 9", on_plan([](P& p, U&) {
         uint32_t grow = 9 - (p.frag_begin[1] - p.frag_begin[0]);
         p.frag_bytes.insert(p.frag_bytes.begin() + p.frag_begin[1], grow, 'x');
         for (size_t i = 1; i < p.frag_begin.size(); ++i) p.frag_begin[i] += grow;
       }),
       "body plan: fragment table: fragment 0 has length 9"},
      {"fragment ranges past the bytes", on_plan([](P& p, U&) { p.frag_begin.back() += 1; }),
       "body plan: fragment table: byte ranges do not cover the fragment bytes"},
      {"fragment signature index out of range",
       on_plan([](P& p, U&) { p.frag_sigs[0] = static_cast<uint32_t>(p.sigs.size()); }),
       "body plan: fragment table does not list every signature once"},
      {"fragment table lists a signature twice and another never",
       on_plan([](P& p, U&) { p.frag_sigs[1] = p.frag_sigs[0]; }),
       "body plan: fragment table does not list every signature once"},
      {"fragment bytes differ from the signature", on_plan([](P& p, U&) { p.frag_bytes[0] ^= 1; }),
       "body plan: fragment table: fragment bytes differ from its signature's"},

      // Hash signatures and allowlist.
      {"hashes unsorted",
       on_md5s(S::kHashes, [](std::vector<HashEntry>& e) { std::swap(e.at(0), e.at(1)); }),
       kHashTable},
      {"hash id out of range",
       on_md5s(S::kHashes, [](std::vector<HashEntry>& e) { e.at(1).id = 1000; }),
       "hash signatures: ids: not each signature once"},
      {"hash md5 digest with bytes past 16",
       on_md5s(S::kHashes, [](std::vector<HashEntry>& e) { e.at(0).digest[20] = 1; }), kHashTable},
      {"hash huge count", on_bytes(S::kHashes, [](std::string& s) { set_u64(s, 0, kHuge); }),
       "hash signatures: entries by size: count exceeds the bytes left"},
      {"hashes truncated", on_bytes(S::kHashes, [](std::string& s) { s.resize(60); }),
       "hash signatures: entries by size: count exceeds the bytes left"},
      {"hashes trailing bytes", on_bytes(S::kHashes, [](std::string& s) { s += '\0'; }),
       "hash signatures: trailing bytes"},
      {"section hashes trailing bytes",
       on_bytes(S::kSectionHashes, [](std::string& s) { s += '\0'; }),
       "hash and logical signatures: count does not match the names"},
      {"allowlist huge count", on_bytes(S::kAllow, [](std::string& s) { set_u64(s, 0, kHuge); }),
       "allowlist: entries by size: count exceeds the bytes left"},
      {"allowlist reserved field",
       on_md5s(S::kAllow, [](std::vector<HashEntry>& e) { e.at(0).reserved = 1; }),
       "allowlist: entries: out of order, or an id or digest out of range"},
      {"allowlist trailing bytes", on_bytes(S::kAllow, [](std::string& s) { s += '\0'; }),
       "allowlist: trailing bytes"},

      // The pattern database (a version problem is not an error: see DatDatabase below).
      {"database garbage", on_bytes(S::kHsDatabase, [](std::string& s) { s.assign(1000, 'Z'); }),
       "pattern databases: first pass: length 6510615555426900570 exceeds the 992 bytes left at "
       "offset 8"},
      {"database garbage in its frame",
       on_bytes(S::kHsDatabase, [](std::string& s) { s.replace(8, 100, 100, 'Z'); }),
       "precompiled pattern database is invalid (Hyperscan error -1)"},
      {"database trailing bytes", on_bytes(S::kHsDatabase, [](std::string& s) { s += 'Z'; }),
       "pattern databases: trailing bytes"},
      {"database bytecode altered (CRC)",
       on_bytes(S::kHsDatabase, [](std::string& s) { s.at(200) ^= 0x10; }),
       "precompiled pattern database is invalid (Hyperscan error -1)"},
      {"database truncated", on_bytes(S::kHsDatabase, [](std::string& s) { s.resize(300); }),
       "pattern databases: first pass: length ..."},
      {"database empty", on_bytes(S::kHsDatabase, [](std::string& s) { s.clear(); }),
       "first-pass pattern database missing"},
  };
  return kCases;
}

bool message_matches(const std::string& got, const std::string& want) {
  if (want.ends_with("...")) return got.starts_with(want.substr(0, want.size() - 3));
  return got == want;
}

// Re-seals the test DAT with one change and checks the load fails as the case says; if it
// loads, says what the engine reports for the probes (what a user would see).
void expect_refused(const HostileCase& c) {
  SCOPED_TRACE(c.what);
  Unsealed u = unseal(test_dat());
  c.change(u);
  const std::string dat = u.seal();
  ASSERT_NE(dat, test_dat());
  Loaded l = load(dat);
  if (l.engine.is_ok()) {
    std::string seen;
    for (const std::string& d : detections(*l)) seen += "\n  " + d;
    ADD_FAILURE() << "loaded; detections of the probes:" << seen;
    return;
  }
  EXPECT_EQ(l.engine.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_TRUE(message_matches(l.engine.status().message(), c.message))
      << l.engine.status().message();
}

TEST(DatHostile, ResealedSectionsFailNamingTheSection) {
  for (const HostileCase& c : hostile_cases()) expect_refused(c);
}

TEST(DatHostile, FragmentTableCountErrorNamesTheBodyPlan) {
  expect_refused({"fragment table misses a signature", on_plan([](PlanParts& p, Unsealed&) {
                    p.frag_sigs.pop_back();
                    p.frag_sigs_begin.back() -= 1;
                  }),
                  "body plan: fragment table does not list every signature once"});
}

// Hash signatures own the ids after the body signatures', one each. An entry with a body
// signature's id reports that body signature's name for a hash match; an entry twice reports
// one signature twice in one all-match scan (which the API promises never happens).
TEST(DatHostile, HashIdsMustBeTheHashSignaturesOnceEach) {
  expect_refused({"hash id of a body signature",
                  on_md5s(SectionType::kHashes, [](std::vector<HashEntry>& e) { e.at(0).id = 0; }),
                  "hash signatures: ..."});
  expect_refused(
      {"hash entry twice",
       on_md5s(SectionType::kHashes, [](std::vector<HashEntry>& e) { e.at(1) = e.at(0); }),
       "hash signatures: ..."});
}

// The signature sources are read only when a DAT must be rebuilt from them, so these cases
// also need another plan version.
TEST(DatHostile, ResealedSourceIrFailsWhenRebuilding) {
  struct IrCase {
    const char* what;
    std::function<std::string(const SourceIr&)> bytes;
    std::string message;
  };
  const IrCase cases[] = {
      {"unknown file name",
       [](const SourceIr& ir) {
         SourceIr bad = ir;
         bad.files[1].name = "ir.exe";
         return encode_ir(bad);
       },
       "signature sources: file name: unexpected 'ir.exe'"},
      {"too many files",
       [](const SourceIr& ir) {
         SourceIr bad = ir;
         while (bad.files.size() < 17) bad.files.push_back(ir.files[0]);
         return encode_ir(bad);
       },
       "signature sources: file count: too many files"},
      {"trailing bytes", [](const SourceIr& ir) { return encode_ir(ir) + "x"; },
       "signature sources: end: trailing bytes"},
      {"huge text length",
       [](const SourceIr& ir) {
         std::string s = encode_ir(ir);
         set_u64(s, 4 + 8 + ir.files[0].name.size(), 1ull << 62);
         return s;
       },
       "signature sources: file text: length 4611686018427387904 exceeds the ..."},
      {"bad signature line",
       [](const SourceIr& ir) {
         SourceIr bad = ir;
         bad.files[0].bytes += "Broken:0:*:zz\n";
         return encode_ir(bad);
       },
       "signature sources: ..."},
  };
  Unsealed base = unseal(test_dat());
  auto ir = decode_ir(base[SectionType::kSourceIr]);
  ASSERT_TRUE(ir.is_ok()) << ir.status().message();
  for (const IrCase& c : cases) {
    SCOPED_TRACE(c.what);
    Unsealed u = base;
    u[SectionType::kMeta] = with_meta(u[SectionType::kMeta], [](DatMeta& m) { ++m.plan_version; });
    u[SectionType::kSourceIr] = c.bytes(ir.value());
    Loaded l = load(u.seal());
    ASSERT_FALSE(l.engine.is_ok());
    EXPECT_EQ(l.engine.status().code(), VIGIL_ERR_CORRUPT);
    EXPECT_TRUE(message_matches(l.engine.status().message(), c.message))
        << l.engine.status().message();
  }
  Unsealed u = base;
  u[SectionType::kMeta] = with_meta(u[SectionType::kMeta], [](DatMeta& m) { ++m.plan_version; });
  u.remove(SectionType::kSourceIr);
  Loaded l = load(u.seal());
  EXPECT_EQ(l.engine.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(l.engine.status().message(), "DAT has no signature sources section");
}

// The signature sources are checked against their digest before a rebuild reads them, even
// though a load that does not rebuild never reads them.
TEST(DatHostile, SourceIrAlteredAfterSealingFailsTheRebuild) {
  Unsealed u = unseal(test_dat());
  u[SectionType::kMeta] = with_meta(u[SectionType::kMeta], [](DatMeta& m) { ++m.plan_version; });
  std::string dat = u.seal();
  auto view = dat::open(reinterpret_cast<const uint8_t*>(dat.data()), dat.size(),
                        dat::Trust{.allow_unsigned = true});
  ASSERT_TRUE(view.is_ok());
  const dat::Section* ir = view.value().find(SectionType::kSourceIr);
  ASSERT_NE(ir, nullptr);
  // "Test.Literal:0:*:deadbeef01" becomes "...deadbeef02": a valid line, another signature.
  const size_t at = dat.find("deadbeef01", ir->offset);
  ASSERT_NE(at, std::string::npos);
  dat[at + 9] = '2';
  Loaded l = load(dat);
  EXPECT_EQ(l.engine.status().code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(l.engine.status().message(), "section signature sources: checksum mismatch");
}

// A pattern database that is valid but searches for other bytes than the fragment table says
// (a signer's mistake, or a cache file written by someone else) must not make the engine
// report signatures whose fragments are not there.
TEST(DatHostile, DatabaseSearchingForOtherBytesReportsNothing) {
  Unsealed u = unseal(test_dat());
  auto meta = decode_meta(u[SectionType::kMeta]);
  ASSERT_TRUE(meta.is_ok());
  std::vector<std::string> others(meta.value().fragments, "XXXXXXXX");
  auto db = match::compile_literals(others, match::HsTarget{.host = true});
  ASSERT_TRUE(db.is_ok());
  auto bytes = match::serialize_database(db.value().get());
  ASSERT_TRUE(bytes.is_ok());
  // In the section's layout: each database as a blob, empty where there is none.
  const std::string& stored = u[SectionType::kHsDatabase];
  auto original = match::BodyMatcher::deserialize_databases(
      reinterpret_cast<const uint8_t*>(stored.data()), stored.size());
  ASSERT_TRUE(original.is_ok()) << original.status().message();
  common::ByteWriter framed;
  for (const match::HsDatabase& db : original.value().first) {
    framed.blob(db ? bytes.value() : std::string());
  }
  framed.blob(original.value().second ? bytes.value() : std::string());
  u[SectionType::kHsDatabase] = framed.take();
  Loaded l = load(u.seal());
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_TRUE(
      testing::scan(*l, "hello XXXXXXXX world XXXXXXXX", match::kDefaultWindow, true, nullptr)
          .empty());
}

// Byte compares and Intermediates chains in the logical section: each field a file could make
// wrong is refused, naming what is wrong, rather than read or compared out of range.
TEST(DatHostile, ByteComparesAndIntermediatesAreValidated) {
  const std::string line =
      "B;Engine:81-255,Target:0,Intermediates:CL_TYPE_ANY>CL_TYPE_ZIP;0&1;4d41524b;"
      "0(>>4#hb4#=0x1234,<0x2000)\n";
  const std::string dat = build({sig::Source{"b.ldb", true, line}});
  auto parsed = sig::parse_byte_compare("0(>>4#hb4#=0x1234,<0x2000)", 1, 2);
  ASSERT_TRUE(parsed.is_ok());
  const std::string record(reinterpret_cast<const char*>(&parsed.value()),
                           sizeof(sig::ByteCompare));
  const size_t at = unseal(dat)[SectionType::kLogical].find(record);
  ASSERT_NE(at, std::string::npos);
  const size_t chain = unseal(dat)[SectionType::kLogical].find(std::string("\x01\x02", 2), at);
  ASSERT_NE(chain, std::string::npos);
  struct {
    const char* what;
    size_t offset;  // from the record
    uint8_t value;
    const char* message;
  } cases[] = {
      {"trigger on itself", offsetof(sig::ByteCompare, trigger), 1, "byte compare 0 is malformed"},
      {"trigger out of range", offsetof(sig::ByteCompare, trigger), 9,
       "byte compare 0 is malformed"},
      {"unknown base", offsetof(sig::ByteCompare, base), 4, "byte compare 0 is malformed"},
      {"hex read too long", offsetof(sig::ByteCompare, length), 19, "byte compare 0 is malformed"},
      {"unknown comparison", offsetof(sig::ByteCompare, ops), 3, "byte compare 0 is malformed"},
      {"third comparison", offsetof(sig::ByteCompare, comparisons), 3,
       "byte compare 0 is malformed"},
      {"reserved byte", offsetof(sig::ByteCompare, reserved), 1, "byte compare 0 is malformed"},
  };
  for (const auto& c : cases) {
    Unsealed u = unseal(dat);
    u[SectionType::kLogical].at(at + c.offset) = static_cast<char>(c.value);
    expect_refused(
        {c.what, [&](Unsealed& v) { v = u; }, std::string("logical signatures: ") + c.message});
  }
  Unsealed u = unseal(dat);
  u[SectionType::kLogical].at(chain + 1) = static_cast<char>(0xee);
  expect_refused({"unknown intermediate type", [&](Unsealed& v) { v = u; },
                  "logical signatures: entry 0: unknown intermediate container type"});
  // The record as built loads, and reads what it should.
  Loaded l = load(dat);
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
}

// Macros in the logical section, and their groups' members among the roles: a macro measuring
// from nothing, a group past 31, a member the plan and the roles disagree on are refused.
TEST(DatHostile, MacrosAndGroupMembersAreValidated) {
  const std::string dat =
      build({sig::Source{"m.ndb", true, "D1:0:$12:626262\n"},
             sig::Source{"m.ldb", true, "M;Engine:51-255,Target:0;0&1;616161;${6-7}12$\n"}});
  MacroEntry want;
  want.min = 6;
  want.max = 7;
  want.subsig = 1;
  want.group = 12;
  const std::string record(reinterpret_cast<const char*>(&want), sizeof want);
  const size_t at = unseal(dat)[SectionType::kLogical].find(record);
  ASSERT_NE(at, std::string::npos);
  struct {
    const char* what;
    size_t offset;  // from the record
    uint8_t value;
  } cases[] = {
      {"macro as subsignature 0", offsetof(MacroEntry, subsig), 0},
      {"macro past the signature", offsetof(MacroEntry, subsig), 2},
      {"group 32", offsetof(MacroEntry, group), 32},
      {"reserved byte", offsetof(MacroEntry, reserved), 1},
  };
  for (const auto& c : cases) {
    Unsealed u = unseal(dat);
    u[SectionType::kLogical].at(at + c.offset) = static_cast<char>(c.value);
    expect_refused({c.what, [&](Unsealed& v) { v = u; },
                    "logical signatures: macro subsignature 0 is malformed"});
  }
  const uint32_t role = LogicalTable::kFirstGroup + 12;
  const std::string role_bytes(reinterpret_cast<const char*>(&role), sizeof role);
  const size_t role_at = unseal(dat)[SectionType::kLogical].find(role_bytes);
  ASSERT_NE(role_at, std::string::npos);
  Unsealed u = unseal(dat);
  const uint32_t plain = LogicalTable::kPlain;
  u[SectionType::kLogical].replace(role_at, sizeof plain, reinterpret_cast<const char*>(&plain),
                                   sizeof plain);
  expect_refused({"member taken for a plain signature", [&](Unsealed& v) { v = u; },
                  "logical signatures: roles disagree with the body plan at signature 0"});
  // The records as built load, and the macro counts as clamscan counts it.
  Loaded l = load(dat);
  ASSERT_TRUE(l.engine.is_ok()) << l.engine.status().message();
  EXPECT_EQ(testing::scan(*l, "aaaxxxbbbaaa", match::kDefaultWindow, true, nullptr),
            std::vector<std::string>{"M@-"});
  EXPECT_TRUE(testing::scan(*l, "aaaxxxbbb....", match::kDefaultWindow, true, nullptr).empty());
}

}  // namespace
}  // namespace vigil::scan::dat_test
