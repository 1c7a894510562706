// GzipReader: a gzip stream's one member, its decompressed bytes, inflated with ISA-L (about
// twice zlib's speed on real files, and .gz files are most of what a file system holds
// compressed). Concatenated members are one stream, as gunzip reads them; bytes after the last
// member that do not start another are ignored, as gunzip does. Damage (a bad deflate block,
// a wrong CRC-32 or length, a stream cut short) ends the stream after every byte decoded
// before it, and read() then says so. ISA-L may hold some of those bytes in its own buffer
// when it meets the damage, so a damaged member is decoded again with zlib from its start,
// past the bytes already handed out, up to the damage. Other compressions go through
// libarchive.
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

#include "unpack/readers.h"

namespace vigil::unpack {
namespace {

// ID1 ID2 CM(deflate) and FLG with no reserved bit set: what gzip -t accepts as a header start.
bool gzip_member_at(const uint8_t* d, uint64_t n) {
  return n >= 10 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8 && (d[3] & 0xE0) == 0;
}

// Both decoders take 32-bit lengths; a larger stream is fed in slices of this.
constexpr uint64_t kMaxFeed = uint64_t{1} << 30;

class GzipReader final : public ContainerReader {
 public:
  GzipReader(const uint8_t* data, uint64_t size)
      : data_(data), size_(size), isal_(std::make_unique<inflate_state>()) {
    start_member(0);
  }
  ~GzipReader() override {
    if (state_ == State::kSalvage) inflateEnd(&z_);
  }

  Next next(Member& member) override {
    if (handed_out_) return Next::kEnd;
    handed_out_ = true;
    member = Member{"", true, false, -1};
    return Next::kMember;
  }

  int64_t read(uint8_t* out, size_t size) override {
    size_t got = 0;
    while (got < size && state_ == State::kIsal) got += inflate_isal(out + got, size - got);
    if (got < size && state_ == State::kSalvage) got += salvage(out + got, size - got);
    // Bytes decoded before the damage are handed out first; the next call reports it.
    if (got == 0 && state_ == State::kFailed) return -1;
    return static_cast<int64_t>(got);
  }

  uint64_t consumed() const override {
    const uint64_t at =
        state_ == State::kSalvage ? static_cast<uint64_t>(z_.next_in - data_) : isal_at();
    return std::max(at, consumed_floor_);  // the salvage starts over behind ISA-L
  }
  std::string format() const override { return "raw, gzip"; }
  std::string error() const override { return error_; }

 private:
  enum class State { kIsal, kSalvage, kDone, kFailed };

  uint64_t isal_at() const { return static_cast<uint64_t>(isal_->next_in - data_); }

  void start_member(uint64_t at) {
    isal_inflate_init(isal_.get());
    isal_->crc_flag = ISAL_GZIP;  // parses the header, checks the trailer
    isal_->next_in = const_cast<uint8_t*>(data_ + at);
    isal_->avail_in = 0;
    member_at_ = at;
    member_out_ = 0;
  }

  // One step of ISA-L into out[0, room): the bytes it wrote.
  size_t inflate_isal(uint8_t* out, size_t room) {
    if (isal_->block_state == ISAL_BLOCK_FINISH) {
      // The member is complete and its trailer checked. Whatever starts with gzip's magic is
      // another member (one that is cut short or malformed is damage, not trailing bytes).
      const uint64_t at = isal_at();
      if (size_ - at < 2 || data_[at] != 0x1f || data_[at + 1] != 0x8b) {
        state_ = State::kDone;
        return 0;
      }
      start_member(at);
    }
    if (isal_->avail_in == 0) {
      const uint64_t at = isal_at();
      isal_->next_in = const_cast<uint8_t*>(data_ + at);
      isal_->avail_in = static_cast<uint32_t>(std::min(size_ - at, kMaxFeed));
    }
    const uint32_t avail = static_cast<uint32_t>(std::min<size_t>(room, UINT32_MAX));
    isal_->next_out = out;
    isal_->avail_out = avail;
    const uint64_t in_before = isal_at();
    const int rc = isal_inflate(isal_.get());
    const size_t produced = avail - isal_->avail_out;
    member_out_ += produced;
    if (rc != ISAL_DECOMP_OK) {
      begin_salvage(rc == ISAL_INCORRECT_CHECKSUM ? "gzip: a CRC or length does not match"
                                                  : "gzip: invalid compressed data");
    } else if (produced == 0 && isal_at() == in_before && isal_->block_state != ISAL_BLOCK_FINISH) {
      begin_salvage("gzip: truncated stream");  // all the input taken, the member unfinished
    }
    return produced;
  }

  // The current member again, with zlib, from its start: the first member_out_ bytes (handed
  // out already) are skipped, the rest handed out up to where zlib stops.
  void begin_salvage(const char* why) {
    error_ = why;
    consumed_floor_ = isal_at();
    z_ = z_stream{};
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) {  // gzip wrapper only
      state_ = State::kFailed;
      return;
    }
    z_.next_in = const_cast<Bytef*>(data_ + member_at_);
    z_.avail_in = 0;
    skip_ = member_out_;
    state_ = State::kSalvage;
  }

  size_t salvage(uint8_t* out, size_t room) {
    uint8_t discard[4096];
    size_t got = 0;
    while (got < room) {
      if (z_.avail_in == 0) {
        const uint64_t at = static_cast<uint64_t>(z_.next_in - data_);
        z_.avail_in = static_cast<uInt>(std::min(size_ - at, kMaxFeed));
      }
      const bool skipping = skip_ != 0;
      const uInt avail = skipping ? static_cast<uInt>(std::min<uint64_t>(skip_, sizeof discard))
                                  : static_cast<uInt>(std::min<size_t>(room - got, UINT32_MAX));
      z_.next_out = skipping ? discard : out + got;
      z_.avail_out = avail;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const size_t produced = avail - z_.avail_out;
      if (skipping) {
        skip_ -= produced;
      } else {
        got += produced;
      }
      // zlib stops at the damage ISA-L met (or at the member's end, should it not see any):
      // either way the stream ends here, as damaged.
      if (rc != Z_OK || (produced == 0 && z_.avail_in == 0)) {
        consumed_floor_ = consumed();
        inflateEnd(&z_);
        state_ = State::kFailed;
        break;
      }
    }
    return got;
  }

  const uint8_t* data_;
  uint64_t size_;
  std::unique_ptr<inflate_state> isal_;
  State state_ = State::kIsal;
  uint64_t member_at_ = 0;       // where the current member starts
  uint64_t member_out_ = 0;      // its bytes handed out so far
  z_stream z_{};                 // the salvage decoder (State::kSalvage)
  uint64_t skip_ = 0;            // bytes it has yet to decode again before handing any out
  uint64_t consumed_floor_ = 0;  // consumed() never goes back
  bool handed_out_ = false;
  std::string error_;
};

}  // namespace

bool is_gzip(const uint8_t* data, uint64_t size) { return gzip_member_at(data, size); }

common::Result<std::unique_ptr<ContainerReader>> open_gzip(const uint8_t* data, uint64_t size) {
  if (!gzip_member_at(data, size)) {
    return common::Status(VIGIL_ERR_UNSUPPORTED, "not a container: not a gzip header");
  }
  return std::unique_ptr<ContainerReader>(new GzipReader(data, size));
}

}  // namespace vigil::unpack
