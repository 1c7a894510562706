// The Intermediates condition of logical signatures end to end: an input nested in archives
// and compressed streams (made here with libarchive) is named by the signatures whose list of
// container types is the innermost part of its chain of containers, outermost first, with
// CL_TYPE_ANY standing for any one. The expected sets are clamscan 1.4.6's (--allmatch) on the
// same nests; every scan is also streamed in pieces, and the verdicts survive a DAT.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "archive_support.h"
#include "scan/engine_dat.h"
#include "scan_support.h"

namespace vigil {
namespace {

using testing::load;
using testing::scan;
using vigil_test::ArchiveSpec;
using vigil_test::make_archive;

const char* const kChains[] = {
    "CL_TYPE_ZIP",
    "CL_TYPE_POSIX_TAR>CL_TYPE_ZIP",
    "CL_TYPE_ANY>CL_TYPE_ZIP",
    "CL_TYPE_POSIX_TAR",
    "CL_TYPE_ANY",
    "CL_TYPE_GZ>CL_TYPE_POSIX_TAR>CL_TYPE_ZIP",
    "CL_TYPE_ZIP>CL_TYPE_ZIP",
    "CL_TYPE_ANY>CL_TYPE_ANY",
    "CL_TYPE_GZ",
    "CL_TYPE_GZ>CL_TYPE_POSIX_TAR",
    "CL_TYPE_ANY>CL_TYPE_ANY>CL_TYPE_ANY",
    "CL_TYPE_POSIX_TAR>CL_TYPE_POSIX_TAR>CL_TYPE_ZIP",
    "CL_TYPE_BZ>CL_TYPE_ZIP",
    "CL_TYPE_XZ>CL_TYPE_POSIX_TAR>CL_TYPE_ZIP",
    "CL_TYPE_ZIP>CL_TYPE_POSIX_TAR",
};

// "S<i>" for each chain above, on the marker MARK.
std::string signatures() {
  std::string out;
  for (size_t i = 0; i < std::size(kChains); ++i) {
    out += "S" + std::to_string(i) + ";Engine:81-255,Target:0,Intermediates:" + kChains[i] +
           ";0;4d41524b\n";
  }
  return out;
}

// The payload wrapped in `layers`, outermost first ("zip" deflated, "ustar", or a compression
// filter over the bytes alone), so the marker is visible in no container's own bytes but a
// tar's.
std::string nest(const std::vector<std::string>& layers) {
  std::string data;
  for (int i = 0; i < 3; ++i) data += "hello MARKabcdefgh world\n";
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    ArchiveSpec spec{*it, {}, "", ""};
    if (*it == "zip") spec.options = "zip:compression=deflate";
    if (*it != "zip" && *it != "ustar") spec = ArchiveSpec{"raw", {*it}, "", ""};
    data = make_archive(spec, {{"m", data}});
  }
  return data;
}

std::vector<std::string> names(const std::vector<uint32_t>& found) {
  std::vector<std::string> out;
  for (uint32_t i : found) out.push_back("S" + std::to_string(i) + "@-");
  std::sort(out.begin(), out.end());
  return out;
}

// The names found, each once (a signature can hold at several levels of one nest).
std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

struct Case {
  std::vector<std::string> layers;
  std::vector<uint32_t> found;
};
const Case kCases[] = {
    {{}, {}},
    {{"zip"}, {0, 4}},
    {{"ustar"}, {3, 4}},
    {{"gzip"}, {4, 8}},
    {{"ustar", "zip"}, {0, 1, 2, 4, 7}},
    {{"gzip", "ustar", "zip"}, {0, 1, 2, 4, 5, 7, 10}},
    {{"bzip2", "ustar", "zip"}, {0, 1, 2, 4, 7, 10}},
    {{"xz", "ustar", "zip"}, {0, 1, 2, 4, 7, 10, 13}},
    {{"ustar", "ustar", "zip"}, {0, 1, 2, 4, 7, 10, 11}},
    {{"zip", "zip"}, {0, 2, 4, 6, 7}},
    {{"zip", "ustar"}, {0, 3, 4, 7, 14}},
    {{"bzip2", "zip"}, {0, 2, 4, 7, 12}},
};

TEST(Intermediates, NameTheInnermostContainersAsClamAvDoes) {
  auto l = load({{"i.ldb", signatures()}});
  ASSERT_TRUE(l.engine);
  for (const sig::Diagnostic& d : l.diags) ADD_FAILURE() << d.message;
  std::unique_ptr<scan::Engine> from_dat = testing::load_from_dat({{"i.ldb", signatures()}});
  ASSERT_TRUE(from_dat);
  for (const Case& c : kCases) {
    std::string data = nest(c.layers);
    std::string what = c.layers.empty() ? "a bare file" : c.layers[0];
    for (size_t k = 1; k < c.layers.size(); ++k) what += ">" + c.layers[k];
    EXPECT_EQ(sorted(scan(*l.engine, data)), names(c.found)) << what;
    EXPECT_EQ(sorted(scan(*from_dat, data)), names(c.found)) << what << " (DAT)";
  }
}

TEST(Intermediates, LoadErrorsNameTheProblem) {
  const std::string seventeen = [] {
    std::string s = "CL_TYPE_ANY";
    for (int i = 0; i < 16; ++i) s += ">CL_TYPE_ANY";
    return s;
  }();
  struct {
    std::string chain;
    std::string error;
  } errors[] = {
      {"", "invalid Intermediates '': a container type is missing between '>'"},
      {"CL_TYPE_ZIP>",
       "invalid Intermediates 'CL_TYPE_ZIP>': a container type is missing "
       "between '>'"},
      {">CL_TYPE_ZIP",
       "invalid Intermediates '>CL_TYPE_ZIP': a container type is missing "
       "between '>'"},
      {seventeen, "invalid Intermediates '" + seventeen + "': more than 16 container types"},
  };
  for (const auto& c : errors) {
    auto l =
        load({{"i.ldb", "N;Engine:81-255,Target:0,Intermediates:" + c.chain + ";0;4d41524b\n"}});
    ASSERT_EQ(l.diags.size(), 1u) << c.chain;
    EXPECT_EQ(l.diags[0].severity, VIGIL_SEVERITY_ERROR);
    EXPECT_EQ(l.diags[0].message, c.error);
  }
  // A type this engine does not know skips the signature, as for Container.
  auto l = load({{"i.ldb",
                  "N;Engine:81-255,Target:0,Intermediates:CL_TYPE_ZIP>CL_TYPE_BOGUS;"
                  "0;4d41524b\n"}});
  ASSERT_EQ(l.diags.size(), 1u);
  EXPECT_EQ(l.diags[0].code, VIGIL_DIAG_UNSUPPORTED);
  EXPECT_EQ(l.diags[0].message,
            "skipped: container type 'CL_TYPE_BOGUS' is not one this engine knows");
  // As in ClamAV, the last Intermediates key is the one that counts, and Container is checked
  // too.
  auto both = load({{"i.ldb",
                     "Last;Engine:81-255,Target:0,Intermediates:CL_TYPE_GZ,Intermediates:"
                     "CL_TYPE_ZIP;0;4d41524b\n"
                     "Cont;Engine:81-255,Target:0,Intermediates:CL_TYPE_ANY,Container:CL_TYPE_"
                     "POSIX_TAR;0;4d41524b\n"}});
  ASSERT_TRUE(both.engine);
  EXPECT_TRUE(both.diags.empty());
  EXPECT_EQ(scan(*both.engine, nest({"zip"})), std::vector<std::string>{"Last@-"});
}

}  // namespace
}  // namespace vigil
