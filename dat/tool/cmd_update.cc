// vigil-dat diff, delta and apply: arriving next (the commands report a usage error meanwhile).
#include "commands.h"
#include "tool_io.h"

namespace vigil::dattool {

int cmd_diff(const Args&) { return fail("diff is not available in this build"); }
int cmd_delta(const Args&) { return fail("delta is not available in this build"); }
int cmd_apply(const Args&) { return fail("apply is not available in this build"); }

}  // namespace vigil::dattool
