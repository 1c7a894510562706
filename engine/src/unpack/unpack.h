// Facade of the unpack module: which inputs are containers (sniff(), from magic bytes, so the
// common case of a plain file never reaches a parser), and the readers that hand out a
// container's members and their bytes: ArchiveReader, the one place libarchive is used
// (archives and compressed streams), GzipReader (a gzip stream, inflated with ISA-L), MailReader,
// the one place GMime is used (MIME messages and mbox files), PdfReader (a PDF's streams, decoded
// with zlib where they are deflated) and Ole2Reader (an OLE2 compound file's streams). The scan
// module sees only ContainerReader.
#ifndef VIGIL_UNPACK_UNPACK_H_
#define VIGIL_UNPACK_UNPACK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace vigil::unpack {

// What the bytes start like. `strong`: magic that ordinary data does not begin with by
// chance, so a container that then fails to open is a broken one; otherwise (short or
// checksum-only magic, mail headers) a failure just means it was data.
enum class Kind { kNone, kArchive, kMail, kPdf, kOle2 };
struct Sniffed {
  Kind kind = Kind::kNone;
  bool strong = false;
};
Sniffed sniff(const uint8_t* data, uint64_t size);

struct Member {
  std::string name;        // path inside the container ("" for a compressed stream's bytes)
  bool regular = true;     // not a directory (which carries no bytes)
  bool encrypted = false;  // its data (or the whole container) is encrypted
  int64_t size = -1;       // the size its header declares; -1 when it has none
  // Its bytes are scanned, but no container inside it is opened: a member whose bytes another
  // member also holds (an overlapping fat Mach-O slice), which could otherwise nest copies of
  // the same bytes into work exponential in the depth.
  bool leaf = false;
};

class ContainerReader {
 public:
  virtual ~ContainerReader() = default;
  enum class Next { kMember, kEnd, kBroken };
  // Moves to the next member. kBroken: the container cannot be read further (error()).
  virtual Next next(Member& member) = 0;
  // Reads up to `size` bytes of the current member: the count, 0 at its end, or -1 when its
  // data cannot be read (corrupt, truncated, encrypted: error()).
  virtual int64_t read(uint8_t* out, size_t size) = 0;
  // Bytes of the container consumed so far, for compression ratios: a member's share is
  // within kBlock of the growth of consumed() while it is read.
  static constexpr size_t kBlock = size_t{16} << 10;
  virtual uint64_t consumed() const = 0;
  // "ZIP 2.0 (deflation)", "GNU tar format, gzip", "MIME message"...
  virtual std::string format() const = 0;
  virtual std::string error() const = 0;
  // False for readers whose members cannot be larger than their encoding (mail): no
  // compression ratio to watch.
  virtual bool expands() const { return true; }
  // True when the reader stopped early to bound its own memory (a message with more parts
  // than max_members): members past that point are not handed out.
  virtual bool truncated() const { return false; }
};

// How archive bytes are opened. Bytes that start like a compressed stream are opened twice:
// as the stream (its one member, the decompressed bytes) and as an archive format, so that a
// polyglot (a tar whose first name reads as a gzip header, say) cannot hide its members behind
// a decompression that fails or yields nothing.
enum class View { kCompressed, kFormats };
// True when the bytes start like a stream of one of the compressions the readers decode.
bool looks_compressed(const uint8_t* data, uint64_t size);

// Opens data[0, size) (borrowed; must outlive the reader) as the kind sniff() said.
// VIGIL_ERR_UNSUPPORTED when nothing recognises it (magic by chance, too little of a header);
// VIGIL_ERR_LIMIT when its header asks for more memory than a member may take (an lzma
// dictionary); other errors are the reader's own (memory). `max_members` bounds what a reader
// that must parse a whole container up front (mail) builds.
common::Result<std::unique_ptr<ContainerReader>> open_container(const uint8_t* data, uint64_t size,
                                                                Kind kind, uint32_t max_members,
                                                                View view = View::kFormats);

}  // namespace vigil::unpack

#endif  // VIGIL_UNPACK_UNPACK_H_
