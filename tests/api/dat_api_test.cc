// Loading DATs through the public API, as a product linking the library does it: trusted keys
// (file and text), unsigned DATs only when allowed, DATs from a path, memory or a descriptor,
// the error a corrupt or mixed load gives, and what the stats say about a DAT engine. The
// DATs are made by the real vigil-dat tool in a temporary directory.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api_support.h"

namespace vigil_test {
namespace {

namespace fs = std::filesystem;

constexpr char kNdb[] = "Test.Body.One:0:*:6669727374207061747465726e\n";  // "first pattern"
constexpr char kHit[] = "xx first pattern yy";

class DatApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("vigil-dat-api-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    write("sigs.ndb", kNdb);
    run("keygen -o " + path("signer"));
    run("keygen -o " + path("other"));
    run("compile " + path("sigs.ndb") + " -o " + path("signed.vdat") + " --version 42 --sign " +
        path("signer"));
    run("compile " + path("sigs.ndb") + " -o " + path("unsigned.vdat") + " --version 43");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static void write(const std::string& name, const std::string& bytes) {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  static std::string read(const std::string& name) {
    std::ifstream in(path(name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void run(const std::string& args) {
    std::string cmd = std::string(VIGIL_DAT_TOOL) + " " + args + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // Loads with the given sources and trust settings; messages as in api_support.h.
  static Load load_with(const std::vector<std::string>& paths, uint32_t flags,
                        const std::vector<std::string>& key_files,
                        const std::vector<std::pair<std::string, std::string>>& memory = {}) {
    vigil_load_options* raw = nullptr;
    EXPECT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
    Options opts(raw);
    EXPECT_EQ(vigil_load_options_set_flags(opts.get(), flags), VIGIL_OK);
    for (const std::string& k : key_files) {
      EXPECT_EQ(vigil_load_options_add_trusted_key_file(opts.get(), k.c_str()), VIGIL_OK);
    }
    for (const std::string& p : paths) {
      EXPECT_EQ(vigil_load_options_add_path(opts.get(), p.c_str()), VIGIL_OK);
    }
    for (const auto& [name, bytes] : memory) {
      EXPECT_EQ(vigil_load_options_add_memory(opts.get(), name.c_str(), bytes.data(), bytes.size()),
                VIGIL_OK);
    }
    return finish(opts.get());
  }
  static Load finish(vigil_load_options* opts) {
    Load out;
    vigil_engine* e = nullptr;
    vigil_diagnostics* d = nullptr;
    out.status = vigil_engine_load(opts, &e, &d);
    out.engine.reset(e);
    out.diags.reset(d);
    for (size_t i = 0; i < vigil_diagnostics_count(d); ++i) {
      vigil_diagnostic x;
      EXPECT_EQ(vigil_diagnostics_get(d, i, &x), VIGIL_OK);
      out.messages.push_back(std::string(x.file) + ": " + x.message);
      out.codes.push_back(x.code);
    }
    return out;
  }
  static std::vector<std::string> scan(const Load& l, const std::string& data) {
    std::vector<std::string> names;
    vigil_scratch* s = nullptr;
    EXPECT_EQ(vigil_scratch_new(l.engine.get(), &s), VIGIL_OK);
    Scratch scratch(s);
    vigil_scan_result r;
    EXPECT_EQ(
        vigil_scan_buffer(l.engine.get(), s, data.data(), data.size(), 0, collect, &names, &r),
        VIGIL_OK);
    return names;
  }
  static bool any_message(const Load& l, const std::string& part) {
    for (const std::string& m : l.messages) {
      if (m.find(part) != std::string::npos) return true;
    }
    return false;
  }

  static fs::path* dir_;
};
fs::path* DatApi::dir_ = nullptr;

TEST_F(DatApi, SignedDatLoadsWithItsKeyAndDetects) {
  Load l = load_with({path("signed.vdat")}, 0, {path("signer.pub")});
  ASSERT_EQ(l.status, VIGIL_OK) << ::testing::PrintToString(l.messages);
  EXPECT_EQ(scan(l, kHit), std::vector<std::string>{"Test.Body.One"});
  EXPECT_TRUE(scan(l, "nothing here").empty());
  vigil_engine_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(vigil_engine_get_stats(l.engine.get(), &st), VIGIL_OK);
  EXPECT_EQ(st.body_signatures, 1u);
  EXPECT_EQ(st.dat_version, 42u);
  EXPECT_EQ(st.database_origin, VIGIL_DATABASE_PRECOMPILED);
}

TEST_F(DatApi, KeyGivenAsText) {
  vigil_load_options* raw = nullptr;
  ASSERT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
  Options opts(raw);
  EXPECT_EQ(vigil_load_options_add_trusted_key(opts.get(), read("signer.pub").c_str()), VIGIL_OK);
  EXPECT_EQ(vigil_load_options_add_path(opts.get(), path("signed.vdat").c_str()), VIGIL_OK);
  Load l = finish(opts.get());
  EXPECT_EQ(l.status, VIGIL_OK) << ::testing::PrintToString(l.messages);
}

TEST_F(DatApi, BadKeysAreRefusedWhenAdded) {
  vigil_load_options* raw = nullptr;
  ASSERT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
  Options opts(raw);
  EXPECT_EQ(vigil_load_options_add_trusted_key(opts.get(), "not a key"),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_load_options_add_trusted_key(opts.get(), nullptr), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_load_options_add_trusted_key_file(opts.get(), path("missing.pub").c_str()),
            VIGIL_ERR_IO);
  EXPECT_EQ(vigil_load_options_add_trusted_key_file(opts.get(), path("sigs.ndb").c_str()),
            VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(vigil_load_options_set_cache_dir(opts.get(), nullptr), VIGIL_OK);
  EXPECT_EQ(vigil_load_options_set_cache_dir(nullptr, "/tmp"), VIGIL_ERR_INVALID_ARGUMENT);
}

TEST_F(DatApi, OtherSignerIsNotTrusted) {
  Load l = load_with({path("signed.vdat")}, 0, {path("other.pub")});
  EXPECT_EQ(l.status, VIGIL_ERR_UNTRUSTED);
  EXPECT_EQ(l.engine, nullptr);
  EXPECT_TRUE(any_message(l, "which is not trusted")) << ::testing::PrintToString(l.messages);
  EXPECT_TRUE(any_message(l, "signed.vdat:"));
}

TEST_F(DatApi, UnsignedOnlyWhenAllowed) {
  Load refused = load_with({path("unsigned.vdat")}, 0, {path("signer.pub")});
  EXPECT_EQ(refused.status, VIGIL_ERR_UNTRUSTED);
  EXPECT_TRUE(any_message(refused, "unsigned"));
  ASSERT_FALSE(refused.codes.empty());
  EXPECT_EQ(refused.codes.back(), VIGIL_DIAG_DAT);
  Load allowed = load_with({path("unsigned.vdat")}, VIGIL_LOAD_ALLOW_UNSIGNED, {});
  ASSERT_EQ(allowed.status, VIGIL_OK);
  EXPECT_EQ(scan(allowed, kHit), std::vector<std::string>{"Test.Body.One"});
}

TEST_F(DatApi, FromMemoryAndDescriptor) {
  Load mem = load_with({}, 0, {path("signer.pub")}, {{"any-name.bin", read("signed.vdat")}});
  ASSERT_EQ(mem.status, VIGIL_OK) << ::testing::PrintToString(mem.messages);
  EXPECT_EQ(scan(mem, kHit), std::vector<std::string>{"Test.Body.One"});

  vigil_load_options* raw = nullptr;
  ASSERT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
  Options opts(raw);
  ASSERT_EQ(vigil_load_options_add_trusted_key_file(opts.get(), path("signer.pub").c_str()),
            VIGIL_OK);
  int fd = ::open(path("signed.vdat").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(vigil_load_options_add_fd(opts.get(), "fd.vdat", fd), VIGIL_OK);
  ::close(fd);
  Load viafd = finish(opts.get());
  EXPECT_EQ(viafd.status, VIGIL_OK) << ::testing::PrintToString(viafd.messages);
}

TEST_F(DatApi, DatCannotBeMixedWithSources) {
  Load l = load_with({path("sigs.ndb"), path("signed.vdat")}, 0, {path("signer.pub")});
  EXPECT_EQ(l.status, VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(l.engine, nullptr);
  EXPECT_TRUE(any_message(l, "signed.vdat: a DAT loads on its own"))
      << ::testing::PrintToString(l.messages);
}

TEST_F(DatApi, TruncatedDatIsCorruptAndNamed) {
  std::string bytes = read("signed.vdat");
  write("truncated.vdat", bytes.substr(0, bytes.size() - 100));
  Load l = load_with({path("truncated.vdat")}, 0, {path("signer.pub")});
  EXPECT_EQ(l.status, VIGIL_ERR_CORRUPT);
  EXPECT_TRUE(any_message(l, "truncated.vdat: header: file size"))
      << ::testing::PrintToString(l.messages);
}

TEST_F(DatApi, DirectoryOfSourcesSkipsADatWithAWarning) {
  fs::create_directories(*dir_ / "mixed");
  write("mixed/a.ndb", kNdb);
  write("mixed/b.vdat", read("signed.vdat"));
  Load l = load_with({path("mixed")}, 0, {});
  ASSERT_EQ(l.status, VIGIL_OK) << ::testing::PrintToString(l.messages);
  EXPECT_TRUE(any_message(l, "b.vdat: skipped: a DAT is not read from a directory"));
  EXPECT_EQ(scan(l, kHit), std::vector<std::string>{"Test.Body.One"});
}

}  // namespace
}  // namespace vigil_test
