// Which reader a container goes to: archives and compressed streams first (their magic is
// exact), then mail (recognised by its header lines).
#include "unpack/readers.h"

namespace vigil::unpack {

Sniffed sniff(const uint8_t* data, uint64_t size) {
  Sniffed s = sniff_archive(data, size);
  if (s.kind == Kind::kNone) s = sniff_ole2(data, size);
  if (s.kind == Kind::kNone) s = sniff_pdf(data, size);
  return s.kind != Kind::kNone ? s : sniff_mail(data, size);
}

common::Result<std::unique_ptr<ContainerReader>> open_container(const uint8_t* data, uint64_t size,
                                                                Kind kind, uint32_t max_members,
                                                                View view) {
  if (kind == Kind::kMail) return open_mail(data, size, max_members);
  if (kind == Kind::kPdf) return open_pdf(data, size);
  if (kind == Kind::kOle2) return open_ole2(data, size);
  return open_archive(data, size, view);
}

}  // namespace vigil::unpack
