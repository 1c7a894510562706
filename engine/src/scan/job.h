// One scan of one input through every container level (internal to the scan module). The job
// carries what the levels share: the caller's callback and the member path it is told, the
// totals, the limits still left (bytes, time), and whether to stop. scanner.cc scans a level's
// bytes; containers.cc opens containers and streams their members.
#ifndef VIGIL_SCAN_JOB_H_
#define VIGIL_SCAN_JOB_H_

#include <chrono>
#include <string>
#include <vector>

#include "scan/scanner.h"

namespace vigil::scan {

// The alerts for a container that cannot be read to its end: an archive's, and a fat Mach-O's
// (ClamAV names a bad universal binary as it names a bad executable).
inline constexpr const char* kBrokenArchive = "Heuristics.Broken.Archive";
inline constexpr const char* kBrokenExecutable = "Heuristics.Broken.Executable";

// Member buffers larger than this are released at the end of a scan.
inline constexpr uint64_t kMemberKeepCapacity = uint64_t{1} << 20;

struct Job {
  Job(const Engine& engine, Scratch& scratch, uint32_t flags, Callback cb);

  const Engine& engine;
  Scratch& scratch;
  uint32_t flags;
  Callback cb;                 // the caller's; path and depth follow the level scanned
  vigil_scan_result result{};  // totals over every level
  vigil_scan_info info{};
  std::chrono::steady_clock::time_point deadline;
  uint64_t budget;         // member bytes still allowed (max_scan_size)
  bool stop = false;       // the callback asked to stop, or first-match mode found one
  bool leaf = false;       // the member being scanned is a leaf (unpack::Member::leaf): no descent
  bool timed_out = false;  // out of scan time: no more members, but every level's own bytes
                           // are still scanned
  std::vector<std::string> names;  // the member path of the level being scanned
  std::vector<const char*> path;
  std::vector<sig::ContainerType> parents;  // the containers holding the level being scanned,
                                            // outermost first

  bool all() const { return (flags & VIGIL_SCAN_ALLMATCH) != 0; }
  void push(const std::string& name);
  void pop();
  void rebuild_path();
  // Adds one level's result to the totals and decides whether to stop.
  void add(const vigil_scan_result& level, bool callback_stopped);
  // An event that leaves part of the input unscanned: counted in `incomplete`, and reported
  // as a detection named `name` when `alert_flag` is set.
  void unscanned(uint32_t alert_flag, const std::string& name);
  void exceeded(uint32_t limit_bit, const char* limit_name);
  // A container that cannot be read to its end (reported as `name` when alerted).
  void broken(const char* name);
  // The caller's callback, told the member path of the level being scanned.
  Callback here() const;
  bool out_of_time();
  // The totals, and the scratch's record of this scan. An allowlisted input is clean and
  // counts as scanned in full.
  void finish(vigil_scan_result& out, bool allowlisted, uint64_t input_size);
};

// Scans a member whose bytes are all in `stream` (prefiltered as they came) as level
// `depth`: allowlist, its own members, its bytes (scanner.cc). Sets `allowlisted`.
common::Status scan_member(Job& job, Stream& stream, uint32_t depth, bool& allowlisted);
// Descends into data[0, size) if it is a container: its members are level `depth`
// (containers.cc). Never fails for a bad container (that is counted and scanning goes on);
// fails only for the engine's own errors (memory, backend).
common::Status descend(Job& job, const uint8_t* data, uint64_t size, uint32_t depth);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_JOB_H_
