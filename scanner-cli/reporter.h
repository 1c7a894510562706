// The one place vigil-scan writes results: per-file lines (text or JSON), the running totals,
// the progress line and the final summary, all behind one mutex so output never interleaves.
#ifndef VIGIL_SCANNER_CLI_REPORTER_H_
#define VIGIL_SCANNER_CLI_REPORTER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "options.h"
#include "vigil/vigil.h"

namespace vigil::cli {

enum class FileStatus { kClean, kInfected, kError, kSkipped };

struct Detection {
  std::string name;
  vigil_sig_kind kind = VIGIL_SIG_BODY;
  uint64_t offset = VIGIL_OFFSET_NONE;
  std::vector<std::string> members;  // where inside archives (vigil_match.path)
};

// What happened to one file (or to stdin, or to a directory that could not be read).
struct FileReport {
  std::string path;
  FileStatus status = FileStatus::kClean;
  std::vector<Detection> detections;
  // The error text (kError) or the reason a file was not scanned (kSkipped).
  std::string message;
  bool allowlisted = false;
  uint64_t bytes_scanned = 0;
  // Parts the verdict does not cover (vigil_scan_result.incomplete), and why.
  uint32_t incomplete = 0;
  uint32_t limits_exceeded = 0;  // VIGIL_LIMIT_* bits
  uint32_t encrypted = 0;        // encrypted archive members
  uint32_t broken = 0;           // archives that could not be read to their end
};

// "MaxFileSize, MaxRatio" for VIGIL_LIMIT_* bits.
std::vector<std::string> limit_names(uint32_t bits);

struct Totals {
  uint64_t scanned_files = 0;  // scanned to the end, clean or infected
  uint64_t infected_files = 0;
  uint64_t skipped_files = 0;
  uint64_t errors = 0;
  uint64_t bytes_scanned = 0;
};

struct SummaryInfo {
  uint64_t signatures = 0;
  double load_seconds = 0;
  double scan_seconds = 0;
};

class Reporter {
 public:
  explicit Reporter(const Options& opts);
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Counts @p report and prints its line(s). Thread-safe.
  void report(const FileReport& report);
  Totals totals() const;

  // Redraws the "\r"-updated progress line on stderr. Thread-safe.
  void draw_progress(double elapsed_seconds);
  // Erases the progress line if one is shown. Thread-safe.
  void clear_progress();

  // Prints the summary (text or JSON) unless --no-summary. Call after all reports.
  void print_summary(const SummaryInfo& info);

 private:
  std::string format_text(const FileReport& report) const;
  std::string format_json(const FileReport& report) const;
  void clear_progress_locked();

  const bool json_;
  const bool infected_only_;
  const bool verbose_;
  const bool no_summary_;

  mutable std::mutex mu_;
  Totals totals_;
  bool progress_shown_ = false;
};

// Exit status for a finished scan: 1 if anything was found, else 2 if anything failed, else 0.
int exit_status(const Totals& totals);

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_REPORTER_H_
