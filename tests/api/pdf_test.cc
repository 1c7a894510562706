// PDFs through the public API: each stream is a member, decoded through FlateDecode (zlib and
// bare deflate), ASCIIHexDecode, ASCII85Decode, LZWDecode and RunLengthDecode in the order its
// /Filter lists them, named
// after its object; its end from a direct /Length or else from "endstream"; damaged and
// truncated streams scanned as far as they decode; a deflate bomb stopped by the limits; the
// Container condition of logical signatures; and ClamAV's own test PDF.
#include <zlib.h>

#include <map>
#include <string>
#include <vector>

#include "archive_support.h"
#include "deflate_support.h"
#include "member_support.h"

namespace {

using vigil_test::deflate_bytes;
using vigil_test::hex;
using vigil_test::Paths;
using vigil_test::random_bytes;

const std::string kMarker = "VIGIL-PDF-TEST-MARKER";

std::string ascii_hex(const std::string& data) {
  std::string out;
  for (size_t i = 0; i < data.size(); ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", static_cast<unsigned char>(data[i]));
    out += b;
    if (i % 32 == 31) out += "\n";
  }
  return out + ">";
}

// ASCII85 as the PDF reference writes it: 'z' for four zero bytes, a short last group.
std::string ascii85(const std::string& data) {
  std::string out;
  for (size_t i = 0; i < data.size(); i += 4) {
    size_t n = std::min<size_t>(4, data.size() - i);
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      v = v << 8 | (j < n ? static_cast<unsigned char>(data[i + j]) : 0);
    }
    if (v == 0 && n == 4) {
      out += 'z';
      continue;
    }
    char group[5];
    for (int j = 4; j >= 0; --j, v /= 85) group[j] = static_cast<char>('!' + v % 85);
    out.append(group, n + 1);
    if (i % 64 == 60) out += "\r\n";
  }
  return out + "~>";
}

// LZWDecode's encoding (EarlyChange 1): 9- to 12-bit codes, most significant bit first, a clear
// code first and whenever the table fills.
std::string lzw(const std::string& data) {
  std::string out;
  uint32_t acc = 0, bits = 0, width = 9, next = 258;
  auto put = [&](uint32_t code) {
    acc = acc << width | code;
    bits += width;
    while (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>(acc >> bits));
    }
  };
  std::map<std::string, uint32_t> table;
  auto reset = [&] {
    table.clear();
    for (uint32_t c = 0; c < 256; ++c) table[std::string(1, static_cast<char>(c))] = c;
    next = 258;
  };
  put(256);
  reset();
  std::string w;
  for (char c : data) {
    if (table.count(w + c) != 0) {
      w += c;
      continue;
    }
    put(table[w]);
    table[w + c] = next++;
    if (next + 1 > (1u << width) && width < 12) ++width;
    if (next == 4094) {
      put(256);
      reset();
      width = 9;
    }
    w = std::string(1, c);
  }
  if (!w.empty()) put(table[w]);
  put(257);
  if (bits > 0) out.push_back(static_cast<char>(acc << (8 - bits)));
  return out;
}

// RunLengthDecode's encoding: runs of a repeated byte, literal runs between.
std::string run_length(const std::string& data) {
  std::string out;
  for (size_t i = 0; i < data.size();) {
    size_t same = 1;
    while (i + same < data.size() && data[i + same] == data[i] && same < 128) ++same;
    if (same >= 2) {
      out.push_back(static_cast<char>(257 - same));
      out.push_back(data[i]);
      i += same;
      continue;
    }
    size_t lit = 1;
    while (i + lit < data.size() && lit < 128 &&
           (i + lit + 1 >= data.size() || data[i + lit + 1] != data[i + lit])) {
      ++lit;
    }
    out.push_back(static_cast<char>(lit - 1));
    out.append(data, i, lit);
    i += lit;
  }
  return out + '\x80';
}

// A PDF of the given object bodies, numbered from 1 (no xref: readers must cope without one).
std::string pdf(const std::vector<std::string>& objects) {
  std::string out = "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n";
  for (size_t i = 0; i < objects.size(); ++i) {
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  return out + "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
}

std::string stream(const std::string& dict, const std::string& bytes) {
  return "<< " + dict + " >>\nstream\r\n" + bytes + "\r\nendstream";
}

class Pdf : public vigil_test::MemberScan {
 protected:
  void SetUp() override { use({{"t.ndb", "Test.Marker:0:*:" + hex(kMarker) + "\n"}}); }
};

TEST_F(Pdf, EachFilterAndChainIsDecoded) {
  // The marker across the 4 KiB input buffer of each filter and the 64 KiB scan chunk.
  const std::string payload = random_bytes(65536 - 7, 1) + kMarker + random_bytes(9000, 2);
  const std::string flate = deflate_bytes(payload);
  std::string repetitive;
  for (int i = 0; repetitive.size() < 300000; ++i) {
    repetitive += "line " + std::to_string(i % 977) + std::string(i % 300, ' ') + "\n";
  }
  repetitive += kMarker;
  const std::vector<std::string> objects = {
      "<< /Type /Catalog >>",
      stream("/Length " + std::to_string(flate.size()) + " /Filter /FlateDecode", flate),
      stream("/Filter /FlateDecode /Length 1 0 R", deflate_bytes(payload, -MAX_WBITS)),  // bare
      stream("/Filter [/AHx /Fl]", ascii_hex(flate)),
      stream("/Filter [ /ASCII85Decode /FlateDecode ] /DecodeParms [null null]", ascii85(flate)),
      stream("/Filter /A85", ascii85(payload)),
      stream("/Filter /ASCIIHexDecode", ascii_hex(payload)),
      stream("/Filter /LZWDecode", lzw(payload)),
      stream("/Filter [/RL /FlateDecode]", run_length(flate)),
      // Repetitive text: long LZW entries, codes up to 12 bits and a table that fills and
      // is cleared; runs of one byte for RunLengthDecode.
      stream("/Filter /LZW", lzw(repetitive)),
      stream("/Filter /RunLengthDecode", run_length(repetitive)),
  };
  // Then the file itself: RunLengthDecode keeps the marker's bytes as a literal run.
  const Paths want = {{"obj2"}, {"obj3"}, {"obj4"},  {"obj5"},  {"obj6"}, {"obj7"},
                      {"obj8"}, {"obj9"}, {"obj10"}, {"obj11"}, {}};
  EXPECT_EQ(paths(pdf(objects)), want);
  EXPECT_EQ(info().members, 10u);
  // Every byte decoded, none lost or added: the marker is found at its exact offset.
  const size_t at = repetitive.size() - kMarker.size();
  use({{"t.ndb", "Test.Exact:0:" + std::to_string(at) + ":" + hex(kMarker) + "\n"}});
  EXPECT_EQ(paths(pdf({stream("/Filter /LZW", lzw(repetitive)),
                       stream("/Filter /RL", run_length(repetitive))})),
            (Paths{{"obj1"}, {"obj2"}}));
}

TEST_F(Pdf, Ascii85AndHexHandleZeroGroupsAndShortEnds) {
  // The marker ends the data, after 0-3 more zero bytes: its last bytes are in a short last
  // group in three cases of four, and zero groups ('z') come before it.
  for (size_t pad = 0; pad < 4; ++pad) {
    const std::string data = std::string(8 + pad, '\0') + kMarker;
    EXPECT_EQ(paths(pdf({stream("/Filter /ASCII85Decode", ascii85(data))})), (Paths{{"obj1"}}))
        << pad;
  }
  // A byte out of the alphabet ends the stream: what came before it is still scanned.
  const std::string cut = ascii85(kMarker + "1234");
  EXPECT_EQ(paths(pdf({stream("/Filter /A85", cut.substr(0, 30) + "\x7f" + cut.substr(30))})),
            (Paths{{"obj1"}}));
  // An odd number of hex digits: the last one is followed by an implied 0 ("...5>" is 0x50).
  use({{"t.ndb", "Test.MarkerP:0:*:" + hex(kMarker + "P") + "\n"}});
  std::string odd = ascii_hex(kMarker + "P");
  odd.erase(odd.size() - 2, 1);  // the final "0" before '>'
  EXPECT_EQ(paths(pdf({stream("/Filter /AHx", odd)})), (Paths{{"obj1"}}));
}

TEST_F(Pdf, StreamEndsFromLengthOrEndstream) {
  // A /Length that is right wins over an "endstream" inside the data; one that is wrong (or
  // indirect) gives way to the first "endstream".
  const std::string inside = "endstream in the data " + kMarker;
  const std::string right = pdf(
      {"<< /Length " + std::to_string(inside.size()) + " >>\nstream\n" + inside + "\nendstream"});
  EXPECT_EQ(paths(right), (Paths{{"obj1"}, {}}));  // the member, then the file itself
  const std::string wrong = pdf({stream("/Length 3", kMarker)});
  EXPECT_EQ(paths(wrong), (Paths{{"obj1"}, {}}));
  // "stream" that opens no stream (no dictionary before it, no end of line after it) is text.
  const std::string prose = pdf({"(a stream\nof words) stream", "<< >> streamline"});
  EXPECT_TRUE(scan(prose).empty());
  EXPECT_EQ(info().members, 0u);
}

TEST_F(Pdf, DictionaryKeysAreReadAtTheirOwnLevel) {
  const std::string flate = deflate_bytes(kMarker);
  // A nested dictionary's /Filter, a string holding "obj" and ">>", an escaped name.
  const std::vector<std::string> objects = {
      stream("/DecodeParms << /Filter /Crypt >> /Filter /FlateDecode", flate),
      stream("/Filter /FlateDecode /Title (obj >> << \\) obj)", flate),
      stream("/Filter /Fl#61teDecode", flate),
      // A hex string as the last value, and a name value that spells a key.
      stream("/Filter /FlateDecode /ID <00ff>", flate),
      stream("/S /Filter /Filter /FlateDecode /T [/Filter (x)] /U 3 0 R", flate),
      // A stray '(' earlier in the window: the dictionary is found counting backwards (and the
      // member, with "obj" not right before its dictionary, is named by its place: stream5).
      "(unclosed\n" + stream("/Filter /FlateDecode", flate),
  };
  EXPECT_EQ(paths(pdf(objects)),
            (Paths{{"obj1"}, {"obj2"}, {"obj3"}, {"obj4"}, {"obj5"}, {"stream5"}}));
  // A /Length in a nested dictionary is not the stream's: the top-level one spans past an
  // "endstream" inside the data to the marker.
  const std::string inner = "ab\nendstream " + kMarker;
  const std::string nested = pdf({"<< /X << /Length 2 >> /Length " + std::to_string(inner.size()) +
                                  " >>\nstream\n" + inner + "\nendstream"});
  EXPECT_EQ(paths(nested), (Paths{{"obj1"}, {}}));
}

TEST_F(Pdf, AMessageThatMentionsPdfStaysAMessage) {
  // "%PDF-" in a header line, not at the start: the message's part is decoded
  // (quoted-printable, the marker split by a soft line break).
  const std::string mail =
      "From: a@example.com\r\nSubject: %PDF-1.7 report\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "see VIGIL-PDF-=\r\nTEST-MARKER here\r\n";
  const Paths found = paths(mail);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_FALSE(found[0].empty());
  // A PDF that starts with "%PDF-" is a PDF even with header-like lines after it.
  const std::string headed = "%PDF-1.4\nFrom: a@example.com\nSubject: x\n" +
                             pdf({stream("/Filter /Fl", deflate_bytes(kMarker))});
  EXPECT_EQ(paths(headed), (Paths{{"obj1"}}));
}

TEST_F(Pdf, DamagedAndTruncatedStreamsAreScannedAsFarAsTheyDecode) {
  const std::string flate = deflate_bytes(kMarker + random_bytes(200000, 3));
  // Cut in the middle, no "endstream", no end of file.
  const std::string truncated =
      "%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n" + flate.substr(0, flate.size() / 2);
  vigil_scan_result r{};
  EXPECT_EQ(scan(truncated, &r).size(), 1u);
  // Garbage after good data: the good part is scanned, the next stream is still read.
  std::string bad = flate.substr(0, flate.size() / 2) + random_bytes(1000, 4);
  const std::string next = deflate_bytes(kMarker);
  EXPECT_EQ(paths(pdf({stream("/Filter /FlateDecode", bad), stream("/Filter /Fl", next)})),
            (Paths{{"obj1"}, {"obj2"}}));
  // A filter not decoded here (an image codec): the member is the bytes as they are, and a
  // chain stops there.
  EXPECT_EQ(paths(pdf({stream("/Filter /DCTDecode", kMarker)})), (Paths{{"obj1"}, {}}));
  EXPECT_EQ(paths(pdf({stream("/Filter [/FlateDecode /DCTDecode]", deflate_bytes(kMarker))})),
            (Paths{{"obj1"}}));
}

TEST_F(Pdf, ADeflateBombIsStoppedByTheLimits) {
  // 64 MiB of zeros in some 64 KB, the marker at its end.
  const std::string bomb = deflate_bytes(std::string(size_t{64} << 20, '\0') + kMarker);
  set_limits([](vigil_scan_limits& l) { l.max_file_size = 8 << 20; });
  const std::string file = pdf({stream("/Filter /FlateDecode", bomb)});
  vigil_scan_result r{};
  EXPECT_TRUE(scan(file, &r).empty());
  EXPECT_EQ(info().limits_exceeded, uint32_t{VIGIL_LIMIT_FILE_SIZE});
  EXPECT_LE(r.bytes_scanned, (uint64_t{8} << 20) + file.size());
}

TEST_F(Pdf, ContainerConditionNamesPdf) {
  use({{"t.ldb",
        "Only.In.Pdf;Engine:51-255,Container:CL_TYPE_PDF,Target:0;0;" + hex(kMarker) + "\n"}});
  EXPECT_EQ(paths(pdf({stream("/Filter /FlateDecode", deflate_bytes(kMarker))})),
            (Paths{{"obj1"}}));
  EXPECT_TRUE(scan(kMarker).empty());
  EXPECT_TRUE(scan(pdf({"(" + kMarker + ")"})).empty());  // in the PDF's own bytes only
}

TEST_F(Pdf, ClamavTestPdfCarriesClamExe) {
  // clamscan -d clamav.hdb clam.pdf: "clam.pdf: ClamAV-Test-File.UNOFFICIAL FOUND"; the
  // embedded file is object 15, stored without a filter.
  std::string absent;
  auto found = vigil_test::scan_clamav_testfile("clam.pdf", absent);
  if (!found) GTEST_SKIP() << absent;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "ClamAV-Test-File.UNOFFICIAL");
  EXPECT_EQ((*found)[0].path, std::vector<std::string>{"obj15"});
}

}  // namespace
