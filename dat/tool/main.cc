// vigil-dat: the signature author's and update server's tool. Dispatches to the subcommands
// declared in commands.h; each parses its own options.
#include <cstring>
#include <iostream>
#include <new>

#include "commands.h"
#include "tool_io.h"
#include "vigil/vigil.h"

namespace {

constexpr const char* kUsage =
    "usage: vigil-dat COMMAND [ARGS]\n"
    "\n"
    "  compile SOURCES... -o OUT.vdat --version N [--sign KEY] [--created SECONDS]\n"
    "          [--target avx2|avx512|avx512vbmi|generic|host] [--skip-bad-signatures]\n"
    "          [--unofficial-suffix]        build a DAT from signature files or directories\n"
    "  info FILE [--json]                   describe a DAT or delta (checksums are checked)\n"
    "  verify FILE --key PUB [--key PUB]... check the signature and every checksum\n"
    "  keygen -o PREFIX [--force]           write an Ed25519 key: PREFIX and PREFIX.pub\n"
    "  sign FILE --key KEY [-o OUT]         sign a DAT or delta (in place unless -o)\n"
    "  diff OLD NEW [--json]                signatures added, removed and changed, by name\n"
    "  delta OLD NEW -o OUT.vdelta [--sign KEY]\n"
    "                                       write an incremental update from OLD to NEW\n"
    "  apply OLD DELTA -o NEW               rebuild NEW from OLD and a delta\n"
    "\n"
    "diff, delta and apply take --trusted-key PUB (repeatable) and --allow-unsigned.\n"
    "Exit status: 0 success, 1 a check failed, 2 usage, input or I/O error.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil::dattool;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitError;
  }
  std::string cmd = argv[1];
  Args args(argv + 2, argv + argc);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (cmd == "--version") {
    std::cout << "vigil-dat " << VIGIL_VERSION_STRING << "\n";
    return kExitOk;
  }
  struct Command {
    const char* name;
    int (*run)(const Args&);
  };
  static constexpr Command kCommands[] = {
      {"compile", cmd_compile}, {"info", cmd_info}, {"verify", cmd_verify}, {"keygen", cmd_keygen},
      {"sign", cmd_sign},       {"diff", cmd_diff}, {"delta", cmd_delta},   {"apply", cmd_apply},
  };
  for (const Command& c : kCommands) {
    if (cmd != c.name) continue;
    try {
      return c.run(args);
    } catch (const std::bad_alloc&) {
      std::cerr << "vigil-dat: out of memory\n";
      return kExitError;
    }
  }
  std::cerr << "vigil-dat: unknown command '" << cmd << "'\n" << kUsage;
  return kExitError;
}
