// ArchiveReader over libarchive, and the magic-byte sniff in front of it. Formats and filters
// are enabled one by one rather than with the *_all calls: those also enable mtree (a text
// format that names files on disk) and filters that run external programs (lrzip, lzop,
// grzip), neither of which belongs in a scanner fed hostile input. A compressed stream is
// opened with its one filter and "raw", so it is one member (see open()).
#include <archive.h>
#include <archive_entry.h>

#include <cstring>

#include "unpack/readers.h"

namespace vigil::unpack {

namespace {
struct Compression;
}  // namespace

class ArchiveReader final : public ContainerReader {
 public:
  ~ArchiveReader() override;
  static common::Result<std::unique_ptr<ContainerReader>> open(const uint8_t* data, uint64_t size,
                                                               View view);
  Next next(Member& member) override;
  int64_t read(uint8_t* out, size_t size) override;
  uint64_t consumed() const override;
  std::string format() const override;
  std::string error() const override;

 private:
  ArchiveReader() = default;
  // Sets the handle up as the one stream `c` names (see open()).
  common::Status open_compressed(const Compression& c, const uint8_t* data, uint64_t size);
  archive* a_ = nullptr;
  bool compressed_ = false;  // a bare compressed stream: one member, its decompressed bytes
  bool pending_ = false;     // that member is not handed out yet
};

namespace {

bool starts_with(const uint8_t* data, uint64_t size, uint64_t at, const char* magic, size_t len) {
  return size >= at + len && std::memcmp(data + at, magic, len) == 0;
}

// A tar header has no magic before POSIX ustar; its checksum identifies it.
bool tar_checksum_ok(const uint8_t* h, uint64_t size) {
  if (size < 512) return false;
  uint64_t stored = 0;
  int digits = 0;
  for (int i = 148; i < 156; ++i) {
    uint8_t c = h[i];
    if (c >= '0' && c <= '7') {
      stored = stored * 8 + (c - '0');
      ++digits;
    } else if (c != ' ' && c != 0) {
      return false;
    } else if (digits != 0) {
      break;
    }
  }
  if (digits == 0) return false;
  uint64_t sum = 0;
  for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == stored && h[0] != 0;
}

// bzip2: "BZh", the block size digit, then a block's magic (or the end of an empty stream).
bool bzip2_header(const uint8_t* d, uint64_t n) {
  return n >= 10 && std::memcmp(d, "BZh", 3) == 0 && d[3] >= '1' && d[3] <= '9' &&
         (std::memcmp(d + 4, "1AY&SY", 6) == 0 ||
          std::memcmp(d + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0);
}

}  // namespace

Sniffed sniff_archive(const uint8_t* d, uint64_t n) {
  if (bzip2_header(d, n)) return {Kind::kArchive, true};
  struct Magic {
    uint64_t at;
    const char* bytes;
    size_t len;
    bool strong;
  };
  static const Magic kMagics[] = {
      {0, "PK\x03\x04", 4, true},    // zip
      {0, "PK\x05\x06", 4, true},    // zip, empty
      {0, "PK\x07\x08", 4, true},    // zip, spanned
      {0, "\x1f\x8b\x08", 3, true},  // gzip (deflate)
      {0, "BZh", 3, false},          // bzip2
      {0,
       "\xfd"
       "7zXZ\x00",
       6, true},                           // xz
      {0, "\x5d\x00\x00", 3, false},       // lzma (alone)
      {0, "\x28\xb5\x2f\xfd", 4, true},    // zstd
      {0, "\x04\x22\x4d\x18", 4, true},    // lz4
      {0, "\x02\x21\x4c\x18", 4, true},    // lz4, legacy
      {0, "LZIP", 4, true},                // lzip
      {0, "\x1f\x9d", 2, false},           // compress (.Z)
      {0, "7z\xbc\xaf\x27\x1c", 6, true},  // 7z
      {0, "Rar!\x1a\x07", 6, true},        // rar 4 and 5
      {0, "!<arch>\n", 8, true},           // ar
      {0, "MSCF\0\0\0\0", 8, true},        // cab
      {0, "070701", 6, false},             // cpio newc
      {0, "070702", 6, false},             // cpio crc
      {0, "070707", 6, false},             // cpio odc
      {0, "\xc7\x71", 2, false},           // cpio binary, little-endian
      {0, "\x71\xc7", 2, false},           // cpio binary, big-endian
      {0, "xar!", 4, true},                // xar
      {257, "ustar", 5, true},             // tar (POSIX, GNU)
      {0x8001, "CD001", 5, false},         // iso9660
  };
  for (const Magic& m : kMagics) {
    if (starts_with(d, n, m.at, m.bytes, m.len)) return {Kind::kArchive, m.strong};
  }
  // lha/lzh: "-lh?-" or "-lz?-" at offset 2.
  if (n >= 7 && d[2] == '-' && d[3] == 'l' && (d[4] == 'h' || d[4] == 'z') && d[6] == '-') {
    return {Kind::kArchive, false};
  }
  return tar_checksum_ok(d, n) ? Sniffed{Kind::kArchive, false} : Sniffed{};
}

ArchiveReader::~ArchiveReader() {
  if (a_ != nullptr) archive_read_free(a_);
}

namespace {

using Enable = int (*)(archive*);
const Enable kFormats[] = {
    archive_read_support_format_7zip,    archive_read_support_format_ar,
    archive_read_support_format_cab,     archive_read_support_format_cpio,
    archive_read_support_format_iso9660, archive_read_support_format_lha,
    archive_read_support_format_rar,     archive_read_support_format_rar5,
    archive_read_support_format_tar,     archive_read_support_format_xar,
    archive_read_support_format_zip,
};

constexpr uint32_t kMaxLzmaDictionary = uint32_t{256} << 20;

// A compression a stream may start with: its magic, libarchive's code and its reader.
// (libarchive 3.6 crashes appending "compress": that one is left to bid alone, the only filter
// registered, so only another .Z layer could stack under it.)
struct Compression {
  const char* magic;
  size_t len;
  int code;
  Enable support;
};
const Compression kCompressions[] = {
    {"\x1f\x8b", 2, ARCHIVE_FILTER_GZIP, archive_read_support_filter_gzip},
    {"BZh", 3, ARCHIVE_FILTER_BZIP2, archive_read_support_filter_bzip2},
    {"\xfd"
     "7zXZ\x00",
     6, ARCHIVE_FILTER_XZ, archive_read_support_filter_xz},
    {"\x5d\x00\x00", 3, ARCHIVE_FILTER_LZMA, archive_read_support_filter_lzma},
    {"\x28\xb5\x2f\xfd", 4, ARCHIVE_FILTER_ZSTD, archive_read_support_filter_zstd},
    {"\x04\x22\x4d\x18", 4, ARCHIVE_FILTER_LZ4, archive_read_support_filter_lz4},
    {"\x02\x21\x4c\x18", 4, ARCHIVE_FILTER_LZ4, archive_read_support_filter_lz4},
    {"LZIP", 4, ARCHIVE_FILTER_LZIP, archive_read_support_filter_lzip},
    {"\x1f\x9d", 2, ARCHIVE_FILTER_COMPRESS, archive_read_support_filter_compress},
};

const Compression* compression_of(const uint8_t* d, uint64_t n) {
  for (const Compression& c : kCompressions) {
    if (starts_with(d, n, 0, c.magic, c.len)) return &c;
  }
  return nullptr;
}

common::Status opened(archive* a, int rc) {
  if (rc == ARCHIVE_OK) return common::Status::ok();
  const char* why = archive_error_string(a);
  return common::Status(VIGIL_ERR_UNSUPPORTED,
                        std::string("not a container: ") + (why ? why : "unknown format"));
}

}  // namespace

common::Result<std::unique_ptr<ContainerReader>> ArchiveReader::open(const uint8_t* data,
                                                                     uint64_t size, View view) {
  std::unique_ptr<ArchiveReader> r(new ArchiveReader());
  r->a_ = archive_read_new();
  if (r->a_ == nullptr) return common::Status(VIGIL_ERR_NOMEM, "libarchive: no memory");
  archive* a = r->a_;
  // A compressed stream is one member: its decompressed bytes, scanned whole, and whatever
  // is in them (file.tar.gz's tar, file.gz.gz's gzip) is the next level. Exactly one filter is
  // applied (no bidding), so each layer of compression is a level of its own, and reading a
  // stream and its archive at once cannot stop at the archive's end marker and leave what
  // follows it in the stream unscanned.
  if (view == View::kCompressed) {
    const Compression* c = compression_of(data, size);
    if (c == nullptr) return common::Status(VIGIL_ERR_UNSUPPORTED, "not compressed");
    common::Status st = r->open_compressed(*c, data, size);
    if (!st.is_ok()) return st;
    return std::unique_ptr<ContainerReader>(std::move(r));
  }
  for (Enable enable : kFormats) {
    if (enable(a) == ARCHIVE_FATAL) {
      return common::Status(VIGIL_ERR_INTERNAL,
                            std::string("libarchive setup: ") + archive_error_string(a));
    }
  }
  common::Status st = opened(a, archive_read_open_memory2(a, data, size, kBlock));
  if (!st.is_ok()) return st;
  return std::unique_ptr<ContainerReader>(std::move(r));
}

common::Status ArchiveReader::open_compressed(const Compression& c, const uint8_t* data,
                                              uint64_t size) {
  archive* a = a_;
  if (c.code == ARCHIVE_FILTER_LZMA && size >= 5) {
    // An .lzma header declares its dictionary, and the decoder allocates all of it up front:
    // a few bytes could ask for 4 GiB. Real files use up to 64 MiB.
    uint32_t dict = uint32_t{data[1]} | uint32_t{data[2]} << 8 | uint32_t{data[3]} << 16 |
                    uint32_t{data[4]} << 24;
    if (dict > kMaxLzmaDictionary) {
      return common::Status(VIGIL_ERR_LIMIT,
                            "lzma dictionary of " + std::to_string(dict) + " bytes declared");
    }
  }
  // The filter is registered, then appended (which turns bidding off); ARCHIVE_WARN would
  // mean an external program, which is not used.
  if (archive_read_support_format_raw(a) != ARCHIVE_OK || c.support(a) != ARCHIVE_OK ||
      (c.code != ARCHIVE_FILTER_COMPRESS && archive_read_append_filter(a, c.code) != ARCHIVE_OK)) {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "compression not available");
  }
  common::Status st = opened(a, archive_read_open_memory2(a, data, size, kBlock));
  // "raw" with no filter would hand the input back as its own member: the filter must be
  // the one the magic named (compress bids, and may decline).
  if (st.is_ok() && (archive_filter_count(a) < 2 || archive_filter_code(a, 0) != c.code)) {
    st = common::Status(VIGIL_ERR_UNSUPPORTED, "not a compressed stream");
  }
  if (!st.is_ok()) return st;
  compressed_ = true;
  pending_ = true;
  return common::Status::ok();
}

ContainerReader::Next ArchiveReader::next(Member& member) {
  if (compressed_) {
    // One member: the decompressed stream, unnamed (it stands for the file itself).
    if (!pending_) return Next::kEnd;
    pending_ = false;
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a_, &entry);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return Next::kBroken;
    member = Member{"", true, false, -1};
    return Next::kMember;
  }
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(a_, &entry);
  if (rc == ARCHIVE_EOF) return Next::kEnd;
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return Next::kBroken;
  const char* name = archive_entry_pathname(entry);
  member.name = name != nullptr ? name : "";
  member.size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
  // Anything but a directory is read, as a hostile archive may type a member that carries
  // bytes as a link or a device. libarchive hands out no bytes for a directory (a zip entry
  // named with a trailing slash or backslash is one), as extracting tools make none of it.
  member.regular = archive_entry_filetype(entry) != AE_IFDIR;
  member.encrypted = archive_entry_is_encrypted(entry) != 0;
  return Next::kMember;
}

int64_t ArchiveReader::read(uint8_t* out, size_t size) {
  la_ssize_t n = archive_read_data(a_, out, size);
  return n < 0 ? -1 : static_cast<int64_t>(n);
}

uint64_t ArchiveReader::consumed() const {
  la_int64_t n = archive_filter_bytes(a_, -1);
  return n < 0 ? 0 : static_cast<uint64_t>(n);
}

std::string ArchiveReader::format() const {
  const char* f = archive_format_name(a_);
  std::string out = f != nullptr ? f : "unknown";
  for (int i = 0; i < archive_filter_count(a_); ++i) {
    if (archive_filter_code(a_, i) == ARCHIVE_FILTER_NONE) continue;
    const char* name = archive_filter_name(a_, i);
    if (name != nullptr) out += std::string(", ") + name;
  }
  return out;
}

std::string ArchiveReader::error() const {
  const char* e = archive_error_string(a_);
  return e != nullptr ? e : "unknown error";
}

common::Result<std::unique_ptr<ContainerReader>> open_archive(const uint8_t* data, uint64_t size,
                                                              View view) {
  return ArchiveReader::open(data, size, view);
}

bool looks_compressed(const uint8_t* data, uint64_t size) {
  return compression_of(data, size) != nullptr;
}

}  // namespace vigil::unpack
