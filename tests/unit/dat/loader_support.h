// Shared by the DAT loader tests (loader_test.cc, loader_hostile_test.cc): the signatures and
// probes every test uses, building and loading DATs, and taking a DAT apart into its sections
// and stored tables and sealing it again (what a hostile but validly-checksummed file is).
#ifndef VIGIL_TESTS_UNIT_DAT_LOADER_SUPPORT_H_
#define VIGIL_TESTS_UNIT_DAT_LOADER_SUPPORT_H_

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_io.h"
#include "common/hex.h"
#include "scan/engine_dat.h"
#include "scan_support.h"

namespace vigil::scan::dat_test {

using dat::SectionType;
using namespace std::string_literals;
using namespace std::string_view_literals;

// ---------------------------------------------------------------------------------------------
// Signatures covering every part of a DAT, and inputs with their expected detections.

inline std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &n, md, nullptr), 1);
  return common::encode_hex(out, n);
}

const std::string kHashed = "hash me please";
const std::string kHashed2 = "hash me too, please";
const std::string kAnySize = "any size at all";
const std::string kAllowed = "clean \xca\xfe\xba\xbe file";  // would match Test.Cafe

// Logical signatures: counts, a caseless wide subsignature and a fullword one.
const char kLdb[] =
    "Test.Logical;Engine:51-255,Target:0;0&1>1;6c6f67;696361::iw\n"
    "Test.Word;Engine:51-255,Target:0,FileSize:5-64;0;776f7264::f\n";

const char kNdb[] =
    "Test.Literal:0:*:deadbeef01\n"
    "Test.Alt:0:*:6869(6a|6b6c)7071{2-4}7273\n"
    "Test.Neg:0:*:41424344!(45|46)4748\n"
    "Test.Offset:0:10:aa??bbccdd\n"
    "Test.Star:0:*:7a7a7a7a*7171717171\n"
    "Test.Cafe:0:*:cafebabe\n"
    "Test.Ignored:0:*:1122334455\n";

inline std::vector<sig::Source> test_sources() {
  return {
      sig::Source{"t.ndb", true, kNdb},
      sig::Source{"t.hdb", true,
                  digest_hex(EVP_md5(), kHashed) + ":" + std::to_string(kHashed.size()) +
                      ":Test.Hash\n" + digest_hex(EVP_md5(), kHashed2) + ":" +
                      std::to_string(kHashed2.size()) + ":Test.Hash2\n"},
      sig::Source{"t.hsb", true, digest_hex(EVP_sha256(), kAnySize) + ":*:Test.Sha256:73\n"},
      sig::Source{"t.fp", true,
                  digest_hex(EVP_md5(), kAllowed) + ":" + std::to_string(kAllowed.size()) +
                      ":Clean.File\n"},
      sig::Source{"t.ign2", true, "Test.Ignored\n"},
      sig::Source{"t.ldb", true, kLdb},
  };
}

// The same lines, each file reversed and the files in another order.
inline std::vector<sig::Source> reordered_sources() {
  std::vector<sig::Source> out;
  for (const sig::Source& s : test_sources()) {
    std::vector<std::string> lines;
    size_t at = 0;
    while (at < s.bytes.size()) {
      size_t nl = s.bytes.find('\n', at);
      lines.push_back(s.bytes.substr(at, nl + 1 - at));
      at = nl + 1;
    }
    sig::Source r{s.name, true, {}};
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) r.bytes += *it;
    out.insert(out.begin(), r);
  }
  return out;
}

struct Probe {
  std::string data;
  std::vector<std::string> hits;  // all-match, in report order
  bool allowlisted = false;
};

inline const std::vector<Probe>& probes() {
  static const std::vector<Probe> kProbes = {
      {"xx\xde\xad\xbe\xef\x01yy", {"Test.Literal@2"}},
      {"xx\xde\xad\xbe\xef\x02yy", {}},
      {"__hiklpq123rs__", {"Test.Alt@2"}},
      {"__hijpq12rs", {"Test.Alt@2"}},
      {"__hiklpq1rs__", {}},  // gap too short
      {"ABCDxGH", {"Test.Neg@0"}},
      {"ABCDEGH", {}},  // negated byte present
      {std::string("0123456789\xaa\x00\xbb\xcc\xdd"sv), {"Test.Offset@10"}},
      {std::string("x0123456789\xaa\x00\xbb\xcc\xdd"sv), {}},  // wrong offset
      {"zzzz and then qqqqq", {"Test.Star@0"}},
      {kHashed, {"Test.Hash@-"}},
      {kHashed2, {"Test.Hash2@-"}},
      {kHashed + "!", {}},  // other size
      {kAnySize, {"Test.Sha256@-"}},
      {kAllowed, {}, true},
      {kAllowed + "!", {"Test.Cafe@6"}},
      {"\x11\x22\x33\x44\x55", {}},  // ignored signature
      {"\xca\xfe\xba\xbe ABCD-GH hiklpq--rs \xde\xad\xbe\xef\x01",
       {"Test.Cafe@0", "Test.Neg@5", "Test.Alt@13", "Test.Literal@24"}},
      {std::string("log I\0c\0A\0 i\0C\0a\0"sv), {"Test.Logical@-"}},
      {std::string("log I\0c\0A\0"sv), {}},  // one wide "ica" only
      {"a word.", {"Test.Word@-"}},
      {"a words.", {}},
      {"", {}},
  };
  return kProbes;
}

// Every probe's detections (all-match and first-match) and allowlist verdict, as text.
inline std::vector<std::string> detections(const Engine& e) {
  std::vector<std::string> out;
  for (const Probe& p : probes()) {
    vigil_scan_result all{}, first{};
    std::string line;
    for (const std::string& h : testing::scan(e, p.data, match::kDefaultWindow, true, &all)) {
      line += h + " ";
    }
    line += "| first:";
    for (const std::string& h : testing::scan(e, p.data, match::kDefaultWindow, false, &first)) {
      line += " " + h;
    }
    if (all.allowlisted) line += " | allowlisted";
    out.push_back(line);
  }
  return out;
}

inline std::vector<std::string> expected_detections() {
  std::vector<std::string> out;
  for (const Probe& p : probes()) {
    std::string line;
    for (const std::string& h : p.hits) line += h + " ";
    line += "| first:";
    if (!p.hits.empty()) line += " " + p.hits[0];
    if (p.allowlisted) line += " | allowlisted";
    out.push_back(line);
  }
  return out;
}

inline std::unique_ptr<Engine> source_engine() {
  sig::SignatureSet set = sig::load_sources(test_sources(), sig::LoadFlags{});
  auto e = build_engine(set);
  EXPECT_TRUE(e.is_ok()) << e.status().message();
  return e.is_ok() ? e.take() : nullptr;
}

inline std::string build(const std::vector<sig::Source>& sources, uint64_t version = 7) {
  sig::SignatureSet set = sig::load_sources(sources, sig::LoadFlags{});
  for (const sig::Diagnostic& d : set.diags) {
    EXPECT_NE(d.severity, VIGIL_SEVERITY_ERROR) << d.signature << ": " << d.message;
  }
  auto dat = build_dat(set, {.version = version});
  EXPECT_TRUE(dat.is_ok()) << dat.status().message();
  return dat.is_ok() ? dat.take() : std::string();
}

inline const std::string& test_dat() {
  static const std::string kDat = build(test_sources());
  return kDat;
}

struct Loaded {
  common::Result<std::unique_ptr<Engine>> engine = common::Status();
  sig::Diagnostics diags;
  const Engine& operator*() const { return *engine.value(); }
};

inline Loaded load(std::string_view dat, const std::string& cache_dir = "") {
  Loaded out;
  DatLoadOptions opts{.trust = dat::Trust{.allow_unsigned = true}, .cache_dir = cache_dir};
  out.engine = load_dat(reinterpret_cast<const uint8_t*>(dat.data()), dat.size(), opts, out.diags);
  return out;
}

// The diagnostics of a load as "severity code: message" lines.
inline std::string diag_text(const sig::Diagnostics& diags) {
  std::string out;
  for (const sig::Diagnostic& d : diags) {
    out += std::to_string(d.severity) + " " + std::to_string(d.code) + ": " + d.message + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Re-sealing: a DAT taken apart into its sections, changed, and assembled again with fresh
// checksums, so the change reaches the section parsers.

struct Unsealed {
  dat::Header header;
  std::vector<dat::SectionInput> sections;

  std::string& operator[](SectionType type) {
    for (dat::SectionInput& s : sections) {
      if (s.type == type) return s.bytes;
    }
    ADD_FAILURE() << "no section " << dat::section_name(static_cast<uint32_t>(type));
    static std::string none;
    return none;
  }
  void remove(SectionType type) {
    std::erase_if(sections, [type](const dat::SectionInput& s) { return s.type == type; });
  }
  std::string seal() const { return dat::assemble(header, sections); }
};

inline Unsealed unseal(const std::string& dat) {
  auto view = dat::open(reinterpret_cast<const uint8_t*>(dat.data()), dat.size(),
                        dat::Trust{.skip_signature = true});
  EXPECT_TRUE(view.is_ok()) << view.status().message();
  Unsealed out;
  if (!view.is_ok()) return out;
  out.header = view.value().header;
  for (const dat::Section& s : view.value().sections) {
    out.sections.push_back({static_cast<SectionType>(s.type), std::string(s.bytes)});
  }
  return out;
}

inline common::ByteReader reader(std::string_view bytes) {
  return common::ByteReader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test");
}

// The body plan section's arrays (as BodyMatcher::write_plan lays them out).
struct PlanParts {
  std::vector<match::PlannedSig> sigs;
  std::vector<match::FlatNode> nodes;
  std::vector<match::Operand> operands;
  std::vector<match::BranchSpan> branches;
  std::vector<uint8_t> bytes, frag_bytes;
  std::vector<uint32_t> frag_begin, frag_sigs_begin, frag_sigs;
  std::vector<uint8_t> frag_caseless;

  explicit PlanParts(std::string_view s) {
    common::ByteReader r = reader(s);
    r.array(sigs, "");
    r.array(nodes, "");
    r.array(operands, "");
    r.array(branches, "");
    r.array(bytes, "");
    r.array(frag_bytes, "");
    r.array(frag_begin, "");
    r.array(frag_sigs_begin, "");
    r.array(frag_sigs, "");
    r.array(frag_caseless, "");
    EXPECT_TRUE(r.ok() && r.at_end()) << r.error();
  }
  std::string encode() const {
    common::ByteWriter w;
    w.array(sigs);
    w.array(nodes);
    w.array(operands);
    w.array(branches);
    w.array(bytes);
    w.array(frag_bytes);
    w.array(frag_begin);
    w.array(frag_sigs_begin);
    w.array(frag_sigs);
    w.array(frag_caseless);
    return w.take();
  }
};

// A hash table entry as hash::HashTable stores it.
struct HashEntry {
  uint64_t size;
  std::array<uint8_t, 32> digest;
  uint32_t id;
  uint32_t reserved;
};
static_assert(sizeof(HashEntry) == 48);

// The hash signatures' (or allowlist's) section: per hash type, entries by size and of any size.
struct HashParts {
  std::vector<HashEntry> tables[2 * sig::kHashTypes];

  explicit HashParts(std::string_view s) {
    common::ByteReader r = reader(s);
    for (auto& t : tables) r.array(t, "");
    EXPECT_TRUE(r.ok() && r.at_end()) << r.error();
  }
  std::vector<HashEntry>& sized(sig::HashType t) { return tables[2 * static_cast<int>(t)]; }
  std::string encode() const {
    common::ByteWriter w;
    for (const auto& t : tables) w.array(t);
    return w.take();
  }
};

// The names section.
struct NameParts {
  std::string text;
  std::vector<uint32_t> ends;

  explicit NameParts(std::string_view s) {
    common::ByteReader r = reader(s);
    std::string_view t;
    r.blob(t, "");
    r.array(ends, "");
    EXPECT_TRUE(r.ok() && r.at_end()) << r.error();
    text = t;
  }
  uint32_t id_of(std::string_view name) const {
    for (uint32_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
      if (std::string_view(text).substr(begin, ends[i] - 1 - begin) == name) return i;
    }
    ADD_FAILURE() << "no signature " << name;
    return 0;
  }
  std::string encode() const {
    common::ByteWriter w;
    w.blob(text);
    w.array(ends);
    return w.take();
  }
};

// The meta section, re-encoded with encode_meta after a change.
inline std::string with_meta(std::string_view bytes, const std::function<void(DatMeta&)>& change) {
  auto meta = decode_meta(bytes);
  EXPECT_TRUE(meta.is_ok()) << meta.status().message();
  change(meta.value());
  return encode_meta(meta.value());
}

inline void set_u64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

}  // namespace vigil::scan::dat_test

#endif  // VIGIL_TESTS_UNIT_DAT_LOADER_SUPPORT_H_
