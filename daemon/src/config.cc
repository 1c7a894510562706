// Reads clamd.conf text into a vigild Config. One table lists every option clamd 1.4.6 knows
// (found by probing clamconf, hidden obsolete ones included) plus vigild's own: the options
// vigild implements carry a range and a setter, the rest only a value type, so a value clamd
// would refuse is refused here too before the option is reported as ignored. Lines are read
// the way clamd reads them; where clamd is silently surprising (CRLF, NUL bytes, overlong
// lines, a repeated option) the behaviour is kept or refused, but always reported.
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <system_error>

#include "fd.h"

namespace vigil::daemon {
namespace {

// clamd reads lines with a 1024-byte buffer: a longer line is split and its tail parsed as a
// line of its own. vigild refuses lines clamd would split.
constexpr size_t kMaxLineBytes = 1023;

enum class Type : uint8_t { kBool, kNumber, kSize, kString, kAny, kMode, kFacility };

enum Flags : uint8_t {
  kRepeatable = 1,   // every occurrence counts (otherwise the first wins, as in clamd)
  kAbsolute = 2,     // a path that must be absolute
  kZeroNoLimit = 4,  // 0 means no limit: stored as kNoLimit
  kObsolete = 8,     // deprecated in clamd; ignored there too
};

// A checked value, ready for a setter.
struct Value {
  bool flag = false;
  uint64_t number = 0;
  std::string text;
  bool first = true;  // first occurrence of the option in the file
};

using Setter = void (*)(Config&, const Value&);

struct Option {
  std::string_view name;
  Type type;
  uint8_t flags;
  uint64_t min, max;  // kNumber only
  Setter set;         // null: a clamd option vigild does not implement
};

constexpr uint64_t kU32 = UINT32_MAX;

// Options vigild implements, with clamd's names.
const Option kApplied[] = {
    {"LocalSocket", Type::kString, kAbsolute, 0, 0,
     [](Config& c, const Value& v) { c.local_socket = v.text; }},
    {"LocalSocketGroup", Type::kString, 0, 0, 0,
     [](Config& c, const Value& v) { c.local_socket_group = v.text; }},
    {"LocalSocketMode", Type::kMode, 0, 0, 0,
     [](Config& c, const Value& v) { c.local_socket_mode = static_cast<mode_t>(v.number); }},
    {"FixStaleSocket", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.fix_stale_socket = v.flag; }},
    {"TCPSocket", Type::kNumber, 0, 1, 65535,
     [](Config& c, const Value& v) { c.tcp_socket = static_cast<uint16_t>(v.number); }},
    {"TCPAddr", Type::kString, kRepeatable, 0, 0,
     [](Config& c, const Value& v) {
       if (v.first) c.tcp_addr.clear();  // the first TCPAddr replaces the loopback default
       c.tcp_addr.push_back(v.text);
     }},
    {"MaxConnectionQueueLength", Type::kNumber, 0, 1, 65535,
     [](Config& c, const Value& v) {
       c.max_connection_queue_length = static_cast<uint32_t>(v.number);
     }},
    {"MaxThreads", Type::kNumber, 0, 1, 4096,
     [](Config& c, const Value& v) { c.max_threads = static_cast<uint32_t>(v.number); }},
    {"MaxQueue", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.max_queue = static_cast<uint32_t>(v.number); }},
    {"StreamMaxLength", Type::kSize, kZeroNoLimit, 0, 0,
     [](Config& c, const Value& v) { c.stream_max_length = v.number; }},
    {"ReadTimeout", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.read_timeout = std::chrono::seconds(v.number); }},
    {"CommandReadTimeout", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.command_read_timeout = std::chrono::seconds(v.number); }},
    {"SendBufTimeout", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.send_buf_timeout = std::chrono::milliseconds(v.number); }},
    {"IdleTimeout", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.idle_timeout = std::chrono::seconds(v.number); }},
    {"SelfCheck", Type::kNumber, 0, 0, kU32,
     [](Config& c, const Value& v) { c.self_check = std::chrono::seconds(v.number); }},
    {"AllowAllMatchScan", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.allow_all_match_scan = v.flag; }},
    {"MaxFileSize", Type::kSize, kZeroNoLimit, 0, 0,
     [](Config& c, const Value& v) { c.max_file_size = v.number; }},
    {"MaxScanSize", Type::kSize, kZeroNoLimit, 0, 0,
     [](Config& c, const Value& v) { c.max_scan_size = v.number; }},
    {"MaxRecursion", Type::kNumber, 0, 1, 1000,
     [](Config& c, const Value& v) { c.max_recursion = static_cast<uint32_t>(v.number); }},
    {"MaxFiles", Type::kNumber, kZeroNoLimit, 0, kU32,
     [](Config& c, const Value& v) { c.max_files = v.number; }},
    {"MaxScanTime", Type::kNumber, 0, 0, kU32,  // 0: no limit (as the engine takes it)
     [](Config& c, const Value& v) { c.max_scan_time = std::chrono::milliseconds(v.number); }},
    {"ScanArchive", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.scan_archive = v.flag; }},
    {"AlertEncrypted", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.alert_encrypted = c.alert_encrypted || v.flag; }},
    {"AlertEncryptedArchive", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.alert_encrypted = c.alert_encrypted || v.flag; }},
    {"AlertExceedsMax", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.alert_exceeds_max = v.flag; }},
    {"LogFile", Type::kString, kAbsolute, 0, 0,
     [](Config& c, const Value& v) { c.log_file = v.text; }},
    {"LogTime", Type::kBool, 0, 0, 0, [](Config& c, const Value& v) { c.log_time = v.flag; }},
    {"LogVerbose", Type::kBool, 0, 0, 0, [](Config& c, const Value& v) { c.log_verbose = v.flag; }},
    {"LogClean", Type::kBool, 0, 0, 0, [](Config& c, const Value& v) { c.log_clean = v.flag; }},
    {"LogSyslog", Type::kBool, 0, 0, 0, [](Config& c, const Value& v) { c.log_syslog = v.flag; }},
    {"LogFacility", Type::kFacility, 0, 0, 0,
     [](Config& c, const Value& v) { c.log_facility = static_cast<int>(v.number); }},
    {"PidFile", Type::kString, kAbsolute, 0, 0,
     [](Config& c, const Value& v) { c.pid_file = v.text; }},
    {"User", Type::kString, 0, 0, 0, [](Config& c, const Value& v) { c.user = v.text; }},
    {"Foreground", Type::kBool, 0, 0, 0, [](Config& c, const Value& v) { c.foreground = v.flag; }},
    {"DatabaseDirectory", Type::kString, kAbsolute, 0, 0,
     [](Config& c, const Value& v) { c.database_directory = v.text; }},
    {"TrustedKey", Type::kString, kAbsolute | kRepeatable, 0, 0,
     [](Config& c, const Value& v) { c.trusted_key.push_back(v.text); }},
    {"AllowUnsigned", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.allow_unsigned = v.flag; }},
    {"CacheDirectory", Type::kString, kAbsolute, 0, 0,
     [](Config& c, const Value& v) { c.cache_directory = v.text; }},
    {"OnAccessIncludePath", Type::kString, kAbsolute | kRepeatable, 0, 0,
     [](Config& c, const Value& v) { c.on_access_include_path.push_back(v.text); }},
    {"OnAccessExcludePath", Type::kString, kAbsolute | kRepeatable, 0, 0,
     [](Config& c, const Value& v) { c.on_access_exclude_path.push_back(v.text); }},
    {"OnAccessMountPath", Type::kString, kAbsolute | kRepeatable, 0, 0,
     [](Config& c, const Value& v) { c.on_access_mount_path.push_back(v.text); }},
    {"OnAccessExcludeUID", Type::kNumber, kRepeatable, 0, kU32 - 1,
     [](Config& c,
        const Value& v) { c.on_access_exclude_uid.push_back(static_cast<uid_t>(v.number)); }},
    {"OnAccessExcludeRootUID", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.on_access_exclude_root_uid = v.flag; }},
    {"OnAccessMaxFileSize", Type::kSize, kZeroNoLimit, 0, 0,
     [](Config& c, const Value& v) { c.on_access_max_file_size = v.number; }},
    {"OnAccessPrevention", Type::kBool, 0, 0, 0,
     [](Config& c, const Value& v) { c.on_access_prevention = v.flag; }},
};

// The other options clamd 1.4.6 accepts, by the value type it checks; names separated by
// spaces.
constexpr std::string_view kIgnoredBool =
    "AlertBrokenExecutables AlertBrokenMedia "
    "AlertEncryptedDoc AlertOLE2Macros AlertPartitionIntersection "
    "AlertPhishingCloak AlertPhishingSSLMismatch Bytecode BytecodeUnsigned "
    "ConcurrentDatabaseReload CrossFilesystems Debug DetectPUA DevACOnly DevLiblog "
    "DevPerformance DisableCache DisableCertCheck ExitOnOOM ExtendedDetectionInfo "
    "FollowDirectorySymlinks FollowFileSymlinks ForceToDisk GenerateMetadataJson "
    "HeuristicAlerts HeuristicScanPrecedence LeaveTemporaryFiles LogFileUnlock LogRotate "
    "OfficialDatabaseOnly OnAccessDenyOnError OnAccessDisableDDD OnAccessExtraScanning "
    "PhishingScanURLs PhishingSignatures PreludeEnable ScanELF ScanHTML ScanHWP3 "
    "ScanImage ScanImageFuzzyHash ScanMail ScanOLE2 ScanOneNote ScanPDF ScanPE "
    "ScanPartialMessages ScanSWF ScanXMLDOCS StructuredCCOnly StructuredDataDetection "
    "StructuredSSNFormatNormal StructuredSSNFormatStripped";
// StreamMinPort/StreamMaxPort served the STREAM command, which clamd 1.x no longer has either.
constexpr std::string_view kIgnoredNumber =
    "BytecodeTimeout CacheSize DevACDepth FailIfCvdOlderThan MaxDirectoryRecursion "
    "MaxIconsPE MaxPartitions MaxRecHWP3 OnAccessCurlTimeout OnAccessMaxThreads "
    "OnAccessRetryAttempts PCREMatchLimit PCRERecMatchLimit StreamMaxPort StreamMinPort "
    "StructuredMinCreditCardCount StructuredMinSSNCount";
constexpr std::string_view kIgnoredSize =
    "LogFileMaxSize MaxEmbeddedPE MaxHTMLNoTags MaxHTMLNormalize MaxScriptNormalize "
    "MaxZipTypeRcg PCREMaxFileSize";
constexpr std::string_view kIgnoredString =
    "BytecodeMode BytecodeSecurity ExcludePUA ExcludePath IncludePUA OnAccessExcludeUname "
    "PreludeAnalyzerName TemporaryDirectory VirusEvent";
// Deprecated in clamd: the first ones still have their value checked, the others not at all.
constexpr std::string_view kObsoleteBool =
    "AlgorithmicDetection ArchiveBlockEncrypted BlockMax OLE2BlockMacros "
    "PartitionIntersection PhishingAlwaysBlockCloak PhishingAlwaysBlockSSLMismatch";
constexpr std::string_view kObsoleteAny =
    "AllowSupplementaryGroups ArchiveBlockMax ArchiveLimitMemoryUsage "
    "ArchiveMaxCompressionRatio ArchiveMaxFiles ArchiveMaxRecursion ArchiveMaxScanSize "
    "DetectBrokenExecutables MailFollowURLs MailMaxRecursion ScanOnAccess";

struct IgnoredGroup {
  std::string_view names;
  Type type;
  uint8_t flags;
};
constexpr IgnoredGroup kIgnored[] = {
    {kIgnoredBool, Type::kBool, 0},          {kIgnoredNumber, Type::kNumber, 0},
    {kIgnoredSize, Type::kSize, 0},          {kIgnoredString, Type::kString, 0},
    {kObsoleteBool, Type::kBool, kObsolete}, {kObsoleteAny, Type::kAny, kObsolete},
};

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True if fn(word) holds for a word of the space-separated `words`.
template <typename Fn>
bool any_word(std::string_view words, Fn fn) {
  while (!words.empty()) {
    size_t space = words.find(' ');
    if (fn(words.substr(0, space))) return true;
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
  }
  return false;
}

// The option called `name` (in any case if `any_case`: for suggestions), or nullopt.
std::optional<Option> find_option(std::string_view name, bool any_case = false) {
  auto same = [&](std::string_view known) {
    return any_case ? iequal(known, name) : known == name;
  };
  for (const Option& o : kApplied) {
    if (same(o.name)) return o;
  }
  for (const IgnoredGroup& g : kIgnored) {
    std::string_view found;
    if (any_word(g.names, [&](std::string_view n) { return same(n) && !(found = n).empty(); })) {
      return Option{found, g.type, g.flags, 0, UINT64_MAX, nullptr};
    }
  }
  return std::nullopt;
}

// Text from the file, quoted for a message: at most 64 bytes, non-printable bytes as \xNN.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[ch >> 4], kHex[ch & 15]};
    }
  }
  return out + (s.size() > 64 ? "\"..." : "\"");
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal digits only; nullopt on anything else or on overflow.
std::optional<uint64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char ch : s) {
    if (!is_digit(ch)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(ch - '0');
    if (n > (UINT64_MAX - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

struct Facility {
  std::string_view name;
  int value;
};
constexpr Facility kFacilities[] = {
    {"LOG_AUTH", LOG_AUTH},     {"LOG_AUTHPRIV", LOG_AUTHPRIV}, {"LOG_CRON", LOG_CRON},
    {"LOG_DAEMON", LOG_DAEMON}, {"LOG_FTP", LOG_FTP},           {"LOG_KERN", LOG_KERN},
    {"LOG_LPR", LOG_LPR},       {"LOG_MAIL", LOG_MAIL},         {"LOG_NEWS", LOG_NEWS},
    {"LOG_SYSLOG", LOG_SYSLOG}, {"LOG_USER", LOG_USER},         {"LOG_UUCP", LOG_UUCP},
    {"LOG_LOCAL0", LOG_LOCAL0}, {"LOG_LOCAL1", LOG_LOCAL1},     {"LOG_LOCAL2", LOG_LOCAL2},
    {"LOG_LOCAL3", LOG_LOCAL3}, {"LOG_LOCAL4", LOG_LOCAL4},     {"LOG_LOCAL5", LOG_LOCAL5},
    {"LOG_LOCAL6", LOG_LOCAL6}, {"LOG_LOCAL7", LOG_LOCAL7}};

// The two ignored options whose value clamd checks against a list of words (in any case).
struct Choice {
  std::string_view option, words;
};
constexpr Choice kChoices[] = {{"BytecodeMode", "auto forcejit forceinterpreter test"},
                               {"BytecodeSecurity", "trustsigned paranoid"}};

bool one_of(std::string_view text, std::string_view words) {
  return any_word(words, [&](std::string_view w) { return iequal(text, w); });
}

// Checks `text` against the option's type and range. Returns "" or the reason it is refused.
std::string check_value(const Option& opt, std::string_view text, Value& v) {
  switch (opt.type) {
    case Type::kBool:
      for (std::string_view yes : {"yes", "true", "1"}) v.flag = v.flag || iequal(text, yes);
      if (v.flag || iequal(text, "no") || iequal(text, "false") || text == "0") return "";
      return "expected yes/no, true/false or 1/0";
    case Type::kNumber: {
      std::optional<uint64_t> n = parse_digits(text);
      if (!n && !text.empty() && std::all_of(text.begin(), text.end(), is_digit)) {
        n = UINT64_MAX;  // too many digits: out of range below
      }
      if (!n) return "expected a whole number";
      if (*n < opt.min || *n > opt.max) {
        return "out of range (" + std::to_string(opt.min) + " to " + std::to_string(opt.max) + ")";
      }
      v.number = (*n == 0 && (opt.flags & kZeroNoLimit)) ? kNoLimit : *n;
      return "";
    }
    case Type::kSize: {
      // K, M or G in either case, as clamd 1.4.6 takes them (its manual lists only K and M).
      std::string_view digits = text;
      size_t unit = text.empty() ? std::string_view::npos
                                 : std::string_view("kmg").find(static_cast<char>(
                                       std::tolower(static_cast<unsigned char>(text.back()))));
      uint64_t scale = unit == std::string_view::npos ? 1 : uint64_t{1} << (10 * (unit + 1));
      if (scale != 1) digits.remove_suffix(1);
      std::optional<uint64_t> n = parse_digits(digits);
      if (!n) return "expected a size: digits with an optional K, M or G suffix";
      // clamd reads a leading 0 as octal ("010" is 8); refuse rather than guess.
      if (digits.size() > 1 && digits[0] == '0' && *n != 0) {
        return "a leading 0 is ambiguous (clamd reads the number as octal)";
      }
      if (*n > UINT64_MAX / scale) return "too large";
      v.number = *n * scale;
      if (v.number == 0 && (opt.flags & kZeroNoLimit)) v.number = kNoLimit;
      return "";
    }
    case Type::kMode: {
      // clamd reads it as octal and keeps only the permission bits; vigild wants just those.
      if (text.empty() || text.size() > 4 ||
          !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        return "expected octal permission bits such as 660";
      }
      v.number = std::stoul(std::string(text), nullptr, 8);
      if (v.number > 0777) return "expected octal permission bits, at most 777";
      return "";
    }
    case Type::kFacility:
      for (const Facility& f : kFacilities) {
        if (f.name == text) {
          v.number = static_cast<uint64_t>(f.value);
          return "";
        }
      }
      return "expected a syslog facility such as LOG_LOCAL6 or LOG_MAIL";
    case Type::kString:
      if ((opt.flags & kAbsolute) && text[0] != '/') return "must be an absolute path";
      for (const Choice& c : kChoices) {
        if (c.option == opt.name && !one_of(text, c.words))
          return "expected one of: " + std::string(c.words);
      }
      if (opt.name == "LocalSocket" && text.size() >= sizeof(sockaddr_un{}.sun_path)) {
        return "longer than a unix socket path can be (" +
               std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)";
      }
      v.text = std::string(text);
      return "";
    case Type::kAny:
      return "";
  }
  return "";
}

bool blank(char c) { return c == ' ' || c == '\t'; }

// "value # note": what looks like an end-of-line comment (clamd keeps it in the value).
bool comment_like(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '#' && blank(value[i - 1])) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  Parser(const std::string& file, std::vector<ConfigDiagnostic>& diags)
      : file_(file), diags_(diags) {}

  void line(std::string_view text, size_t number);
  void finish();
  const Config& config() const { return config_; }

 private:
  void report(Severity s, size_t line, std::string_view option, std::string message) {
    diags_.push_back({file_, line, s, std::string(option), std::move(message)});
  }
  // The line an option was first given on, 0 if absent.
  size_t line_of(std::string_view option) const {
    auto it = first_line_.find(option);
    return it == first_line_.end() ? 0 : it->second;
  }

  const std::string& file_;
  std::vector<ConfigDiagnostic>& diags_;
  Config config_;
  std::map<std::string, size_t, std::less<>> first_line_;
  bool crlf_reported_ = false;
};

void Parser::line(std::string_view text, size_t number) {
  if (!text.empty() && text.back() == '\r') {
    text.remove_suffix(1);
    if (!crlf_reported_) {
      crlf_reported_ = true;
      report(Severity::kWarning, number, "",
             "CRLF line ends: vigild ignores the CR, clamd would keep it in every value");
    }
  }
  if (text.size() > kMaxLineBytes) {
    report(Severity::kError, number, "",
           "line longer than " + std::to_string(kMaxLineBytes) + " bytes (clamd splits it)");
    return;
  }
  if (text.find('\0') != std::string_view::npos) {
    report(Severity::kError, number, "", "NUL byte in line (clamd ignores the rest of the line)");
    return;
  }
  text = trim(text);
  if (text.empty() || text[0] == '#') return;
  if (text.substr(0, 7) == "Example") {
    report(Severity::kError, number, "Example",
           "\"Example\" line: this is an example file; edit it and remove this line");
    return;
  }
  size_t gap = text.find_first_of(" \t");
  std::string_view name = text.substr(0, gap);
  std::string_view raw = gap == std::string_view::npos ? "" : trim(text.substr(gap));
  std::optional<Option> opt = find_option(name);
  if (!opt) {
    std::string message = "unknown option " + quoted(name);
    std::optional<Option> near = find_option(name, true);
    if (near) {
      message +=
          " (option names are case-sensitive: did you mean " + std::string(near->name) + "?)";
    }
    report(Severity::kError, number, "", std::move(message));
    return;
  }
  if (raw.empty()) {
    report(Severity::kError, number, opt->name, std::string(opt->name) + ": missing value");
    return;
  }
  std::string_view value = raw;
  if (raw[0] == '"') {
    size_t close = raw.rfind('"');
    if (close == 0) {
      report(Severity::kError, number, opt->name,
             std::string(opt->name) + ": missing closing quote in " + quoted(raw));
      return;
    }
    value = raw.substr(1, close - 1);
    if (value.empty()) {
      report(Severity::kError, number, opt->name, std::string(opt->name) + ": empty value");
      return;
    }
    if (!trim(raw.substr(close + 1)).empty()) {
      report(Severity::kWarning, number, opt->name,
             std::string(opt->name) + ": text after the closing quote is ignored");
    }
  }
  Value v;
  std::string why = check_value(*opt, value, v);
  if (!why.empty()) {
    if (value.find('#') != std::string_view::npos) {
      why += "; '#' starts a comment only at the start of a line";
    }
    report(Severity::kError, number, opt->name,
           std::string(opt->name) + ": invalid value " + quoted(value) + ": " + why);
    return;
  }
  if (!opt->set) {
    report(Severity::kWarning, number, opt->name,
           std::string(opt->name) + ((opt->flags & kObsolete)
                                         ? ": ignored: obsolete clamd option"
                                         : ": ignored: not applicable to vigild"));
    return;
  }
  auto [it, first] = first_line_.try_emplace(std::string(opt->name), number);
  if (!first && !(opt->flags & kRepeatable)) {
    report(Severity::kWarning, number, opt->name,
           std::string(opt->name) + " repeated: the first value (line " +
               std::to_string(it->second) + ") is kept, as clamd does");
    return;
  }
  if (opt->type == Type::kString && raw[0] != '"' && comment_like(value)) {
    report(Severity::kWarning, number, opt->name,
           std::string(opt->name) +
               ": the value contains \" #\", which is part of it: clamd has no end-of-line "
               "comments");
  }
  v.first = first;
  opt->set(config_, v);
}

// Checks of the configuration as a whole, after every line.
void Parser::finish() {
  Config& c = config_;
  if (c.local_socket.empty() && c.tcp_socket == 0) {
    report(Severity::kError, 0, "",
           "no socket to listen on: set LocalSocket or TCPSocket (or both)");
  }
  if (c.local_socket.empty()) {
    for (std::string_view o : {"LocalSocketMode", "LocalSocketGroup"}) {
      if (size_t l = line_of(o)) {
        report(Severity::kWarning, l, o, std::string(o) + " has no effect without LocalSocket");
      }
    }
  }
  if (c.tcp_socket == 0 && line_of("TCPAddr")) {
    report(Severity::kWarning, line_of("TCPAddr"), "TCPAddr",
           "TCPAddr has no effect without TCPSocket");
  }
  // clamd raises MaxQueue to twice MaxThreads, saying so only when MaxQueue was given.
  if (c.max_queue < 2 * c.max_threads) {
    if (size_t l = line_of("MaxQueue")) {
      report(Severity::kWarning, l, "MaxQueue",
             "MaxQueue " + std::to_string(c.max_queue) + " is lower than twice MaxThreads; " +
                 std::to_string(2 * c.max_threads) + " is used, as clamd does");
    }
    c.max_queue = 2 * c.max_threads;
  }
  for (std::string_view o : {"ReadTimeout", "CommandReadTimeout"}) {
    size_t l = line_of(o);
    auto t = o == "ReadTimeout" ? c.read_timeout : c.command_read_timeout;
    if (l && t.count() == 0) {
      report(Severity::kWarning, l, o,
             std::string(o) + " 0 disables the timeout: a stalled client holds a worker");
    }
  }
  auto& uids = c.on_access_exclude_uid;
  if (std::find(uids.begin(), uids.end(), uid_t{0}) != uids.end()) {
    report(Severity::kWarning, line_of("OnAccessExcludeUID"), "OnAccessExcludeUID",
           "OnAccessExcludeUID 0 turns every UID exclusion off, as in clamd (use "
           "OnAccessExcludeRootUID to exclude root)");
    uids.clear();
  }
}

}  // namespace

std::string ConfigDiagnostic::to_string() const {
  std::string out = file;
  if (line != 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  return out + message;
}

bool has_errors(const std::vector<ConfigDiagnostic>& diags) {
  return std::any_of(diags.begin(), diags.end(),
                     [](const ConfigDiagnostic& d) { return d.severity == Severity::kError; });
}

std::optional<Config> parse_config(std::string_view text, const std::string& file_name,
                                   std::vector<ConfigDiagnostic>& diags) {
  std::vector<ConfigDiagnostic> mine;
  Parser parser(file_name, mine);
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    parser.line(text.substr(0, end), ++number);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  parser.finish();
  // finish() reports whole-file findings; keep the lines in order for the reader.
  std::stable_sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
    return (a.line == 0 ? SIZE_MAX : a.line) < (b.line == 0 ? SIZE_MAX : b.line);
  });
  bool failed = has_errors(mine);
  diags.insert(diags.end(), std::make_move_iterator(mine.begin()),
               std::make_move_iterator(mine.end()));
  if (failed) return std::nullopt;
  return parser.config();
}

std::optional<Config> load_config_file(const std::string& path,
                                       std::vector<ConfigDiagnostic>& diags) {
  auto fail = [&](std::string message) -> std::optional<Config> {
    diags.push_back({path, 0, Severity::kError, "", std::move(message)});
    return std::nullopt;
  };
  // O_NONBLOCK: a FIFO must not hang the start; it is refused below as not a regular file.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return fail("cannot open: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail("cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) return fail("is a directory, not a config file");
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  // Read up to one byte past the limit whatever st_size says: the file may grow meanwhile.
  std::string text(kMaxConfigFileBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot read: " + errno_text(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > kMaxConfigFileBytes) {
    return fail("larger than " + std::to_string(kMaxConfigFileBytes) + " bytes");
  }
  text.resize(got);
  return parse_config(text, path, diags);
}

}  // namespace vigil::daemon
