// The public C API as a product uses it: loading from memory and paths, scanning buffers,
// files and descriptors (including pipes), argument checking, status codes, and diagnostics.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "api_support.h"

namespace {

using vigil_test::collect;
using vigil_test::load;

const std::string kSigs = "Api.Body:0:*:68656c6c6f20776f726c64\n";  // "hello world"

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/vigil-api-" + std::to_string(getpid()) + "-" + name;
}

void write_file(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

TEST(Api, VersionAndStatusStrings) {
  EXPECT_STREQ(vigil_version(), VIGIL_VERSION_STRING);
  EXPECT_EQ(vigil_version_number(), static_cast<uint32_t>(VIGIL_VERSION_NUMBER));
  EXPECT_STREQ(vigil_status_string(VIGIL_ERR_SIGNATURE), "signature error");
  EXPECT_STREQ(vigil_status_string(static_cast<vigil_status>(-50)), "unknown status");
}

TEST(Api, NullArgumentsAreRejectedAndFreesOfNullAreNoOps) {
  EXPECT_EQ(vigil_load_options_new(nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_load_options_add_path(nullptr, "x"), VIGIL_ERR_INVALID_ARGUMENT);
  vigil_engine* e = reinterpret_cast<vigil_engine*>(1);
  EXPECT_EQ(vigil_engine_load(nullptr, &e, nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(vigil_scratch_new(nullptr, nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_scan_buffer(nullptr, nullptr, "x", 1, 0, nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
  vigil_engine_free(nullptr);
  vigil_scratch_free(nullptr);
  vigil_diagnostics_free(nullptr);
  vigil_load_options_free(nullptr);
  EXPECT_EQ(vigil_diagnostics_count(nullptr), 0u);
}

TEST(Api, ScanBufferFileAndFdAgree) {
  auto l = load({{"api.ndb", kSigs}});
  ASSERT_EQ(l.status, VIGIL_OK);
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  const std::string data = "say hello world!";

  std::vector<std::string> hits;
  vigil_scan_result r{};
  ASSERT_EQ(vigil_scan_buffer(l.engine.get(), scratch.get(), data.data(), data.size(), 0, collect,
                              &hits, &r),
            VIGIL_OK);
  EXPECT_EQ(hits, std::vector<std::string>{"Api.Body"});
  EXPECT_EQ(r.detections, 1u);
  EXPECT_EQ(r.bytes_scanned, data.size());

  std::string path = temp_path("file");
  write_file(path, data);
  hits.clear();
  ASSERT_EQ(vigil_scan_file(l.engine.get(), scratch.get(), path.c_str(), 0, collect, &hits, &r),
            VIGIL_OK);
  EXPECT_EQ(hits, std::vector<std::string>{"Api.Body"});

  int fd = open(path.c_str(), O_RDONLY);
  hits.clear();
  ASSERT_EQ(vigil_scan_fd(l.engine.get(), scratch.get(), fd, 0, collect, &hits, &r), VIGIL_OK);
  close(fd);
  EXPECT_EQ(hits, std::vector<std::string>{"Api.Body"});
  unlink(path.c_str());

  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  std::thread writer([&] {
    std::string big(300000, 'z');
    big += data;
    for (size_t off = 0; off < big.size();)
      off += write(pipefd[1], big.data() + off, big.size() - off);
    close(pipefd[1]);
  });
  hits.clear();
  ASSERT_EQ(vigil_scan_fd(l.engine.get(), scratch.get(), pipefd[0], 0, collect, &hits, &r),
            VIGIL_OK);
  writer.join();
  close(pipefd[0]);
  EXPECT_EQ(hits, std::vector<std::string>{"Api.Body"});
  EXPECT_EQ(r.bytes_scanned, 300000u + data.size());
}

TEST(Api, SignaturesLoadFromADescriptor) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  ASSERT_EQ(write(pipefd[1], kSigs.data(), kSigs.size()), static_cast<ssize_t>(kSigs.size()));
  close(pipefd[1]);
  vigil_load_options* raw = nullptr;
  ASSERT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
  vigil_test::Options opts(raw);
  EXPECT_EQ(vigil_load_options_add_fd(opts.get(), "piped.ndb", -1), VIGIL_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(vigil_load_options_add_fd(opts.get(), "piped.ndb", pipefd[0]), VIGIL_OK);
  close(pipefd[0]);
  vigil_engine* e = nullptr;
  ASSERT_EQ(vigil_engine_load(opts.get(), &e, nullptr), VIGIL_OK);
  vigil_test::Engine engine(e);
  vigil_scratch* s = nullptr;
  ASSERT_EQ(vigil_scratch_new(engine.get(), &s), VIGIL_OK);
  vigil_test::Scratch scratch(s);
  std::vector<std::string> hits;
  ASSERT_EQ(vigil_scan_buffer(engine.get(), scratch.get(), "a hello world", 13, 0, collect, &hits,
                              nullptr),
            VIGIL_OK);
  EXPECT_EQ(hits, std::vector<std::string>{"Api.Body"});
}

TEST(Api, FileErrorsAreStatusesNotCrashes) {
  auto l = load({{"api.ndb", kSigs}});
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  EXPECT_EQ(vigil_scan_file(l.engine.get(), scratch.get(), "/nonexistent/x", 0, nullptr, nullptr,
                            nullptr),
            VIGIL_ERR_IO);
  EXPECT_EQ(vigil_scan_file(l.engine.get(), scratch.get(), "/tmp", 0, nullptr, nullptr, nullptr),
            VIGIL_ERR_UNSUPPORTED);
  EXPECT_EQ(vigil_scan_fd(l.engine.get(), scratch.get(), -1, 0, nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(
      vigil_scan_buffer(l.engine.get(), scratch.get(), "x", 1, 0x80, nullptr, nullptr, nullptr),
      VIGIL_ERR_INVALID_ARGUMENT);
}

TEST(Api, ScratchIsBoundToItsEngine) {
  auto a = load({{"a.ndb", kSigs}});
  auto b = load({{"b.ndb", kSigs}});
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(a.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  EXPECT_EQ(vigil_scan_buffer(b.engine.get(), scratch.get(), "x", 1, 0, nullptr, nullptr, nullptr),
            VIGIL_ERR_INVALID_ARGUMENT);
}

TEST(Api, CallbackCanStopTheScan) {
  auto l = load({{"s.ndb", "One:0:*:414243\nTwo:0:*:444546\n"}});
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  int calls = 0;
  auto stop = [](const vigil_match*, void* u) {
    ++*static_cast<int*>(u);
    return 1;
  };
  vigil_scan_result r{};
  ASSERT_EQ(vigil_scan_buffer(l.engine.get(), scratch.get(), "ABC DEF", 7, VIGIL_SCAN_ALLMATCH,
                              stop, &calls, &r),
            VIGIL_OK);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.detections, 1u);
}

TEST(Api, StrictLoadFailsWithEveryDiagnosticAndSkipModeLoadsTheRest) {
  const std::string bad = "Good:0:*:414243\nBad:0:*:41(42\nAlsoBad:8:*:414243\n";
  auto strict = load({{"bad.ndb", bad}});
  EXPECT_EQ(strict.status, VIGIL_ERR_SIGNATURE);
  EXPECT_EQ(strict.engine, nullptr);
  EXPECT_EQ(strict.messages,
            (std::vector<std::string>{
                "bad.ndb:2: invalid hex pattern: column 3: unbalanced '(' [Bad]",
                "bad.ndb:3: target type 8 is not one this engine knows [AlsoBad]"}));
  auto lenient = load({{"bad.ndb", bad}}, {}, VIGIL_LOAD_SKIP_BAD_LINES);
  ASSERT_EQ(lenient.status, VIGIL_OK);
  EXPECT_EQ(lenient.messages.back(), ":0: 2 bad signature line(s) skipped []");
  vigil_engine_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(vigil_engine_get_stats(lenient.engine.get(), &st), VIGIL_OK);
  EXPECT_EQ(st.body_signatures, 1u);
  EXPECT_EQ(st.skipped_lines, 2u);
  // A caller built against an older, shorter struct gets only what it knows.
  vigil_engine_stats old{};
  old.struct_size = offsetof(vigil_engine_stats, hash_signatures);
  old.hash_signatures = 777;
  ASSERT_EQ(vigil_engine_get_stats(lenient.engine.get(), &old), VIGIL_OK);
  EXPECT_EQ(old.body_signatures, 1u);
  EXPECT_EQ(old.hash_signatures, 777u);
  EXPECT_EQ(old.struct_size, offsetof(vigil_engine_stats, hash_signatures));
}

TEST(Api, PathErrorsAndEmptySetsHaveTheirOwnStatus) {
  auto missing = load({}, {"/nonexistent/sigs.ndb"});
  EXPECT_EQ(missing.status, VIGIL_ERR_IO);
  ASSERT_EQ(missing.messages.size(), 1u);
  EXPECT_EQ(missing.messages[0],
            "/nonexistent/sigs.ndb:0: cannot access: No such file or directory []");
  auto empty = load({{"e.ndb", "# nothing here\n"}});
  EXPECT_EQ(empty.status, VIGIL_ERR_NO_SIGNATURES);
}

TEST(Api, DirectoriesLoadTheirSupportedFilesInNameOrder) {
  std::string dir = temp_path("dir");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  write_file(dir + "/a.ndb", "DirBody:0:*:414243\n");
  write_file(dir + "/b.hdb", "902fbdd2b1df0c4f70b4a5d23525e932:3:DirHash\n");
  write_file(dir + "/notes.txt", "not signatures\n");
  write_file(dir + "/c.ldb", "X;Engine:51-255,Target:0;0;414243\n");
  write_file(dir + "/d.imp", "1024:8f4d7a7e8f7c8a6d9e2b1c0d5e4f3a2b:Y\n");
  auto l = load({}, {dir});
  ASSERT_EQ(l.status, VIGIL_OK);
  EXPECT_EQ(
      l.messages,
      (std::vector<std::string>{dir + "/d.imp:0: skipped: the .imp format is not supported by this "
                                      "engine version []"}));
  vigil_scratch* raw = nullptr;
  ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
  vigil_test::Scratch scratch(raw);
  std::vector<std::string> hits;
  ASSERT_EQ(vigil_scan_buffer(l.engine.get(), scratch.get(), "ABC", 3, VIGIL_SCAN_ALLMATCH, collect,
                              &hits, nullptr),
            VIGIL_OK);
  std::sort(hits.begin(), hits.end());
  EXPECT_EQ(hits, (std::vector<std::string>{"DirBody", "DirHash", "X"}));
  for (const char* f : {"/a.ndb", "/b.hdb", "/notes.txt", "/c.ldb", "/d.imp"}) {
    unlink((dir + f).c_str());
  }
  rmdir(dir.c_str());
}

TEST(Api, ManyThreadsShareOneEngine) {
  auto l = load({{"t.ndb", kSigs}});
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      vigil_scratch* raw = nullptr;
      ASSERT_EQ(vigil_scratch_new(l.engine.get(), &raw), VIGIL_OK);
      vigil_test::Scratch scratch(raw);
      std::string data(100000, 'q');
      data.replace(5000, 11, "hello world");
      for (int i = 0; i < 50; ++i) {
        vigil_scan_result r{};
        ASSERT_EQ(vigil_scan_buffer(l.engine.get(), scratch.get(), data.data(), data.size(), 0,
                                    nullptr, nullptr, &r),
                  VIGIL_OK);
        found += static_cast<int>(r.detections);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(found.load(), 200);
}

}  // namespace
