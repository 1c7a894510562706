// RAII owners for Hyperscan's database and scratch, and the one place that calls the
// Hyperscan compiler. The engine holds an immutable database; each vigil_scratch owns a
// Hyperscan scratch allocated for it.
#ifndef VIGIL_MATCH_HS_DATABASE_H_
#define VIGIL_MATCH_HS_DATABASE_H_

#include <hs/hs.h>

#include <memory>
#include <string>
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

// Compiles literals (id i for literals[i]) into a block-mode literal database.
common::Result<HsDatabase> compile_literals(const std::vector<std::string>& literals);

// A scratch sized for `db`.
common::Result<HsScratch> make_scratch(const hs_database_t* db);

}  // namespace vigil::match

#endif  // VIGIL_MATCH_HS_DATABASE_H_
