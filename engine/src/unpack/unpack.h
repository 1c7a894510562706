// Facade of the unpack module: which inputs are containers (sniff, from magic bytes, so that
// the common case of a plain file never reaches libarchive), and ArchiveReader, the one place
// libarchive is used: a read handle over an in-memory container, with every archive format
// and compression filter the engine descends into, handing out members and their bytes.
#ifndef VIGIL_UNPACK_UNPACK_H_
#define VIGIL_UNPACK_UNPACK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

struct archive;

namespace vigil::unpack {

// Whether the bytes start like an archive or a compressed stream libarchive reads: kStrong
// for magic that ordinary data does not begin with by chance (so a container that then fails
// to open is a broken one), kWeak for short or checksum-only magic (then it is just data).
enum class Sniff { kNone, kWeak, kStrong };
Sniff sniff(const uint8_t* data, uint64_t size);

struct Member {
  std::string name;        // path inside the container ("" for a compressed stream's bytes)
  bool regular = true;     // a file (directories, links and devices have no bytes to scan)
  bool encrypted = false;  // its data (or the whole container) is encrypted
  int64_t size = -1;       // the size its header declares; -1 when it has none
};

class ArchiveReader {
 public:
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // Opens data[0, size) (borrowed; must outlive the reader). VIGIL_ERR_UNSUPPORTED when no
  // format or filter recognises it (magic bytes by chance, or too little of a header).
  static common::Result<std::unique_ptr<ArchiveReader>> open(const uint8_t* data, uint64_t size);

  enum class Next { kMember, kEnd, kBroken };
  // Moves to the next member. kBroken: the container cannot be read further (error()).
  Next next(Member& member);

  // Reads up to `size` bytes of the current member: the count, 0 at its end, or -1 when its
  // data cannot be read (corrupt, truncated, encrypted: error()).
  int64_t read(uint8_t* out, size_t size);

  // Bytes of the container consumed so far (for compression ratios), read kBlock at a time:
  // a member's share is within kBlock of the growth of consumed() while it is read.
  static constexpr size_t kBlock = size_t{16} << 10;
  uint64_t consumed() const;
  // "ZIP 2.0 (deflation)", "GNU tar format", "RAW"... and the outermost filter ("gzip").
  std::string format() const;
  std::string error() const;

 private:
  ArchiveReader() = default;
  archive* a_ = nullptr;
  bool compressed_ = false;  // a bare compressed stream: one member, its decompressed bytes
  bool pending_ = false;     // that member is not handed out yet
};

}  // namespace vigil::unpack

#endif  // VIGIL_UNPACK_UNPACK_H_
