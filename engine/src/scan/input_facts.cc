// Computing InputFacts with the format module: typing is a magic-byte check on a bounded
// prefix, and only PE, ELF and Mach-O inputs have their headers parsed. A malformed header is
// not an error of the scan: the input is then simply not an executable, and its
// executable-relative signatures cannot match, as in ClamAV.
#include "scan/input_facts.h"

#include "format/format.h"

namespace vigil::scan {

static_assert(sig::kTargetPe == static_cast<uint8_t>(format::TargetType::kPe) &&
                  sig::kTargetHtml == static_cast<uint8_t>(format::TargetType::kHtml) &&
                  sig::kTargetAscii == static_cast<uint8_t>(format::TargetType::kAscii),
              "format types are ClamAV's target numbers");

void InputFacts::reset() {
  type = 0;
  typed = false;
  exe_read = false;
  exe = false;
  has_ep = false;
  entry_point = 0;
  sections.clear();
}

void InputFacts::identify(const uint8_t* data, uint64_t size, bool whole) {
  if (whole) {
    type = static_cast<uint8_t>(format::identify_file(data, static_cast<size_t>(size)));
  } else {
    size_t n = size < format::kIdentifyBytes ? static_cast<size_t>(size) : format::kIdentifyBytes;
    type = static_cast<uint8_t>(format::identify(data, n));
  }
  typed = true;
}

void InputFacts::parse_exe(const uint8_t* data, uint64_t size) {
  exe_read = true;
  if (!sig::executable_target(type)) return;
  auto info = format::parse_executable(data, size);
  if (!info.is_ok()) return;
  exe = true;
  has_ep = info.value().has_ep;
  entry_point = info.value().ep;
  for (const format::Section& s : info.value().sections) {
    sections.push_back(sig::SectionSpan{s.raw_offset, s.raw_size});
  }
}

match::InputFacts InputFacts::matcher(uint8_t layer_type) const {
  match::InputFacts f;
  f.type = layer_type;
  f.exe.valid = exe;
  f.exe.has_ep = has_ep;
  f.exe.ep = entry_point;
  f.exe.sections = sections.data();
  f.exe.count = static_cast<uint32_t>(sections.size());
  return f;
}

LogicalFacts InputFacts::logical(uint8_t layer_type, const uint8_t* data, uint64_t size,
                                 uint64_t file_size,
                                 const std::vector<sig::ContainerType>& parents) const {
  LogicalFacts f;
  f.data = data;
  f.size = size;
  f.file_size = file_size;
  f.anchors = matcher(layer_type).exe;
  f.type = layer_type;
  f.parents = parents.data();
  f.depth = parents.size();
  return f;
}

}  // namespace vigil::scan
