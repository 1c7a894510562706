// Signature names by id, held in one NUL-separated block with an offset per name: two
// allocations for any number of names, and a DAT section loads as two copies.
#ifndef VIGIL_SCAN_NAME_TABLE_H_
#define VIGIL_SCAN_NAME_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_io.h"
#include "common/pod_vector.h"

namespace vigil::scan {

class NameTable {
 public:
  void add(std::string_view name) {
    text_.insert(text_.end(), name.begin(), name.end());
    text_.push_back('\0');
    ends_.push_back(static_cast<uint32_t>(text_.size()));
  }
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // NUL-terminated; valid while the table lives.
  const char* c_str(uint32_t id) const { return text_.data() + begin(id); }
  std::string_view operator[](uint32_t id) const {
    return std::string_view(text_.data() + begin(id), ends_[id] - 1 - begin(id));
  }

  void write(common::ByteWriter& out) const {
    out.array(text_);
    out.array(ends_);
  }
  // Checks that the offsets rise, end at the block's end, and each name ends with a NUL.
  common::Status read(common::ByteReader& in) {
    in.array(text_, "text");
    in.array(ends_, "offsets");
    std::string_view text(text_.data(), text_.size());
    if (!in.ok()) return in.status();
    if (text.size() >= UINT32_MAX) in.fail("text", "too large");
    uint32_t prev = 0;
    for (uint32_t end : ends_) {
      if (end <= prev || end > text.size() || text[end - 1] != '\0') {
        in.fail("offsets", "do not delimit NUL-terminated names");
        break;
      }
      prev = end;
    }
    if (in.ok() && prev != text.size()) in.fail("offsets", "leave bytes after the last name");
    if (!in.ok()) {
      text_.clear();
      ends_.clear();
      return in.status();
    }
    return common::Status::ok();
  }

 private:
  uint32_t begin(uint32_t id) const { return id == 0 ? 0 : ends_[id - 1]; }
  common::PodVector<char> text_;
  common::PodVector<uint32_t> ends_;
};

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_NAME_TABLE_H_
