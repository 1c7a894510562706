// Fuzzes the format module (file typing and executable headers) on any bytes. Beyond "no crash,
// no leak, no out-of-bounds read": identify() reads only the leading kIdentifyBytes;
// identify_file() only ever turns text into HTML; HtmlTagFinder finds the same in any pieces;
// parse_executable() parses a file as the type identify() gives it, and a PE result stays inside
// the file; the slices of a fat Mach-O lie after its header and inside the file (cut at its end),
// parse on their own, and only a fat Mach-O has them.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "format/format.h"
#include "fuzz_check.h"

namespace {

using vigil::format::ExeInfo;
using vigil::format::TargetType;

void check_executable(const uint8_t* data, size_t size) {
  const TargetType type = vigil::format::identify(data, size);
  auto r = vigil::format::parse_executable(data, size);
  if (!r.is_ok()) {
    FUZZ_CHECK(r.status().code() == VIGIL_ERR_CORRUPT ||
               r.status().code() == VIGIL_ERR_UNSUPPORTED);
    FUZZ_CHECK(!r.status().message().empty());
    return;
  }
  const ExeInfo& info = r.value();
  FUZZ_CHECK(info.kind == type);
  FUZZ_CHECK(info.has_ep);
  FUZZ_CHECK(info.sections.size() <= vigil::format::kMaxSections);
  FUZZ_CHECK(!info.ep_is_default || info.ep == 0);
  if (info.kind == TargetType::kPe) {
    FUZZ_CHECK(info.ep < size);
    for (const auto& s : info.sections) {
      FUZZ_CHECK(s.raw_size == 0 || (s.raw_offset < size && s.raw_size <= size - s.raw_offset));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Typing: only the window counts, and the whole-file search only refines text.
  const TargetType type = vigil::format::identify(data, size);
  const size_t window = std::min(size, vigil::format::kIdentifyBytes);
  FUZZ_CHECK(type == vigil::format::identify(data, window));
  if (size > window) {
    // Bytes past the window do not change the type (identify itself clamps the size, so only
    // different bytes there can show that nothing past the window is read).
    std::vector<uint8_t> changed(data, data + size);
    for (size_t i = window; i < size; ++i) changed[i] = static_cast<uint8_t>(~changed[i]);
    FUZZ_CHECK(type == vigil::format::identify(changed.data(), size));
  }
  const TargetType whole = vigil::format::identify_file(data, size);
  FUZZ_CHECK(whole == type || (type == TargetType::kAscii && whole == TargetType::kHtml));

  // The HTML search over pieces of a size the input picks, against one pass.
  vigil::format::HtmlTagFinder once, pieces;
  once.feed(data, size);
  const size_t piece = 1 + (size != 0 ? data[size - 1] % 13 : 0);
  for (size_t at = 0; at < size; at += piece) pieces.feed(data + at, std::min(piece, size - at));
  FUZZ_CHECK(once.found() == pieces.found());
  if (type == TargetType::kHtml) FUZZ_CHECK(once.found());

  check_executable(data, size);

  auto fat = vigil::format::macho_fat_slices(data, size);
  if (fat.is_ok()) {
    FUZZ_CHECK(type == TargetType::kMachO);
    FUZZ_CHECK(fat.value().slices.size() < 0x20);
    const uint64_t header_end = 8 + 20 * uint64_t{data[7]};
    for (const auto& s : fat.value().slices) {
      FUZZ_CHECK(s.offset >= header_end && s.size <= s.declared);
      FUZZ_CHECK(s.size == 0 || (s.offset < size && s.size <= size - s.offset));
      FUZZ_CHECK(s.size == s.declared || s.offset + s.size == std::max<uint64_t>(s.offset, size));
      // Copied so that a read past the slice is a read past the allocation.
      const std::vector<uint8_t> slice(data + std::min<uint64_t>(s.offset, size),
                                       data + std::min<uint64_t>(s.offset, size) + s.size);
      check_executable(slice.data(), slice.size());
    }
  } else {
    FUZZ_CHECK(fat.status().code() == VIGIL_ERR_UNSUPPORTED);
    FUZZ_CHECK(type != TargetType::kMachO || size < 8 || data[0] != 0xCA);
  }
  return 0;
}
