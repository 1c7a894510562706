// Turns source paths and buffers into a SignatureSet. Ignore lists are read first so that every
// later line can be checked against them while it is parsed; directories contribute their
// supported files in name order, so a load is deterministic.
#include <dirent.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/hex.h"
#include "sig/cvd.h"
#include "sig/fields.h"
#include "sig/line_reader.h"
#include "sig/signature_set.h"

namespace vigil::sig {
namespace {

struct IgnoreEntry {
  std::optional<std::array<uint8_t, 16>> line_md5;
};
using IgnoreMap = std::unordered_map<std::string, std::vector<IgnoreEntry>>;

void file_diag(Diagnostics& diags, vigil_diag_code code, vigil_diag_severity sev,
               const std::string& file, std::string message) {
  diags.push_back(Diagnostic{code, sev, file, 0, "", std::move(message)});
}

std::array<uint8_t, 16> md5_of(std::string_view s) {
  std::array<uint8_t, 16> out{};
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

class Loader {
 public:
  explicit Loader(const LoadFlags& flags) : flags_(flags) {}

  SignatureSet run(const std::vector<Source>& sources) {
    std::vector<SourceText> texts;
    for (const Source& s : sources) collect(s, texts);
    for (SourceText& t : texts) {
      if (t.format() == SourceFormat::kIgn2) read_ignores(t);
    }
    for (SourceText& t : texts) {
      if (t.format() != SourceFormat::kIgn2) read_signatures(t);
    }
    return std::move(set_);
  }

 private:
  void collect(const Source& s, std::vector<SourceText>& texts) {
    if (is_cvd_name(s.name)) {  // a container: its members load as sources of their own
      for (Source& m : read_cvd_source(s, set_.diags)) {
        add_text(SourceText::from_owned(m.name, std::move(m.bytes)), m.name, true, texts);
      }
      return;
    }
    if (s.in_memory) {
      add_text(SourceText::from_memory(s.name, s.bytes), s.name, /*explicit_file=*/true, texts);
      return;
    }
    struct stat st;
    if (::stat(s.name.c_str(), &st) != 0) {
      file_diag(set_.diags, VIGIL_DIAG_IO, VIGIL_SEVERITY_ERROR, s.name,
                "cannot access: " + common::errno_text(errno));
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      add_text(SourceText::from_file(s.name), s.name, true, texts);
      return;
    }
    DIR* dir = ::opendir(s.name.c_str());
    if (dir == nullptr) {
      file_diag(set_.diags, VIGIL_DIAG_IO, VIGIL_SEVERITY_ERROR, s.name,
                "cannot open directory: " + common::errno_text(errno));
      return;
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    std::string prefix = s.name.ends_with("/") ? s.name : s.name + "/";
    for (const std::string& n : names) {
      SourceFormat fmt = format_from_name(n);
      std::string path = prefix + n;
      if (n.ends_with(".vdat")) {
        file_diag(set_.diags, VIGIL_DIAG_UNSUPPORTED, VIGIL_SEVERITY_WARNING, path,
                  "skipped: a DAT is not read from a directory of sources; load it on its own");
        continue;
      }
      if (fmt == SourceFormat::kUnknown) continue;
      if (is_cvd_name(n)) {
        collect(Source{path, false, {}}, texts);
        continue;
      }
      if (fmt == SourceFormat::kKnownUnsupported) {
        file_diag(set_.diags, VIGIL_DIAG_UNSUPPORTED, VIGIL_SEVERITY_WARNING, path,
                  "skipped: the ." + std::string(extension_of(n)) +
                      " format is not supported by this engine version");
        continue;
      }
      add_text(SourceText::from_file(path), path, false, texts);
    }
  }

  void add_text(common::Result<SourceText> text, const std::string& name, bool explicit_file,
                std::vector<SourceText>& texts) {
    if (!text.is_ok()) {
      file_diag(set_.diags, VIGIL_DIAG_IO, VIGIL_SEVERITY_ERROR, name, text.status().message());
      return;
    }
    SourceFormat fmt = text.value().format();
    if (fmt == SourceFormat::kUnknown || fmt == SourceFormat::kKnownUnsupported) {
      bool known = fmt == SourceFormat::kKnownUnsupported;
      file_diag(
          set_.diags, known ? VIGIL_DIAG_UNSUPPORTED : VIGIL_DIAG_UNKNOWN_FORMAT,
          explicit_file ? VIGIL_SEVERITY_ERROR : VIGIL_SEVERITY_WARNING, name,
          known ? "the ." + std::string(extension_of(name)) +
                      " format is not supported by this engine version"
          : text.value().is_dat()
              ? "a DAT loads on its own: it cannot be combined with other signature "
                "sources or compiled into another DAT"
          : name.ends_with(".vdat")
              ? "not a DAT (bad magic, or a truncated or damaged file)"
              : "unknown signature format (expected .hdb .hsb .mdb .msb .ndb .ldb .fp .sfp .ign2, "
                "optionally .gz, a .cvd or .cld, or a DAT)");
      return;
    }
    texts.push_back(text.take());
  }

  void read_ignores(SourceText& t) {
    std::string_view line;
    uint32_t no = 0;
    LineContext ctx{&t.name(), 0, &set_.diags};
    while (t.next_line(line, no)) {
      ctx.line = no;
      std::vector<std::string_view> f = split_fields(line, ':');
      IgnoreEntry entry;
      if (f.size() == 3) f.erase(f.begin(), f.begin() + 2);  // legacy DB:LINE:NAME form
      if (f.size() > 2 || !valid_name(f[0])) {
        report_error(ctx, f[0], "expected NAME, NAME:MD5 or DB:LINE:NAME in ignore list");
        continue;
      }
      if (f.size() == 2) {
        std::array<uint8_t, 16> md5{};
        if (f[1].size() != 32 || !common::decode_hex(f[1], md5.data())) {
          report_error(ctx, f[0], "invalid MD5 '" + std::string(f[1]) + "' in ignore list");
          continue;
        }
        entry.line_md5 = md5;
      }
      ignores_[std::string(f[0])].push_back(entry);
    }
  }

  bool ignored(std::string_view name, std::string_view line, const LineContext& ctx) {
    if (ignores_.empty()) return false;
    auto it = ignores_.find(std::string(name));
    if (it == ignores_.end()) return false;
    for (const IgnoreEntry& e : it->second) {
      if (!e.line_md5 || *e.line_md5 == md5_of(line)) {
        report(ctx, VIGIL_DIAG_IGNORED, VIGIL_SEVERITY_INFO, name, "skipped: in an ignore list");
        ++set_.ignored;
        return true;
      }
    }
    return false;
  }

  std::string display_name(std::string_view name) const {
    std::string n(name);
    if (flags_.unofficial_suffix) n += ".UNOFFICIAL";
    return n;
  }

  void read_signatures(SourceText& t) {
    uint32_t file_index = static_cast<uint32_t>(set_.files.size());
    set_.files.push_back(t.name());
    LineContext ctx{&set_.files.back(), 0, &set_.diags};
    std::string_view line;
    uint32_t no = 0;
    SourceFormat fmt = t.format();
    while (t.next_line(line, no)) {
      ctx.line = no;
      size_t before = set_.diags.size();
      bool ok = false;
      if (fmt == SourceFormat::kLdb) {
        ok = read_logical(line, ctx, file_index);
      } else if (fmt == SourceFormat::kNdb) {
        BodySig sig;
        ok = parse_ndb_line(line, ctx, sig);
        if (ok && !ignored(sig.name, line, ctx)) {
          sig.name = display_name(sig.name);
          sig.file_index = file_index;
          set_.body.push_back(std::move(sig));
        }
      } else if (fmt == SourceFormat::kMdb || fmt == SourceFormat::kMsb) {
        HashSig sig;
        ok = parse_section_hash_line(line, ctx, sig);
        if (ok && !ignored(sig.name, line, ctx)) {
          sig.name = display_name(sig.name);
          set_.section_hashes.push_back(std::move(sig));
        }
      } else {
        HashSig sig;
        ok = parse_hash_line(line, ctx, sig);
        bool allow = fmt == SourceFormat::kFp || fmt == SourceFormat::kSfp;
        if (ok && (allow || !ignored(sig.name, line, ctx))) {
          sig.name = display_name(sig.name);
          (allow ? set_.allow : set_.hashes).push_back(std::move(sig));
        }
      }
      if (!ok && set_.diags.size() > before) ++set_.skipped;
    }
  }

  bool read_logical(std::string_view line, const LineContext& ctx, uint32_t file_index) {
    LogicalSig sig;
    subsigs_.clear();
    if (!parse_ldb_line(line, ctx, sig, subsigs_)) return false;
    if (ignored(sig.name, line, ctx)) return true;
    // The stored line names the signature as it is reported (a DAT rebuilt from it must).
    sig.text = display_name(sig.name) + sig.text.substr(sig.name.size());
    sig.name = display_name(sig.name);
    sig.file_index = file_index;
    uint32_t index = static_cast<uint32_t>(set_.logical.size());
    for (BodySig& b : subsigs_) {
      b.name = sig.name;
      b.file_index = file_index;
      b.logical = index;
      set_.body.push_back(std::move(b));
    }
    set_.logical.push_back(std::move(sig));
    return true;
  }

  LoadFlags flags_;
  SignatureSet set_;
  std::vector<BodySig> subsigs_;
  IgnoreMap ignores_;
};

}  // namespace

SignatureSet load_sources(const std::vector<Source>& sources, const LoadFlags& flags) {
  return Loader(flags).run(sources);
}

}  // namespace vigil::sig
