// A bounded multi-producer multi-consumer queue. The directory walker blocks when the workers
// fall behind, so memory stays flat however many files a tree holds.
#ifndef VIGIL_SCANNER_CLI_WORK_QUEUE_H_
#define VIGIL_SCANNER_CLI_WORK_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace vigil::cli {

template <typename T>
class WorkQueue {
 public:
  explicit WorkQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Blocks while the queue is full. Returns false (dropping @p item) once close() was called.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    if (items_.size() >= capacity_ && !closed_) {
      ++waiting_producers_;
      not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
      --waiting_producers_;
    }
    if (closed_) return false;
    items_.push_back(std::move(item));
    if (waiting_consumers_ > 0) not_empty_.notify_one();
    return true;
  }

  // Blocks until an item is available; returns nullopt when the queue is closed and drained.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    if (items_.empty() && !closed_) {
      ++waiting_consumers_;
      not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
      --waiting_consumers_;
    }
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    // Wake a blocked producer only once the queue has drained to half: one wake-up per
    // capacity/2 items instead of one per item.
    if (waiting_producers_ > 0 && items_.size() <= capacity_ / 2) not_full_.notify_one();
    return item;
  }

  // No more pushes; consumers drain what is left and then see nullopt.
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  bool closed_ = false;
  size_t waiting_producers_ = 0;
  size_t waiting_consumers_ = 0;
};

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_WORK_QUEUE_H_
