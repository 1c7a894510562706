// Atomic whole-file replacement and whole-file reads: content and mode after a write, nothing
// left behind (old content kept, no temporary) when a check, the directory, the rename or a
// write midway fails, and the exact error codes and messages a user sees.
#include "common/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vigil::common {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/') base += '/';
    std::string tmpl = base + "vigil-atomic-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << tmpl;
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.insert(e.path().filename().string());
    return names;
  }

  static std::string read(const std::string& p) {
    auto r = read_whole_file(p);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? r.value() : std::string("<unreadable>");
  }

  std::string dir_;
};

mode_t current_umask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

TEST_F(AtomicFile, WritesNewFileThenReplacesIt) {
  const std::string p = path("main.dat");
  ASSERT_TRUE(write_file_atomically(p, "first").is_ok());
  EXPECT_EQ(read(p), "first");
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~current_umask());

  const std::string second("second\0with a NUL and more bytes", 32);
  ASSERT_TRUE(write_file_atomically(p, second).is_ok());
  EXPECT_EQ(read(p), second);
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});

  ASSERT_TRUE(write_file_atomically(p, "").is_ok());
  EXPECT_EQ(read(p), "");
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

TEST_F(AtomicFile, AppliesMode) {
  const std::string p = path("secret.pem");
  ASSERT_TRUE(write_file_atomically(p, "key", 0600).is_ok());
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AtomicFile, CheckSeesTheCompleteTemporaryInTheSameDirectory) {
  const std::string p = path("main.dat");
  ASSERT_TRUE(write_file_atomically(p, "old").is_ok());
  std::string seen_path, seen_content;
  Status st = write_file_atomically(p, "new content", 0644, [&](const std::string& temp) {
    seen_path = temp;
    seen_content = read(temp);
    EXPECT_EQ(read(p), "old");  // not replaced yet
    return Status::ok();
  });
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(fs::path(seen_path).parent_path(), fs::path(dir_));
  EXPECT_NE(seen_path, p);
  EXPECT_EQ(seen_content, "new content");
  EXPECT_EQ(read(p), "new content");
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

TEST_F(AtomicFile, CheckFailureKeepsOldContentAndRemovesTemporary) {
  const std::string p = path("main.dat");
  ASSERT_TRUE(write_file_atomically(p, "old").is_ok());
  Status st = write_file_atomically(p, "bad new", 0644, [](const std::string&) {
    return Status(VIGIL_ERR_CORRUPT, "new DAT does not load");
  });
  EXPECT_EQ(st.code(), VIGIL_ERR_CORRUPT);
  EXPECT_EQ(st.message(), "new DAT does not load");
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

TEST_F(AtomicFile, MissingDirectoryIsAnIoErrorNamingThePath) {
  const std::string p = path("no/such/dir/main.dat");
  Status st = write_file_atomically(p, "x");
  EXPECT_EQ(st.code(), VIGIL_ERR_IO);
  EXPECT_EQ(st.message(), p + ": cannot create temporary file: No such file or directory");
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFile, UnwritableDirectoryKeepsOldContent) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write into a read-only directory";
  const std::string p = path("main.dat");
  ASSERT_TRUE(write_file_atomically(p, "old").is_ok());
  ASSERT_EQ(::chmod(dir_.c_str(), 0555), 0);
  Status st = write_file_atomically(p, "new");
  ::chmod(dir_.c_str(), 0755);
  EXPECT_EQ(st.code(), VIGIL_ERR_IO);
  EXPECT_EQ(st.message(), p + ": cannot create temporary file: Permission denied");
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

// Stands in for a full disk without mounting anything: a file size limit makes write() stop
// part-way (a short write) and then fail, as ENOSPC would, and works for root too.
TEST_F(AtomicFile, WriteFailingMidwayKeepsOldContentAndRemovesTemporary) {
  const std::string p = path("main.dat");
  ASSERT_TRUE(write_file_atomically(p, "old").is_ok());

  struct rlimit saved;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 8192) GTEST_SKIP();
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status st = write_file_atomically(p, std::string(100000, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(st.code(), VIGIL_ERR_IO);
  EXPECT_EQ(st.message(), p + ": write failed: File too large");
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

TEST_F(AtomicFile, FailedRenameRemovesTemporary) {
  const std::string p = path("taken");
  ASSERT_EQ(::mkdir(p.c_str(), 0755), 0);
  Status st = write_file_atomically(p, "x");
  EXPECT_EQ(st.code(), VIGIL_ERR_IO);
  EXPECT_EQ(st.message(), p + ": rename failed: Is a directory");
  EXPECT_EQ(entries(), std::set<std::string>{"taken"});
}

TEST_F(AtomicFile, PathWithoutFileNameIsInvalid) {
  EXPECT_EQ(write_file_atomically(dir_ + "/", "x").code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(write_file_atomically("", "x").code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFile, ConcurrentWritersLeaveOneCompleteVersion) {
  const std::string p = path("main.dat");
  std::vector<std::string> versions;
  for (char c = 'a'; c < 'i'; ++c) versions.emplace_back(50000, c);
  std::vector<std::thread> threads;
  std::vector<int> ok(versions.size(), 0);
  for (size_t i = 0; i < versions.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 10; ++round) {
        if (write_file_atomically(p, versions[i]).is_ok()) ++ok[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int n : ok) EXPECT_EQ(n, 10);
  std::string final_content = read(p);
  EXPECT_NE(std::find(versions.begin(), versions.end(), final_content), versions.end());
  EXPECT_EQ(entries(), std::set<std::string>{"main.dat"});
}

TEST_F(AtomicFile, ReadWholeFileRefusesNonRegularFiles) {
  auto dir = read_whole_file(dir_);
  EXPECT_EQ(dir.status().code(), VIGIL_ERR_UNSUPPORTED);
  EXPECT_EQ(dir.status().message(), dir_ + ": not a regular file");

  EXPECT_EQ(read_whole_file("/dev/null").status().code(), VIGIL_ERR_UNSUPPORTED);

  const std::string fifo = path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(read_whole_file(fifo).status().code(), VIGIL_ERR_UNSUPPORTED);  // and does not block
}

TEST_F(AtomicFile, ReadWholeFileReportsMissingFileAndLimit) {
  const std::string missing = path("missing.dat");
  auto r = read_whole_file(missing);
  EXPECT_EQ(r.status().code(), VIGIL_ERR_IO);
  EXPECT_EQ(r.status().message(), missing + ": cannot open: No such file or directory");

  const std::string p = path("ten.dat");
  ASSERT_TRUE(write_file_atomically(p, "0123456789").is_ok());
  auto at_limit = read_whole_file(p, 10);
  ASSERT_TRUE(at_limit.is_ok()) << at_limit.status().message();
  EXPECT_EQ(at_limit.value(), "0123456789");
  auto over = read_whole_file(p, 9);
  EXPECT_EQ(over.status().code(), VIGIL_ERR_LIMIT);
  EXPECT_EQ(over.status().message(), p + ": 10 bytes is over the limit of 9");
}

}  // namespace
}  // namespace vigil::common
