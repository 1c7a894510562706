// What a scan learns about one input before matching it: its file type (from its first
// bytes, once) and, for an executable, its entry point and sections (from its headers). The
// matcher filters target-typed signatures and resolves executable-relative offsets with these;
// logical signatures check their target description against them.
#ifndef VIGIL_SCAN_INPUT_FACTS_H_
#define VIGIL_SCAN_INPUT_FACTS_H_

#include <cstdint>
#include <vector>

#include "match/body_matcher.h"
#include "scan/logical.h"
#include "sig/offset.h"
#include "sig/signature_set.h"

namespace vigil::scan {

struct InputFacts {
  uint8_t type = 0;
  bool typed = false;     // type is set
  bool exe_read = false;  // parse_exe() ran
  bool exe = false;       // a parsed executable
  bool has_ep = false;
  uint64_t entry_point = 0;
  std::vector<sig::SectionSpan> sections;

  void reset();
  // Sets `type` from the input's first bytes (format::kIdentifyBytes at most) or, for the
  // whole input (`whole`), also from the HTML markers a clean text file may hold anywhere.
  // Both agree but for text that is found to be HTML, whose raw bytes are matched as type 0
  // either way, so a stream typed early is matched as the whole input would be.
  void identify(const uint8_t* data, uint64_t size, bool whole);
  // Reads the executable headers of a PE, ELF or Mach-O input (a no-op for other types).
  void parse_exe(const uint8_t* data, uint64_t size);
  // The matcher's view for a layer of `layer_type` (the raw bytes of a text file are scanned
  // as type 0, so only signatures for any file see them).
  match::InputFacts matcher(uint8_t layer_type) const;
  // For a layer of the input (its raw bytes, or a normalized form) of `file_size` bytes.
  // `parents` are the containers holding it, outermost first.
  LogicalFacts logical(uint8_t layer_type, const uint8_t* data, uint64_t size, uint64_t file_size,
                       const std::vector<sig::ContainerType>& parents) const;
};

// The type the raw bytes of an input of type `type` are matched as.
inline uint8_t raw_layer_type(uint8_t type) { return type == sig::kTargetAscii ? 0 : type; }

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_INPUT_FACTS_H_
