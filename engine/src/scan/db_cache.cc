// Cache file layout: magic "VIGILHSC", the DAT id (32 bytes), the SHA-256 of the database
// (32 bytes), then the serialized database. The file name already encodes the key; the DAT id
// inside guards against a renamed file.
#include "scan/db_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/atomic_file.h"
#include "common/hex.h"
#include "match/hs_database.h"

namespace vigil::scan {
namespace {

constexpr char kMagic[8] = {'V', 'I', 'G', 'I', 'L', 'H', 'S', 'C'};
constexpr size_t kHeader = sizeof kMagic + 32 + 32;
constexpr size_t kMaxCacheFile = size_t{1} << 31;

std::string file_safe(std::string s) {
  for (char& c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '-';
    if (!ok) c = '_';
  }
  return s;
}

}  // namespace

DbCache::DbCache(std::string dir, const dat::DatId& dat_id)
    : dir_(std::move(dir)), dat_id_(dat_id) {
  if (dir_.empty()) return;
  std::string version = match::hyperscan_version();
  version = version.substr(0, version.find(' '));
  path_ = dir_ + "/" + common::encode_hex(dat_id.data(), 16) + "-hs" + file_safe(version) + "-" +
          file_safe(match::describe_features(match::host_target().cpu_features)) + ".hsdb";
}

common::Result<std::string> DbCache::read() const {
  // Only a directory and a file that no one else can write are trusted: Hyperscan runs the
  // bytes it deserializes. The file is checked and read through one descriptor.
  struct stat dst {};
  if (::stat(dir_.c_str(), &dst) != 0) {
    return common::Status(VIGIL_ERR_IO, dir_ + ": " + common::errno_text(errno));
  }
  if (!S_ISDIR(dst.st_mode) || dst.st_uid != ::geteuid() || (dst.st_mode & (S_IWGRP | S_IWOTH))) {
    return common::Status(VIGIL_ERR_UNTRUSTED,
                          dir_ + ": not a directory owned by this user and writable only by it");
  }
  int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return common::Status(VIGIL_ERR_IO, path_ + ": " + common::errno_text(errno));
  struct stat st {};
  bool owned = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
               (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  if (!owned || static_cast<uint64_t>(st.st_size) > kMaxCacheFile) {
    ::close(fd);
    return common::Status(
        VIGIL_ERR_UNTRUSTED,
        path_ + ": not a regular file owned by this user and writable only by it");
  }
  std::string b(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < b.size()) {
    ssize_t n = ::pread(fd, b.data() + got, b.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != b.size()) return common::Status(VIGIL_ERR_CORRUPT, path_ + ": short read");
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  if (b.size() < kHeader || std::memcmp(p, kMagic, sizeof kMagic) != 0 ||
      std::memcmp(p + sizeof kMagic, dat_id_.data(), 32) != 0) {
    return common::Status(VIGIL_ERR_CORRUPT, path_ + ": not a cache file for this DAT");
  }
  dat::Sha256 want;
  std::memcpy(want.data(), p + sizeof kMagic + 32, want.size());
  if (dat::sha256(p + kHeader, b.size() - kHeader) != want) {
    return common::Status(VIGIL_ERR_CORRUPT, path_ + ": checksum mismatch");
  }
  return b.substr(kHeader);
}

common::Status DbCache::write(std::string_view database) const {
  // mkdir -p, each missing level private to this user.
  for (size_t at = 1; at <= dir_.size(); ++at) {
    if (at != dir_.size() && dir_[at] != '/') continue;
    std::string level = dir_.substr(0, at);
    if (::mkdir(level.c_str(), 0700) != 0 && errno != EEXIST) {
      return common::Status(VIGIL_ERR_IO, level + ": " + common::errno_text(errno));
    }
  }
  std::string out(kMagic, sizeof kMagic);
  out.append(reinterpret_cast<const char*>(dat_id_.data()), dat_id_.size());
  dat::Sha256 h = dat::sha256(reinterpret_cast<const uint8_t*>(database.data()), database.size());
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
  out.append(database);
  return common::write_file_atomically(path_, out, 0600);
}

}  // namespace vigil::scan
