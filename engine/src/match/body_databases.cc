// The matcher's Hyperscan databases: which fragments each holds, and how they are compiled,
// stored and checked. The first pass has one database per input type with signatures of its
// own (PE signatures are most of ClamAV's, and a text file need not search for them), each
// also holding the fragments for any type; the second pass has one (see passes.h).
#include "match/body_matcher.h"

namespace vigil::match {
namespace {

constexpr uint16_t kAnyType = (uint16_t{1} << kInputTypes) - 1;

// A direct signature's fragment may be found at no more than this many positions, plus one.
constexpr uint64_t kDirectWindow = 4096;

// A deferred signature whose offset (absolute, from the end, or executable-relative, with a
// small shift) and left part leave its fragment at most kDirectWindow + 1 positions. Real sets have
// a few hundred, some with fragments as short as "0000" at EP+n, which the database would
// report at nearly every byte of a binary's padding.
bool searched_directly(const PlannedSig& p) {
  using Kind = sig::Offset::Kind;
  if (!p.is_deferred()) return false;
  switch (static_cast<Kind>(p.offset_kind)) {
    case Kind::kAbsolute:
    case Kind::kFromEnd:
    case Kind::kEntryPoint:
    case Kind::kEntryPointBack:
    case Kind::kSection:
    case Kind::kLastSection:
      break;
    default:
      return false;  // anywhere, or anywhere in a section
  }
  if (p.left_max == sig::kUnboundedLength || p.offset_shift > kDirectWindow) return false;
  return p.left_max - p.left_min <= kDirectWindow - p.offset_shift;
}

// A signature that is its fragment, at any offset, reported once: it matches wherever its
// fragment occurs, so the first occurrence decides it.
bool found_at_first_occurrence(const PlannedSig& p) {
  return p.is_literal() && p.frag_begin == 0 && p.frag_end == p.length &&
         static_cast<sig::Offset::Kind>(p.offset_kind) == sig::Offset::Kind::kAny &&
         p.max_hits == 1;
}

}  // namespace

// Each signature is confirmed in one pass only (see wanted()), so a fragment deferred and
// first-pass signatures share is in both passes' databases. A direct signature is in neither.
void BodyMatcher::set_passes() {
  frag_types_.assign(fragment_count(), 0);
  frag_second_.assign(fragment_count(), 0);
  frag_single_.assign(fragment_count(), 1);
  type_has_own_.fill(false);
  direct_.clear();
  sig_direct_.assign(plan_.sigs.size(), 0);
  for (uint32_t f = 0; f < fragment_count(); ++f) {
    for (uint32_t i = frag_sigs_begin_[f]; i < frag_sigs_begin_[f + 1]; ++i) {
      const PlannedSig& p = plan_.sigs[frag_sigs_[i]];
      if (searched_directly(p)) {
        direct_.push_back(Direct{frag_sigs_[i], f});
        sig_direct_[frag_sigs_[i]] = 1;
        continue;
      }
      if (!found_at_first_occurrence(p)) frag_single_[f] = 0;
      if (p.is_deferred()) {
        frag_second_[f] = 1;
        continue;
      }
      frag_types_[f] |= p.target == sig::kTargetAny ? kAnyType : uint16_t(1u << p.target);
    }
    for (size_t t = 1; t < kInputTypes; ++t) {
      if ((frag_types_[f] & 1) == 0 && (frag_types_[f] >> t & 1) != 0) type_has_own_[t] = true;
    }
  }
}

std::vector<uint32_t> BodyMatcher::fragments_of(int type) const {
  std::vector<uint32_t> ids;
  for (uint32_t f = 0; f < fragment_count(); ++f) {
    bool in = type < 0 ? frag_second_[f] != 0 : (frag_types_[f] >> type & 1) != 0;
    if (in) ids.push_back(f);
  }
  return ids;
}

std::vector<const HsDatabase*> BodyMatcher::all_databases() const {
  std::vector<const HsDatabase*> out;
  for (const HsDatabase& db : db_) {
    if (db) out.push_back(&db);
  }
  if (db2_) out.push_back(&db2_);
  return out;
}

// Layout: kInputTypes first-pass databases by type, then the second pass's, each a blob
// (length, bytes; empty: none).
common::Result<std::string> BodyMatcher::serialize_database() const {
  if (all_databases().empty()) return std::string();
  common::ByteWriter out;
  auto put = [&out](const HsDatabase& db) -> common::Status {
    std::string bytes;
    if (db) {
      auto s = match::serialize_database(db.get());
      if (!s.is_ok()) return s.status();
      bytes = s.take();
    }
    out.blob(bytes);
    return common::Status::ok();
  };
  for (const HsDatabase& db : db_) {
    common::Status st = put(db);
    if (!st.is_ok()) return st;
  }
  common::Status st = put(db2_);
  if (!st.is_ok()) return st;
  return out.take();
}

common::Result<Databases> BodyMatcher::deserialize_databases(const uint8_t* data, size_t size) {
  Databases dbs;
  if (size == 0) return dbs;
  common::ByteReader in(data, size, "pattern databases");
  std::array<std::string_view, kInputTypes + 1> parts;
  for (size_t i = 0; i < parts.size(); ++i) {
    in.blob(parts[i], i < kInputTypes ? "first pass" : "second pass");
  }
  if (!in.ok()) return common::Status(VIGIL_ERR_CORRUPT, in.status().message());
  if (!in.at_end()) return common::Status(VIGIL_ERR_CORRUPT, "pattern databases: trailing bytes");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    auto db =
        deserialize_database(reinterpret_cast<const uint8_t*>(parts[i].data()), parts[i].size());
    if (!db.is_ok()) return db.status();
    (i < kInputTypes ? dbs.first[i] : dbs.second) = db.take();
  }
  return dbs;
}

common::Status BodyMatcher::load_database(const uint8_t* data, size_t size) {
  auto dbs = deserialize_databases(data, size);
  if (!dbs.is_ok()) return dbs.status();
  return set_database(dbs.take());
}

common::Status BodyMatcher::set_database(Databases dbs) {
  auto check = [](bool want, bool have, const std::string& which) {
    if (want == have) return common::Status::ok();
    return common::Status(VIGIL_ERR_CORRUPT,
                          which + (have ? " present without fragments" : " missing"));
  };
  common::Status st =
      check(!fragments_of(0).empty(), dbs.first[0] != nullptr, "first-pass pattern database");
  for (size_t t = 1; t < kInputTypes && st.is_ok(); ++t) {
    st = check(type_has_own_[t], dbs.first[t] != nullptr,
               "first-pass pattern database for type " + std::to_string(t));
  }
  if (st.is_ok()) {
    st = check(!fragments_of(-1).empty(), dbs.second != nullptr, "second-pass pattern database");
  }
  if (!st.is_ok()) return st;
  db_ = std::move(dbs.first);
  db2_ = std::move(dbs.second);
  return common::Status::ok();
}

common::Status BodyMatcher::compile_database(const HsTarget& target) {
  set_max_frag_len();
  for (int t = -1; t < static_cast<int>(kInputTypes); ++t) {
    HsDatabase& out = t < 0 ? db2_ : db_[t];
    out.reset();
    if (t > 0 && !type_has_own_[t]) continue;
    std::vector<uint32_t> ids = fragments_of(t);
    if (ids.empty()) continue;
    std::vector<std::string> literals;
    std::vector<uint8_t> caseless;
    std::vector<uint8_t> single;
    for (uint32_t f : ids) {
      literals.emplace_back(frag_bytes_.begin() + frag_begin_[f],
                            frag_bytes_.begin() + frag_begin_[f + 1]);
      caseless.push_back(frag_caseless_[f]);
      single.push_back(frag_single_[f]);
    }
    auto db = compile_literals(literals, target, caseless, ids, single);
    if (!db.is_ok()) return db.status();
    out = db.take();
  }
  return common::Status::ok();
}

}  // namespace vigil::match
