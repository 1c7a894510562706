// MailReader over GMime: a MIME message, or an mbox file of them, as a container whose members
// are the leaf parts, decoded (base64, quoted-printable, uuencode), one at a time. Attached
// messages (message/rfc822) are members too, as their text, which the next level opens again
// as mail. GMime builds a message's whole tree before it hands out a part, so the input it is
// given is cut where it would hold more than max_members parts or kMaxHeaderLines header
// lines: what a hostile message costs in memory is bounded by the limits, not by its size.
#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

#include "unpack/readers.h"

namespace vigil::unpack {
namespace {

constexpr uint64_t kMaxHeaderLines = 200000;
constexpr size_t kSniffLines = 64;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The name of a header line ("Name: value"), or "" when the line is not one.
std::string_view header_name(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && i < 76 &&
         (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' || line[i] == '_')) {
    ++i;
  }
  if (i == 0 || i >= line.size() || line[i] != ':') return {};
  return line.substr(0, i);
}

std::string_view next_line(const uint8_t*& p, const uint8_t* end) {
  const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p, '\n', end - p));
  const uint8_t* stop = nl != nullptr ? nl : end;
  std::string_view line(reinterpret_cast<const char*>(p), stop - p);
  p = nl != nullptr ? nl + 1 : end;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// How much of the input GMime may parse: all of it, unless it holds more than about
// max_members MIME boundaries and mbox separators, or kMaxHeaderLines header-like lines.
uint64_t parse_bound(const uint8_t* data, uint64_t size, uint32_t max_members, bool& truncated) {
  const uint64_t max_boundaries = uint64_t{max_members == 0 ? UINT32_MAX : max_members} + 2;
  uint64_t boundaries = 0, headers = 0;
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  while (p < end) {
    const uint8_t* line_start = p;
    std::string_view line = next_line(p, end);
    // A MIME boundary, or an mbox message separator: each may start a member.
    if ((line.size() >= 2 && line[0] == '-' && line[1] == '-') || line.starts_with("From ")) {
      ++boundaries;
    }
    if (!header_name(line).empty()) ++headers;
    if (boundaries > max_boundaries || headers > kMaxHeaderLines) {
      truncated = true;
      return static_cast<uint64_t>(line_start - data);
    }
  }
  return size;
}

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct Unref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, Unref>;

class MailReader final : public ContainerReader {
 public:
  static common::Result<std::unique_ptr<ContainerReader>> open(const uint8_t* data, uint64_t size,
                                                               uint32_t max_members);
  ~MailReader() override {
    for (GMimeObject* p : parts_) g_object_unref(p);
  }
  Next next(Member& member) override;
  int64_t read(uint8_t* out, size_t size) override;
  uint64_t consumed() const override { return size_; }
  bool expands() const override { return false; }  // decoding only ever shrinks
  std::string format() const override { return mbox_ ? "mbox" : "MIME message"; }
  std::string error() const override { return "unreadable message part"; }
  bool truncated() const override { return truncated_; }

 private:
  void collect(GMimeObject* object);

  std::vector<GMimeObject*> parts_;  // leaves and attached messages, each holding a reference
  size_t next_ = 0;
  GPtr<GMimeStream> current_;  // the decoded bytes of the member being read
  size_t pos_ = 0;
  uint64_t size_ = 0;
  bool mbox_ = false;
  bool truncated_ = false;
};

void MailReader::collect(GMimeObject* object) {
  if (object == nullptr) return;
  if (GMIME_IS_MULTIPART_ENCRYPTED(object) || GMIME_IS_PART(object) ||
      GMIME_IS_MESSAGE_PART(object)) {
    parts_.push_back(GMIME_OBJECT(g_object_ref(object)));
    return;
  }
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* mp = GMIME_MULTIPART(object);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) collect(g_mime_multipart_get_part(mp, i));
  }
}

common::Result<std::unique_ptr<ContainerReader>> MailReader::open(const uint8_t* data,
                                                                  uint64_t size,
                                                                  uint32_t max_members) {
  init_gmime();
  std::unique_ptr<MailReader> r(new MailReader());
  r->size_ = size;
  r->mbox_ = size >= 5 && std::memcmp(data, "From ", 5) == 0;
  uint64_t bound = parse_bound(data, size, max_members, r->truncated_);
  GPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(reinterpret_cast<const char*>(data), bound));
  if (!stream) return common::Status(VIGIL_ERR_NOMEM, "GMime: no memory");
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  if (!parser) return common::Status(VIGIL_ERR_NOMEM, "GMime: no memory");
  g_mime_parser_set_format(parser.get(), r->mbox_ ? GMIME_FORMAT_MBOX : GMIME_FORMAT_MESSAGE);
  bool any = false;
  while (!g_mime_parser_eos(parser.get())) {
    GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
    if (!message) break;
    any = true;
    r->collect(g_mime_message_get_mime_part(message.get()));
    if (!r->mbox_) break;
  }
  if (!any) return common::Status(VIGIL_ERR_UNSUPPORTED, "not a mail message");
  return std::unique_ptr<ContainerReader>(std::move(r));
}

ContainerReader::Next MailReader::next(Member& member) {
  current_.reset();
  pos_ = 0;
  if (next_ >= parts_.size()) return Next::kEnd;
  const size_t index = next_++;
  GMimeObject* object = parts_[index];
  member = Member{};
  member.name = "part" + std::to_string(index + 1);
  if (GMIME_IS_MULTIPART_ENCRYPTED(object)) {
    member.encrypted = true;
    return Next::kMember;
  }
  GPtr<GMimeStream> out(g_mime_stream_mem_new());
  if (!out) return Next::kBroken;
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (message != nullptr)
      g_mime_object_write_to_stream(GMIME_OBJECT(message), nullptr, out.get());
    member.name += ".eml";
  } else {
    GMimePart* part = GMIME_PART(object);
    if (const char* filename = g_mime_part_get_filename(part)) {
      if (filename[0] != '\0') member.name = filename;
    }
    if (GMimeDataWrapper* content = g_mime_part_get_content(part)) {
      if (g_mime_data_wrapper_write_to_stream(content, out.get()) < 0) return Next::kBroken;
    }
  }
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  member.size = bytes != nullptr ? static_cast<int64_t>(bytes->len) : 0;
  current_ = std::move(out);
  return Next::kMember;
}

int64_t MailReader::read(uint8_t* out, size_t size) {
  if (!current_) return -1;
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(current_.get()));
  if (bytes == nullptr || pos_ >= bytes->len) return 0;
  size_t n = std::min<size_t>(size, bytes->len - pos_);
  std::memcpy(out, bytes->data + pos_, n);
  pos_ += n;
  return static_cast<int64_t>(n);
}

}  // namespace

// A message starts with header lines, among them a MIME one and one every message has; an
// mbox file starts with a "From " line before them. The bytes themselves are scanned either
// way, so a text that only looks like mail costs one parse and loses nothing.
Sniffed sniff_mail(const uint8_t* data, uint64_t size) {
  static constexpr std::string_view kMime[] = {"MIME-Version", "Content-Type"};
  static constexpr std::string_view kMessage[] = {
      "From",   "To",         "Subject",      "Date",     "Received", "Return-Path",
      "Sender", "Message-ID", "Delivered-To", "Reply-To", "Cc",       "X-Mailer"};
  const uint8_t* p = data;
  const uint8_t* end = data + std::min<uint64_t>(size, 64 << 10);
  if (size >= 5 && std::memcmp(data, "From ", 5) == 0) next_line(p, end);
  bool mime = false, message = false;
  for (size_t lines = 0; p < end && lines < kSniffLines; ++lines) {
    std::string_view line = next_line(p, end);
    if (line.empty()) break;                          // end of the header block
    if (line[0] == ' ' || line[0] == '\t') continue;  // a folded header
    std::string_view name = header_name(line);
    if (name.empty()) return {};
    for (std::string_view m : kMime) mime |= iequals(name, m);
    for (std::string_view m : kMessage) message |= iequals(name, m);
  }
  return mime && message ? Sniffed{Kind::kMail, false} : Sniffed{};
}

common::Result<std::unique_ptr<ContainerReader>> open_mail(const uint8_t* data, uint64_t size,
                                                           uint32_t max_members) {
  return MailReader::open(data, size, max_members);
}

}  // namespace vigil::unpack
