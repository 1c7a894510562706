// GzipReader: a gzip stream's one member, its decompressed bytes, inflated with ISA-L (about
// twice zlib's speed on real files, and .gz files are most of what a file system holds
// compressed). Concatenated members are one stream, as gunzip reads them; bytes after the last
// member that do not start another are ignored, as gunzip does. Damage (a bad deflate block,
// a wrong CRC-32 or length, a stream cut short) ends the member after every byte decoded
// before it, and read() then says so. Other compressions go through libarchive.
#include <isa-l/igzip_lib.h>

#include <memory>

#include "unpack/readers.h"

namespace vigil::unpack {
namespace {

// ID1 ID2 CM(deflate) and FLG with no reserved bit set: what gzip -t accepts as a header start.
bool gzip_member_at(const uint8_t* d, uint64_t n) {
  return n >= 10 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8 && (d[3] & 0xE0) == 0;
}

// ISA-L takes 32-bit input lengths; a larger stream is fed in slices of this.
constexpr uint64_t kMaxFeed = uint64_t{1} << 30;

class GzipReader final : public ContainerReader {
 public:
  GzipReader(const uint8_t* data, uint64_t size)
      : data_(data), size_(size), state_(std::make_unique<inflate_state>()) {
    start_member(0);
  }

  Next next(Member& member) override {
    if (handed_out_) return Next::kEnd;
    handed_out_ = true;
    member = Member{"", true, false, -1};
    return Next::kMember;
  }

  int64_t read(uint8_t* out, size_t size) override {
    if (failed_) return -1;
    size_t got = 0;
    while (got < size && !done_) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        // The member is complete and its trailer checked: another may follow.
        const uint64_t at = consumed();
        if (!gzip_member_at(data_ + at, size_ - at)) {
          done_ = true;
          break;
        }
        start_member(at);
      }
      feed();
      state_->next_out = out + got;
      state_->avail_out = static_cast<uint32_t>(std::min<size_t>(size - got, UINT32_MAX));
      const uint64_t before_in = consumed();
      const int rc = isal_inflate(state_.get());
      const size_t produced = (size - got) - state_->avail_out;
      got += produced;
      if (rc != ISAL_DECOMP_OK && rc != ISAL_END_INPUT) {
        fail(rc == ISAL_INCORRECT_CHECKSUM ? "gzip: CRC-32 or length of the data does not match"
                                           : "gzip: invalid compressed data");
        break;
      }
      if (rc == ISAL_END_INPUT ||
          (produced == 0 && consumed() == before_in && state_->block_state != ISAL_BLOCK_FINISH)) {
        fail("gzip: truncated stream");  // all input taken, the member not finished
        break;
      }
    }
    // Bytes decoded before the damage are handed out first; the next call reports it.
    if (got == 0 && failed_) return -1;
    return static_cast<int64_t>(got);
  }

  uint64_t consumed() const override { return static_cast<uint64_t>(state_->next_in - data_); }
  std::string format() const override { return "raw, gzip"; }
  std::string error() const override { return error_; }

 private:
  void start_member(uint64_t at) {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;  // parses the header, checks the trailer
    state_->next_in = const_cast<uint8_t*>(data_ + at);
    state_->avail_in = 0;
  }
  // Tops the input window up from the stream (ISA-L keeps no pointer past avail_in).
  void feed() {
    if (state_->avail_in != 0) return;
    const uint64_t at = consumed();
    state_->next_in = const_cast<uint8_t*>(data_ + at);
    state_->avail_in = static_cast<uint32_t>(std::min(size_ - at, kMaxFeed));
  }
  void fail(const char* why) {
    failed_ = true;
    done_ = true;
    error_ = why;
  }

  const uint8_t* data_;
  uint64_t size_;
  std::unique_ptr<inflate_state> state_;
  bool handed_out_ = false;
  bool done_ = false;
  bool failed_ = false;
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
