// vigil-scan: the command-line scanner. main() only wires the pieces together: parse options,
// load the engine once, start one scanning thread per job, let the walker feed them, then print
// the summary and turn the totals into the exit status (0 clean, 1 found, 2 error). It talks
// to the engine only through vigil.h, like any other client.
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "engine_loader.h"
#include "options.h"
#include "progress.h"
#include "reporter.h"
#include "scan_pool.h"
#include "walker.h"

namespace {

constexpr int kExitError = 2;

int run(int argc, char** argv) {
  using vigil::cli::ParseOutcome;
  vigil::cli::Options opts;
  switch (vigil::cli::parse_options(argc, argv, &opts)) {
    case ParseOutcome::kRun:
      break;
    case ParseOutcome::kExitOk:
      return 0;
    case ParseOutcome::kUsageError:
      return kExitError;
  }

  vigil::cli::LoadedEngine loaded;
  if (!vigil::cli::load_engine(opts, &loaded)) return kExitError;

  vigil::cli::Reporter reporter(opts);
  auto scan_start = std::chrono::steady_clock::now();
  std::string error;
  std::unique_ptr<vigil::cli::ScanPool> pool =
      vigil::cli::ScanPool::start(loaded.engine.get(), opts, &reporter, &error);
  if (pool == nullptr) {
    std::fprintf(stderr, "vigil-scan: cannot allocate scratch: %s\n", error.c_str());
    return kExitError;
  }
  {
    vigil::cli::Progress progress(&reporter, vigil::cli::progress_wanted(opts.json));
    vigil::cli::Walker walker(opts, pool.get());
    for (const std::string& operand : opts.paths) walker.walk_operand(operand);
    pool->finish();
  }
  double scan_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count();

  reporter.print_summary(
      vigil::cli::SummaryInfo{loaded.signatures, loaded.load_seconds, scan_seconds});
  return vigil::cli::exit_status(reporter.totals());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil-scan: %s\n", e.what());
    return kExitError;
  }
}
