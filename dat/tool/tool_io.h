// What vigil-dat's commands share: reading inputs and keys, installing outputs atomically
// (after checking that the new file opens), and reporting errors with the right exit status.
#ifndef VIGIL_DAT_TOOL_TOOL_IO_H_
#define VIGIL_DAT_TOOL_TOOL_IO_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dat/container.h"
#include "dat/crypto.h"

namespace vigil::dattool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitError = 2;

// Prints "vigil-dat: <message>" to stderr and returns `code`.
int fail(const std::string& message, int code = kExitError);
int fail(const common::Status& status, int code = kExitError);

// A whole input file (DATs and deltas are read into memory; limit 4 GiB).
common::Result<std::string> read_input(const std::string& path);
// A DAT or a delta read whole; kind from its magic (a DAT unless it is a delta's).
struct ContainerFile {
  std::string bytes;
  dat::Kind kind = dat::Kind::kDat;
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(bytes.data()); }
  size_t size() const { return bytes.size(); }
};
common::Result<ContainerFile> read_container(const std::string& path);

common::Result<dat::PrivateKey> read_private_key(const std::string& path);
common::Result<dat::PublicKey> read_public_key(const std::string& path);

// Writes `bytes` to `path` through a temporary file, fsync and rename; before the rename the
// temporary is read back and must open with `check` (so a half-written or broken file never
// replaces the previous one).
common::Status install(const std::string& path, const std::string& bytes, const dat::Trust& check);

// A JSON string literal: quotes, backslashes and control characters escaped; other bytes as
// they are (signature names need not be UTF-8).
std::string json_string(std::string_view s);

// Parses a non-negative decimal number; false on anything else.
bool parse_u64(const std::string& text, uint64_t& out);

// A command line split into positional arguments and options ("--name VALUE" for the options
// listed as valued, "--name" for flags; any option may repeat). error is set for an unknown
// option or a missing value.
struct CommandLine {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;
  std::string error;

  bool has(const std::string& name) const;
  // The last value given for `name`, or nullptr.
  const std::string* value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
};
CommandLine parse_command_line(const std::vector<std::string>& args,
                               const std::vector<std::string>& valued,
                               const std::vector<std::string>& flags);

// The keys named by --trusted-key (or `option`), and --allow-unsigned, as a Trust.
common::Result<dat::Trust> trust_from(const CommandLine& cl, dat::Kind kind,
                                      const std::string& option = "--trusted-key");

}  // namespace vigil::dattool

#endif  // VIGIL_DAT_TOOL_TOOL_IO_H_
