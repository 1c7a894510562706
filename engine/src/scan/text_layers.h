// The normalized forms of text inputs that ClamAV matches instead of (HTML) or besides (ASCII
// text) their raw bytes. ASCII text is lowercased with every run of whitespace made one space;
// HTML is lowercased with comments, declarations and CDATA sections removed, character
// references decoded, whitespace collapsed (dropped between tags and inside scripts) and
// attributes spaced apart; it is also reduced to its text alone, and its scripts are written
// out on their own with their JavaScript normalized. Each form is its own layer: subsignatures
// found in one never combine with those found in another.
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

// Appends HTML's normalized markup to `markup` (scripts with no whitespace), its text alone
// (tags and scripts removed) to `text`, and its scripts to `script`, each as
// "<script>...</script>" with its JavaScript normalized: comments dropped, a space only between
// two words, and identifiers it declares (var, function names and parameters) renamed n000,
// n001... in the order declared, as ClamAV's normalizer writes them; the script layer is cut at
// the input's size.
void normalize_html(const uint8_t* data, uint64_t size, std::string& markup, std::string& text,
                    std::string& script);

}  // namespace vigil::scan

#endif  // VIGIL_SCAN_TEXT_LAYERS_H_
