// Walks the operands. Directories are read with openat()/fdopendir() relative to their parent
// descriptor and entries are classified with d_type or fstatat(AT_SYMLINK_NOFOLLOW), so a
// symbolic link is only ever followed on purpose: operands named on the command line are
// followed (as clamscan does), links met inside a tree only with --follow-symlinks. Entries
// are visited in name order so single-threaded output is reproducible. Followed links are
// checked against the directories above them to stop loops.
#include "walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::cli {
namespace {

// Owns a DIR* (and so the descriptor it was opened from).
class DirHandle {
 public:
  explicit DirHandle(DIR* dir) : dir_(dir) {}
  ~DirHandle() {
    if (dir_ != nullptr) ::closedir(dir_);
  }
  DirHandle(const DirHandle&) = delete;
  DirHandle& operator=(const DirHandle&) = delete;
  DIR* get() const { return dir_; }

 private:
  DIR* dir_;
};

struct Entry {
  std::string name;
  unsigned char d_type;
};

std::string join_path(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// "a/b//" -> "a/b"; "/" stays "/".
std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool matches_any(const std::vector<std::string>& globs, const std::string& path,
                 const std::string& base) {
  for (const std::string& glob : globs) {
    if (::fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
    if (::fnmatch(glob.c_str(), base.c_str(), 0) == 0) return true;
  }
  return false;
}

mode_t mode_from_d_type(unsigned char d_type) {
  switch (d_type) {
    case DT_REG:
      return S_IFREG;
    case DT_DIR:
      return S_IFDIR;
    case DT_LNK:
      return S_IFLNK;
    case DT_FIFO:
      return S_IFIFO;
    case DT_SOCK:
      return S_IFSOCK;
    case DT_CHR:
      return S_IFCHR;
    case DT_BLK:
      return S_IFBLK;
    default:
      return 0;
  }
}

}  // namespace

Walker::Walker(const Options& opts, ScanPool* pool) : opts_(opts), pool_(pool) {}

void Walker::walk_operand(const std::string& operand) {
  if (operand == "-") {
    pool_->submit(WorkItem{"stdin", /*is_stdin=*/true, /*follow_symlink=*/false, {}});
    return;
  }
  std::string path = strip_trailing_slashes(operand);
  std::string base = base_name(path);
  if (is_excluded(path, base)) return;

  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return report_error(path, errno_message(errno));
  if (S_ISDIR(st.st_mode)) {
    if (!opts_.recursive) return report_error(path, "Is a directory (use -r to scan it)");
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return report_error(path, errno_message(errno));
    std::vector<DirId> ancestors{{st.st_dev, st.st_ino}};
    walk_directory(fd, path, &ancestors);
    return;
  }
  if (!is_included(path, base)) return;
  if (S_ISREG(st.st_mode)) {
    pool_->submit(WorkItem{path, /*is_stdin=*/false, /*follow_symlink=*/true, {}});
  } else {
    report_skip(path, unscannable_type_name(st.st_mode));
  }
}

void Walker::walk_directory(int dir_fd, const std::string& path, std::vector<DirId>* ancestors) {
  DirHandle dir(::fdopendir(dir_fd));
  if (dir.get() == nullptr) {
    int saved = errno;
    ::close(dir_fd);
    return report_error(path, errno_message(saved));
  }
  std::vector<Entry> entries;
  for (;;) {
    errno = 0;
    dirent* ent = ::readdir(dir.get());
    if (ent == nullptr) {
      if (errno != 0) report_error(path, errno_message(errno));
      break;
    }
    if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
    entries.push_back(Entry{ent->d_name, ent->d_type});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  for (const Entry& e : entries) {
    visit_entry(::dirfd(dir.get()), path, e.name, e.d_type, ancestors);
  }
}

void Walker::visit_entry(int dir_fd, const std::string& dir_path, const std::string& name,
                         unsigned char d_type, std::vector<DirId>* ancestors) {
  std::string path = join_path(dir_path, name);
  if (is_excluded(path, name)) return;

  mode_t mode = mode_from_d_type(d_type);
  if (mode == 0) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return report_error(path, errno_message(errno));
    }
    mode = st.st_mode & S_IFMT;
  }

  bool via_link = false;
  if (S_ISLNK(mode)) {
    if (!opts_.follow_symlinks) {
      if (is_included(path, name)) report_skip(path, "symbolic link");
      return;
    }
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, 0) != 0) {
      if (is_included(path, name)) report_skip(path, "dangling symbolic link");
      return;
    }
    mode = st.st_mode & S_IFMT;
    via_link = true;
  }

  if (S_ISDIR(mode)) {
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (via_link ? 0 : O_NOFOLLOW);
    int fd = ::openat(dir_fd, name.c_str(), flags);
    if (fd < 0) return report_error(path, errno_message(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int saved = errno;
      ::close(fd);
      return report_error(path, errno_message(saved));
    }
    DirId id{st.st_dev, st.st_ino};
    if (std::find(ancestors->begin(), ancestors->end(), id) != ancestors->end()) {
      ::close(fd);
      return report_skip(path, "directory loop");
    }
    ancestors->push_back(id);
    walk_directory(fd, path, ancestors);
    ancestors->pop_back();
    return;
  }

  if (!is_included(path, name)) return;
  if (S_ISREG(mode)) {
    pool_->submit(WorkItem{path, /*is_stdin=*/false, /*follow_symlink=*/via_link, {}});
  } else {
    report_skip(path, unscannable_type_name(mode));
  }
}

bool Walker::is_excluded(const std::string& path, const std::string& base) const {
  return matches_any(opts_.excludes, path, base);
}

bool Walker::is_included(const std::string& path, const std::string& base) const {
  return opts_.includes.empty() || matches_any(opts_.includes, path, base);
}

void Walker::report_error(const std::string& path, const std::string& message) {
  submit_verdict(path, FileStatus::kError, message);
}

void Walker::report_skip(const std::string& path, const std::string& reason) {
  submit_verdict(path, FileStatus::kSkipped, reason);
}

void Walker::submit_verdict(const std::string& path, FileStatus status,
                            const std::string& message) {
  FileReport r;
  r.path = path;
  r.status = status;
  r.message = message;
  WorkItem item;
  item.path = path;
  item.verdict = std::move(r);
  pool_->submit(std::move(item));
}

}  // namespace vigil::cli
