// vigil-make-samples OUTDIR: writes the small sample tree used by the README walkthrough and the
// CLI tests. The EICAR test string is kept XOR-encoded in this source and decoded only when
// the files are written, so the repository never holds it in the clear (and no scanner flags
// the checkout). Output is deterministic: same bytes on every run and every platform.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace {

// The 68-byte EICAR anti-malware test file, each byte XORed with kEicarKey.
constexpr uint8_t kEicarKey = 0xA7;
constexpr uint8_t kEicarEncoded[] = {
    0xff, 0x92, 0xe8, 0x86, 0xf7, 0x82, 0xe7, 0xe6, 0xf7, 0xfc, 0x93, 0xfb, 0xf7, 0xfd,
    0xff, 0x92, 0x93, 0x8f, 0xf7, 0xf9, 0x8e, 0x90, 0xe4, 0xe4, 0x8e, 0x90, 0xda, 0x83,
    0xe2, 0xee, 0xe4, 0xe6, 0xf5, 0x8a, 0xf4, 0xf3, 0xe6, 0xe9, 0xe3, 0xe6, 0xf5, 0xe3,
    0x8a, 0xe6, 0xe9, 0xf3, 0xee, 0xf1, 0xee, 0xf5, 0xf2, 0xf4, 0x8a, 0xf3, 0xe2, 0xf4,
    0xf3, 0x8a, 0xe1, 0xee, 0xeb, 0xe2, 0x86, 0x83, 0xef, 0x8c, 0xef, 0x8d,
};
static_assert(sizeof(kEicarEncoded) == 68, "the EICAR test string is 68 bytes");
// FNV-1a of the decoded string, to catch an edit that corrupts the table.
constexpr uint64_t kEicarFnv1a = 0x4c4b83eef5c7ac63ull;

constexpr size_t kCleanBinSize = 64 * 1024;

uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string decode_eicar() {
  std::string out;
  for (uint8_t b : kEicarEncoded) out.push_back(static_cast<char>(b ^ kEicarKey));
  return out;
}

// splitmix64: a tiny, well-known generator, so clean.bin is the same everywhere.
std::string pseudo_random_bytes(size_t size, uint64_t seed) {
  std::string out;
  out.reserve(size);
  uint64_t state = seed;
  while (out.size() < size) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (int i = 0; i < 8 && out.size() < size; ++i) {
      out.push_back(static_cast<char>((z >> (8 * i)) & 0xff));
    }
  }
  return out;
}

bool write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    std::fprintf(stderr, "vigil-make-samples: %s: %s\n", path.parent_path().c_str(),
                 ec.message().c_str());
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "vigil-make-samples: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vigil-make-samples OUTDIR\n");
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  const std::string eicar = decode_eicar();
  if (fnv1a(eicar) != kEicarFnv1a) {
    std::fprintf(stderr, "vigil-make-samples: the encoded EICAR table is corrupt\n");
    return 1;
  }

  const std::string readme =
      "Vigil sample tree\n"
      "=================\n"
      "This directory was written by vigil-make-samples. eicar.com and\n"
      "docs/eicar-in-text.txt hold the harmless EICAR anti-malware test string;\n"
      "every other file is clean.\n";
  const std::string text_tail =
      "\n"
      "The line above is the EICAR test string. Scanners that look at file\n"
      "bodies find it here; a hash of the whole file does not match.\n";

  bool ok = write_file(root / "eicar.com", eicar) &&
            write_file(root / "docs" / "readme.txt", readme) &&
            write_file(root / "docs" / "eicar-in-text.txt", eicar + text_tail) &&
            write_file(root / "bin" / "clean.bin", pseudo_random_bytes(kCleanBinSize, 0x5eed));
  return ok ? 0 : 1;
}
