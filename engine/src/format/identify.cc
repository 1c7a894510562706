// identify(): ClamAV's built-in file typing reduced to the target types signatures name. ClamAV's
// docs say only that types come from magic at the start of a file; every rule here was probed
// with clamscan 1.4.6 (-d with one marker signature per target type, on synthesized files) and
// is kept in ClamAV's order: magic at offset 0, then markers anywhere in the first 1024 bytes
// (HTML, PDF; a weak magic gives way to them), then the text test. Tables, not code, hold the
// magic so that each probed fact is one line.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "format/format.h"

namespace vigil::format {
namespace {

struct Magic {
  std::string_view bytes;  // at offset 0
  TargetType type;
};

using namespace std::string_view_literals;

// Magic that decides the type whatever follows it ("MZ" is PE even with no PE header behind it:
// clamscan runs target-1 signatures on "MZ" + 6 bytes).
constexpr Magic kStrongMagic[] = {
    {"MZ"sv, TargetType::kPe},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv, TargetType::kOle2},  // all 8 bytes (4 are not OLE2)
    {"\x7F\x45LF"sv, TargetType::kElf},
    {"\xFE\xED\xFA\xCE"sv, TargetType::kMachO},  // 32-bit big-endian
    {"\xCE\xFA\xED\xFE"sv, TargetType::kMachO},  // 32-bit little-endian
    {"\xFE\xED\xFA\xCF"sv, TargetType::kMachO},  // 64-bit big-endian
    {"\xCF\xFA\xED\xFE"sv, TargetType::kMachO},  // 64-bit little-endian
    {"FWS"sv, TargetType::kFlash},
    {"CWS"sv, TargetType::kFlash},
    {"ZWS"sv, TargetType::kFlash},
    {"%PDF-"sv, TargetType::kPdf},  // at offset 0 any version; "%PDF" alone is not a PDF
    // Graphics: the shortest prefixes clamscan takes ("GIF" without "8", "MM" alone for big-endian
    // TIFF while little-endian needs all of "II*\0").
    // ICO, PSD, WebP, PCX and JPEG 2000 codestreams are not graphics to ClamAV.
    {"GIF"sv, TargetType::kGraphics},
    {"\x89PNG"sv, TargetType::kGraphics},
    {"\xFF\xD8\xFF"sv, TargetType::kGraphics},
    {"BM"sv, TargetType::kGraphics},
    {"II*\0"sv, TargetType::kGraphics},
    {"MM"sv, TargetType::kGraphics},
    {"\0\0\0\x0CjP  \r\n\x87\n"sv, TargetType::kGraphics},  // JPEG 2000 signature box
    // Mail: exactly these header starts, case and spacing included ("Subject:\t", "from ",
    // "MIME-Version: " and "Cc: " are not mail). Anywhere but offset 0 they mean nothing.
    {"From "sv, TargetType::kMail},
    {">From "sv, TargetType::kMail},
    {"From: "sv, TargetType::kMail},
    {"Received: "sv, TargetType::kMail},
    {"Return-Path: "sv, TargetType::kMail},
    {"Return-path: "sv, TargetType::kMail},
    {"Delivered-To: "sv, TargetType::kMail},
    {"Envelope-to: "sv, TargetType::kMail},
    {"X-UIDL: "sv, TargetType::kMail},
    {"X-Apparently-To: "sv, TargetType::kMail},
    {"X-Envelope-From: "sv, TargetType::kMail},
    {"X-Original-To: "sv, TargetType::kMail},
    {"X-Symantec-"sv, TargetType::kMail},
    {"X-EVS"sv, TargetType::kMail},
    {"X-Real-To: "sv, TargetType::kMail},
    {"Subject: "sv, TargetType::kMail},
    {"Date: "sv, TargetType::kMail},
    {"To: "sv, TargetType::kMail},
    {"Message-ID: "sv, TargetType::kMail},
    {"Message-Id: "sv, TargetType::kMail},
};

bool starts_with(const uint8_t* data, size_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

// CAFEBABE is shared by Java classes and fat Mach-O. ClamAV looks at the next four bytes as one
// big-endian number: 0x00-0x1F is a fat Mach-O, 0x20-0x3F a class file (so Java 20 and later,
// major version 64+, is neither), anything else neither. These two give way to markers found
// later in the first 1024 bytes: HTML beats both, PDF beats the fat Mach-O only.
TargetType weak_magic(const uint8_t* data, size_t size) {
  if (!starts_with(data, size, "\xCA\xFE\xBA\xBE\0\0\0"sv) || size < 8) return TargetType::kAny;
  if (data[7] < 0x20) return TargetType::kMachO;
  if (data[7] < 0x40) return TargetType::kJava;
  return TargetType::kAny;
}

// "%PDF-" or "%pdf-", any byte, then "." anywhere in the window ("%PDF-1." is a PDF at offset 10,
// "%PDF-1" and "%PDF-10." are not).
bool pdf_marker_in(const uint8_t* data, size_t size) {
  for (size_t i = 0; i + 7 <= size; ++i) {
    const uint8_t* p = data + i;
    if (p[0] != '%' || p[4] != '-' || p[6] != '.') continue;
    if (std::memcmp(p + 1, "PDF", 3) == 0 || std::memcmp(p + 1, "pdf", 3) == 0) return true;
  }
  return false;
}

// Bytes that never occur in text: C0 controls but BEL, BS, TAB, LF, FF, CR and ESC, and DEL
// (clamscan: one VT or SO is enough, bytes 0x80-0xFF are fine).
bool is_binary_byte(uint8_t c) {
  if (c == 0x7F) return true;
  if (c >= 0x20) return false;
  return !(c == 0x07 || c == 0x08 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1B);
}

// The text test on the window, as clamscan behaves. Text without a binary byte is text.
// Otherwise the data is read as 16-bit units, little-endian after a FF FE byte-order mark and
// big-endian otherwise, the first unit (the mark's place) skipped: it is binary as soon as a unit
// is U+FFFE, or, without a mark, a unit below 0x80 that is a binary byte. So 'x' with one NUL
// is text, with "\0\0" at offset 2 it is not, and three NULs at offset 0 are still text.
bool looks_like_text(const uint8_t* data, size_t size) {
  if (text_is_clean(data, size)) return true;
  const bool le_mark = size >= 2 && data[0] == 0xFF && data[1] == 0xFE;
  const bool be_mark = size >= 2 && data[0] == 0xFE && data[1] == 0xFF;
  for (size_t i = 2; i + 1 < size; i += 2) {
    const uint16_t unit = le_mark ? static_cast<uint16_t>(data[i] | data[i + 1] << 8)
                                  : static_cast<uint16_t>(data[i] << 8 | data[i + 1]);
    if (unit == 0xFFFE) return false;
    if (!le_mark && !be_mark && unit < 0x80 && is_binary_byte(static_cast<uint8_t>(unit))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool text_is_clean(const uint8_t* data, size_t size) {
  return std::none_of(data, data + size, is_binary_byte);
}

TargetType identify(const uint8_t* data, size_t size) {
  size = std::min(size, kIdentifyBytes);
  if (data == nullptr || size == 0) return TargetType::kAny;
  for (const Magic& m : kStrongMagic) {
    if (starts_with(data, size, m.bytes)) return m.type;
  }
  HtmlTagFinder html;
  html.feed(data, size);
  const bool pdf = pdf_marker_in(data, size);
  switch (weak_magic(data, size)) {
    case TargetType::kJava:
      return html.found() ? TargetType::kHtml : TargetType::kJava;
    case TargetType::kMachO:
      return html.found() ? TargetType::kHtml : pdf ? TargetType::kPdf : TargetType::kMachO;
    default:
      break;
  }
  if (html.found()) return TargetType::kHtml;
  if (pdf) return TargetType::kPdf;
  return looks_like_text(data, size) ? TargetType::kAscii : TargetType::kAny;
}

TargetType identify_file(const uint8_t* data, size_t size) {
  const TargetType type = identify(data, size);
  if (type != TargetType::kAscii || size <= kIdentifyBytes ||
      !text_is_clean(data, kIdentifyBytes)) {
    return type;
  }
  HtmlTagFinder html;
  html.feed(data, size);
  return html.found() ? TargetType::kHtml : type;
}

}  // namespace vigil::format
