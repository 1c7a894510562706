// SourceText: one signature source (file or memory), decompressed if its name ends in ".gz",
// with its format taken from the extension, handed out line by line with line numbers.
#ifndef VIGIL_SIG_LINE_READER_H_
#define VIGIL_SIG_LINE_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::sig {

enum class SourceFormat : uint8_t {
  kHdb,
  kHsb,
  kNdb,
  kLdb,
  kMdb,
  kMsb,
  kFp,
  kSfp,
  kIgn2,
  kKnownUnsupported,
  kUnknown
};

// Format from a file name: "main.hdb", "daily.ndb.gz" -> kHdb, kNdb.
SourceFormat format_from_name(std::string_view name);
// The extension (without ".gz"), e.g. "ndb"; "" if none.
std::string_view extension_of(std::string_view name);

class SourceText {
 public:
  static common::Result<SourceText> from_file(const std::string& path);
  static common::Result<SourceText> from_memory(const std::string& name, std::string_view bytes);
  // As from_memory(), taking ownership of the bytes (no copy unless they must be inflated).
  static common::Result<SourceText> from_owned(const std::string& name, std::string bytes);

  const std::string& name() const { return name_; }
  SourceFormat format() const { return format_; }
  // True if the content is a DAT (its magic), which no source format is.
  bool is_dat() const { return text_.starts_with("VIGILDAT"); }  // see dat/container.h

  // Next non-empty line without its line terminator; false at the end.
  bool next_line(std::string_view& line, uint32_t& line_number);

 private:
  static SourceText with_text(const std::string& name, std::string text);

  std::string name_;
  SourceFormat format_ = SourceFormat::kUnknown;
  std::string text_;
  size_t pos_ = 0;
  uint32_t line_ = 0;
};

}  // namespace vigil::sig

#endif  // VIGIL_SIG_LINE_READER_H_
