// Which reader a container goes to: archives, compressed streams and OLE2 first (their magic is
// exact at offset 0), a PDF whose "%PDF-" starts it, then mail (recognised by its header
// lines), and last a PDF whose "%PDF-" comes later in its first KiB (a message that only
// mentions "%PDF-" stays a message). A gzip stream's compressed view is GzipReader's; every other
// archive and compression is libarchive's.
#include <cstring>

#include "unpack/readers.h"

namespace vigil::unpack {

Sniffed sniff(const uint8_t* data, uint64_t size) {
  Sniffed s = sniff_archive(data, size);
  if (s.kind == Kind::kNone) s = sniff_ole2(data, size);
  if (s.kind != Kind::kNone) return s;
  const Sniffed pdf = sniff_pdf(data, size);
  const bool at_start =
      size >= 5 && (std::memcmp(data, "%PDF-", 5) == 0 || std::memcmp(data, "%pdf-", 5) == 0);
  if (pdf.kind != Kind::kNone && at_start) return pdf;
  s = sniff_mail(data, size);
  return s.kind != Kind::kNone ? s : pdf;
}

common::Result<std::unique_ptr<ContainerReader>> open_container(const uint8_t* data, uint64_t size,
                                                                Kind kind, uint32_t max_members,
                                                                View view) {
  if (kind == Kind::kMail) return open_mail(data, size, max_members);
  if (kind == Kind::kPdf) return open_pdf(data, size);
  if (kind == Kind::kOle2) return open_ole2(data, size);
  if (view == View::kCompressed && is_gzip(data, size)) return open_gzip(data, size);
  return open_archive(data, size, view);
}

}  // namespace vigil::unpack
