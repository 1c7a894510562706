// ClamAV's signature containers: a .cvd (a 512-byte text header, then a gzip'd tar of database
// files) and a .cld (the same, rewritten by incremental updates, its tar usually left plain).
// unpack_cvd() verifies one and hands back the members this engine reads as in-memory Sources;
// read_cvd_source() is the loader's entry, turning a container into members plus diagnostics.
#ifndef VIGIL_SIG_CVD_H_
#define VIGIL_SIG_CVD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sig/diagnostic.h"
#include "sig/signature_set.h"

namespace vigil::sig {

inline constexpr size_t kCvdHeaderSize = 512;
// Bounds on what one container may unpack to: all members' bytes together, and their number
// (ClamAV's own containers hold a few dozen members and a few hundred MiB).
inline constexpr uint64_t kMaxCvdUnpackedBytes = uint64_t{1} << 31;  // 2 GiB
inline constexpr size_t kMaxCvdMembers = 1024;

// "ClamAV-VDB:<build time>:<version>:<signatures>:<flevel>:<MD5>:<digital signature>:<builder>:
// <build time in seconds>", padded to 512 bytes with spaces.
struct CvdHeader {
  std::string build_time;  // as written, e.g. "22 Jun 2021 20-40 -0400"
  uint32_t version = 0;
  uint64_t signatures = 0;
  uint32_t flevel = 0;  // the functionality level the container needs
  std::string md5;      // of the archive part (a .cvd's; stale in a .cld)
  std::string dsig;     // ClamAV's RSA signature of the MD5: kept, not verified (see cvd.cc)
  std::string builder;
  uint64_t build_secs = 0;
};

// Parses the first 512 bytes of `bytes`. Errors (VIGIL_ERR_CORRUPT) start "CVD header: ".
common::Result<CvdHeader> parse_cvd_header(std::string_view bytes);

// True for names ending in ".cvd" or ".cld".
bool is_cvd_name(std::string_view name);

// Members of the archive that are signature sources (name = "<container>/<member>"), in archive
// order; other members are skipped, and their "<container>/<member>" names appended to
// `skipped` when it is given (COPYING and the .info manifest are not listed). A .cvd must match
// its header's MD5; a .cld (whose name ends in ".cld") must carry a .info manifest; and every
// database member must match its size and SHA256 in the .info whenever one is present. Errors
// name the container: VIGIL_ERR_CORRUPT (bad header, MD5 or manifest mismatch, damaged archive,
// a member that is not a regular file or whose name is not a plain file name), VIGIL_ERR_LIMIT
// (over kMaxCvdUnpackedBytes or kMaxCvdMembers), VIGIL_ERR_NOMEM.
common::Result<std::vector<Source>> unpack_cvd(std::string_view bytes,
                                               std::string_view display_name,
                                               CvdHeader* header = nullptr,
                                               std::vector<std::string>* skipped = nullptr);

// Reads a .cvd/.cld source (a path or in-memory) for load_sources(): returns its signature
// members and appends to `diags` an error when the container is unusable, a warning when it
// needs a newer functionality level than kEngineFlevel, and a warning per skipped member.
std::vector<Source> read_cvd_source(const Source& source, Diagnostics& diags);

}  // namespace vigil::sig

#endif  // VIGIL_SIG_CVD_H_
