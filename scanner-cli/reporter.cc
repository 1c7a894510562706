// Formats and prints scan results. Each file's lines are built first and written with one
// fwrite while the mutex is held, so lines from worker threads never interleave and a file's
// FOUND lines stay together. The text form follows clamscan ("PATH: NAME FOUND", "PATH: OK",
// "PATH: REASON ERROR") so existing log parsers keep working; the JSON form is one object per
// line so it can be streamed.
#include "reporter.h"

#include <cstdio>

#include "json_escape.h"

namespace vigil::cli {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

const char* status_name(FileStatus status) {
  switch (status) {
    case FileStatus::kClean:
      return "clean";
    case FileStatus::kInfected:
      return "infected";
    case FileStatus::kError:
      return "error";
    case FileStatus::kSkipped:
      return "skipped";
  }
  return "error";
}

std::string format_double(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

double throughput_mb_s(uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / kMiB / seconds : 0.0;
}

}  // namespace

namespace {

// A member's name comes from the archive, so it may hold any byte: control characters are
// written as \xNN (and a backslash as \\), so a name cannot forge or break a line of output.
void append_member_name(std::string& out, const std::string& name) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += '\\';
      if (c == '\\') {
        out += '\\';
      } else {
        out += 'x';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace

std::vector<std::string> limit_names(uint32_t bits) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {VIGIL_LIMIT_RECURSION, "MaxRecursion"}, {VIGIL_LIMIT_FILES, "MaxFiles"},
      {VIGIL_LIMIT_SCAN_SIZE, "MaxScanSize"},  {VIGIL_LIMIT_FILE_SIZE, "MaxFileSize"},
      {VIGIL_LIMIT_RATIO, "MaxRatio"},         {VIGIL_LIMIT_SCAN_TIME, "MaxScanTime"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames) {
    if ((bits & bit) != 0) out.emplace_back(name);
  }
  return out;
}

Reporter::Reporter(const Options& opts)
    : json_(opts.json),
      infected_only_(opts.infected_only),
      verbose_(opts.verbose),
      no_summary_(opts.no_summary) {}

std::string Reporter::format_text(const FileReport& r) const {
  std::string out;
  switch (r.status) {
    case FileStatus::kInfected:
      for (const Detection& d : r.detections) {
        out += r.path;
        for (const std::string& m : d.members) {
          out += '/';
          append_member_name(out, m);
        }
        out += ": " + d.name + " FOUND\n";
      }
      break;
    case FileStatus::kClean:
      if (!infected_only_) out = r.path + ": OK\n";
      break;
    case FileStatus::kError:
      if (!infected_only_) out = r.path + ": " + r.message + " ERROR\n";
      break;
    case FileStatus::kSkipped:
      if (verbose_ && !infected_only_) out = r.path + ": SKIPPED (" + r.message + ")\n";
      break;
  }
  return out;
}

std::string Reporter::format_json(const FileReport& r) const {
  if (infected_only_ && r.status != FileStatus::kInfected) return {};
  std::string out = "{\"path\":";
  append_json_string(&out, r.path);
  out += ",\"status\":\"";
  out += status_name(r.status);
  out += "\",\"detections\":[";
  for (size_t i = 0; i < r.detections.size(); ++i) {
    const Detection& d = r.detections[i];
    if (i != 0) out += ',';
    out += "{\"name\":";
    append_json_string(&out, d.name);
    out += ",\"offset\":";
    out += d.offset == VIGIL_OFFSET_NONE ? "null" : std::to_string(d.offset);
    out += ",\"kind\":";
    out += d.kind == VIGIL_SIG_HASH        ? "\"hash\""
           : d.kind == VIGIL_SIG_HEURISTIC ? "\"heuristic\""
                                           : "\"body\"";
    out += ",\"path\":[";
    append_json_string(&out, r.path);
    for (const std::string& m : d.members) {
      out += ',';
      append_json_string(&out, m);
    }
    out += "]}";
  }
  out += ']';
  if (r.status == FileStatus::kError) {
    out += ",\"error\":";
    append_json_string(&out, r.message);
  } else if (r.status == FileStatus::kSkipped) {
    out += ",\"reason\":";
    append_json_string(&out, r.message);
  }
  if (r.allowlisted) out += ",\"allowlisted\":true";
  if (r.incomplete != 0) out += ",\"incomplete\":true";
  if (r.limits_exceeded != 0) {
    out += ",\"limits_exceeded\":[";
    std::vector<std::string> names = limit_names(r.limits_exceeded);
    for (size_t i = 0; i < names.size(); ++i) {
      if (i != 0) out += ',';
      append_json_string(&out, names[i]);
    }
    out += ']';
  }
  if (r.encrypted != 0) out += ",\"encrypted_members\":" + std::to_string(r.encrypted);
  if (r.broken != 0) out += ",\"broken_archives\":" + std::to_string(r.broken);
  out += "}\n";
  return out;
}

void Reporter::report(const FileReport& r) {
  std::string line = json_ ? format_json(r) : format_text(r);
  std::lock_guard<std::mutex> lock(mu_);
  switch (r.status) {
    case FileStatus::kClean:
      ++totals_.scanned_files;
      break;
    case FileStatus::kInfected:
      ++totals_.scanned_files;
      ++totals_.infected_files;
      break;
    case FileStatus::kError:
      ++totals_.errors;
      break;
    case FileStatus::kSkipped:
      ++totals_.skipped_files;
      break;
  }
  totals_.bytes_scanned += r.bytes_scanned;
  if (r.incomplete != 0 && !json_) {
    clear_progress_locked();
    std::string why;
    for (const std::string& name : limit_names(r.limits_exceeded)) {
      why += (why.empty() ? "" : "; ") + std::string("limit ") + name + " exceeded";
    }
    if (r.encrypted != 0) {
      why += (why.empty() ? "" : "; ") + std::to_string(r.encrypted) + " encrypted member(s)";
    }
    if (r.broken != 0) {
      why += (why.empty() ? "" : "; ") + std::to_string(r.broken) + " unreadable archive(s)";
    }
    if (why.empty()) why = "candidate match(es) abandoned at the engine's step limit";
    std::fprintf(stderr,
                 "vigil-scan: warning: %s: not fully scanned (%s); a detection may have been "
                 "missed\n",
                 r.path.c_str(), why.c_str());
  }
  if (line.empty()) return;
  clear_progress_locked();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

Totals Reporter::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

void Reporter::draw_progress(double elapsed_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  double mb = static_cast<double>(totals_.bytes_scanned) / kMiB;
  char line[160];
  int n = std::snprintf(line, sizeof(line), "\rScanning: %llu files, %.2f MB, %.2f MB/s\033[K",
                        static_cast<unsigned long long>(totals_.scanned_files), mb,
                        throughput_mb_s(totals_.bytes_scanned, elapsed_seconds));
  if (n > 0) std::fwrite(line, 1, static_cast<size_t>(n), stderr);
  std::fflush(stderr);
  progress_shown_ = true;
}

void Reporter::clear_progress() {
  std::lock_guard<std::mutex> lock(mu_);
  clear_progress_locked();
}

void Reporter::clear_progress_locked() {
  if (!progress_shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  progress_shown_ = false;
}

void Reporter::print_summary(const SummaryInfo& info) {
  if (no_summary_) return;
  Totals t = totals();
  double mb = static_cast<double>(t.bytes_scanned) / kMiB;
  double rate = throughput_mb_s(t.bytes_scanned, info.scan_seconds);
  std::string out;
  if (json_) {
    out = "{\"summary\":{\"signatures_loaded\":" + std::to_string(info.signatures) +
          ",\"scanned_files\":" + std::to_string(t.scanned_files) +
          ",\"infected_files\":" + std::to_string(t.infected_files) +
          ",\"skipped_files\":" + std::to_string(t.skipped_files) +
          ",\"errors\":" + std::to_string(t.errors) +
          ",\"data_scanned_bytes\":" + std::to_string(t.bytes_scanned) +
          ",\"data_scanned_mb\":" + format_double("%.2f", mb) +
          ",\"load_time_s\":" + format_double("%.3f", info.load_seconds) +
          ",\"scan_time_s\":" + format_double("%.3f", info.scan_seconds) +
          ",\"throughput_mb_s\":" + format_double("%.2f", rate) + "}}\n";
  } else {
    out = "\n----------- SCAN SUMMARY -----------\n";
    out += "Signatures loaded: " + std::to_string(info.signatures) + "\n";
    out += "Scanned files: " + std::to_string(t.scanned_files) + "\n";
    out += "Infected files: " + std::to_string(t.infected_files) + "\n";
    out += "Skipped files: " + std::to_string(t.skipped_files) + "\n";
    out += "Errors: " + std::to_string(t.errors) + "\n";
    out += "Data scanned: " + format_double("%.2f", mb) + " MB\n";
    out += "Load time: " + format_double("%.3f", info.load_seconds) + " s\n";
    out += "Scan time: " + format_double("%.3f", info.scan_seconds) + " s\n";
    out += "Throughput: " + format_double("%.2f", rate) + " MB/s\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  clear_progress_locked();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

int exit_status(const Totals& totals) {
  if (totals.infected_files > 0) return 1;
  if (totals.errors > 0) return 2;
  return 0;
}

}  // namespace vigil::cli
