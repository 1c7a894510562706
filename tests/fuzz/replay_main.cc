// Replay driver: links with a fuzz target in place of libFuzzer and runs every file named on
// the command line (directories: their files, recursively, in name order) through
// LLVMFuzzerTestOneInput once. This is how each corpus runs under ctest in any build, with or
// without clang. A crash or sanitizer report aborts the run; an unreadable file, a target that
// returns anything but 0 or -1, or an empty corpus fails it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

void collect(const fs::path& arg, std::vector<fs::path>& out, int& failed) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(arg, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec)) found.push_back(it->path());
    }
    if (ec) {
      std::fprintf(stderr, "FAILED %s: cannot list: %s\n", arg.c_str(), ec.message().c_str());
      ++failed;
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  } else if (fs::is_regular_file(arg, ec)) {
    out.push_back(arg);
  } else {
    std::fprintf(stderr, "FAILED %s: no such file or directory\n", arg.c_str());
    ++failed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  int failed = 0;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) collect(argv[i], inputs, failed);

  int passed = 0;
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) {
      std::fprintf(stderr, "FAILED %s: read error\n", p.c_str());
      ++failed;
      continue;
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", p.c_str(), bytes.size());
    // Pass a pointer to exactly `size` heap bytes so ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), copy.get());
    int rc = LLVMFuzzerTestOneInput(copy.get(), bytes.size());
    if (rc != 0 && rc != -1) {
      std::fprintf(stderr, "FAILED %s: target returned %d\n", p.c_str(), rc);
      ++failed;
    } else {
      ++passed;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "FAILED: no inputs found\n");
    ++failed;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
