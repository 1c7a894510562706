// Writing and checking the DAT container. The reader trusts nothing: it checks the header's
// fixed fields and the table's extent, then the signature over header and table, then each
// section's bounds and hash, in that order, so no section byte is interpreted before it is
// known to be the signed content. Sections are hashed on two threads when they are large.
#include "dat/container.h"

#include <algorithm>
#include <cstring>
#include <future>

#include "common/byte_io.h"

namespace vigil::dat {
namespace {

using common::Status;

constexpr char kTrailerMagic[8] = {'V', 'I', 'G', 'I', 'L', 'S', 'I', 'G'};
constexpr char kSignatureContext[] = "Vigil DAT signature v1";  // domain separation
constexpr uint32_t kTrailerVersion = 1;
constexpr uint32_t kTrailerSigned = 1;
constexpr size_t kParallelHashBytes = size_t{4} << 20;

Status corrupt(const std::string& why) { return Status(VIGIL_ERR_CORRUPT, why); }

// What the signature covers: a context string, then header and table.
std::string signed_message(const uint8_t* data, size_t header_and_table) {
  std::string msg(kSignatureContext, sizeof kSignatureContext);
  msg.append(reinterpret_cast<const char*>(data), header_and_table);
  return msg;
}

std::string version_text(uint32_t v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

bool check_hashes(const std::vector<Section>& sections, std::string& bad) {
  size_t total = 0;
  for (const Section& s : sections) total += s.bytes.size();
  auto hash_range = [&sections](size_t from, size_t step) {
    for (size_t i = from; i < sections.size(); i += step) {
      const Section& s = sections[i];
      if (sha256(reinterpret_cast<const uint8_t*>(s.bytes.data()), s.bytes.size()) != s.sha256) {
        return i;
      }
    }
    return sections.size();
  };
  size_t first_bad = sections.size();
  if (total >= kParallelHashBytes && sections.size() > 1) {
    // Largest sections alternate between the two threads by position, which splits the
    // usual DAT (one big database, one big plan) evenly enough.
    auto other = std::async(std::launch::async, hash_range, 1, 2);
    first_bad = std::min(hash_range(0, 2), other.get());
  } else {
    first_bad = hash_range(0, 1);
  }
  if (first_bad == sections.size()) return true;
  bad = std::string(section_name(sections[first_bad].type));
  return false;
}

}  // namespace

std::string_view section_name(uint32_t type) {
  switch (static_cast<SectionType>(type)) {
    case SectionType::kMeta:
      return "meta";
    case SectionType::kNames:
      return "names";
    case SectionType::kBodyPlan:
      return "body plan";
    case SectionType::kHsDatabase:
      return "pattern database";
    case SectionType::kHashes:
      return "hash signatures";
    case SectionType::kAllow:
      return "allowlist";
    case SectionType::kSourceIr:
      return "signature sources";
  }
  return "unknown";
}

const Section* DatView::find(SectionType type) const {
  for (const Section& s : sections) {
    if (s.type == static_cast<uint32_t>(type)) return &s;
  }
  return nullptr;
}

bool looks_like_dat(const uint8_t* data, size_t size) {
  return size >= sizeof kMagic && std::memcmp(data, kMagic, sizeof kMagic) == 0;
}

std::string assemble(const Header& header, const std::vector<SectionInput>& sections) {
  const size_t table_end = kHeaderSize + sections.size() * kSectionEntrySize;
  std::vector<uint64_t> offsets;
  uint64_t at = (table_end + 7) / 8 * 8;
  for (const SectionInput& s : sections) {
    offsets.push_back(at);
    at = (at + s.bytes.size() + 7) / 8 * 8;
  }
  const uint64_t file_size = at + kTrailerSize;

  common::ByteWriter w;
  w.bytes(kMagic, sizeof kMagic);
  w.u32(header.format_version);
  w.u32(kHeaderSize);
  w.u64(header.dat_version);
  w.u64(header.created);
  w.u32(header.min_engine_version);
  w.u32(static_cast<uint32_t>(sections.size()));
  w.u64(file_size);
  w.u32(0);  // flags
  w.u32(0);
  w.u64(0);
  for (size_t i = 0; i < sections.size(); ++i) {
    const std::string& b = sections[i].bytes;
    w.u32(static_cast<uint32_t>(sections[i].type));
    w.u32(0);  // flags
    w.u64(offsets[i]);
    w.u64(b.size());
    Sha256 h = sha256(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    w.bytes(h.data(), h.size());
  }
  for (const SectionInput& s : sections) {
    w.align(8);
    w.bytes(s.bytes.data(), s.bytes.size());
  }
  w.align(8);
  w.bytes(kTrailerMagic, sizeof kTrailerMagic);
  w.u32(kTrailerVersion);
  w.u32(0);  // unsigned
  w.str().append(kTrailerSize - 16, '\0');
  return w.take();
}

Status sign(std::string& dat, const PrivateKey& key) {
  const auto* data = reinterpret_cast<const uint8_t*>(dat.data());
  auto view = open(data, dat.size(), Trust{.skip_signature = true});
  if (!view.is_ok()) return view.status();
  size_t covered = kHeaderSize + view.value().sections.size() * kSectionEntrySize;
  std::string msg = signed_message(data, covered);
  auto sig = dat::sign(key, reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  if (!sig.is_ok()) return sig.status();
  KeyId id = key.public_key().id();
  common::ByteWriter w;
  w.bytes(kTrailerMagic, sizeof kTrailerMagic);
  w.u32(kTrailerVersion);
  w.u32(kTrailerSigned);
  w.bytes(id.data(), id.size());
  w.bytes(sig.value().data(), sig.value().size());
  w.str().append(kTrailerSize - w.size(), '\0');
  dat.replace(dat.size() - kTrailerSize, kTrailerSize, w.str());
  return Status::ok();
}

common::Result<DatView> open(const uint8_t* data, size_t size, const Trust& trust) {
  DatView v;
  if (size < kHeaderSize + kTrailerSize) {
    return corrupt("file too short for a DAT (" + std::to_string(size) + " bytes)");
  }
  if (!looks_like_dat(data, size)) return corrupt("not a DAT (bad magic)");
  common::ByteReader h(data + sizeof kMagic, kHeaderSize - sizeof kMagic, "header");
  uint32_t header_size = 0, count = 0, flags = 0;
  h.u32(v.header.format_version, "format version");
  h.u32(header_size, "header size");
  h.u64(v.header.dat_version, "DAT version");
  h.u64(v.header.created, "creation time");
  h.u32(v.header.min_engine_version, "minimum engine version");
  h.u32(count, "section count");
  h.u64(v.file_size, "file size");
  h.u32(flags, "flags");
  if (!h.ok()) return h.status();
  if (v.header.format_version != kFormatVersion) {
    return Status(VIGIL_ERR_VERSION,
                  "DAT format version " + std::to_string(v.header.format_version) +
                      " (this engine reads version " + std::to_string(kFormatVersion) + ")");
  }
  if (header_size != kHeaderSize) return corrupt("header: bad header size");
  if (flags != 0) return corrupt("header: unknown flags");
  if (v.file_size != size) {
    return corrupt("header: file size " + std::to_string(v.file_size) + " but the file has " +
                   std::to_string(size) + " bytes (truncated or padded)");
  }
  if (count == 0 || count > kMaxSections) {
    return corrupt("header: bad section count " + std::to_string(count));
  }
  const size_t table_end = kHeaderSize + size_t{count} * kSectionEntrySize;
  if (table_end > size - kTrailerSize) return corrupt("section table runs past the end");

  // The signature, before any section is looked at.
  common::ByteReader t(data + size - kTrailerSize, kTrailerSize, "signature trailer");
  const uint8_t* magic = nullptr;
  const uint8_t* key_id = nullptr;
  const uint8_t* signature = nullptr;
  uint32_t trailer_version = 0, trailer_flags = 0;
  t.bytes(sizeof kTrailerMagic, magic, "magic");
  t.u32(trailer_version, "version");
  t.u32(trailer_flags, "flags");
  t.bytes(32, key_id, "key id");
  t.bytes(64, signature, "signature");
  if (!t.ok()) return t.status();
  if (std::memcmp(magic, kTrailerMagic, sizeof kTrailerMagic) != 0 ||
      trailer_version != kTrailerVersion || trailer_flags > kTrailerSigned) {
    return corrupt("signature trailer: bad magic, version or flags");
  }
  v.is_signed = trailer_flags == kTrailerSigned;
  std::memcpy(v.signer.data(), key_id, v.signer.size());
  v.id = sha256(data, table_end);
  if (!trust.skip_signature) {
    if (!v.is_signed) {
      if (!trust.allow_unsigned) {
        return Status(VIGIL_ERR_UNTRUSTED, "DAT is unsigned (unsigned DATs were not allowed)");
      }
    } else {
      auto key = std::find_if(trust.keys.begin(), trust.keys.end(),
                              [&](const PublicKey& k) { return k.id() == v.signer; });
      if (key == trust.keys.end()) {
        return Status(VIGIL_ERR_UNTRUSTED,
                      "DAT is signed by key " + key_id_hex(v.signer) + ", which is not trusted");
      }
      Ed25519Signature sig;
      std::memcpy(sig.data(), signature, sig.size());
      std::string msg = signed_message(data, table_end);
      if (!verify(*key, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), sig)) {
        return Status(VIGIL_ERR_UNTRUSTED, "DAT signature does not verify (key " +
                                               key_id_hex(v.signer) + "): the file was altered");
      }
    }
  }

  common::ByteReader table(data + kHeaderSize, table_end - kHeaderSize, "section table");
  uint64_t prev_end = table_end;
  for (uint32_t i = 0; i < count; ++i) {
    Section s;
    uint32_t sflags = 0;
    uint64_t length = 0;
    const uint8_t* hash = nullptr;
    table.u32(s.type, "type");
    table.u32(sflags, "flags");
    table.u64(s.offset, "offset");
    table.u64(length, "length");
    table.bytes(32, hash, "sha256");
    if (!table.ok()) return table.status();
    std::string name =
        "section " + std::to_string(i) + " (" + std::string(section_name(s.type)) + ")";
    if (sflags != 0) return corrupt(name + ": unknown flags");
    if (s.offset < prev_end || s.offset > size - kTrailerSize ||
        length > size - kTrailerSize - s.offset) {
      return corrupt(name + ": offset " + std::to_string(s.offset) + " length " +
                     std::to_string(length) + " out of bounds or overlapping");
    }
    if (v.find(static_cast<SectionType>(s.type)) != nullptr) return corrupt(name + ": duplicated");
    prev_end = s.offset + length;
    s.bytes = std::string_view(reinterpret_cast<const char*>(data + s.offset), length);
    std::memcpy(s.sha256.data(), hash, s.sha256.size());
    v.sections.push_back(s);
  }
  std::string bad;
  if (!check_hashes(v.sections, bad)) return corrupt("section " + bad + ": checksum mismatch");
  if (v.header.min_engine_version > VIGIL_VERSION_NUMBER) {
    return Status(VIGIL_ERR_VERSION, "DAT needs engine version " +
                                         version_text(v.header.min_engine_version) +
                                         " or later (this is " VIGIL_VERSION_STRING ")");
  }
  return v;
}

}  // namespace vigil::dat
