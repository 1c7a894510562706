// The descent into containers. A container's members are read one at a time through the
// unpack module and each is streamed into the Stream kept for its depth, matched as it is
// decompressed; the member's bytes then go through the same level scan, and the descent
// recurses into them. Every limit is checked as bytes arrive, so a bomb is stopped at the
// limit it hits, and each stop is counted in the result (and reported when asked). A fat Mach-O
// is a container too: its slices are members read from the input by scan/fat_reader.cc.
#include <algorithm>

#include "scan/fat_reader.h"
#include "scan/job.h"
#include "unpack/unpack.h"

namespace vigil::scan {
namespace {

constexpr size_t kChunk = size_t{64} << 10;
// Whatever the limits say (0 is "no limit"), the descent is a native recursion, and a declared
// member size is only a hint: neither may grow past these.
constexpr uint32_t kMaxDepth = 64;
constexpr uint64_t kMaxReserve = uint64_t{16} << 20;       // with no (or a huge) size limit
constexpr uint64_t kLimitedReserve = uint64_t{256} << 20;  // a limit up to this: all of it
constexpr uint64_t kRatioFloor = uint64_t{1} << 20;        // ratios are judged past 1 MiB out

std::string encrypted_name(const std::string& format) {
  if (format.rfind("ZIP", 0) == 0) return "Heuristics.Encrypted.Zip";
  if (format.rfind("RAR", 0) == 0) return "Heuristics.Encrypted.RAR";
  if (format.rfind("7-Zip", 0) == 0) return "Heuristics.Encrypted.7Zip";
  return "Heuristics.Encrypted.Archive";
}

// The ClamAV container type of a reader's format, for logical signatures' Container condition.
sig::ContainerType container_of(const std::string& format) {
  if (format == kFatMachoFormat) return sig::ContainerType::kMachoUnibin;
  auto has = [&format](const char* word) { return format.find(word) != std::string::npos; };
  if (format.rfind("ZIP", 0) == 0) return sig::ContainerType::kZip;
  if (format.rfind("RAR", 0) == 0) return sig::ContainerType::kRar;
  if (format.rfind("7-Zip", 0) == 0) return sig::ContainerType::k7z;
  if (format == "MIME message" || format == "mbox") return sig::ContainerType::kMail;
  if (format == "PDF") return sig::ContainerType::kPdf;
  if (format == "OLE2") return sig::ContainerType::kMsOle2;
  if (has("tar")) return sig::ContainerType::kTar;
  if (has("cpio") || has("CPIO")) return sig::ContainerType::kCpio;
  if (has("CAB")) return sig::ContainerType::kCab;
  if (has("ISO9660")) return sig::ContainerType::kIso9660;
  if (has("xar")) return sig::ContainerType::kXar;
  // A bare compressed stream: its format is "raw" with the filter's name after it.
  if (has("gzip")) return sig::ContainerType::kGzip;
  if (has("bzip2")) return sig::ContainerType::kBzip2;
  if (has("xz") || has("lzma")) return sig::ContainerType::kXz;
  return sig::ContainerType::kAny;  // a container, of a type no signature can name
}

Stream& stream_at(Job& job, uint32_t depth) {
  auto& members = job.scratch.members;
  if (members.size() < depth) members.resize(depth);
  std::unique_ptr<Stream>& s = members[depth - 1];
  if (!s) s = std::make_unique<Stream>();
  s->engine = &job.engine;
  s->flags = job.flags;
  stream_reset(*s);
  return *s;
}

// Streams the current member into `stream`, stopping at a limit (recorded in the job); sets
// `broken` when its bytes cannot be read to their end.
common::Status read_member(Job& job, unpack::ContainerReader& reader, const unpack::Member& member,
                           Stream& stream, bool& broken) {
  std::vector<uint8_t>& chunk = job.scratch.chunk;
  chunk.resize(kChunk);
  const uint64_t consumed_at_start = reader.consumed();
  const uint64_t cap = std::min(
      job.scratch.limits.max_file_size == 0 ? UINT64_MAX : job.scratch.limits.max_file_size,
      job.budget);
  // A declared size (capped) is room reserved, not memory touched: it saves the copies and
  // the doubled capacity of growing a large member piece by piece.
  if (member.size > 0) {
    const uint64_t room = cap <= kLimitedReserve ? cap : kMaxReserve;
    stream.data.reserve(std::min(static_cast<uint64_t>(member.size), room));
  }
  for (;;) {
    if (job.out_of_time()) return common::Status::ok();
    int64_t n = reader.read(chunk.data(), chunk.size());
    if (n < 0) {
      broken = true;
      return common::Status::ok();
    }
    if (n == 0) return common::Status::ok();
    uint64_t have = stream.data.size();
    uint64_t take = std::min<uint64_t>(static_cast<uint64_t>(n), cap - have);
    common::Status st = stream_write(stream, chunk.data(), take);
    if (st.is_ok()) st = stream_scan(stream, job.scratch);
    if (!st.is_ok()) return st;
    if (take < static_cast<uint64_t>(n)) {
      if (cap == job.budget) {
        job.exceeded(VIGIL_LIMIT_SCAN_SIZE, "MaxScanSize");
      } else {
        job.exceeded(VIGIL_LIMIT_FILE_SIZE, "MaxFileSize");
      }
      return common::Status::ok();
    }
    uint64_t out = stream.data.size();
    uint64_t in = reader.consumed() - consumed_at_start + unpack::ContainerReader::kBlock;
    uint32_t ratio = job.scratch.limits.max_ratio;
    if (ratio != 0 && reader.expands() && out > kRatioFloor && out / in >= ratio) {
      job.exceeded(VIGIL_LIMIT_RATIO, "MaxRatio");
      return common::Status::ok();
    }
  }
}

// Scans the members `reader` hands out as level `depth`. `quiet`: a container whose first header
// does not read was just data that looked like one. `broken_name`: the alert for damage.
common::Status scan_members(Job& job, unpack::ContainerReader& reader, uint32_t depth, bool quiet,
                            const char* broken_name) {
  const Limits& limits = job.scratch.limits;
  uint32_t files = 0;
  bool last_broken = false;
  unpack::Member member;
  for (bool first = true; !job.stop && !job.timed_out; first = false) {
    unpack::ContainerReader::Next next = reader.next(member);
    if (job.out_of_time()) break;
    // Weak magic whose first header does not read: data that looks like a container by chance.
    if (first && next == unpack::ContainerReader::Next::kBroken && quiet) {
      return common::Status::ok();
    }
    if (first) ++job.info.containers;
    if (next == unpack::ContainerReader::Next::kEnd) {
      // A reader that stopped early to bound its memory: the members after are not scanned.
      if (reader.truncated()) job.exceeded(VIGIL_LIMIT_FILES, "MaxFiles");
      break;
    }
    if (next == unpack::ContainerReader::Next::kBroken) {
      // Counted once: a container whose last member broke is broken by the same damage.
      if (!last_broken) job.broken(broken_name);
      break;
    }
    last_broken = false;
    if (!member.regular) continue;
    if (limits.max_files != 0 && files >= limits.max_files) {
      job.exceeded(VIGIL_LIMIT_FILES, "MaxFiles");
      break;
    }
    ++files;
    job.push(member.name);
    if (member.encrypted) {
      ++job.info.encrypted;
      job.unscanned(VIGIL_SCAN_ALERT_ENCRYPTED, encrypted_name(reader.format()));
      job.pop();
      continue;
    }
    if (job.budget == 0) {
      job.exceeded(VIGIL_LIMIT_SCAN_SIZE, "MaxScanSize");
      job.pop();
      break;
    }
    Stream& stream = stream_at(job, depth);
    bool broken = false;
    common::Status st = read_member(job, reader, member, stream, broken);
    if (st.is_ok()) {
      ++job.info.members;
      job.info.max_depth = std::max(job.info.max_depth, depth);
      job.budget -= std::min<uint64_t>(job.budget, stream.data.size());
      bool allowlisted = false;
      job.parents.push_back(container_of(reader.format()));
      job.leaf = member.leaf;
      st = scan_member(job, stream, depth, allowlisted);
      job.leaf = false;
      job.parents.pop_back();
      last_broken = broken;
      if (st.is_ok() && !job.stop && broken) {
        // What could be read was scanned. The damage may be the member's own (a method the
        // reader lacks): the next member is tried, and a container that is itself broken
        // says so at its next header.
        job.broken(broken_name);
      }
    }
    stream_reset(stream);
    job.pop();
    if (!st.is_ok()) return st;
  }
  return common::Status::ok();
}

// One way of opening the bytes (see unpack::View). `quiet`: a container that does not open,
// or whose first header does not read, was just data that looked like one.
common::Status descend_view(Job& job, const uint8_t* data, uint64_t size, uint32_t depth,
                            unpack::Kind kind, unpack::View view, bool quiet) {
  auto opened = unpack::open_container(data, size, kind, job.scratch.limits.max_files, view);
  if (!opened.is_ok()) {
    if (opened.status().code() == VIGIL_ERR_LIMIT) {
      // The container asks for more memory than any member may take (an lzma dictionary).
      job.exceeded(VIGIL_LIMIT_FILE_SIZE, "MaxFileSize");
      return common::Status::ok();
    }
    if (opened.status().code() != VIGIL_ERR_UNSUPPORTED) return opened.status();  // ours
    if (!quiet) job.broken(kBrokenArchive);
    return common::Status::ok();
  }
  return scan_members(job, *opened.value(), depth, quiet, kBrokenArchive);
}

bool too_deep(Job& job, uint32_t depth) {
  const uint32_t max = job.scratch.limits.max_recursion;
  if ((max != 0 && depth > max) || depth > kMaxDepth) {
    job.exceeded(VIGIL_LIMIT_RECURSION, "MaxRecursion");
    return true;
  }
  return false;
}

}  // namespace

common::Status descend(Job& job, const uint8_t* data, uint64_t size, uint32_t depth) {
  if ((job.flags & VIGIL_SCAN_NO_CONTAINERS) != 0 || job.timed_out || job.leaf) {
    return common::Status::ok();
  }
  if (maybe_fat_macho(data, size)) {
    auto fat = open_fat_macho(data, size);
    if (fat.is_ok()) {
      if (too_deep(job, depth)) return common::Status::ok();
      // A table that is wrong from its first entry is still a fat binary's (clamscan: "Invalid
      // fat offset", Heuristics.Broken.Executable when asked).
      return scan_members(job, *fat.value(), depth, /*quiet=*/false, kBrokenExecutable);
    }
  }
  const unpack::Sniffed sniffed = unpack::sniff(data, size);
  if (sniffed.kind == unpack::Kind::kNone) return common::Status::ok();
  if (too_deep(job, depth)) return common::Status::ok();
  if (sniffed.kind == unpack::Kind::kArchive && unpack::looks_compressed(data, size)) {
    common::Status st = descend_view(job, data, size, depth, sniffed.kind,
                                     unpack::View::kCompressed, !sniffed.strong);
    if (!st.is_ok() || job.stop || job.timed_out) return st;
    return descend_view(job, data, size, depth, sniffed.kind, unpack::View::kFormats, true);
  }
  return descend_view(job, data, size, depth, sniffed.kind, unpack::View::kFormats,
                      !sniffed.strong);
}

}  // namespace vigil::scan
