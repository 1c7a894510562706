// Fuzzes DAT loading (scan::load_dat), which reads files that arrive over the network: the
// container checks, then every section parser (meta, names, body plan and fragment table, hash
// tables, allowlist, logical signatures with their regexes, section hashes, source IR) and the
// pattern database, including the recompile and the
// rebuild from the IR. Any bytes must load or fail with a clean status, never crash or leak,
// and an engine that loads must scan without breaking the scan invariants.
//
// Byte 0 picks the mode (mod 3); the rest is:
//   0 raw:     a whole DAT file (unsigned allowed, no cache);
//   1 sealed:  sections as [u32 type][u32 length][bytes]..., assembled into a container with
//              valid checksums, so that the section parsers see the bytes;
//   2 spliced: byte 1 = section type (low 5 bits; bit 6: the database is from another
//              Hyperscan release, bit 7: another plan version), the rest replaces that section of
//              a DAT built here from signatures using every construct (appended if absent).
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dat/container.h"
#include "fuzz_check.h"
#include "scan/engine_dat.h"
#include "scan/scanner.h"
#include "sig/signature_set.h"

namespace {

using namespace std::string_view_literals;
namespace dat = vigil::dat;
namespace scan = vigil::scan;
namespace sig = vigil::sig;

constexpr char kNdb[] =
    "Fz.Lit:0:*:deadbeef01\n"
    "Fz.Any:0:*:deadbeef??cafe\n"
    "Fz.NibLo:0:*:6e69626c6f4?21\n"
    "Fz.Star:0:*:7374617274*656e64\n"
    "Fz.UpTo:0:*:7570{-3}746f21\n"
    "Fz.AtLeast:0:*:6c65617374{2-}2121\n"
    "Fz.Alt:0:*:616c74(aa|bb)2121\n"
    "Fz.Neg:0:*:6e6567!(aa|bb)6e6567\n"
    "Fz.NegWide:0:*:6e6d!(6162|6364|6566)6e6d21\n"
    "Fz.DeepNest:0:*:6470(61|62(63|64(65|66)))7468\n"
    "Fz.GapInAlt:0:*:6669(61{2}62|63)6e616c\n"
    "Fz.Anchor:0:*:aa[1-4]bbcc\n"
    "Fz.B:0:*:(B)776f7264(B)\n"
    "Fz.LMid:0:*:6c6d6964(L)6c6d6964\n"
    "Fz.W:0:*:7768(W)776877\n"
    "Fz.Off0:0:0:7f454c46\n"
    "Fz.EOF:0:EOF-4:54524c52\n"
    "Fz.Shift:0:10,20:7368696674\n"
    "Fz.Share1:0:*:736861726564??01\n"
    "Fz.Share2:0:*:736861726564(02|03)\n"
    "Fz.Member1:0:$7:6d6163726f\n"
    "Fz.Member2:0:$7:6d6163\n"
    "Fz.Unused:0:$9:6d6163\n";
constexpr char kHdb[] =
    "362e8056e8e71d4d232a5e31134dc70a:*:Fz.Hash.Any:73\n"
    "3e99b83b2db633b14c348f5bf0dc79769e850bbad3b53b772b10a45d6a02427b:22:Fz.Hash.Sized\n";
constexpr char kFp[] = "bcc18a6a7351cb0946cd2189d96dba3c:31:Fz.Allowed\n";
// Logical signatures (the logical section: entries, expressions, roles, regexes, byte compares,
// intermediates, macros and their groups' members) and a PE section hash (the section-hash
// section).
constexpr char kLdb[] =
    "Fz.Logic;Engine:51-255,Target:0;(0|1)&2>1;6c6f6769;6c6f6761;6c6f67::i\n"
    "Fz.Pcre;Engine:51-255,Target:0;0&1;70637265;0/pcre\\s+\\d+/\n"
    "Fz.Bcmp;Engine:81-255,Target:0;0&1&2;62636d70;0(>>4#hb4#=0x1234,<0x2000);0(<<2#il2#>0)\n"
    "Fz.Exe;Engine:51-255,Target:6,NumberOfSections:0-9;0;EP+0:7f454c46\n"
    "Fz.Word;Engine:51-255,Target:0,FileSize:10-4096;0;776964::wa\n"
    "Fz.Nest;Engine:81-255,Target:0,Intermediates:CL_TYPE_ANY>CL_TYPE_ZIP;0;6e657374\n"
    "Fz.Macro;Engine:51-255,Target:0;0&1;6d6b;${2-3}7$\n";
constexpr char kMdb[] = "512:0123456789abcdef0123456789abcdef:Fz.Section\n";

// Scanned by every engine that loads: text that fires each signature above (and the hash
// signatures' contents), and binary runs.
const std::vector<std::string>& fixed_inputs() {
  static const std::vector<std::string> kInputs = {
      std::string("\x7f"
                  "ELF\x02\x01 \xde\xad\xbe\xef\x01 \xde\xad\xbe\xef\x00\xca\xfe niblo! "
                  "start...end up--to! least!!!! alt\xaa!! neg\xccneg nmabnm! nm12nm! dpbdfth "
                  "fia\x00\x00"
                  "bnal \xaa\x02\xbb\xcc word whXwhw lmid\nlmid shared\x00\x01 "
                  "shared\x03 logi LOG loga pcre 42 w\0i\0d\0 shift bcmp1234 mk..macro mk "
                  "TRLR"sv),
      "vigil fuzz hash any\n",
      "vigil fuzz hash sized\n",
      std::string(300, '\0') + std::string(300, '\xff') + "\xde\xad\xbe\xef\x01",
      "",
  };
  return kInputs;
}

// The DAT every spliced input starts from.
const std::string& reference_dat() {
  static const std::string kDat = [] {
    sig::SignatureSet set =
        sig::load_sources({sig::Source{"fz.ndb", true, kNdb}, sig::Source{"fz.hdb", true, kHdb},
                           sig::Source{"fz.fp", true, kFp}, sig::Source{"fz.ldb", true, kLdb},
                           sig::Source{"fz.mdb", true, kMdb}},
                          sig::LoadFlags{});
    FUZZ_CHECK(!sig::has_errors(set.diags));
    auto built = scan::build_dat(set, {.version = 1});
    FUZZ_CHECK(built.is_ok());
    return built.take();
  }();
  return kDat;
}

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Mode 1: [u32 type][u32 length][bytes]..., a length past the end taking what is left.
std::string sealed(const uint8_t* data, size_t size) {
  std::vector<dat::SectionInput> sections;
  while (size >= 8 && sections.size() <= dat::kMaxSections) {
    const uint32_t type = le32(data);
    const size_t len = std::min<size_t>(le32(data + 4), size - 8);
    sections.push_back({static_cast<dat::SectionType>(type),
                        std::string(reinterpret_cast<const char*>(data + 8), len)});
    data += 8 + len;
    size -= 8 + len;
  }
  dat::Header header;
  header.dat_version = 1;
  header.min_engine_version = VIGIL_VERSION_NUMBER;
  return dat::assemble(header, sections);
}

// Mode 2: the reference DAT with one section replaced (or added), re-sealed.
std::string spliced(const uint8_t* data, size_t size) {
  if (size == 0) return std::string();
  const auto type = static_cast<dat::SectionType>(data[0] & 0x1f);
  const std::string& ref = reference_dat();
  auto view = dat::open(reinterpret_cast<const uint8_t*>(ref.data()), ref.size(),
                        dat::Trust{.skip_signature = true});
  FUZZ_CHECK(view.is_ok());
  std::vector<dat::SectionInput> sections;
  for (const dat::Section& s : view.value().sections) {
    sections.push_back({static_cast<dat::SectionType>(s.type), std::string(s.bytes)});
  }
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  bool replaced = false;
  for (dat::SectionInput& s : sections) {
    if (s.type == type) {
      s.bytes = bytes;
      replaced = true;
    }
    if (s.type == dat::SectionType::kHsDatabase && (data[0] & 0x40) && s.bytes.size() > 16) {
      s.bytes[8 + 6] ^= 1;  // the first-pass database's version field, after its length
    }
    if (s.type == dat::SectionType::kMeta && (data[0] & 0x80)) {
      auto meta = scan::decode_meta(s.bytes);
      if (meta.is_ok()) {
        ++meta.value().plan_version;
        s.bytes = scan::encode_meta(meta.value());
      }
    }
  }
  if (!replaced) sections.push_back({type, bytes});
  return dat::assemble(view.value().header, sections);
}

struct Hit {
  uint32_t id;
  vigil_sig_kind kind;
  uint64_t offset;
  bool operator==(const Hit&) const = default;
};

int record(const vigil_match* m, void* user) {
  FUZZ_CHECK(m != nullptr && m->name != nullptr);
  static_cast<std::vector<Hit>*>(user)->push_back(Hit{m->signature_id, m->kind, m->offset});
  return 0;
}

// Scans one input first-match and all-match and checks what every scan must keep: the result
// agrees with the callback, ids name signatures, body offsets lie in the input, hash matches
// have no offset, an allowlisted input reports nothing, a body signature is reported once, and
// the first-match detection is the first all-match one.
void scan_checked(const scan::Engine& e, scan::Scratch& scratch, std::string_view in) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  std::vector<Hit> runs[2];
  for (int all = 0; all < 2; ++all) {
    vigil_scan_result result{};
    std::vector<Hit>& hits = runs[all];
    vigil::common::Status st = scan::scan_bytes(
        e, scratch, p, in.size(), (all ? VIGIL_SCAN_ALLMATCH : 0) | VIGIL_SCAN_NO_CONTAINERS,
        scan::Callback{&record, &hits}, result);
    FUZZ_CHECK(st.is_ok());
    FUZZ_CHECK(result.detections == hits.size());
    FUZZ_CHECK(result.bytes_scanned == in.size());
    if (result.allowlisted) FUZZ_CHECK(hits.empty());
    if (!all) FUZZ_CHECK(hits.size() <= 1);
    std::set<uint32_t> ids;
    for (const Hit& h : hits) {
      FUZZ_CHECK(h.id < e.names.size());
      FUZZ_CHECK(ids.insert(h.id).second);
      if (h.kind == VIGIL_SIG_HASH) {
        FUZZ_CHECK(h.offset == VIGIL_OFFSET_NONE);
      } else if (h.kind == VIGIL_SIG_LOGICAL) {
        FUZZ_CHECK(h.offset == VIGIL_OFFSET_NONE);
        FUZZ_CHECK(h.id >= e.logical_base && h.id - e.logical_base < e.logical.size());
      } else {
        // A body detection is a signature of its own, never a subsignature.
        FUZZ_CHECK(h.kind == VIGIL_SIG_BODY);
        FUZZ_CHECK(h.id < e.body->signature_count());
        FUZZ_CHECK(e.logical.slot_of(h.id) == scan::LogicalTable::kPlain);
        FUZZ_CHECK(h.offset < in.size());
      }
    }
  }
  FUZZ_CHECK(runs[0].empty() == runs[1].empty());
  if (!runs[0].empty()) FUZZ_CHECK(runs[0][0] == runs[1][0]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  std::string file;
  if (mode == 0) {
    file.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  } else if (mode == 1) {
    file = sealed(data + 1, size - 1);
  } else {
    file = spliced(data + 1, size - 1);
  }

  sig::Diagnostics diags;
  scan::DatLoadOptions opts{.trust = dat::Trust{.allow_unsigned = true}};
  auto loaded =
      scan::load_dat(reinterpret_cast<const uint8_t*>(file.data()), file.size(), opts, diags);
  for (const sig::Diagnostic& d : diags) {
    FUZZ_CHECK(d.code == VIGIL_DIAG_DAT_COMPILE && !d.message.empty());
    // No cache, so no cache warnings; the one warning is a rebuild for another plan version.
    FUZZ_CHECK(d.severity == VIGIL_SEVERITY_INFO ||
               (d.severity == VIGIL_SEVERITY_WARNING && d.message.starts_with("DAT plan version")));
  }
  if (!loaded.is_ok()) {
    const vigil_status st = loaded.status().code();
    FUZZ_CHECK(!loaded.status().message().empty());
    if (mode == 0) {
      FUZZ_CHECK(st == VIGIL_ERR_CORRUPT || st == VIGIL_ERR_UNTRUSTED || st == VIGIL_ERR_VERSION);
    } else {
      // A sealed file passes the container checks: only its contents can be wrong.
      FUZZ_CHECK(st == VIGIL_ERR_CORRUPT);
    }
    return 0;
  }

  const scan::Engine& e = *loaded.value();
  const vigil_engine_stats& s = e.stats;
  uint64_t subsigs = 0;
  for (uint32_t i = 0; i < e.body->signature_count(); ++i) {
    // Macro group members are counted as body signatures, though never reported.
    const uint32_t role = e.logical.slot_of(i);
    subsigs += role != scan::LogicalTable::kPlain && !scan::LogicalTable::is_member(role) ? 1 : 0;
  }
  FUZZ_CHECK(s.body_signatures + subsigs == e.body->signature_count());
  FUZZ_CHECK(s.logical_signatures == e.logical.size());
  FUZZ_CHECK(s.section_hash_signatures == e.sections.size());
  FUZZ_CHECK(s.fragments == e.body->fragment_count());
  FUZZ_CHECK(e.body->signature_count() + s.hash_signatures + s.logical_signatures +
                 s.section_hash_signatures ==
             e.names.size());
  FUZZ_CHECK(s.database_origin == VIGIL_DATABASE_PRECOMPILED ||
             s.database_origin == VIGIL_DATABASE_COMPILED);
  auto scratch = scan::make_scratch(e);
  FUZZ_CHECK(scratch.is_ok());
  for (const std::string& in : fixed_inputs()) scan_checked(e, *scratch.value(), in);
  scan_checked(e, *scratch.value(),
               std::string_view(reinterpret_cast<const char*>(data), std::min<size_t>(size, 4096)));
  return 0;
}
