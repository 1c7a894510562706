// Writing and checking the DAT container. The reader trusts nothing: it checks the header's
// fixed fields and the table's extent, then the signature over header and table, then each
// section's bounds and hash, in that order, so no section byte is interpreted before it is
// known to be the signed content. Sections are hashed on two threads when they are large.
#include "dat/container.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <system_error>
#include <thread>

#include "common/byte_io.h"

namespace vigil::dat {
namespace {

using common::Status;

constexpr char kDatMagic[8] = {'V', 'I', 'G', 'I', 'L', 'D', 'A', 'T'};
constexpr char kDeltaMagic[8] = {'V', 'I', 'G', 'I', 'L', 'D', 'L', 'T'};
constexpr char kTrailerMagic[8] = {'V', 'I', 'G', 'I', 'L', 'S', 'I', 'G'};
constexpr char kSignatureContext[] = "Vigil DAT signature v1";  // domain separation
constexpr uint32_t kTrailerVersion = 1;
constexpr uint32_t kTrailerSigned = 1;
constexpr size_t kParallelHashBytes = size_t{4} << 20;

Status corrupt(const std::string& why) { return Status(VIGIL_ERR_CORRUPT, why); }

uint64_t align8(uint64_t x) { return (x + 7) / 8 * 8; }

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

const char* magic_of(Kind kind) { return kind == Kind::kDat ? kDatMagic : kDeltaMagic; }
const char* noun(Kind kind) { return kind == Kind::kDat ? "DAT" : "delta"; }

// What the signature covers: a context string, then header and table.
std::string signed_message(const uint8_t* data, size_t header_and_table) {
  std::string msg(kSignatureContext, sizeof kSignatureContext);
  msg.append(reinterpret_cast<const char*>(data), header_and_table);
  return msg;
}

// A section's digest is the SHA-256 of the SHA-256s of its 1 MiB chunks, so one large section
// can be verified by several threads at once.
constexpr size_t kChunk = size_t{1} << 20;

size_t chunk_count(size_t size) { return size == 0 ? 0 : (size - 1) / kChunk + 1; }

Sha256 fold(const std::vector<Sha256>& chunks) {
  return sha256(chunks.empty() ? nullptr : chunks.front().data(), chunks.size() * sizeof(Sha256));
}

Sha256 section_digest(const uint8_t* data, size_t size) {
  std::vector<Sha256> chunks(chunk_count(size));
  for (size_t c = 0; c < chunks.size(); ++c) {
    chunks[c] = sha256(data + c * kChunk, std::min(kChunk, size - c * kChunk));
  }
  return fold(chunks);
}

bool hash_ok(const Section& s) {
  return section_digest(reinterpret_cast<const uint8_t*>(s.bytes.data()), s.bytes.size()) ==
         s.sha256;
}

// Hashes every chunk of every section not deferred, on up to four threads.
bool check_hashes(const std::vector<Section>& all, const std::vector<SectionType>& deferred,
                  std::string& bad) {
  std::vector<const Section*> sections;
  for (const Section& s : all) {
    if (std::find(deferred.begin(), deferred.end(), static_cast<SectionType>(s.type)) ==
        deferred.end()) {
      sections.push_back(&s);
    }
  }
  struct Job {
    size_t section;
    size_t chunk;
  };
  std::vector<Job> jobs;
  std::vector<std::vector<Sha256>> digests(sections.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    digests[i].resize(chunk_count(sections[i]->bytes.size()));
    for (size_t c = 0; c < digests[i].size(); ++c) jobs.push_back({i, c});
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};  // a digest threw (out of memory): rethrown on this thread
  auto work = [&]() noexcept {
    for (size_t j; !failed && (j = next.fetch_add(1)) < jobs.size();) {
      const Section& s = *sections[jobs[j].section];
      size_t off = jobs[j].chunk * kChunk;
      try {
        digests[jobs[j].section][jobs[j].chunk] =
            sha256(reinterpret_cast<const uint8_t*>(s.bytes.data()) + off,
                   std::min(kChunk, s.bytes.size() - off));
      } catch (...) {
        failed = true;
      }
    }
  };
  size_t helpers = 0;
  if (jobs.size() * kChunk >= kParallelHashBytes) {
    helpers = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 4) - 1;
  }
  // Helper threads are an optimisation: if none (or not all) can be started, the chunks left
  // are hashed on this thread.
  std::vector<std::thread> threads;
  try {
    for (size_t t = 0; t < helpers; ++t) threads.emplace_back(work);
  } catch (const std::system_error&) {
  }
  work();
  for (std::thread& t : threads) t.join();
  if (failed) throw std::bad_alloc();
  for (size_t i = 0; i < sections.size(); ++i) {
    if (fold(digests[i]) != sections[i]->sha256) {
      bad = std::string(section_name(sections[i]->type));
      return false;
    }
  }
  return true;
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
    case SectionType::kLogical:
      return "logical signatures";
    case SectionType::kSectionHashes:
      return "section hashes";
    case SectionType::kDeltaBase:
      return "delta base";
    case SectionType::kDeltaChanges:
      return "delta changes";
  }
  return "unknown";
}

Status check_section(const Section& section) {
  if (hash_ok(section)) return Status::ok();
  return corrupt("section " + std::string(section_name(section.type)) + ": checksum mismatch");
}

std::string version_text(uint32_t v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

const Section* DatView::find(SectionType type) const {
  for (const Section& s : sections) {
    if (s.type == static_cast<uint32_t>(type)) return &s;
  }
  return nullptr;
}

bool looks_like(Kind kind, const uint8_t* data, size_t size) {
  return size >= 8 && std::memcmp(data, magic_of(kind), 8) == 0;
}

std::string_view trailer(std::string_view file) {
  return file.size() < kTrailerSize ? std::string_view() : file.substr(file.size() - kTrailerSize);
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
  w.bytes(magic_of(header.kind), 8);
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
    Sha256 h = section_digest(reinterpret_cast<const uint8_t*>(b.data()), b.size());
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
  const Kind kind = looks_like(Kind::kDelta, data, dat.size()) ? Kind::kDelta : Kind::kDat;
  auto view = open(data, dat.size(),
                   Trust{.kind = kind, .skip_signature = true, .accept_newer_engine = true});
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
  const std::string what = noun(trust.kind);
  if (size >= 8 && !looks_like(trust.kind, data, size)) {
    return corrupt("not a " + what + " (bad magic)");
  }
  if (size < kHeaderSize + kTrailerSize) {
    return corrupt("file too short for a " + what + " (" + std::to_string(size) + " bytes)");
  }
  v.header.kind = trust.kind;
  common::ByteReader h(data + 8, kHeaderSize - 8, "header");
  uint32_t header_size = 0, count = 0, flags = 0;
  h.u32(v.header.format_version, "format version");
  h.u32(header_size, "header size");
  h.u64(v.header.dat_version, "DAT version");
  h.u64(v.header.created, "creation time");
  h.u32(v.header.min_engine_version, "minimum engine version");
  h.u32(count, "section count");
  h.u64(v.file_size, "file size");
  h.u32(flags, "flags");
  uint32_t reserved32 = 0;
  uint64_t reserved64 = 0;
  h.u32(reserved32, "reserved");
  h.u64(reserved64, "reserved");
  if (!h.ok()) return h.status();
  if (v.header.format_version != kFormatVersion) {
    return Status(VIGIL_ERR_VERSION,
                  "DAT format version " + std::to_string(v.header.format_version) +
                      " (this engine reads version " + std::to_string(kFormatVersion) + ")");
  }
  if (header_size != kHeaderSize) return corrupt("header: bad header size");
  if (flags != 0) return corrupt("header: unknown flags");
  if (reserved32 != 0 || reserved64 != 0) return corrupt("header: reserved bytes are not zero");
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
  // Every byte of the file is either signed, checked by a digest, or required to be zero, so
  // no two different files pass as the same DAT.
  const uint8_t* after_signature = signature + 64;
  const size_t unsigned_part = v.is_signed ? kTrailerSize - 112 : kTrailerSize - 16;
  if (!all_zero(v.is_signed ? after_signature : key_id, unsigned_part)) {
    return corrupt("signature trailer: bytes that must be zero are not");
  }
  std::memcpy(v.signer.data(), key_id, v.signer.size());
  v.id = sha256(data, table_end);
  if (!trust.skip_signature) {
    if (!v.is_signed) {
      if (!trust.allow_unsigned) {
        return Status(VIGIL_ERR_UNTRUSTED, what + " is unsigned (unsigned files were not allowed)");
      }
    } else {
      auto key = std::find_if(trust.keys.begin(), trust.keys.end(),
                              [&](const PublicKey& k) { return k.id() == v.signer; });
      if (key == trust.keys.end()) {
        return Status(VIGIL_ERR_UNTRUSTED, what + " is signed by key " + key_id_hex(v.signer) +
                                               ", which is not trusted");
      }
      Ed25519Signature sig;
      std::memcpy(sig.data(), signature, sig.size());
      std::string msg = signed_message(data, table_end);
      if (!verify(*key, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), sig)) {
        return Status(VIGIL_ERR_UNTRUSTED, what + " signature does not verify (key " +
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
    // Sections follow one another, each at the next 8-byte boundary, with zero padding.
    if (s.offset != align8(prev_end) || s.offset > size - kTrailerSize ||
        length > size - kTrailerSize - s.offset) {
      return corrupt(name + ": offset " + std::to_string(s.offset) + " length " +
                     std::to_string(length) + " out of bounds, overlapping or misplaced");
    }
    if (!all_zero(data + prev_end, s.offset - prev_end)) {
      return corrupt(name + ": padding before it is not zero");
    }
    if (v.find(static_cast<SectionType>(s.type)) != nullptr) return corrupt(name + ": duplicated");
    prev_end = s.offset + length;
    s.bytes = std::string_view(reinterpret_cast<const char*>(data + s.offset), length);
    std::memcpy(s.sha256.data(), hash, s.sha256.size());
    v.sections.push_back(s);
  }
  if (align8(prev_end) != size - kTrailerSize ||
      !all_zero(data + prev_end, size - kTrailerSize - prev_end)) {
    return corrupt("bytes between the last section and the signature trailer");
  }
  std::string bad;
  if (!check_hashes(v.sections, trust.defer_hash, bad))
    return corrupt("section " + bad + ": checksum mismatch");
  if (!trust.accept_newer_engine && v.header.min_engine_version > VIGIL_VERSION_NUMBER) {
    return Status(VIGIL_ERR_VERSION, what + " needs engine version " +
                                         version_text(v.header.min_engine_version) +
                                         " or later (this is " VIGIL_VERSION_STRING ")");
  }
  return v;
}

}  // namespace vigil::dat
