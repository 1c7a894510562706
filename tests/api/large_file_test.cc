// Files over 4 GiB: a sparse file with one signature just past the 4 GiB mark and another at
// the very end must both be found, through the mapped-file path. Labelled slow.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "api_support.h"

namespace {

TEST(LargeFile, MatchesBeyondFourGiB) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/vigil-large-" + std::to_string(getpid());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const off_t past4g = (off_t{1} << 32) + 12345;
  const off_t size = (off_t{1} << 32) + (off_t{1} << 28);
  ASSERT_EQ(ftruncate(fd, size), 0);
  ASSERT_EQ(pwrite(fd, "BEYOND-4GIB-MARK", 16, past4g), 16);
  ASSERT_EQ(pwrite(fd, "TAIL-OF-BIG-FILE", 16, size - 16), 16);
  ASSERT_EQ(pwrite(fd, "ABHEAD", 6, 0), 6);
  close(fd);

  auto l = vigil_test::load({{"big.ndb",
                              "Big.Beyond:0:*:4245594f4e442d344749422d4d41524b\n"
                              "Big.Tail:0:EOF-16:5441494c2d4f462d4249472d46494c45\n"
                              // anchored at 0, its fragment more than 4 GiB further on
                              "Big.Span:0:0:414248454144*5441494c2d4f462d\n"}});
  ASSERT_EQ(l.status, VIGIL_OK);
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  std::vector<std::string> hits;
  vigil_scan_result r{};
  vigil_status st = vigil_scan_file(l.engine.get(), scratch.get(), path.c_str(),
                                    VIGIL_SCAN_ALLMATCH, vigil_test::collect, &hits, &r);
  unlink(path.c_str());
  ASSERT_EQ(st, VIGIL_OK);
  std::sort(hits.begin(), hits.end());
  EXPECT_EQ(hits, (std::vector<std::string>{"Big.Beyond", "Big.Span", "Big.Tail"}));
  EXPECT_EQ(r.bytes_scanned, static_cast<uint64_t>(size));
}

}  // namespace
