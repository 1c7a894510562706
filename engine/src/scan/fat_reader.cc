// A fat Mach-O's slices handed out as container members. The slices are ranges of the input, so
// the reader only copies them out in pieces; every problem with the table (a slice past the end
// of the file, cut by it, overlapping another, or starting inside the fat header) becomes the
// reader's own failure, which the descent turns into a broken-container outcome after scanning
// what there is, as clamscan scans such slices (it reports none of it).
#include "scan/fat_reader.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "format/format.h"

namespace vigil::scan {
namespace {

class FatReader final : public unpack::ContainerReader {
 public:
  FatReader(const uint8_t* data, format::FatLayout layout)
      : data_(data), layout_(std::move(layout)) {}

  Next next(unpack::Member& member) override {
    if (next_ < layout_.slices.size()) {
      current_ = next_++;
      pos_ = 0;
      member = unpack::Member{};
      member.name = "slice-" + std::to_string(current_);
      member.size = static_cast<int64_t>(layout_.slices[current_].size);
      // A slice sharing bytes with an earlier one is scanned (as clamscan scans it) but not
      // opened: 31 slices of one nested fat binary would otherwise multiply at every level.
      member.leaf = layout_.slices[current_].overlaps >= 0;
      return Next::kMember;
    }
    if (!layout_.damage.empty()) {
      error_ = layout_.damage;
      return Next::kBroken;
    }
    return Next::kEnd;
  }

  int64_t read(uint8_t* out, size_t size) override {
    if (current_ >= layout_.slices.size()) return 0;
    const format::FatSlice& s = layout_.slices[current_];
    if (pos_ < s.size) {
      const uint64_t n = std::min<uint64_t>(size, s.size - pos_);
      std::memcpy(out, data_ + s.offset + pos_, static_cast<size_t>(n));
      pos_ += n;
      consumed_ += n;
      return static_cast<int64_t>(n);
    }
    const std::string which = "Mach-O fat: slice-" + std::to_string(current_);
    if (s.size < s.declared) {
      error_ = which + ": " + std::to_string(s.declared) + " bytes declared at offset " +
               std::to_string(s.offset) + ", " + std::to_string(s.size) + " in the file";
      return -1;
    }
    if (s.overlaps >= 0) {
      error_ = which + ": shares bytes with slice-" + std::to_string(s.overlaps);
      return -1;
    }
    return 0;
  }

  uint64_t consumed() const override { return consumed_; }
  std::string format() const override { return kFatMachoFormat; }
  std::string error() const override { return error_; }
  bool expands() const override { return false; }

 private:
  const uint8_t* data_;
  format::FatLayout layout_;
  size_t next_ = 0;
  size_t current_ = SIZE_MAX;
  uint64_t pos_ = 0;
  uint64_t consumed_ = 0;
  std::string error_;
};

}  // namespace

bool maybe_fat_macho(const uint8_t* data, uint64_t size) {
  return size >= 8 && data[0] == 0xCA && data[1] == 0xFE && data[2] == 0xBA && data[3] == 0xBE;
}

common::Result<std::unique_ptr<unpack::ContainerReader>> open_fat_macho(const uint8_t* data,
                                                                        uint64_t size) {
  auto layout = format::macho_fat_slices(data, size);
  if (!layout.is_ok()) return layout.status();
  return std::unique_ptr<unpack::ContainerReader>(new FatReader(data, layout.take()));
}

}  // namespace vigil::scan
