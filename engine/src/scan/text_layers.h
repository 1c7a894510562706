// The normalized forms of text inputs that ClamAV matches instead of (HTML) or besides (ASCII
// text) their raw bytes. ASCII text is lowercased with every run of whitespace made one space;
// HTML is lowercased with comments, declarations and CDATA sections removed, character
// references decoded, whitespace collapsed (and dropped between tags) and attributes spaced
// apart, and also reduced to its text alone. Each form is its
// own layer: subsignatures found in one never combine with those found in another.
#ifndef VIGIL_SCAN_TEXT_LAYERS_H_
#define VIGIL_SCAN_TEXT_LAYERS_H_

#include <cstdint>
#include <string>

namespace vigil::scan {

// Appends the normalized form of ASCII text to `out`.
void normalize_text(const uint8_t* data, uint64_t size, std::string& out);
// The same one byte at a time, as normalize_text does where the processor lacks AVX-512
// VBMI2 (and for the last bytes of every input); for tests that compare the two.
void normalize_text_bytewise(const uint8_t* data, uint64_t size, std::string& out);

// Appends HTML's normalized markup to `markup` and its text alone (tags removed) to `text`.
void normalize_html(const uint8_t* data, uint64_t size, std::string& markup, std::string& text);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_TEXT_LAYERS_H_
