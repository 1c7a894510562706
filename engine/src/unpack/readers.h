// Inside the unpack module: the readers' sniffs and openers, which unpack.cc dispatches to.
#ifndef VIGIL_UNPACK_READERS_H_
#define VIGIL_UNPACK_READERS_H_

#include "unpack/unpack.h"

namespace vigil::unpack {

// libarchive (archive_reader.cc): archives and compressed streams.
Sniffed sniff_archive(const uint8_t* data, uint64_t size);
common::Result<std::unique_ptr<ContainerReader>> open_archive(const uint8_t* data, uint64_t size,
                                                              View view);

// ISA-L (gzip_reader.cc): a gzip stream, the compressed view's reader for it (see View).
bool is_gzip(const uint8_t* data, uint64_t size);
common::Result<std::unique_ptr<ContainerReader>> open_gzip(const uint8_t* data, uint64_t size);

// GMime (mail_reader.cc): a MIME message, or an mbox file of them.
Sniffed sniff_mail(const uint8_t* data, uint64_t size);
common::Result<std::unique_ptr<ContainerReader>> open_mail(const uint8_t* data, uint64_t size,
                                                           uint32_t max_members);

// OLE2 compound files (ole2_reader.cc): their streams.
Sniffed sniff_ole2(const uint8_t* data, uint64_t size);
common::Result<std::unique_ptr<ContainerReader>> open_ole2(const uint8_t* data, uint64_t size);

// PDF (pdf_reader.cc): its streams, decoded.
Sniffed sniff_pdf(const uint8_t* data, uint64_t size);
common::Result<std::unique_ptr<ContainerReader>> open_pdf(const uint8_t* data, uint64_t size);

}  // namespace vigil::unpack

#endif  // VIGIL_UNPACK_READERS_H_
