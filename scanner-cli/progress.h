// A background thread that redraws the progress line on stderr about four times a second.
#ifndef VIGIL_SCANNER_CLI_PROGRESS_H_
#define VIGIL_SCANNER_CLI_PROGRESS_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "reporter.h"

namespace vigil::cli {

class Progress {
 public:
  // Starts drawing only if @p enabled (the caller checks isatty(2) and --json).
  Progress(Reporter* reporter, bool enabled);
  // Stops the thread and erases the line.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void stop();

 private:
  void run();

  Reporter* reporter_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// True when a progress line should be shown: stderr is a terminal and output is not JSON.
bool progress_wanted(bool json);

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_PROGRESS_H_
