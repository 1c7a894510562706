// Ole2Reader: an OLE2 compound file ([MS-CFB]: Word, Excel and PowerPoint 97-2003 documents,
// MSI packages) as a container whose members are its streams, named by their storage path. An
// embedded file in an "\x01Ole10Native" stream (an object inserted with the Packager, whose
// layout is the OLE1 Package format: label, paths, size, data) is one more member, named after
// its label. Every table (the FAT from the header's and the DIFAT's sector lists, the mini FAT,
// the directory) is read once, bounded by the file's own size; sector chains stop at the first
// sector outside the file, a free or reserved marker, or a sector they already went through (so
// a stream is never longer than the file); the directory tree is walked once per entry. A
// stream whose sectors another stream already covered (the mini stream's sectors count as
// covered from the start) is handed out as a leaf (scanned, not opened), and so is a packaged
// file inside such a stream: chains that share sectors cannot nest copies of the same bytes.
// VBA macro source is not extracted (the streams are scanned as they are stored).
#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "unpack/readers.h"

namespace vigil::unpack {
namespace {

constexpr uint8_t kMagic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
constexpr uint32_t kMaxRegular = 0xFFFFFFFA;  // sector numbers above are markers
constexpr uint32_t kNoStream = 0xFFFFFFFF;
constexpr uint32_t kHeaderFat = 109;  // FAT sector numbers held by the header itself
constexpr size_t kEntrySize = 128;
constexpr uint32_t kMaxDepth = 64;         // storages nested deeper are not walked
constexpr size_t kMaxLabel = 255;          // an embedded file's name is cut there
constexpr uint32_t kMiniCutoff = 4096;     // smaller streams live in the mini stream ([MS-CFB])
constexpr size_t kPackageHead = 64 << 10;  // how much of a Package its header may take

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

struct Entry {
  std::string name;  // UTF-8, control characters as '_'
  bool ole10_native = false;
  uint8_t type = 0;  // 1 storage, 2 stream, 5 root
  uint32_t left = kNoStream, right = kNoStream, child = kNoStream;
  uint32_t start = 0;
  uint64_t size = 0;
  uint32_t parent = kNoStream;  // the storage holding it (kNoStream: the root)
};

// What the reader hands out: a stream, or the file inside an Ole10Native stream. Paths are
// built when the member is handed out, from the entries' parents, so that the walk keeps no
// path per entry (a hostile directory can hold hundreds of thousands of deeply nested ones).
struct Item {
  std::string label;  // the embedded file's name ("" for a stream)
  uint32_t entry = 0;
  uint64_t from = 0;  // the embedded file's bytes within its stream
  uint64_t size = 0;
  // Scanned but not opened: an Ole10Native stream whose embedded file is a member of its own
  // (opening both would open the same bytes twice at every level).
  bool leaf = false;
};

class Ole2Reader final : public ContainerReader {
 public:
  Ole2Reader(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  bool load();
  Next next(Member& member) override;
  int64_t read(uint8_t* out, size_t size) override;
  uint64_t consumed() const override { return consumed_; }
  bool expands() const override { return false; }  // a stream lies within the file
  std::string format() const override { return "OLE2"; }
  std::string error() const override { return "unreadable OLE2 stream"; }

 private:
  // A stream's bytes: its chain of sectors, regular or (`mini`) in the mini stream.
  struct Layout {
    std::vector<uint32_t> sectors;
    bool mini = false;
    uint32_t unit = 0;  // bytes per sector of this stream
    uint64_t size = 0;  // the declared size, capped to what the sectors hold
  };
  uint64_t sector_start(uint32_t s) const { return (uint64_t{s} + 1) << shift_; }
  // The chain from `first` in `table`, stopping at a marker, a number outside `limit`, a
  // sector it already went through, or `max` links.
  std::vector<uint32_t> chain(const std::vector<uint32_t>& table, uint32_t first, uint32_t limit,
                              uint64_t max);
  // A stream's sectors, at most enough for `max_bytes` of it.
  Layout layout(const Entry& e, uint64_t max_bytes = UINT64_MAX);
  // Copies the stream's bytes [pos, pos + n) (n within the layout) to out.
  void copy(const Layout& l, uint64_t pos, uint8_t* out, size_t n) const;
  void walk();
  void add_ole10_native(size_t stream);
  std::string path_of(const Item& item) const;
  bool overlaps(const Layout& l);  // marks its sectors seen; true if one already was

  const uint8_t* data_;
  uint64_t size_;
  uint32_t shift_ = 9, mini_shift_ = 6;
  uint32_t file_sectors_ = 0;
  bool v3_ = true;
  std::vector<uint32_t> fat_, mini_fat_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> mini_stream_;  // file offset of each mini stream sector
  std::vector<Item> items_;
  size_t next_ = 0;
  Layout current_;
  uint64_t pos_ = 0, end_ = 0;
  uint64_t consumed_ = 0;
  std::vector<uint8_t> seen_sector_, seen_mini_;  // sectors some handed-out stream covers
  bool stream_shared_ = false;   // the last stream handed out was a leaf for sharing sectors
  std::vector<uint32_t> stamp_;  // per sector number: the chain() call that last went through it
  uint32_t stamp_gen_ = 0;
};

std::vector<uint32_t> Ole2Reader::chain(const std::vector<uint32_t>& table, uint32_t first,
                                        uint32_t limit, uint64_t max) {
  limit = static_cast<uint32_t>(std::min<uint64_t>(limit, table.size()));
  if (stamp_.size() < limit) stamp_.resize(limit, 0);
  if (++stamp_gen_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    stamp_gen_ = 1;
  }
  std::vector<uint32_t> out;
  for (uint32_t s = first;
       s <= kMaxRegular && s < limit && out.size() < max && stamp_[s] != stamp_gen_; s = table[s]) {
    stamp_[s] = stamp_gen_;
    out.push_back(s);
  }
  return out;
}

bool Ole2Reader::load() {
  if (size_ < 512 || std::memcmp(data_, kMagic, sizeof kMagic) != 0) return false;
  const uint16_t major = le16(data_ + 0x1A);
  shift_ = le16(data_ + 0x1E);
  mini_shift_ = le16(data_ + 0x20);
  // 512- or 4096-byte sectors and 64-byte mini sectors: the only sizes [MS-CFB] allows.
  if ((shift_ != 9 && shift_ != 12) || mini_shift_ != 6) return false;
  v3_ = major != 4;
  const uint64_t sector = uint64_t{1} << shift_;
  file_sectors_ = static_cast<uint32_t>(std::min<uint64_t>((size_ - 1) / sector, kMaxRegular));
  // The FAT: its sector numbers from the header, then from the DIFAT chain.
  std::vector<uint32_t> fat_sectors;
  for (uint32_t i = 0; i < kHeaderFat; ++i) {
    uint32_t s = le32(data_ + 0x4C + 4 * i);
    if (s < file_sectors_) fat_sectors.push_back(s);
  }
  const uint32_t per_sector = static_cast<uint32_t>(sector / 4);
  std::vector<uint8_t> difat_seen(file_sectors_, 0);
  for (uint32_t d = le32(data_ + 0x44); d < file_sectors_ && difat_seen[d] == 0;) {
    difat_seen[d] = 1;
    if (sector_start(d) + sector > size_) break;
    const uint8_t* p = data_ + sector_start(d);
    for (uint32_t i = 0; i + 1 < per_sector; ++i) {
      uint32_t s = le32(p + 4 * i);
      if (s < file_sectors_) fat_sectors.push_back(s);
    }
    d = le32(p + sector - 4);
  }
  if (fat_sectors.size() > file_sectors_) fat_sectors.resize(file_sectors_);
  fat_.reserve(fat_sectors.size() * per_sector);
  for (uint32_t s : fat_sectors) {
    const uint64_t at = sector_start(s);
    for (uint32_t i = 0; i < per_sector && at + 4 * i + 4 <= size_; ++i) {
      fat_.push_back(le32(data_ + at + 4 * i));
    }
  }
  // The directory.
  std::vector<uint32_t> dir = chain(fat_, le32(data_ + 0x30), file_sectors_, file_sectors_);
  for (uint32_t s : dir) {
    for (uint64_t at = sector_start(s);
         at + kEntrySize <= sector_start(s) + sector && at + kEntrySize <= size_;
         at += kEntrySize) {
      const uint8_t* p = data_ + at;
      Entry e;
      const uint32_t units = std::min<uint32_t>(le16(p + 0x40) / 2, 32);
      for (uint32_t i = 0; i < units; ++i) {
        uint16_t c = le16(p + 2 * i);
        if (c == 0) break;
        if (i == 0 && c == 1) e.ole10_native = true;  // "\x01Ole10Native", checked below
        if (c < 0x20 || c == '/') {
          e.name.push_back('_');
        } else if (c < 0x80) {
          e.name.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
          e.name.push_back(static_cast<char>(0xC0 | c >> 6));
          e.name.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else if (c >= 0xD800 && c < 0xE000) {
          e.name.push_back('?');  // half of a surrogate pair: not decoded
        } else {
          e.name.push_back(static_cast<char>(0xE0 | c >> 12));
          e.name.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
          e.name.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
      }
      e.ole10_native = e.ole10_native && e.name.size() == 12 &&
                       std::equal(e.name.begin(), e.name.end(), "_ole10native", [](char a, char b) {
                         return (a >= 'A' && a <= 'Z' ? a | 0x20 : a) == b;
                       });
      e.type = p[0x42];
      e.left = le32(p + 0x44);
      e.right = le32(p + 0x48);
      e.child = le32(p + 0x4C);
      e.start = le32(p + 0x74);
      e.size = v3_ ? le32(p + 0x78) : (uint64_t{le32(p + 0x7C)} << 32 | le32(p + 0x78));
      entries_.push_back(std::move(e));
    }
  }
  if (entries_.empty() || entries_[0].type != 5) return false;
  mini_fat_ = [&] {
    std::vector<uint32_t> out;
    for (uint32_t s : chain(fat_, le32(data_ + 0x3C), file_sectors_, file_sectors_)) {
      for (uint32_t i = 0; i < per_sector && sector_start(s) + 4 * i + 4 <= size_; ++i) {
        out.push_back(le32(data_ + sector_start(s) + 4 * i));
      }
    }
    return out;
  }();
  // The mini stream: the root entry's data, in mini sectors.
  // Its sectors count as covered: a regular stream over them holds every mini stream's bytes.
  const uint32_t minis_per_sector = 1u << (shift_ - mini_shift_);
  seen_sector_.assign(file_sectors_, 0);
  for (uint32_t s : chain(fat_, entries_[0].start, file_sectors_, file_sectors_)) {
    seen_sector_[s] = 1;
    for (uint32_t i = 0; i < minis_per_sector; ++i) {
      mini_stream_.push_back(sector_start(s) + (uint64_t{i} << mini_shift_));
    }
  }
  seen_mini_.assign(mini_stream_.size(), 0);
  walk();
  return true;
}

void Ole2Reader::walk() {
  struct Visit {
    uint32_t entry;
    uint32_t depth;
    uint32_t parent;  // the storage it is in
  };
  std::vector<uint8_t> visited(entries_.size(), 0);
  std::vector<Visit> stack;
  if (entries_[0].child < entries_.size()) stack.push_back({entries_[0].child, 0, kNoStream});
  visited[0] = 1;
  while (!stack.empty()) {
    const Visit v = stack.back();
    stack.pop_back();
    if (v.entry >= entries_.size() || visited[v.entry] != 0) continue;
    visited[v.entry] = 1;
    Entry& e = entries_[v.entry];
    e.parent = v.parent;
    if (e.right < entries_.size()) stack.push_back({e.right, v.depth, v.parent});
    if (e.type == 1 && e.child < entries_.size() && v.depth + 1 < kMaxDepth) {
      stack.push_back({e.child, v.depth + 1, v.entry});
    }
    if (e.left < entries_.size()) stack.push_back({e.left, v.depth, v.parent});
    if (e.type == 2) {
      items_.push_back({"", v.entry, 0, e.size, false});
      if (e.ole10_native) add_ole10_native(items_.size() - 1);
    }
  }
  // Members in directory order, whatever order the walk met them in (an embedded file after
  // its stream).
  std::stable_sort(items_.begin(), items_.end(),
                   [](const Item& a, const Item& b) { return a.entry < b.entry; });
}

Ole2Reader::Layout Ole2Reader::layout(const Entry& e, uint64_t max_bytes) {
  Layout l;
  l.mini = e.size < kMiniCutoff;
  l.unit = 1u << (l.mini ? mini_shift_ : shift_);
  const uint64_t bytes = std::min(e.size, max_bytes);
  const uint64_t want = bytes / l.unit + (bytes % l.unit != 0 ? 1 : 0);
  l.sectors = l.mini ? chain(mini_fat_, e.start, static_cast<uint32_t>(mini_stream_.size()), want)
                     : chain(fat_, e.start, file_sectors_, want);
  l.size = std::min<uint64_t>(e.size, uint64_t{l.unit} * l.sectors.size());
  return l;
}

void Ole2Reader::copy(const Layout& l, uint64_t pos, uint8_t* out, size_t n) const {
  while (n > 0) {
    const uint32_t s = l.sectors[pos / l.unit];
    const uint64_t at = (l.mini ? mini_stream_[s] : sector_start(s)) + pos % l.unit;
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, l.unit - pos % l.unit));
    // The last sector of a truncated file may end early: what is missing reads as zeros.
    const size_t have = at >= size_ ? 0 : static_cast<size_t>(std::min<uint64_t>(k, size_ - at));
    std::memcpy(out, data_ + at, have);
    std::memset(out + have, 0, k - have);
    out += k;
    pos += k;
    n -= k;
  }
}

void Ole2Reader::add_ole10_native(size_t stream) {
  // NativeDataSize (4), then the Package: 2 bytes, label, path (both NUL-terminated), 4 bytes,
  // a temporary path's length (4) and bytes, the data's size (4) and the data. Read leniently:
  // a data size beyond the stream is cut to what the stream holds.
  const uint32_t entry = items_[stream].entry;
  const Layout head_layout = layout(entries_[entry], kPackageHead);
  const size_t head = static_cast<size_t>(head_layout.size);
  std::vector<uint8_t> b(head);
  copy(head_layout, 0, b.data(), head);
  size_t at = 6;
  auto cstring = [&](std::string& s) {
    const uint8_t* nul =
        at < head ? static_cast<const uint8_t*>(std::memchr(b.data() + at, 0, head - at)) : nullptr;
    if (nul == nullptr) return false;
    s.assign(reinterpret_cast<const char*>(b.data() + at), nul - (b.data() + at));
    at = static_cast<size_t>(nul - b.data()) + 1;
    return true;
  };
  std::string label, path;
  if (head < 6 || !cstring(label) || !cstring(path)) return;
  at += 4;
  if (at + 4 > head) return;
  const uint32_t temp_len = le32(b.data() + at);
  at += 4;
  if (temp_len > head || at + temp_len + 4 > head) return;
  at += temp_len;
  const uint64_t data_size = le32(b.data() + at);
  at += 4;
  if (label.size() > kMaxLabel) label.resize(kMaxLabel);
  for (char& c : label) {  // printable ASCII, so the name stays valid UTF-8
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '/') c = '_';
  }
  items_[stream].leaf = true;
  items_.push_back({label.empty() ? "embedded" : label, entry, at, data_size, false});
}

std::string Ole2Reader::path_of(const Item& item) const {
  std::vector<const std::string*> names;
  for (uint32_t e = item.entry; e < entries_.size() && names.size() <= kMaxDepth;
       e = entries_[e].parent) {
    names.push_back(&entries_[e].name);
  }
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!path.empty()) path += '/';
    path += **it;
  }
  return item.label.empty() ? path : path + "/" + item.label;
}

bool Ole2Reader::overlaps(const Layout& l) {
  std::vector<uint8_t>& seen = l.mini ? seen_mini_ : seen_sector_;
  bool shared = false;
  for (uint32_t s : l.sectors) {
    shared = shared || seen[s] != 0;
    seen[s] = 1;
  }
  return shared;
}

ContainerReader::Next Ole2Reader::next(Member& member) {
  if (next_ >= items_.size()) return Next::kEnd;
  const Item& item = items_[next_++];
  const Entry& e = entries_[item.entry];
  current_ = layout(e);
  pos_ = std::min(item.from, current_.size);
  end_ = std::min(item.from + std::min(item.size, current_.size), current_.size);
  member = Member{path_of(item), true, false, static_cast<int64_t>(end_ - pos_)};
  if (item.label.empty()) {
    stream_shared_ = overlaps(current_);
    member.leaf = item.leaf || stream_shared_;
  } else {
    // A packaged file lies inside the stream just handed out: a leaf when that stream was.
    member.leaf = stream_shared_;
  }
  return Next::kMember;
}

int64_t Ole2Reader::read(uint8_t* out, size_t size) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(size, end_ - pos_));
  copy(current_, pos_, out, n);
  pos_ += n;
  consumed_ += n;
  return static_cast<int64_t>(n);
}

}  // namespace

Sniffed sniff_ole2(const uint8_t* data, uint64_t size) {
  if (size >= sizeof kMagic && std::memcmp(data, kMagic, sizeof kMagic) == 0) {
    return Sniffed{Kind::kOle2, true};
  }
  return Sniffed{};
}

common::Result<std::unique_ptr<ContainerReader>> open_ole2(const uint8_t* data, uint64_t size) {
  auto r = std::make_unique<Ole2Reader>(data, size);
  if (!r->load()) return common::Status(VIGIL_ERR_UNSUPPORTED, "not an OLE2 compound file");
  return std::unique_ptr<ContainerReader>(std::move(r));
}

}  // namespace vigil::unpack
