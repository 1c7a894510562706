// Reads a signature source into memory (signature files are small next to the data they scan),
// inflating gzip transparently so the compressed extracts that feeds ship load as they are.
#include "sig/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>

namespace vigil::sig {
namespace {

using common::Status;

constexpr size_t kMaxSourceBytes = size_t{1} << 31;  // 2 GiB of text is not a signature file

common::Result<std::string> gunzip(const std::string& name, std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Status(VIGIL_ERR_NOMEM, name + ": cannot initialise zlib");
  }
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[1 << 16];
  int rc = Z_OK;
  for (;;) {
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Concatenated gzip members (cat a.gz b.gz) form one stream, as gunzip reads them.
      if (inflateReset(&zs) != Z_OK) break;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status(VIGIL_ERR_SIGNATURE, name + ": corrupt gzip data");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > kMaxSourceBytes) {
      inflateEnd(&zs);
      return Status(VIGIL_ERR_LIMIT, name + ": decompressed source exceeds 2 GiB");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status(VIGIL_ERR_SIGNATURE, name + ": truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view extension_of(std::string_view name) {
  size_t slash = name.find_last_of('/');
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  if (ends_with(name, ".gz")) name.remove_suffix(3);
  size_t dot = name.find_last_of('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

SourceFormat format_from_name(std::string_view name) {
  std::string_view ext = extension_of(name);
  if (ext == "hdb") return SourceFormat::kHdb;
  if (ext == "hsb") return SourceFormat::kHsb;
  if (ext == "ndb") return SourceFormat::kNdb;
  if (ext == "ldb") return SourceFormat::kLdb;
  if (ext == "mdb") return SourceFormat::kMdb;
  if (ext == "msb") return SourceFormat::kMsb;
  if (ext == "fp") return SourceFormat::kFp;
  if (ext == "sfp") return SourceFormat::kSfp;
  if (ext == "ign2") return SourceFormat::kIgn2;
  static constexpr std::string_view kLater[] = {
      "cvd", "cld", "cud", "imp", "idb", "crb", "cdb",  "wdb", "pdb", "gdb", "ftm",  "yar", "yara",
      "hdu", "hsu", "ndu", "ldu", "ign", "cfg", "info", "cbc", "mdu", "msu", "pwdb", "ioc"};
  for (std::string_view later : kLater) {
    if (ext == later) return SourceFormat::kKnownUnsupported;
  }
  return SourceFormat::kUnknown;
}

common::Result<SourceText> SourceText::from_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status(VIGIL_ERR_IO, path + ": " + common::errno_text(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(VIGIL_ERR_IO, path + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxSourceBytes) {
    ::close(fd);
    return Status(VIGIL_ERR_LIMIT, path + ": larger than 2 GiB");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Status(VIGIL_ERR_IO,
                    path + ": " + (n == 0 ? "file shrank while reading" : common::errno_text(err)));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return from_owned(path, std::move(bytes));
}

common::Result<SourceText> SourceText::from_memory(const std::string& name,
                                                   std::string_view bytes) {
  if (bytes.size() > kMaxSourceBytes) return Status(VIGIL_ERR_LIMIT, name + ": larger than 2 GiB");
  if (!ends_with(name, ".gz")) return with_text(name, std::string(bytes));
  auto text = gunzip(name, bytes);
  if (!text.is_ok()) return text.status();
  return with_text(name, text.take());
}

common::Result<SourceText> SourceText::from_owned(const std::string& name, std::string bytes) {
  if (ends_with(name, ".gz") || bytes.size() > kMaxSourceBytes) return from_memory(name, bytes);
  return with_text(name, std::move(bytes));
}

SourceText SourceText::with_text(const std::string& name, std::string text) {
  SourceText src;
  src.name_ = name;
  src.format_ = format_from_name(name);
  src.text_ = std::move(text);
  return src;
}

bool SourceText::next_line(std::string_view& line, uint32_t& line_number) {
  while (pos_ < text_.size()) {
    size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    line = std::string_view(text_).substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;  // blank lines and comments
    line_number = line_;
    return true;
  }
  return false;
}

}  // namespace vigil::sig
