// The on-disk cache of pattern databases compiled for this machine from a DAT whose
// precompiled database does not run here. One file per (DAT content id, Hyperscan version,
// CPU features), so only the first load of a DAT on a new machine pays for a compile. A cache
// file is only trusted as far as it can be checked: it must be a regular file owned by this
// user and writable by no one else, carry the DAT id it was made for, and match its own
// SHA-256; anything else is ignored (and overwritten by the next compile).
#ifndef VIGIL_SCAN_DB_CACHE_H_
#define VIGIL_SCAN_DB_CACHE_H_

#include <string>

#include "common/status.h"
#include "dat/container.h"

namespace vigil::scan {

class DbCache {
 public:
  // An empty directory disables the cache.
  DbCache(std::string dir, const dat::DatId& dat_id);

  bool enabled() const { return !dir_.empty(); }
  const std::string& path() const { return path_; }

  // The cached database bytes. VIGIL_ERR_IO when there is no cache file; VIGIL_ERR_CORRUPT
  // or VIGIL_ERR_UNTRUSTED (with the reason) when there is one that cannot be used.
  common::Result<std::string> read() const;
  // Stores database bytes atomically, creating the directory (mode 0700) if needed.
  common::Status write(std::string_view database) const;

 private:
  std::string dir_;
  std::string path_;
  dat::DatId dat_id_;
};

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_DB_CACHE_H_
