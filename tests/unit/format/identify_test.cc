// identify(): every type's magic and the rules clamscan 1.4.6 showed when probed with one marker
// signature per target type (kept as the expected values here): which prefixes count, which
// HTML and PDF markers count and how far into the file, who wins when several apply, and the
// text test. identify_file() and HtmlTagFinder: HTML anywhere in clean text, found the same
// whatever pieces the text arrives in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/format.h"

namespace vigil::format {
namespace {

using namespace std::string_literals;

TargetType id(const std::string& s) {
  return identify(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
TargetType id_file(const std::string& s) {
  return identify_file(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string zeros(size_t n) { return std::string(n, '\0'); }
std::string xs(size_t n) { return std::string(n, 'x'); }
// 'x' text with `bytes` placed at `at`.
std::string text_with(size_t at, const std::string& bytes, size_t n = 300) {
  std::string s = xs(n);
  s.replace(at, bytes.size(), bytes);
  return s;
}

struct Case {
  const char* name;
  std::string data;
  TargetType want;
};

class Identify : public ::testing::TestWithParam<Case> {};

TEST_P(Identify, MatchesClamscan) {
  EXPECT_EQ(id(GetParam().data), GetParam().want) << GetParam().name;
}

std::vector<Case> magic_cases() {
  const TargetType kAny = TargetType::kAny;
  return {
      {"MZ is PE even with no PE header", "MZ"s + zeros(6), TargetType::kPe},
      {"ZM is not", "ZM"s + zeros(64), kAny},
      {"OLE2 needs all 8 bytes", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"s + zeros(8), TargetType::kOle2},
      {"OLE2 first 4 bytes", "\xD0\xCF\x11\xE0"s + zeros(64), kAny},
      {"ELF", "\x7F\x45LF"s + zeros(8), TargetType::kElf},
      {"ELF 3 bytes", "\x7F\x45L"s + zeros(64), kAny},
      {"Mach-O 32 BE", "\xFE\xED\xFA\xCE"s + zeros(8), TargetType::kMachO},
      {"Mach-O 32 LE", "\xCE\xFA\xED\xFE"s + zeros(8), TargetType::kMachO},
      {"Mach-O 64 BE", "\xFE\xED\xFA\xCF"s + zeros(8), TargetType::kMachO},
      {"Mach-O 64 LE", "\xCF\xFA\xED\xFE"s + zeros(8), TargetType::kMachO},
      {"CAFEBABE 0 is fat Mach-O", "\xCA\xFE\xBA\xBE"s + zeros(4) + zeros(8), TargetType::kMachO},
      {"CAFEBABE 0x1f is fat Mach-O", "\xCA\xFE\xBA\xBE\0\0\0\x1F"s + zeros(8), TargetType::kMachO},
      {"CAFEBABE 0x20 is Java", "\xCA\xFE\xBA\xBE\0\0\0\x20"s + zeros(8), TargetType::kJava},
      {"CAFEBABE 45 is Java", "\xCA\xFE\xBA\xBE\0\0\0\x2D"s + zeros(8), TargetType::kJava},
      {"CAFEBABE 0x3f is Java", "\xCA\xFE\xBA\xBE\0\0\0\x3F"s + zeros(8), TargetType::kJava},
      {"CAFEBABE 0x40 is neither", "\xCA\xFE\xBA\xBE\0\0\0\x40"s + zeros(64), kAny},
      {"CAFEBABE minor 3 major 45", "\xCA\xFE\xBA\xBE\0\x03\0\x2D"s + zeros(64), kAny},
      {"CAFEBABE then text", "\xCA\xFE\xBA\xBEvgmkzq"s, TargetType::kAscii},
      {"FWS", "FWS"s + zeros(8), TargetType::kFlash},
      {"CWS", "CWS"s + zeros(8), TargetType::kFlash},
      {"ZWS", "ZWS"s + zeros(8), TargetType::kFlash},
      {"fws", "fws"s + zeros(64), kAny},
      {"GIF without 8", "GIF"s + zeros(8), TargetType::kGraphics},
      {"GI", "GI"s + zeros(64), kAny},
      {"PNG 4 bytes", "\x89PNG"s + zeros(8), TargetType::kGraphics},
      {"PNG 3 bytes", "\x89PN"s + zeros(64), kAny},
      {"JPEG", "\xFF\xD8\xFF"s + zeros(8), TargetType::kGraphics},
      {"JPEG 2 bytes", "\xFF\xD8"s + zeros(64), kAny},
      {"BMP", "BM"s + zeros(8), TargetType::kGraphics},
      {"bm", "bm"s + zeros(64), kAny},
      {"TIFF LE", "II*\0"s + zeros(8), TargetType::kGraphics},
      {"TIFF LE 3 bytes", "II*\x01"s + zeros(64), kAny},
      {"TIFF BE 2 bytes are enough", "MMxyz"s + zeros(64), TargetType::kGraphics},
      {"JPEG 2000", "\0\0\0\x0CjP  \r\n\x87\n"s + zeros(8), TargetType::kGraphics},
      {"ICO is not graphics", "\0\0\x01\0"s + zeros(64), kAny},
      {"WebP is not graphics", "RIFF\0\0\0\0WEBPVP8 "s + zeros(64), kAny},
      {"PDF at 0, any version", "%PDF-x"s + zeros(8), TargetType::kPdf},
      {"%PDF without dash", "%PDF"s + zeros(64), kAny},
      {"%pdf- at 0 alone", "%pdf-"s + zeros(64), kAny},
  };
}

std::vector<Case> mail_cases() {
  std::vector<Case> out;
  for (const char* prefix : {"From ",
                             ">From ",
                             "From: ",
                             "Received: ",
                             "Return-Path: ",
                             "Return-path: ",
                             "Delivered-To: ",
                             "Envelope-to: ",
                             "X-UIDL: ",
                             "X-Apparently-To: ",
                             "X-Envelope-From: ",
                             "X-Original-To: ",
                             "X-Symantec-",
                             "X-EVS",
                             "X-Real-To: ",
                             "Subject: ",
                             "Date: ",
                             "To: ",
                             "Message-ID: ",
                             "Message-Id: "}) {
    out.push_back({prefix, std::string(prefix) + "x y\n" + zeros(40), TargetType::kMail});
  }
  for (const char* text : {"MIME-Version: 1.0\n", "from a\n", "Subject:\tx\n", "Cc: a\n",
                           "\nFrom a\n", " From a\n", "Received:x\n", "Envelope-To: a\n"}) {
    out.push_back({text, std::string(text) + "body\n", TargetType::kAscii});
  }
  return out;
}

std::vector<Case> marker_cases() {
  const TargetType kHtml = TargetType::kHtml, kAscii = TargetType::kAscii;
  std::vector<Case> out;
  // Tags in the spellings clamscan takes, and near misses, in text and in binary data.
  for (const char* tag :
       {"<html>",  "<HTML>",  "<Html>",    "<head>",  "<HEAD>",  "<Head>",  "<script",
        "<SCRIPT", "<Script", "<iframe",   "<IFRAME", "<table",  "<TABLE",  "<img",
        "<IMG",    "<Img",    "<object",   "<OBJECT", "<Object", "<a href", "<A HREF",
        "<a hrEF", "<A Href", "<a x href", "<a >href"}) {
    out.push_back({tag, "xx "s + tag + " yy\n", kHtml});
    out.push_back({tag, "\0\x01"s + tag + zeros(20), kHtml});
  }
  for (const char* tag : {"<hTmL>", "<html", "<html >", "<body>", "<title>", "<meta>", "<Iframe",
                          "<Table", "<iMg", "<sCript", "<a hReF", "<a\thref", "<ahref", "<a",
                          "</html>", "<!DOCTYPE html>", "href <a "}) {
    out.push_back({tag, "xx "s + tag + " yy\n", kAscii});
  }
  out.push_back({"html tag ending at byte 1024", zeros(1018) + "<html>" + zeros(64), kHtml});
  out.push_back(
      {"html tag ending at byte 1025", zeros(1019) + "<html>" + zeros(64), TargetType::kAny});
  // PDF anywhere in the window: "%PDF-", one byte, "."; lowercase too.
  out.push_back({"%PDF-1. at 10", zeros(10) + "%PDF-1." + zeros(20), TargetType::kPdf});
  out.push_back({"%pdf-2. at 10", zeros(10) + "%pdf-2." + zeros(20), TargetType::kPdf});
  out.push_back({"%PDF-x. at 10", zeros(10) + "%PDF-x." + zeros(20), TargetType::kPdf});
  out.push_back({"%PDF-1 at 10", zeros(10) + "%PDF-1\0\0"s + zeros(20), TargetType::kAny});
  out.push_back({"%PDF-10. at 10", zeros(10) + "%PDF-10." + zeros(20), TargetType::kAny});
  out.push_back({"PDF ending at byte 1024", zeros(1017) + "%PDF-1.4", TargetType::kPdf});
  out.push_back({"PDF ending at byte 1025", zeros(1018) + "%PDF-1.4", TargetType::kAny});
  // Who wins: magic at 0 beats markers; HTML beats a PDF marker; the weak CAFEBABE magic loses
  // to HTML, and the fat Mach-O one to PDF as well.
  out.push_back({"MZ then html", "MZ<html> x", TargetType::kPe});
  out.push_back({"GIF then html", "GIF89a<html> x", TargetType::kGraphics});
  out.push_back({"mail then html", "From: a\n<html> x", TargetType::kMail});
  out.push_back({"PDF at 0 then html", "%PDF-1.4 <html> x", TargetType::kPdf});
  out.push_back({"PDF marker then html", "xx%PDF-1.4 xx<script> x", kHtml});
  out.push_back({"html then PDF marker", "<html> %PDF-1.4 x", kHtml});
  out.push_back({"Java then html", "\xCA\xFE\xBA\xBE\0\0\0\x32"s + zeros(4) + "<html>", kHtml});
  out.push_back(
      {"Java then PDF", "\xCA\xFE\xBA\xBE\0\0\0\x32"s + zeros(4) + "%PDF-1.4", TargetType::kJava});
  out.push_back(
      {"fat then PDF", "\xCA\xFE\xBA\xBE\0\0\0\x01"s + zeros(4) + "%PDF-1.4", TargetType::kPdf});
  out.push_back({"fat, html past the window",
                 "\xCA\xFE\xBA\xBE\0\0\0\x01"s + zeros(2000) + "<html>", TargetType::kMachO});
  return out;
}

std::vector<Case> text_cases() {
  const TargetType kAny = TargetType::kAny, kAscii = TargetType::kAscii;
  return {
      {"plain text", "hello world\n", kAscii},
      {"high bytes are text", "\x01\x02\x80\xFF\xFE\x7F\x1F"s + xs(100), kAscii},
      {"one NUL", text_with(100, "\0"s), kAscii},
      {"NUL pair at even offset", text_with(100, "\0\0"s), kAny},
      {"NUL pair at odd offset", text_with(101, "\0\0"s), kAscii},
      {"three NULs at 0", "\0\0\0"s + xs(200), kAscii},
      {"four NULs at 0", "\0\0\0\0"s + xs(200), kAny},
      {"NUL then BEL", text_with(100, "\0\x07"s), kAscii},
      {"NUL then ESC", text_with(100, "\0\x1B"s), kAscii},
      {"NUL then SOH", text_with(100, "\0\x01"s), kAny},
      {"NUL then VT", text_with(100, "\0\x0B"s), kAny},
      {"NUL then DEL", text_with(100, "\0\x7F"s), kAny},
      {"SOH then NUL", text_with(100, "\x01\0"s), kAscii},
      {"U+FFFE unit in text with a control byte", text_with(51, "\x01"s) + "\xFF\xFE", kAny},
      {"U+FFFE unit in clean text", text_with(100, "\xFF\xFE"s), kAscii},
      {"FF FE mark, then NUL pair", "\xFF\xFE"s + text_with(100, "\0\0"s), kAscii},
      {"FE FF mark, then NUL SOH", "\xFE\xFF"s + text_with(100, "\0\x01"s), kAscii},
      {"NUL pair past the window", xs(2000) + zeros(4), kAscii},
      {"NUL pair ending at byte 1024", xs(1022) + zeros(2) + xs(100), kAny},
      {"empty", "", kAny},
  };
}

INSTANTIATE_TEST_SUITE_P(Magic, Identify, ::testing::ValuesIn(magic_cases()));
INSTANTIATE_TEST_SUITE_P(Mail, Identify, ::testing::ValuesIn(mail_cases()));
INSTANTIATE_TEST_SUITE_P(Markers, Identify, ::testing::ValuesIn(marker_cases()));
INSTANTIATE_TEST_SUITE_P(Text, Identify, ::testing::ValuesIn(text_cases()));

TEST(Identify, ReadsNoMoreThanTheWindow) {
  // A marker past kIdentifyBytes changes nothing, and the same leading bytes type the same way
  // whatever follows.
  const std::string head = zeros(kIdentifyBytes);
  EXPECT_EQ(id(head + "<html>"), TargetType::kAny);
  EXPECT_EQ(identify(nullptr, 0), TargetType::kAny);
  EXPECT_EQ(identify(reinterpret_cast<const uint8_t*>("MZ"), 2), TargetType::kPe);
}

TEST(IdentifyFile, FindsHtmlAnywhereInCleanText) {
  const std::string late = std::string(5000, 'y') + "<html>";
  EXPECT_EQ(id(late), TargetType::kAscii);
  EXPECT_EQ(id_file(late), TargetType::kHtml);
  // An anchor and its href far apart, in that order only.
  EXPECT_EQ(id_file(xs(3000) + "<a " + xs(3000) + "href"), TargetType::kHtml);
  EXPECT_EQ(id_file(xs(3000) + "href " + xs(3000) + "<a "), TargetType::kAscii);
  // A control byte in the first 1024 bytes stops the search; one later does not.
  EXPECT_EQ(id_file("\x01" + std::string(2000, 'y') + "<html>"), TargetType::kAscii);
  EXPECT_EQ(id_file(std::string(1100, 'y') + "\x01" + std::string(1000, 'y') + "<html>"),
            TargetType::kHtml);
  // Binary data is not searched past the window.
  EXPECT_EQ(id_file(zeros(2000) + "<html>"), TargetType::kAny);
}

TEST(HtmlTagFinder, SameResultWhateverThePieces) {
  const std::vector<std::string> inputs = {
      "xxxx<script>yy",
      "ab<a hr",
      "<a " + xs(50) + "HREF",
      "href<a x",
      "hre<a f",
      "<scrip",
      "<<html>",
      "<a <a hrEF",
      "z<A \nhRef",
      "<OBJECT",
      xs(20) + "<Img" + xs(3),
  };
  for (const std::string& text : inputs) {
    HtmlTagFinder whole;
    whole.feed(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    for (size_t piece = 1; piece <= 9; ++piece) {
      HtmlTagFinder parts;
      for (size_t at = 0; at < text.size(); at += piece) {
        const size_t n = std::min(piece, text.size() - at);
        parts.feed(reinterpret_cast<const uint8_t*>(text.data()) + at, n);
      }
      EXPECT_EQ(parts.found(), whole.found()) << text << " in pieces of " << piece;
    }
  }
}

TEST(HtmlTagFinder, HrefMustFollowTheAnchor) {
  auto found = [](const std::string& s) {
    HtmlTagFinder f;
    f.feed(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    return f.found();
  };
  EXPECT_TRUE(found("<a href"));
  EXPECT_TRUE(found("<a >href"));
  EXPECT_FALSE(found("href<a "));
  EXPECT_FALSE(found("<ahref"));
  EXPECT_FALSE(found("<a hReF"));
  EXPECT_FALSE(found("<scrip"));
}

TEST(TextIsClean, OnlyControlBytesOtherThanTextOnesCount) {
  auto clean = [](const std::string& s) {
    return text_is_clean(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_TRUE(clean("tab\tbel\x07 bs\x08 ff\x0C esc\x1B cr\r lf\n \x80\xFF"));
  for (char c : {'\0', '\x01', '\x0B', '\x0E', '\x1A', '\x1C', '\x7F'}) {
    EXPECT_FALSE(clean("ab"s + c + "cd")) << static_cast<int>(c);
  }
}

}  // namespace
}  // namespace vigil::format
