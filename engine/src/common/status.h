// Status and Result<T>: how errors travel inside the engine. The api module maps a Status onto
// the public vigil_status enum; nothing inside throws for expected failures.
#ifndef VIGIL_COMMON_STATUS_H_
#define VIGIL_COMMON_STATUS_H_

#include <optional>
#include <string>
#include <utility>

#include "vigil/vigil.h"

namespace vigil::common {

class Status {
 public:
  Status() = default;
  Status(vigil_status code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == VIGIL_OK; }
  vigil_status code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  vigil_status code_ = VIGIL_OK;
  std::string message_;
};

// A value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool is_ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T&& take() { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

// "errno text" for the calling thread's errno, thread-safe.
std::string errno_text(int err);

}  // namespace vigil::common

#endif  // VIGIL_COMMON_STATUS_H_
