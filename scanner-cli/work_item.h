// The unit of work the directory walker hands to the scanning threads.
#ifndef VIGIL_SCANNER_CLI_WORK_ITEM_H_
#define VIGIL_SCANNER_CLI_WORK_ITEM_H_

#include <sys/stat.h>

#include <cstring>
#include <optional>
#include <string>

#include "reporter.h"

namespace vigil::cli {

struct WorkItem {
  std::string path;
  // Scan standard input (path is then only the name shown in the output).
  bool is_stdin = false;
  // Open through a symbolic link at the last path component (operands, --follow-symlinks).
  bool follow_symlink = false;
  // Set when the walker already knows the outcome (skipped, unreadable directory...). It still
  // travels through the queue so that with one job every line comes out in walk order.
  std::optional<FileReport> verdict;
};

// Why a file of this type is skipped rather than scanned: "fifo", "socket", ...
inline const char* unscannable_type_name(mode_t mode) {
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISLNK(mode)) return "symbolic link";
  if (S_ISDIR(mode)) return "directory";
  return "not a regular file";
}

// strerror() text for @p err, safe to call from any thread. The two overloads absorb the
// difference between the GNU (returns char*) and XSI (returns int) forms of strerror_r().
inline const char* strerror_result(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}
inline const char* strerror_result(const char* text, const char* /*buf*/) { return text; }
inline std::string errno_message(int err) {
  char buf[256] = {};
  return strerror_result(::strerror_r(err, buf, sizeof(buf)), buf);
}

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_WORK_ITEM_H_
