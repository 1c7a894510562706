// Command-line options of vigil-scan: one plain struct filled once by parse_options() and then
// only read, so every other part of the tool can take it by const reference.
#ifndef VIGIL_SCANNER_CLI_OPTIONS_H_
#define VIGIL_SCANNER_CLI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/vigil.h"

namespace vigil::cli {

inline vigil_scan_limits default_limits() {
  vigil_scan_limits l{};
  l.struct_size = sizeof l;
  vigil_scan_limits_default(&l);
  return l;
}

struct Options {
  // Signature sources or a DAT (-d); empty means VIGIL_DATABASE or the bundled default DAT.
  std::vector<std::string> databases;
  std::vector<std::string> trusted_keys;  // public key files (--trusted-key)
  bool allow_unsigned = false;
  std::string cache_dir;  // empty: the default
  bool no_cache = false;
  bool skip_bad_signatures = false;
  bool unofficial_suffix = false;
  bool verbose = false;

  bool recursive = false;
  bool follow_symlinks = false;
  std::vector<std::string> excludes;
  std::vector<std::string> includes;
  // Files larger than this many bytes are skipped; 0 means no limit.
  uint64_t max_filesize = 0;
  unsigned jobs = 1;
  // Archive limits (--max-*), defaults from the engine; and VIGIL_SCAN_* flags
  // (--no-archive, --alert-*; --allmatch is added by the scanner).
  vigil_scan_limits limits = default_limits();
  uint32_t scan_flags = 0;

  bool infected_only = false;
  bool allmatch = false;
  bool no_summary = false;
  bool json = false;

  // Operands; "-" is standard input.
  std::vector<std::string> paths;
};

enum class ParseOutcome {
  kRun,         // options are valid; scan
  kExitOk,      // --help or --version was handled; exit 0
  kUsageError,  // a message and the usage were printed to stderr; exit 2
};

// Parses argv with getopt_long. Prints --help/--version output to stdout and usage errors to
// stderr itself.
ParseOutcome parse_options(int argc, char** argv, Options* out);

// Parses a size such as "4096", "10K", "5M" or "1G" (binary multiples). Returns false on
// malformed input or overflow.
bool parse_size(const std::string& text, uint64_t* out);

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_OPTIONS_H_
