// For tests of one container format through the public API: a fixture that loads signature
// sources and scans bytes, keeping each detection's member path; and ClamAV's own test files,
// scanned with ClamAV's unit-test hash database.
#ifndef VIGIL_TESTS_API_MEMBER_SUPPORT_H_
#define VIGIL_TESTS_API_MEMBER_SUPPORT_H_

#include <sys/stat.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api_support.h"

namespace vigil_test {

struct Found {
  std::string name;
  std::vector<std::string> path;  // the member path, outermost first ({} for the input itself)
  vigil_sig_kind kind = VIGIL_SIG_BODY;
};
using Paths = std::vector<std::vector<std::string>>;

// Whether any detection in `found` is named `name`.
inline bool any_named(const std::vector<Found>& found, const std::string& name) {
  for (const Found& f : found) {
    if (f.name == name) return true;
  }
  return false;
}

inline int collect_found(const vigil_match* m, void* user) {
  Found f{m->name, {}, m->kind};
  for (uint32_t i = 0; i < m->path_depth; ++i) f.path.emplace_back(m->path[i]);
  static_cast<std::vector<Found>*>(user)->push_back(std::move(f));
  return 0;
}

class MemberScan : public ::testing::Test {
 protected:
  void use(const std::vector<std::pair<std::string, std::string>>& sources) {
    loaded_ = load(sources);
    ASSERT_EQ(loaded_.status, VIGIL_OK);
    vigil_scratch* raw = nullptr;
    ASSERT_EQ(vigil_scratch_new(loaded_.engine.get(), &raw), VIGIL_OK);
    scratch_.reset(raw);
  }

  // The detections of a scan with `flags`, and its result in `result` when given.
  std::vector<Found> scan_with(const std::string& data, uint32_t flags,
                               vigil_scan_result* result = nullptr) {
    std::vector<Found> found;
    vigil_scan_result r{};
    EXPECT_EQ(vigil_scan_buffer(loaded_.engine.get(), scratch_.get(), data.data(), data.size(),
                                flags, collect_found, &found, &r),
              VIGIL_OK);
    if (result != nullptr) *result = r;
    return found;
  }

  // Every detection (VIGIL_SCAN_ALLMATCH).
  std::vector<Found> scan(const std::string& data, vigil_scan_result* result = nullptr) {
    return scan_with(data, VIGIL_SCAN_ALLMATCH, result);
  }

  // The member paths of the detections, in the order they came.
  Paths paths(const std::string& data) {
    Paths out;
    for (const Found& f : scan(data)) out.push_back(f.path);
    return out;
  }

  vigil_scan_info info() {
    vigil_scan_info i{};
    i.struct_size = sizeof i;
    EXPECT_EQ(vigil_scratch_get_scan_info(scratch_.get(), &i), VIGIL_OK);
    return i;
  }

  // The default limits, as `edit` changes them.
  void set_limits(void (*edit)(vigil_scan_limits&)) {
    vigil_scan_limits l{};
    l.struct_size = sizeof l;
    ASSERT_EQ(vigil_scan_limits_default(&l), VIGIL_OK);
    edit(l);
    ASSERT_EQ(vigil_scratch_set_limits(scratch_.get(), &l), VIGIL_OK);
  }

  Load loaded_;
  Scratch scratch_;
};

// /usr/share/clamav-testfiles/`name` scanned with ClamAV's unit-test clamav.hdb (the test file
// clam.exe's hash), every detection; nullopt, with the reason in `absent`, when either file is
// missing (../shared or the clamav-testfiles package).
inline std::optional<std::vector<Found>> scan_clamav_testfile(const std::string& name,
                                                              std::string& absent) {
  const std::string sigs =
      std::string(VIGIL_SHARED_DIR) + "/sigdata/clamav-unit-test-sigs/unit_tests/input/clamav.hdb";
  const std::string file = "/usr/share/clamav-testfiles/" + name;
  struct stat st;
  if (stat(sigs.c_str(), &st) != 0) {
    absent = sigs + " absent (needs ../shared)";
    return std::nullopt;
  }
  if (stat(file.c_str(), &st) != 0) {
    absent = file + " absent (apt-get install clamav-testfiles)";
    return std::nullopt;
  }
  Load l = load({}, {sigs}, VIGIL_LOAD_UNOFFICIAL_SUFFIX);
  EXPECT_EQ(l.status, VIGIL_OK);
  vigil_scratch* raw = nullptr;
  EXPECT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  Scratch scratch(raw);
  std::vector<Found> found;
  EXPECT_EQ(vigil_scan_file(l.engine.get(), scratch.get(), file.c_str(), VIGIL_SCAN_ALLMATCH,
                            collect_found, &found, nullptr),
            VIGIL_OK);
  return found;
}

}  // namespace vigil_test

#endif  // VIGIL_TESTS_API_MEMBER_SUPPORT_H_
