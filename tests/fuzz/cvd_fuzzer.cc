// Fuzzes the .cvd/.cld unpacker (header parser, MD5 check, libarchive tar/gzip reading, member
// checks, the .info manifest) and the loader glue behind it. Containers come from mirrors and
// update channels, so any bytes must unpack or fail with an error naming the container.
//
// Input: byte 0 bit 0 names the container .cld (else .cvd); bit 1 re-seals the header's MD5
// field to the archive's real MD5 first, so a .cvd's archive is reached past the MD5 check.
// The rest is the container: a 512-byte header, then the archive.
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "fuzz_check.h"
#include "sig/cvd.h"
#include "sig/line_reader.h"

namespace {

using vigil::sig::kCvdHeaderSize;

// Overwrites the header's MD5 field (the sixth, after five colons) when it is 32 bytes long.
void reseal(std::string& bytes) {
  if (bytes.size() < kCvdHeaderSize) return;
  size_t at = 0;
  for (int colons = 0; colons < 5; ++colons) {
    at = bytes.find(':', at);
    if (at == std::string::npos || at >= kCvdHeaderSize) return;
    ++at;
  }
  if (at + 32 >= kCvdHeaderSize || bytes.find(':', at) != at + 32) return;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data() + kCvdHeaderSize, bytes.size() - kCvdHeaderSize, md, &len, EVP_md5(),
             nullptr);
  bytes.replace(at, 32, vigil::common::encode_hex(md, len));
}

bool under(std::string_view name, std::string_view container) {
  return name.size() > container.size() + 1 && name.substr(0, container.size()) == container &&
         name[container.size()] == '/' &&
         name.find('/', container.size() + 1) == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string name = (data[0] & 1) != 0 ? "fuzz.cld" : "fuzz.cvd";
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 2) != 0) reseal(bytes);

  vigil::sig::CvdHeader header;
  std::vector<std::string> skipped;
  auto members = vigil::sig::unpack_cvd(bytes, name, &header, &skipped);
  if (members.is_ok()) {
    auto parsed = vigil::sig::parse_cvd_header(bytes);
    FUZZ_CHECK(parsed.is_ok());
    FUZZ_CHECK(parsed.value().version == header.version);
    FUZZ_CHECK(parsed.value().flevel == header.flevel);
    FUZZ_CHECK(parsed.value().builder == header.builder && !header.builder.empty());
    FUZZ_CHECK(members.value().size() + skipped.size() <= vigil::sig::kMaxCvdMembers);
    uint64_t total = 0;
    for (const vigil::sig::Source& s : members.value()) {
      FUZZ_CHECK(s.in_memory && under(s.name, name));
      auto fmt = vigil::sig::format_from_name(s.name);
      FUZZ_CHECK(fmt != vigil::sig::SourceFormat::kUnknown &&
                 fmt != vigil::sig::SourceFormat::kKnownUnsupported);
      total += s.bytes.size();
    }
    FUZZ_CHECK(total <= vigil::sig::kMaxCvdUnpackedBytes);
    for (const std::string& s : skipped) FUZZ_CHECK(under(s, name));
  } else {
    const vigil_status code = members.status().code();
    FUZZ_CHECK(code == VIGIL_ERR_CORRUPT || code == VIGIL_ERR_LIMIT || code == VIGIL_ERR_NOMEM);
    FUZZ_CHECK(members.status().message().starts_with(name + ": "));
  }

  // The loader: every diagnostic names the container or one of its members.
  vigil::sig::SignatureSet set =
      vigil::sig::load_sources({vigil::sig::Source{name, true, bytes}}, vigil::sig::LoadFlags{});
  for (const vigil::sig::Diagnostic& d : set.diags)
    FUZZ_CHECK(d.file == name || under(d.file, name));
  if (!members.is_ok()) {
    FUZZ_CHECK(vigil::sig::has_errors(set.diags));
    FUZZ_CHECK(set.body.empty() && set.hashes.empty() && set.allow.empty());
  }
  return 0;
}
