// Shows the scan is alive on an interactive terminal. The line lives on stderr so it never
// ends up in redirected results, is drawn through the Reporter so it shares the output mutex
// (a result line first erases it), and the thread sleeps on a condition variable so stop()
// returns at once instead of waiting out the last 250 ms tick.
#include "progress.h"

#include <unistd.h>

namespace vigil::cli {
namespace {

constexpr std::chrono::milliseconds kInterval(250);

}  // namespace

bool progress_wanted(bool json) { return !json && ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(Reporter* reporter, bool enabled)
    : reporter_(reporter), start_(std::chrono::steady_clock::now()) {
  if (enabled) thread_ = std::thread(&Progress::run, this);
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    reporter_->clear_progress();
  }
}

void Progress::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, kInterval, [&] { return stopping_; })) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    lock.unlock();
    reporter_->draw_progress(elapsed);
    lock.lock();
  }
}

}  // namespace vigil::cli
