// JSON string encoding for paths and signature names, which are arbitrary bytes on POSIX.
#ifndef VIGIL_SCANNER_CLI_JSON_ESCAPE_H_
#define VIGIL_SCANNER_CLI_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace vigil::cli {

// Appends @p bytes to @p out as a quoted JSON string. Valid UTF-8 is copied through; quotes,
// backslashes and control characters are escaped; every byte that is not part of a valid UTF-8
// sequence becomes \u00XX (that is, it is read as Latin-1), so the output is always valid JSON.
void append_json_string(std::string* out, std::string_view bytes);

}  // namespace vigil::cli

#endif  // VIGIL_SCANNER_CLI_JSON_ESCAPE_H_
