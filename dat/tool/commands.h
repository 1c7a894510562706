// vigil-dat's subcommands. Each takes the arguments after its name and returns the exit
// status: 0 success, 1 a check failed (verify found a bad signature or checksum, apply was
// refused), 2 a usage, input or I/O error. Messages go to stderr prefixed "vigil-dat: ".
#ifndef VIGIL_DAT_TOOL_COMMANDS_H_
#define VIGIL_DAT_TOOL_COMMANDS_H_

#include <string>
#include <vector>

namespace vigil::dattool {

using Args = std::vector<std::string>;

int cmd_compile(const Args& args);  // cmd_build.cc
int cmd_keygen(const Args& args);
int cmd_sign(const Args& args);
int cmd_info(const Args& args);  // cmd_inspect.cc
int cmd_verify(const Args& args);
int cmd_diff(const Args& args);  // cmd_update.cc
int cmd_delta(const Args& args);
int cmd_apply(const Args& args);

}  // namespace vigil::dattool

#endif  // VIGIL_DAT_TOOL_COMMANDS_H_
