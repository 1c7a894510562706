// The scanning threads: one shared immutable engine, one vigil_scratch per thread, fed by a
// bounded queue of WorkItems, reporting every outcome to the Reporter.
#ifndef VIGIL_SCANNER_CLI_SCAN_POOL_H_
#define VIGIL_SCANNER_CLI_SCAN_POOL_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_loader.h"
#include "options.h"
#include "reporter.h"
#include "work_item.h"
#include "work_queue.h"

namespace vigil::cli {

class ScanPool {
 public:
  // Makes opts.jobs scratches and starts the threads. Returns nullptr and sets @p error if a
  // scratch cannot be made. @p engine and @p reporter must outlive the pool.
  static std::unique_ptr<ScanPool> start(const vigil_engine* engine, const Options& opts,
                                         Reporter* reporter, std::string* error);
  ~ScanPool();
  ScanPool(const ScanPool&) = delete;
  ScanPool& operator=(const ScanPool&) = delete;

  // Queues one file; blocks while the queue is full.
  void submit(WorkItem item);
  // Waits until every queued item has been scanned and the threads have exited.
  void finish();

 private:
  ScanPool(const vigil_engine* engine, const Options& opts, Reporter* reporter);
  void run_worker(vigil_scratch* scratch);
  FileReport scan_item(vigil_scratch* scratch, const WorkItem& item) const;

  const vigil_engine* engine_;
  const uint32_t scan_flags_;
  const uint64_t max_filesize_;
  Reporter* reporter_;
  WorkQueue<WorkItem> queue_;
  std::vector<ScratchPtr> scratches_;
  std::vector<std::thread> threads_;
};

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_SCAN_POOL_H_
