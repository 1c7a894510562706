// Unpacks ClamAV's .cvd/.cld containers with libarchive (tar, gzip'd or plain) into in-memory
// sources. Integrity: a .cvd's archive must match its header's MD5; a .cld's header MD5 is stale
// by design (updates rewrite the tar but keep the header), so a .cld is checked through the
// .info manifest inside it (name:size:sha256 per member), which is checked in a .cvd as well.
// Every member is hashed as it streams past; only the ones the loader reads are kept in memory.
#include "sig/cvd.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <map>
#include <memory>
#include <set>

#include "common/hex.h"
#include "common/mapped_file.h"
#include "sig/fields.h"
#include "sig/line_reader.h"

// The header's digital signature is not verified. ClamAV's documentation calls the container
// "digitally signed" and nothing more: the scheme (ClamAV's own, RSA-based) and its public key
// are defined only in ClamAV's source code, which this project does not use. The MD5
// and the .info manifest catch damage, not forgery; like a plain .ndb, a container is trusted
// as far as the place it was loaded from is trusted.

namespace vigil::sig {
namespace {

using common::Result;
using common::Status;

constexpr std::string_view kMagic = "ClamAV-VDB:";
constexpr size_t kHeaderFields = 9;
constexpr size_t kChunk = size_t{64} << 10;
constexpr std::string_view kLicenseMember = "COPYING";

Status corrupt(std::string_view container, const std::string& message) {
  return Status(VIGIL_ERR_CORRUPT, std::string(container) + ": " + message);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The colon-separated header text, shared by the container header and a .info's first line.
// `what` prefixes every error ("CVD header", "main.info: header line").
Result<CvdHeader> parse_header_text(std::string_view text, const std::string& what) {
  auto fail = [&](const std::string& why) { return Status(VIGIL_ERR_CORRUPT, what + ": " + why); };
  if (!text.starts_with(kMagic)) return fail("does not start with 'ClamAV-VDB:'");
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c > 0x7e) {
      return fail("byte 0x" + common::encode_hex(&c, 1) + " at offset " + std::to_string(i) +
                  " is not printable text");
    }
  }
  std::vector<std::string_view> f = split_fields(text, ':');
  if (f.size() != kHeaderFields) {
    return fail("expected " + std::to_string(kHeaderFields) + " colon-separated fields, found " +
                std::to_string(f.size()));
  }
  static constexpr const char* kText[] = {"build time", "MD5", "digital signature", "builder"};
  const std::string_view text_fields[] = {f[1], f[5], f[6], f[7]};
  for (size_t i = 0; i < 4; ++i) {
    if (text_fields[i].empty()) return fail(std::string("empty ") + kText[i]);
  }
  CvdHeader h;
  std::string bad;
  auto number = [&](std::string_view field, const char* name, auto& out) {
    if (parse_number(field, out)) return true;
    bool digits = !field.empty() && field.find_first_not_of("0123456789") == std::string_view::npos;
    bad = std::string(name) + " '" + std::string(field) +
          (digits ? "' is out of range" : "' is not a decimal number");
    return false;
  };
  if (!number(f[2], "version", h.version) || !number(f[3], "signature count", h.signatures) ||
      !number(f[4], "functionality level", h.flevel) ||
      !number(f[8], "build time in seconds", h.build_secs)) {
    return fail(bad);
  }
  h.build_time = std::string(f[1]);
  h.md5 = std::string(f[5]);
  h.dsig = std::string(f[6]);
  h.builder = std::string(f[7]);
  return h;
}

bool is_hex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (common::hex_digit_value(c) < 0) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

std::string md5_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return common::encode_hex(out, len);
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1;
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  bool ok() const { return ok_; }
  void update(const char* p, size_t n) { ok_ = ok_ && EVP_DigestUpdate(ctx_, p, n) == 1; }
  std::string hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_, out, &len) != 1) return "";
    return common::encode_hex(out, len);
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

// libarchive's message for the last failure; it leaves none for some (the fuzzer found one).
std::string archive_error(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "damaged archive";
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// What every member leaves behind for the manifest check.
struct Member {
  std::string name;
  uint64_t size = 0;
  std::string sha256;
  bool listed_required = false;  // a database file, which the .info must vouch for
};

// A member name as diagnostics show it: control bytes escaped as \xNN.
std::string shown(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? "\\x" + common::encode_hex(&u, 1) : std::string(1, c);
  }
  return out;
}

// Why an entry cannot be a member, or "" if it can.
std::string entry_problem(archive_entry* e, std::string_view name) {
  if (archive_entry_hardlink(e) != nullptr) return "is a hard link, not a regular file";
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      break;
    case AE_IFDIR:
      return "is a directory, not a regular file";
    case AE_IFLNK:
      return "is a symbolic link, not a regular file";
    default:
      return "is a special file, not a regular file";
  }
  bool plain = !name.empty() && name != "." && name != "..";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    plain = plain && u >= 0x20 && u != 0x7f && c != '/' && c != '\\';
  }
  return plain ? "" : "does not have a plain file name";
}

// Checks members against the .info manifest: its header line must agree with the container's
// header, and every database member must be listed with its size and SHA256.
Status check_manifest(std::string_view container, const std::string& info_name,
                      std::string_view info, const CvdHeader& header,
                      const std::vector<Member>& members) {
  std::string where = std::string(container) + ": " + info_name;
  std::map<std::string, std::pair<uint64_t, std::string>, std::less<>> listed;
  bool seen_header = false;
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string at = where + ":" + std::to_string(line_no);
    if (!seen_header) {
      auto h = parse_header_text(line, at + ": header line");
      if (!h.is_ok()) return Status(VIGIL_ERR_CORRUPT, h.status().message());
      const CvdHeader& i = h.value();
      const std::pair<const char*, std::pair<uint64_t, uint64_t>> agree[] = {
          {"version", {i.version, header.version}},
          {"signature count", {i.signatures, header.signatures}},
          {"functionality level", {i.flevel, header.flevel}},
          {"build time in seconds", {i.build_secs, header.build_secs}}};
      for (const auto& [field, values] : agree) {
        if (values.first != values.second) {
          return Status(VIGIL_ERR_CORRUPT,
                        at + ": header line has " + field + " " + std::to_string(values.first) +
                            ", the container header " + std::to_string(values.second));
        }
      }
      seen_header = true;
      continue;
    }
    if (line.starts_with("DSIG:")) continue;  // ClamAV's signature of the manifest: not verified
    std::vector<std::string_view> f = split_fields(line, ':');
    uint64_t size = 0;
    if (f.size() != 3 || f[0].empty() || !parse_number(f[1], size) || !is_hex(f[2], 64)) {
      return Status(VIGIL_ERR_CORRUPT, at + ": expected NAME:SIZE:SHA256");
    }
    if (!listed.emplace(std::string(f[0]), std::make_pair(size, lower(std::string(f[2])))).second) {
      return Status(VIGIL_ERR_CORRUPT, at + ": '" + std::string(f[0]) + "' is listed twice");
    }
  }
  if (!seen_header) return Status(VIGIL_ERR_CORRUPT, where + ": empty manifest");
  for (const Member& m : members) {
    if (!m.listed_required) continue;
    auto it = listed.find(m.name);
    if (it == listed.end()) {
      return corrupt(container, "member '" + m.name + "' is not listed in " + info_name);
    }
    if (it->second.first != m.size) {
      return corrupt(container, "member '" + m.name + "' is " + std::to_string(m.size) +
                                    " bytes; " + info_name + " says " +
                                    std::to_string(it->second.first));
    }
    if (it->second.second != m.sha256) {
      return corrupt(container,
                     "member '" + m.name + "' does not match its SHA256 in " + info_name);
    }
  }
  return Status::ok();
}

}  // namespace

bool is_cvd_name(std::string_view name) {
  return ends_with(name, ".cvd") || ends_with(name, ".cld");
}

Result<CvdHeader> parse_cvd_header(std::string_view bytes) {
  if (bytes.size() < kCvdHeaderSize) {
    return Status(VIGIL_ERR_CORRUPT, "CVD header: truncated (" + std::to_string(kCvdHeaderSize) +
                                         " bytes needed, " + std::to_string(bytes.size()) +
                                         " present)");
  }
  std::string_view text = bytes.substr(0, kCvdHeaderSize);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  return parse_header_text(text, "CVD header");
}

Result<std::vector<Source>> unpack_cvd(std::string_view bytes, std::string_view display_name,
                                       CvdHeader* header_out, std::vector<std::string>* skipped) {
  const std::string container(display_name);
  if (bytes.size() > kMaxCvdUnpackedBytes) {
    return Status(VIGIL_ERR_LIMIT, container + ": larger than 2 GiB");
  }
  auto parsed = parse_cvd_header(bytes);
  if (!parsed.is_ok()) return corrupt(container, parsed.status().message());
  const CvdHeader& header = parsed.value();
  if (header_out != nullptr) *header_out = header;
  const bool cld = ends_with(container, ".cld");
  std::string_view body = bytes.substr(kCvdHeaderSize);
  if (!cld) {
    if (!is_hex(header.md5, 32)) {
      return corrupt(container, "CVD header: MD5 '" + header.md5 + "' is not 32 hex digits");
    }
    std::string actual = md5_hex(body);
    if (actual != lower(header.md5)) {
      return corrupt(container,
                     "MD5 of the archive is " + actual + ", the header says " + lower(header.md5));
    }
  }
  if (body.empty()) return corrupt(container, "no archive after the header");

  ArchivePtr a(archive_read_new());
  if (!a) return Status(VIGIL_ERR_NOMEM, container + ": cannot allocate an archive reader");
  if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_open_memory(a.get(), body.data(), body.size()) != ARCHIVE_OK) {
    return corrupt(container, "archive: " + archive_error(a.get()));
  }
  std::vector<Source> out;
  std::vector<Member> members;
  std::set<std::string, std::less<>> names;
  std::string info_name, info_text;
  uint64_t total = 0;
  std::string chunk(kChunk, '\0');
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return corrupt(container, "archive: " + archive_error(a.get()));
    }
    if (members.size() == kMaxCvdMembers) {
      return Status(VIGIL_ERR_LIMIT,
                    container + ": more than " + std::to_string(kMaxCvdMembers) + " members");
    }
    const char* raw_name = archive_entry_pathname(e);
    std::string name = raw_name != nullptr ? raw_name : "";
    std::string problem = entry_problem(e, name);
    if (!problem.empty()) return corrupt(container, "member '" + shown(name) + "' " + problem);
    if (!names.insert(name).second) {
      return corrupt(container, "member '" + name + "' appears twice");
    }
    SourceFormat fmt = format_from_name(name);
    bool is_info = extension_of(name) == "info";
    if (is_info && !info_name.empty()) {
      return corrupt(container,
                     "more than one .info manifest ('" + info_name + "', '" + name + "')");
    }
    bool keep = fmt != SourceFormat::kUnknown && fmt != SourceFormat::kKnownUnsupported;
    std::string data;
    Sha256 sha;
    uint64_t size = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), chunk.data(), chunk.size());
      if (n == 0) break;
      if (n < 0) {
        return corrupt(container, "archive: member '" + name + "': " + archive_error(a.get()));
      }
      size += static_cast<uint64_t>(n);
      total += static_cast<uint64_t>(n);
      if (total > kMaxCvdUnpackedBytes) {
        return Status(VIGIL_ERR_LIMIT, container + ": members unpack to more than 2 GiB");
      }
      sha.update(chunk.data(), static_cast<size_t>(n));
      if (keep || is_info) data.append(chunk.data(), static_cast<size_t>(n));
    }
    if (!sha.ok()) return Status(VIGIL_ERR_NOMEM, container + ": cannot hash '" + name + "'");
    bool database = fmt != SourceFormat::kUnknown && !is_info && name != kLicenseMember;
    members.push_back(Member{name, size, sha.hex(), database});
    if (is_info) {
      info_name = name;
      info_text = std::move(data);
    } else if (keep) {
      out.push_back(Source{container + "/" + name, true, std::move(data)});
    } else if (skipped != nullptr && name != kLicenseMember) {
      skipped->push_back(container + "/" + name);
    }
  }
  if (!info_name.empty()) {
    Status st = check_manifest(container, info_name, info_text, header, members);
    if (!st.is_ok()) return st;
  } else if (cld) {
    return corrupt(container, "no .info manifest, which a .cld needs to be verified");
  }
  return out;
}

std::vector<Source> read_cvd_source(const Source& source, Diagnostics& diags) {
  auto error = [&](const std::string& message) {
    diags.push_back(Diagnostic{VIGIL_DIAG_IO, VIGIL_SEVERITY_ERROR, source.name, 0, "", message});
    return std::vector<Source>();
  };
  common::MappedInput input;
  std::vector<uint8_t> buffer;
  std::string_view bytes = source.bytes;
  if (!source.in_memory) {
    auto opened = common::MappedInput::open_path(source.name, &buffer);
    if (!opened.is_ok()) return error(opened.status().message());
    input = std::move(opened.value());
    bytes = std::string_view(reinterpret_cast<const char*>(input.data()), input.size());
  }
  CvdHeader header;
  std::vector<std::string> skipped;
  auto members = unpack_cvd(bytes, source.name, &header, &skipped);
  if (!members.is_ok()) return error(members.status().message());
  if (header.flevel > kEngineFlevel) {
    diags.push_back(Diagnostic{VIGIL_DIAG_FLEVEL, VIGIL_SEVERITY_WARNING, source.name, 0, "",
                               "the container needs functionality level " +
                                   std::to_string(header.flevel) + "; this engine implements " +
                                   std::to_string(kEngineFlevel)});
  }
  for (const std::string& name : skipped) {
    bool known = format_from_name(name) == SourceFormat::kKnownUnsupported;
    diags.push_back(Diagnostic{known ? VIGIL_DIAG_UNSUPPORTED : VIGIL_DIAG_UNKNOWN_FORMAT,
                               VIGIL_SEVERITY_WARNING, name, 0, "",
                               known ? "skipped: the ." + std::string(extension_of(name)) +
                                           " format is not supported by this engine version"
                                     : "skipped: not a signature format this engine reads"});
  }
  return members.take();
}

}  // namespace vigil::sig
