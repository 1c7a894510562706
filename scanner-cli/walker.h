// Turns the command-line operands into WorkItems: stats operands, walks directories with -r,
// applies --exclude/--include and the symlink policy, and queues a verdict for what it skips
// or cannot read.
#ifndef VIGIL_SCANNER_CLI_WALKER_H_
#define VIGIL_SCANNER_CLI_WALKER_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "options.h"
#include "reporter.h"
#include "scan_pool.h"

namespace vigil::cli {

class Walker {
 public:
  // @p opts and @p pool must outlive the walker.
  Walker(const Options& opts, ScanPool* pool);

  // Handles one operand: "-" (stdin), a file, or a directory. Blocks while the queue is full.
  void walk_operand(const std::string& operand);

 private:
  using DirId = std::pair<dev_t, ino_t>;

  void walk_directory(int dir_fd, const std::string& path, std::vector<DirId>* ancestors);
  void visit_entry(int dir_fd, const std::string& path, const std::string& name,
                   unsigned char d_type, std::vector<DirId>* ancestors);
  bool is_excluded(const std::string& path, const std::string& base) const;
  bool is_included(const std::string& path, const std::string& base) const;
  void report_error(const std::string& path, const std::string& message);
  void report_skip(const std::string& path, const std::string& reason);
  // Queues an outcome decided here, so it is printed in walk order with the scan results.
  void submit_verdict(const std::string& path, FileStatus status, const std::string& message);

  const Options& opts_;
  ScanPool* pool_;
};

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_WALKER_H_
