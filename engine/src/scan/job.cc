// Job: the state one scan shares across container levels (see job.h), and the alerts it
// raises for what it could not scan.
#include "scan/job.h"

namespace vigil::scan {

Job::Job(const Engine& e, Scratch& s, uint32_t f, Callback c)
    : engine(e), scratch(s), flags(f), cb(c) {
  info.struct_size = sizeof info;
  const Limits& limits = s.limits;
  deadline = limits.max_scan_time_ms == 0 ? std::chrono::steady_clock::time_point::max()
                                          : std::chrono::steady_clock::now() +
                                                std::chrono::milliseconds(limits.max_scan_time_ms);
  budget = limits.max_scan_size == 0 ? UINT64_MAX : limits.max_scan_size;
  // Counts a failed earlier scan may have left (an allocation failure mid-scan) are not this
  // input's: forgetting them costs only what they touched.
  e.logical.reset(s.logical);
  s.logical.limited = 0;
}

// A compressed stream's bytes have no name of their own (they stand for the file), so they
// add a level but no path component.
void Job::push(const std::string& name) {
  names.push_back(name);
  rebuild_path();
}

void Job::pop() {
  names.pop_back();
  rebuild_path();
}

void Job::rebuild_path() {
  path.clear();
  for (const std::string& n : names) {
    if (!n.empty()) path.push_back(n.c_str());
  }
}

void Job::add(const vigil_scan_result& level, bool callback_stopped) {
  result.detections += level.detections;
  result.incomplete += level.incomplete;
  if (callback_stopped || (!all() && result.detections != 0)) stop = true;
}

void Job::unscanned(uint32_t alert_flag, const std::string& name) {
  ++result.incomplete;
  if ((flags & alert_flag) == 0 || stop) return;
  ++result.detections;
  if (const Callback c = here(); c.fn != nullptr) {
    vigil_match m{
        name.c_str(), VIGIL_SIGNATURE_ID_NONE, VIGIL_SIG_HEURISTIC, VIGIL_OFFSET_NONE, c.path,
        c.depth};
    if (c.fn(&m, c.user) != 0) stop = true;
  }
  if (!all()) stop = true;
}

void Job::exceeded(uint32_t limit_bit, const char* limit_name) {
  bool first = (info.limits_exceeded & limit_bit) == 0;
  info.limits_exceeded |= limit_bit;
  if (first) {
    unscanned(VIGIL_SCAN_ALERT_EXCEEDS_MAX,
              std::string("Heuristics.Limits.Exceeded.") + limit_name);
  } else {
    ++result.incomplete;
  }
}

void Job::broken(const char* name) {
  ++info.broken;
  unscanned(VIGIL_SCAN_ALERT_BROKEN, name);
}

Callback Job::here() const {
  Callback c = cb;
  c.path = path.empty() ? nullptr : path.data();
  c.depth = static_cast<uint32_t>(path.size());
  return c;
}

bool Job::out_of_time() {
  if (std::chrono::steady_clock::now() < deadline) return false;
  if (!timed_out) exceeded(VIGIL_LIMIT_SCAN_TIME, "MaxScanTime");
  timed_out = true;
  return true;
}

void Job::finish(vigil_scan_result& out, bool allowlisted, uint64_t input_size) {
  // Member buffers are kept for the next scan only while small: a scratch must not hold on
  // to the largest members it ever unpacked, one per depth.
  for (std::unique_ptr<Stream>& s : scratch.members) {
    if (s && s->data.capacity() > kMemberKeepCapacity) std::vector<uint8_t>().swap(s->data);
  }
  if (allowlisted) {
    result = vigil_scan_result{};
    result.allowlisted = 1;
    result.bytes_scanned = input_size;
  }
  out = result;
  info.bytes_scanned = result.bytes_scanned;
  scratch.last_info = info;
}

}  // namespace vigil::scan
