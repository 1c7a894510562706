// Literal databases go through hs_compile_lit_multi: no regex parsing, NUL bytes allowed, and
// compile time that stays near-linear in the literal count (100k literals in seconds). The
// compiler is deterministic for a given target, which is what makes DAT builds reproducible.
#include "match/hs_database.h"

#include <cstdlib>

namespace vigil::match {
namespace {

common::Status backend_error(hs_error_t rc, const std::string& what) {
  return common::Status(rc == HS_NOMEM ? VIGIL_ERR_NOMEM : VIGIL_ERR_BACKEND,
                        what + " (Hyperscan error " + std::to_string(rc) + ")");
}

}  // namespace

std::optional<HsTarget> parse_target(std::string_view name) {
  if (name == "host") return HsTarget{.host = true};
  if (name == "generic") return HsTarget{};
  if (name == "avx2") return HsTarget{.cpu_features = HS_CPU_FEATURES_AVX2};
  if (name == "avx512") {
    return HsTarget{.cpu_features = HS_CPU_FEATURES_AVX2 | HS_CPU_FEATURES_AVX512};
  }
  if (name == "avx512vbmi") {
    return HsTarget{.cpu_features =
                        HS_CPU_FEATURES_AVX2 | HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI};
  }
  return std::nullopt;
}

HsTarget host_target() {
  hs_platform_info_t p{};
  HsTarget t{.host = true};
  if (hs_populate_platform(&p) == HS_SUCCESS) {
    t.cpu_features = p.cpu_features;
    t.tune = p.tune;
  }
  return t;
}

std::string describe_features(uint64_t f) {
  std::string s;
  auto add = [&s](const char* w) { s += s.empty() ? w : std::string("+") + w; };
  if (f & HS_CPU_FEATURES_AVX2) add("AVX2");
  if (f & HS_CPU_FEATURES_AVX512) add("AVX512");
  if (f & HS_CPU_FEATURES_AVX512VBMI) add("AVX512VBMI");
  return s.empty() ? "generic" : s;
}

std::string hyperscan_version() { return hs_version(); }

common::Result<HsDatabase> compile_literals(const std::vector<std::string>& literals,
                                            const HsTarget& target,
                                            const std::vector<uint8_t>& caseless,
                                            const std::vector<uint32_t>& ids_in,
                                            const std::vector<uint8_t>& single) {
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags(literals.size(), 0);
  for (size_t i = 0; i < caseless.size() && i < flags.size(); ++i) {
    if (caseless[i] != 0) flags[i] |= HS_FLAG_CASELESS;
  }
  for (size_t i = 0; i < single.size() && i < flags.size(); ++i) {
    if (single[i] != 0) flags[i] |= HS_FLAG_SINGLEMATCH;
  }
  std::vector<unsigned> ids;
  exprs.reserve(literals.size());
  lens.reserve(literals.size());
  ids.reserve(literals.size());
  for (size_t i = 0; i < literals.size(); ++i) {
    exprs.push_back(literals[i].data());
    lens.push_back(literals[i].size());
    ids.push_back(i < ids_in.size() ? ids_in[i] : static_cast<unsigned>(i));
  }
  hs_platform_info_t platform{};
  platform.tune = target.tune;
  platform.cpu_features = target.cpu_features;
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                                       static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                                       target.host ? nullptr : &platform, &db, &err);
  if (rc != HS_SUCCESS) {
    std::string msg = "Hyperscan compile failed";
    if (err != nullptr) {
      msg += ": ";
      msg += err->message;
      hs_free_compile_error(err);
    }
    return common::Status(rc == HS_NOMEM ? VIGIL_ERR_NOMEM : VIGIL_ERR_BACKEND, msg);
  }
  return HsDatabase(db);
}

common::Result<HsDatabase> compile_expression(const std::string& expression, unsigned flags,
                                              const HsTarget& target) {
  hs_platform_info_t platform{};
  platform.tune = target.tune;
  platform.cpu_features = target.cpu_features;
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile(expression.c_str(), flags, HS_MODE_BLOCK,
                             target.host ? nullptr : &platform, &db, &err);
  std::string why = err != nullptr && err->message != nullptr ? err->message : "";
  if (err != nullptr) hs_free_compile_error(err);
  if (rc == HS_SUCCESS) return HsDatabase(db);
  if (rc == HS_NOMEM) return backend_error(rc, "Hyperscan compile failed");
  return common::Status(VIGIL_ERR_UNSUPPORTED, "Hyperscan does not take the expression: " + why);
}

common::Result<std::string> serialize_database(const hs_database_t* db) {
  char* bytes = nullptr;
  size_t size = 0;
  hs_error_t rc = hs_serialize_database(db, &bytes, &size);
  if (rc != HS_SUCCESS) return backend_error(rc, "cannot serialize the pattern database");
  std::string out(bytes, size);
  std::free(bytes);
  return out;
}

common::Result<HsDatabase> deserialize_database(const uint8_t* data, size_t size) {
  hs_database_t* db = nullptr;
  hs_error_t rc = hs_deserialize_database(reinterpret_cast<const char*>(data), size, &db);
  if (rc == HS_SUCCESS) return HsDatabase(db);
  if (rc == HS_DB_VERSION_ERROR || rc == HS_DB_PLATFORM_ERROR) {
    char* info = nullptr;
    std::string built = "unknown";
    if (hs_serialized_database_info(reinterpret_cast<const char*>(data), size, &info) ==
        HS_SUCCESS) {
      built = info;
      std::free(info);
    }
    return common::Status(VIGIL_ERR_VERSION, "precompiled pattern database (" + built +
                                                 ") does not run on Hyperscan " +
                                                 hyperscan_version() + " with " +
                                                 describe_features(host_target().cpu_features));
  }
  if (rc == HS_NOMEM) return backend_error(rc, "cannot load the pattern database");
  return common::Status(
      VIGIL_ERR_CORRUPT,
      "precompiled pattern database is invalid (Hyperscan error " + std::to_string(rc) + ")");
}

common::Status grow_scratch(const hs_database_t* db, HsScratch& scratch) {
  hs_scratch_t* raw = scratch.release();
  hs_error_t rc = hs_alloc_scratch(db, &raw);
  scratch.reset(raw);
  if (rc != HS_SUCCESS) return backend_error(rc, "Hyperscan scratch allocation failed");
  return common::Status::ok();
}

}  // namespace vigil::match
