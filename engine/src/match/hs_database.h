// RAII owners for Hyperscan's database and scratch, and the one place that calls the
// Hyperscan compiler and (de)serializer. The engine holds an immutable database; each
// vigil_scratch owns a Hyperscan scratch allocated for it. A database is compiled for a
// target: the host, or a fixed instruction-set level so that a DAT built anywhere is the same.
#ifndef VIGIL_MATCH_HS_DATABASE_H_
#define VIGIL_MATCH_HS_DATABASE_H_

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::match {

struct HsDatabaseFree {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseFree>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchFree>;

// What a database is compiled for: Hyperscan's CPU feature bits (HS_CPU_FEATURES_*) and tuning.
struct HsTarget {
  uint64_t cpu_features = 0;
  uint32_t tune = HS_TUNE_FAMILY_GENERIC;
  bool host = false;  // compile for the running CPU (features and tune as detected)
};

// "host", "generic" (SSSE3), "avx2", "avx512" or "avx512vbmi"; nullopt for anything else.
std::optional<HsTarget> parse_target(std::string_view name);
// The running CPU's features as Hyperscan sees them.
HsTarget host_target();
// "AVX2", "AVX512+AVX512VBMI", "generic": the feature bits in words.
std::string describe_features(uint64_t cpu_features);
// The linked Hyperscan's version ("5.4.0 2023-02-26").
std::string hyperscan_version();

// Compiles literals into a block-mode literal database: literal i is reported as ids[i] (as i
// when ids is empty), matched without regard to case when caseless[i] is set, and reported at
// its first occurrence only (per scan call) when single[i] is set.
common::Result<HsDatabase> compile_literals(const std::vector<std::string>& literals,
                                            const HsTarget& target = HsTarget{.host = true},
                                            const std::vector<uint8_t>& caseless = {},
                                            const std::vector<uint32_t>& ids = {},
                                            const std::vector<uint8_t>& single = {});

// Compiles one expression (HS_FLAG_* flags) into a block-mode database, id 0.
// VIGIL_ERR_UNSUPPORTED, with Hyperscan's message, when Hyperscan does not take the expression;
// VIGIL_ERR_NOMEM when it runs out of memory.
common::Result<HsDatabase> compile_expression(const std::string& expression, unsigned flags,
                                              const HsTarget& target = HsTarget{.host = true});

common::Result<std::string> serialize_database(const hs_database_t* db);

// Deserializes a database. VIGIL_ERR_VERSION when it was built by another Hyperscan version
// or for CPU features this machine lacks (the caller recompiles), VIGIL_ERR_CORRUPT when the
// bytes are not a valid database (Hyperscan checks a CRC over them).
common::Result<HsDatabase> deserialize_database(const uint8_t* data, size_t size);

// Makes `scratch` fit `db` as well as every database it fitted before: allocates it when empty,
// replaces it with a larger one when `db` needs more, and leaves it as it is otherwise. On
// failure `scratch` holds whatever Hyperscan left, which may fit none of them.
common::Status grow_scratch(const hs_database_t* db, HsScratch& scratch);

}  // namespace vigil::match

#endif  // VIGIL_MATCH_HS_DATABASE_H_
