// vigild's clamd.conf reader: defaults, every value type with good and bad values, the line
// syntax (comments, blanks, quotes, CRLF, NUL, long lines, the Example line), repeated
// options, unknown and ignored options, whole-file checks, reading files, and Debian's real
// clamd.conf. Diagnostics are compared as the exact text an administrator would read.
#include "config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace vigil::daemon {
namespace {

constexpr char kSocket[] = "LocalSocket /run/vigild.sock\n";  // line 1 of most inputs

// The options of Debian's clamd.conf that vigild reports as ignored, in file order.
constexpr char kDebianIgnored[] =
    "ScanMail ArchiveBlockEncrypted MaxDirectoryRecursion "
    "FollowDirectorySymlinks FollowFileSymlinks LogRotate PreludeEnable PreludeAnalyzerName "
    "OfficialDatabaseOnly Debug ScanPE MaxEmbeddedPE ScanOLE2 ScanPDF ScanHTML "
    "MaxHTMLNormalize MaxHTMLNoTags MaxScriptNormalize MaxZipTypeRcg ScanSWF ExitOnOOM "
    "LeaveTemporaryFiles AlgorithmicDetection ScanELF CrossFilesystems PhishingSignatures "
    "PhishingScanURLs PhishingAlwaysBlockSSLMismatch PhishingAlwaysBlockCloak "
    "PartitionIntersection DetectPUA ScanPartialMessages HeuristicScanPrecedence "
    "StructuredDataDetection ExtendedDetectionInfo OLE2BlockMacros ForceToDisk "
    "DisableCertCheck DisableCache MaxPartitions MaxIconsPE PCREMatchLimit "
    "PCRERecMatchLimit PCREMaxFileSize ScanXMLDOCS ScanHWP3 MaxRecHWP3 LogFileUnlock "
    "LogFileMaxSize Bytecode BytecodeSecurity BytecodeTimeout ";

struct Parsed {
  std::optional<Config> config;
  std::vector<std::string> diags;  // to_string() of each diagnostic
};

Parsed parse(std::string_view text) {
  std::vector<ConfigDiagnostic> diags;
  Parsed p{parse_config(text, "t.conf", diags), {}};
  for (const auto& d : diags) p.diags.push_back(d.to_string());
  EXPECT_EQ(p.config.has_value(), !has_errors(diags)) << text;
  return p;
}

// `line` after a LocalSocket line, so its diagnostics are on line 2.
Parsed parse_line(const std::string& line) { return parse(kSocket + line + "\n"); }

TEST(ConfigTest, AbsentOptionsTakeTheDefaults) {
  Parsed p = parse(kSocket);
  ASSERT_TRUE(p.config);
  EXPECT_TRUE(p.diags.empty());
  const Config& c = *p.config;
  EXPECT_EQ(c.local_socket, "/run/vigild.sock");
  EXPECT_EQ(c.local_socket_mode, 0666u);
  EXPECT_EQ(c.local_socket_group, "");
  EXPECT_TRUE(c.fix_stale_socket);
  EXPECT_EQ(c.tcp_socket, 0);
  EXPECT_EQ(c.tcp_addr, std::vector<std::string>{"127.0.0.1"});  // clamd: every interface
  EXPECT_EQ(c.max_connection_queue_length, 200u);
  EXPECT_EQ(c.max_threads, 10u);
  EXPECT_EQ(c.max_queue, 100u);
  EXPECT_EQ(c.stream_max_length, 100u << 20);
  EXPECT_EQ(c.read_timeout, std::chrono::seconds(120));
  EXPECT_EQ(c.command_read_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.send_buf_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.self_check, std::chrono::seconds(600));
  EXPECT_TRUE(c.allow_all_match_scan);
  EXPECT_EQ(c.max_file_size, 100u << 20);
  EXPECT_EQ(c.max_scan_size, 400u << 20);
  EXPECT_EQ(c.max_recursion, 17u);
  EXPECT_EQ(c.max_files, 10000u);
  EXPECT_EQ(c.log_file, "");
  EXPECT_FALSE(c.log_time || c.log_verbose || c.log_clean || c.log_syslog || c.foreground);
  EXPECT_EQ(c.log_facility, LOG_LOCAL6);
  EXPECT_EQ(c.pid_file, "");
  EXPECT_EQ(c.user, "");
  EXPECT_EQ(c.database_directory, "/var/lib/vigil");
  EXPECT_TRUE(c.trusted_key.empty());
  EXPECT_FALSE(c.allow_unsigned);
  EXPECT_EQ(c.cache_directory, "/var/cache/vigil");
  EXPECT_TRUE(c.on_access_include_path.empty() && c.on_access_exclude_path.empty() &&
              c.on_access_mount_path.empty() && c.on_access_exclude_uid.empty());
  EXPECT_FALSE(c.on_access_exclude_root_uid || c.on_access_prevention);
  EXPECT_EQ(c.on_access_max_file_size, 5u << 20);
}

struct GoodCase {
  std::string line;
  std::function<bool(const Config&)> holds;
};

TEST(ConfigTest, GoodValuesOfEveryType) {
  using std::chrono::seconds;
  const GoodCase cases[] = {
      {"LocalSocketMode 660", [](const Config& c) { return c.local_socket_mode == 0660; }},
      {"LocalSocketMode 0600", [](const Config& c) { return c.local_socket_mode == 0600; }},
      {"LocalSocketGroup clamav", [](const Config& c) { return c.local_socket_group == "clamav"; }},
      {"TCPSocket 3310", [](const Config& c) { return c.tcp_socket == 3310; }},
      {"TCPSocket 65535", [](const Config& c) { return c.tcp_socket == 65535; }},
      {"MaxThreads 1", [](const Config& c) { return c.max_threads == 1; }},
      {"MaxThreads 010", [](const Config& c) { return c.max_threads == 10; }},  // decimal
      {"MaxQueue 500", [](const Config& c) { return c.max_queue == 500; }},
      {"ReadTimeout 5", [](const Config& c) { return c.read_timeout == seconds(5); }},
      {"CommandReadTimeout 7",
       [](const Config& c) { return c.command_read_timeout == seconds(7); }},
      {"SendBufTimeout 250", [](const Config& c) { return c.send_buf_timeout.count() == 250; }},
      {"IdleTimeout 60", [](const Config& c) { return c.idle_timeout == seconds(60); }},
      {"SelfCheck 0", [](const Config& c) { return c.self_check == seconds(0); }},
      {"MaxRecursion 30", [](const Config& c) { return c.max_recursion == 30; }},
      {"MaxFiles 0", [](const Config& c) { return c.max_files == kNoLimit; }},
      {"MaxScanTime 2500", [](const Config& c) { return c.max_scan_time.count() == 2500; }},
      {"MaxScanTime 0", [](const Config& c) { return c.max_scan_time.count() == 0; }},
      {"ScanArchive no", [](const Config& c) { return !c.scan_archive; }},
      {"AlertEncrypted yes", [](const Config& c) { return c.alert_encrypted; }},
      {"AlertEncryptedArchive yes", [](const Config& c) { return c.alert_encrypted; }},
      {"AlertExceedsMax yes", [](const Config& c) { return c.alert_exceeds_max; }},
      {"MaxFiles 4294967295", [](const Config& c) { return c.max_files == 4294967295u; }},
      {"LogFile /var/log/vigild.log",
       [](const Config& c) { return c.log_file == "/var/log/vigild.log"; }},
      {"LogFacility LOG_MAIL", [](const Config& c) { return c.log_facility == LOG_MAIL; }},
      {"PidFile /run/vigild.pid", [](const Config& c) { return c.pid_file == "/run/vigild.pid"; }},
      {"User clamav", [](const Config& c) { return c.user == "clamav"; }},
      {"DatabaseDirectory /srv/db",
       [](const Config& c) { return c.database_directory == "/srv/db"; }},
      {"CacheDirectory /srv/cache",
       [](const Config& c) { return c.cache_directory == "/srv/cache"; }},
      {"AllowUnsigned yes", [](const Config& c) { return c.allow_unsigned; }},
      {"OnAccessPrevention true", [](const Config& c) { return c.on_access_prevention; }},
      {"OnAccessExcludeRootUID 1", [](const Config& c) { return c.on_access_exclude_root_uid; }},
      {"OnAccessExcludeUID 4294967294",
       [](const Config& c) { return c.on_access_exclude_uid == std::vector<uid_t>{4294967294u}; }},
      {"OnAccessMaxFileSize 10M",
       [](const Config& c) { return c.on_access_max_file_size == 10 << 20; }},
      {"AllowAllMatchScan no", [](const Config& c) { return !c.allow_all_match_scan; }},
      {"FixStaleSocket false", [](const Config& c) { return !c.fix_stale_socket; }},
  };
  for (const GoodCase& k : cases) {
    Parsed p = parse_line(k.line);
    ASSERT_TRUE(p.config) << k.line << ": " << (p.diags.empty() ? "" : p.diags[0]);
    EXPECT_TRUE(p.diags.empty()) << k.line << ": " << p.diags[0];
    EXPECT_TRUE(k.holds(*p.config)) << k.line;
  }
}

TEST(ConfigTest, BooleansInEveryAcceptedSpelling) {
  for (const char* yes : {"yes", "YES", "Yes", "true", "TRUE", "True", "1", "\"yes\""}) {
    Parsed p = parse_line(std::string("Foreground ") + yes);
    ASSERT_TRUE(p.config) << yes;
    EXPECT_TRUE(p.config->foreground) << yes;
  }
  for (const char* no : {"no", "NO", "No", "false", "FALSE", "False", "0"}) {
    Parsed p = parse_line(std::string("Foreground ") + no);
    ASSERT_TRUE(p.config) << no;
    EXPECT_FALSE(p.config->foreground) << no;
  }
  for (const char* bad : {"on", "off", "y", "n", "2", "yess", "-1"}) {
    Parsed p = parse_line(std::string("Foreground ") + bad);
    EXPECT_EQ(p.diags, std::vector<std::string>{"t.conf:2: error: Foreground: invalid value \"" +
                                                std::string(bad) +
                                                "\": expected yes/no, true/false or 1/0"});
  }
}

TEST(ConfigTest, SizesWithSuffixes) {
  const std::pair<const char*, uint64_t> good[] = {
      {"25M", 25u << 20},       {"25m", 25u << 20},
      {"1024K", 1u << 20},      {"1024k", 1u << 20},
      {"4000M", 4000ull << 20}, {"1G", 1ull << 30},
      {"2g", 2ull << 30},       {"5G", 5ull << 30},
      {"12345", 12345},         {"0", kNoLimit},
      {"0M", kNoLimit},         {"00", kNoLimit},
      {"\"25M\"", 25u << 20},   {"17179869183G", 17179869183ull << 30},
  };
  for (const auto& [text, bytes] : good) {
    Parsed p = parse_line(std::string("StreamMaxLength ") + text);
    ASSERT_TRUE(p.config) << text;
    EXPECT_EQ(p.config->stream_max_length, bytes) << text;
  }
  const std::pair<const char*, const char*> bad[] = {
      {"25MB", "expected a size: digits with an optional K, M or G suffix"},
      {"1.5M", "expected a size: digits with an optional K, M or G suffix"},
      {"-1", "expected a size: digits with an optional K, M or G suffix"},
      {"0x10", "expected a size: digits with an optional K, M or G suffix"},
      {"25T", "expected a size: digits with an optional K, M or G suffix"},
      {"M", "expected a size: digits with an optional K, M or G suffix"},
      {"010", "a leading 0 is ambiguous (clamd reads the number as octal)"},
      {"17179869184G", "too large"},
      {"18446744073709551616", "expected a size: digits with an optional K, M or G suffix"},
  };
  for (const auto& [text, why] : bad) {
    Parsed p = parse_line(std::string("MaxFileSize ") + text);
    EXPECT_EQ(p.diags, std::vector<std::string>{"t.conf:2: error: MaxFileSize: invalid value \"" +
                                                std::string(text) + "\": " + why});
  }
}

TEST(ConfigTest, BadValuesNameTheOptionAndTheValue) {
  const std::pair<const char*, const char*> cases[] = {
      {"MaxThreads abc", "MaxThreads: invalid value \"abc\": expected a whole number"},
      {"MaxThreads -1", "MaxThreads: invalid value \"-1\": expected a whole number"},
      {"MaxThreads 1K", "MaxThreads: invalid value \"1K\": expected a whole number"},
      {"MaxThreads 0", "MaxThreads: invalid value \"0\": out of range (1 to 4096)"},
      {"MaxThreads 99999999999999999999999",
       "MaxThreads: invalid value \"99999999999999999999999\": out of range (1 to 4096)"},
      {"TCPSocket 0", "TCPSocket: invalid value \"0\": out of range (1 to 65535)"},
      {"TCPSocket 65536", "TCPSocket: invalid value \"65536\": out of range (1 to 65535)"},
      {"MaxRecursion 0", "MaxRecursion: invalid value \"0\": out of range (1 to 1000)"},
      {"ReadTimeout 4294967296",
       "ReadTimeout: invalid value \"4294967296\": out of range (0 to 4294967295)"},
      {"MaxThreads 5 # five",
       "MaxThreads: invalid value \"5 # five\": expected a whole number; '#' starts a comment "
       "only at the start of a line"},
      {"LocalSocketMode rwx",
       "LocalSocketMode: invalid value \"rwx\": expected octal permission bits such as 660"},
      {"LocalSocketMode 999",
       "LocalSocketMode: invalid value \"999\": expected octal permission bits such as 660"},
      {"LocalSocketMode 1777",
       "LocalSocketMode: invalid value \"1777\": expected octal permission bits, at most 777"},
      {"LogFacility log_local6",
       "LogFacility: invalid value \"log_local6\": expected a syslog "
       "facility such as LOG_LOCAL6 or LOG_MAIL"},
      {"LogFile clamd.log", "LogFile: invalid value \"clamd.log\": must be an absolute path"},
      {"PidFile run/x.pid", "PidFile: invalid value \"run/x.pid\": must be an absolute path"},
      {"TrustedKey k.pub", "TrustedKey: invalid value \"k.pub\": must be an absolute path"},
      {"OnAccessIncludePath home",
       "OnAccessIncludePath: invalid value \"home\": must be an absolute path"},
      {"ScanPE maybe",  // not applied, but clamd refuses the value: so does vigild
       "ScanPE: invalid value \"maybe\": expected yes/no, true/false or 1/0"},
      {"MaxScanTime 5M", "MaxScanTime: invalid value \"5M\": expected a whole number"},
      {"LocalSocket \"/tmp/x", "LocalSocket: missing closing quote in \"\\x22/tmp/x\""},
      {"LocalSocket \"\"", "LocalSocket: empty value"},
      {"MaxThreads", "MaxThreads: missing value"},
      {"MaxThreads \t  ", "MaxThreads: missing value"},
  };
  for (const auto& [line, message] : cases) {
    Parsed p = parse_line(line);
    EXPECT_EQ(p.diags, std::vector<std::string>{std::string("t.conf:2: error: ") + message})
        << line;
  }
  Parsed longsock = parse("LocalSocket /" + std::string(107, 's') + "\n");
  EXPECT_EQ(longsock.diags.size(), 2u);  // the bad value, then "no socket"
  EXPECT_NE(longsock.diags[0].find("longer than a unix socket path can be (107 bytes)"),
            std::string::npos);
  EXPECT_TRUE(parse("LocalSocket /" + std::string(106, 's') + "\n").config);
}

TEST(ConfigTest, RepeatedOptions) {
  // clamd keeps the first value of an option that may not repeat.
  Parsed p = parse(std::string(kSocket) + "MaxThreads 3\nMaxThreads 5\nLocalSocket /b\n");
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->max_threads, 3u);
  EXPECT_EQ(p.config->local_socket, "/run/vigild.sock");
  EXPECT_EQ(p.diags,
            (std::vector<std::string>{
                "t.conf:3: warning: MaxThreads repeated: the first value (line 2) is kept, as "
                "clamd does",
                "t.conf:4: warning: LocalSocket repeated: the first value (line 1) is kept, as "
                "clamd does"}));
  // The repeated value is still checked, as clamd checks it.
  EXPECT_FALSE(parse(std::string(kSocket) + "MaxThreads 3\nMaxThreads x\n").config);

  p = parse(std::string(kSocket) +
            "TCPSocket 3310\nTCPAddr 10.0.0.1\nTCPAddr ::1\n"
            "OnAccessIncludePath /home\nOnAccessIncludePath /srv\nOnAccessExcludePath /home/x\n"
            "OnAccessMountPath /mnt\nOnAccessExcludeUID 5\nOnAccessExcludeUID 7\n"
            "TrustedKey /etc/vigil/a.pub\nTrustedKey /etc/vigil/b.pub\n");
  ASSERT_TRUE(p.config);
  EXPECT_TRUE(p.diags.empty());
  const Config& c = *p.config;
  EXPECT_EQ(c.tcp_addr, (std::vector<std::string>{"10.0.0.1", "::1"}));  // default replaced
  EXPECT_EQ(c.on_access_include_path, (std::vector<std::string>{"/home", "/srv"}));
  EXPECT_EQ(c.on_access_exclude_path, std::vector<std::string>{"/home/x"});
  EXPECT_EQ(c.on_access_mount_path, std::vector<std::string>{"/mnt"});
  EXPECT_EQ(c.on_access_exclude_uid, (std::vector<uid_t>{5, 7}));
  EXPECT_EQ(c.trusted_key, (std::vector<std::string>{"/etc/vigil/a.pub", "/etc/vigil/b.pub"}));

  // As in clamd, a UID of 0 turns the UID exclusions off.
  p = parse(std::string(kSocket) + "OnAccessExcludeUID 5\nOnAccessExcludeUID 0\n");
  ASSERT_TRUE(p.config);
  EXPECT_TRUE(p.config->on_access_exclude_uid.empty());
  EXPECT_EQ(p.diags, std::vector<std::string>{
                         "t.conf:2: warning: OnAccessExcludeUID 0 turns every UID exclusion off, "
                         "as in clamd (use OnAccessExcludeRootUID to exclude root)"});
}

TEST(ConfigTest, CommentsBlanksAndQuotes) {
  Parsed p = parse(
      "# a comment\n"
      "\n"
      "   \t\n"
      "  \t# an indented comment\n"
      " \tLocalSocket\t \t/run/a b  \t\n"  // inner blanks are part of the value
      "MaxThreads \"7\"\n"
      "User \"clam av\" trailing\n"
      "PidFile /run/x.pid # not a comment\n"
      "#MaxQueue 1\n");
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->local_socket, "/run/a b");
  EXPECT_EQ(p.config->max_threads, 7u);
  EXPECT_EQ(p.config->user, "clam av");
  EXPECT_EQ(p.config->pid_file, "/run/x.pid # not a comment");
  EXPECT_EQ(p.config->max_queue, 100u);
  EXPECT_EQ(p.diags,
            (std::vector<std::string>{
                "t.conf:7: warning: User: text after the closing quote is ignored",
                "t.conf:8: warning: PidFile: the value contains \" #\", which is part of it: "
                "clamd has no end-of-line comments"}));
}

TEST(ConfigTest, ExampleLineIsAnErrorAndParsingGoesOn) {
  for (const char* line : {"Example", "  Example", "Example yes", "ExampleFoo"}) {
    Parsed p = parse(std::string(kSocket) + line + "\nMaxThreads x\n");
    EXPECT_EQ(p.diags,
              (std::vector<std::string>{
                  "t.conf:2: error: \"Example\" line: this is an example file; edit it and "
                  "remove this line",
                  "t.conf:3: error: MaxThreads: invalid value \"x\": expected a whole number"}))
        << line;
  }
  EXPECT_TRUE(parse(std::string(kSocket) + "# Example\n").config);
}

TEST(ConfigTest, UnknownAndIgnoredOptions) {
  const std::pair<const char*, const char*> cases[] = {
      {"Foo bar", "error: unknown option \"Foo\""},
      {"Checks 12", "error: unknown option \"Checks\""},  // freshclam's, not clamd's
      {"\"MaxThreads\" 5", "error: unknown option \"\\x22MaxThreads\\x22\""},
      {"maxthreads 5",
       "error: unknown option \"maxthreads\" (option names are case-sensitive: did you mean "
       "MaxThreads?)"},
      {"SCANPE yes",
       "error: unknown option \"SCANPE\" (option names are case-sensitive: did you mean ScanPE?)"},
      {"LocalSocket=/x", "error: unknown option \"LocalSocket=/x\""},
      {"a", "error: unknown option \"a\""},  // clamd skips lines this short
      {"ScanPE yes", "warning: ScanPE: ignored: not applicable to vigild"},
      {"StreamMinPort 1024", "warning: StreamMinPort: ignored: not applicable to vigild"},
      {"VirusEvent /bin/echo %v", "warning: VirusEvent: ignored: not applicable to vigild"},
      {"MaxEmbeddedPE 10M", "warning: MaxEmbeddedPE: ignored: not applicable to vigild"},
      {"AlgorithmicDetection yes", "warning: AlgorithmicDetection: ignored: obsolete clamd option"},
      {"ScanOnAccess whatever", "warning: ScanOnAccess: ignored: obsolete clamd option"},
      {"BytecodeSecurity paranoid", "warning: BytecodeSecurity: ignored: not applicable to vigild"},
      {"BytecodeMode JIT",
       "error: BytecodeMode: invalid value \"JIT\": expected one of: auto forcejit "
       "forceinterpreter test"},
  };
  for (const auto& [line, message] : cases) {
    Parsed p = parse_line(line);
    EXPECT_EQ(p.diags, std::vector<std::string>{std::string("t.conf:2: ") + message}) << line;
  }
}

TEST(ConfigTest, LineEndsNulBytesAndLongLines) {
  Parsed p = parse("LocalSocket /run/a\r\nMaxThreads 4\r\nForeground yes\r\n");
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->local_socket, "/run/a");
  EXPECT_EQ(p.config->max_threads, 4u);
  EXPECT_TRUE(p.config->foreground);
  EXPECT_EQ(p.diags,
            std::vector<std::string>{"t.conf:1: warning: CRLF line ends: vigild "
                                     "ignores the CR, clamd would keep it in every value"});

  p = parse(std::string(kSocket) + "MaxThreads 4");  // no final newline
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->max_threads, 4u);

  p = parse(std::string(kSocket) + std::string("User a\0b\nMaxThreads 4\n", 21));
  EXPECT_EQ(p.diags, std::vector<std::string>{
                         "t.conf:2: error: NUL byte in line (clamd ignores the rest of the line)"});

  std::string fits = "User " + std::string(1018, 'u');  // 1023 bytes
  p = parse(std::string(kSocket) + fits + "\n");
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->user.size(), 1018u);
  p = parse(std::string(kSocket) + fits + "u\r\nMaxThreads 4\r\n");  // 1024 bytes
  EXPECT_EQ(p.diags, (std::vector<std::string>{
                         "t.conf:2: warning: CRLF line ends: vigild ignores the CR, clamd would "
                         "keep it in every value",
                         "t.conf:2: error: line longer than 1023 bytes (clamd splits it)"}));
}

TEST(ConfigTest, WholeFileChecks) {
  const char kNoSocket[] =
      "t.conf: error: no socket to listen on: set LocalSocket or TCPSocket "
      "(or both)";
  EXPECT_EQ(parse("").diags, std::vector<std::string>{kNoSocket});
  EXPECT_EQ(parse("# only comments\n\n").diags, std::vector<std::string>{kNoSocket});
  Parsed p = parse("LocalSocketMode 600\nTCPAddr ::1\nMaxThreads x\n");
  EXPECT_EQ(
      p.diags,
      (std::vector<std::string>{
          "t.conf:1: warning: LocalSocketMode has no effect without LocalSocket",
          "t.conf:2: warning: TCPAddr has no effect without TCPSocket",
          "t.conf:3: error: MaxThreads: invalid value \"x\": expected a whole number", kNoSocket}));

  p = parse("TCPSocket 3310\nMaxThreads 20\nMaxQueue 5\nReadTimeout 0\n");
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->max_queue, 40u);
  EXPECT_EQ(p.diags,
            (std::vector<std::string>{
                "t.conf:3: warning: MaxQueue 5 is lower than twice MaxThreads; 40 is used, as "
                "clamd does",
                "t.conf:4: warning: ReadTimeout 0 disables the timeout: a stalled client holds "
                "a worker"}));
  p = parse("TCPSocket 3310\nMaxThreads 64\n");  // default MaxQueue raised without a word
  ASSERT_TRUE(p.config);
  EXPECT_EQ(p.config->max_queue, 128u);
  EXPECT_TRUE(p.diags.empty());
}

// A directory of its own, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigild-config-test.XXXXXX";
    path_ = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> load(const std::string& path, std::optional<Config>* out = nullptr) {
  std::vector<ConfigDiagnostic> diags;
  std::optional<Config> c = load_config_file(path, diags);
  EXPECT_EQ(c.has_value(), !has_errors(diags));
  if (out) *out = c;
  std::vector<std::string> text;
  for (const auto& d : diags) text.push_back(d.to_string());
  return text;
}

TEST(ConfigTest, LoadsFilesAndReportsWhyOneCannotBe) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::optional<Config> c;
  std::string good = dir.file("good.conf", "TCPSocket 3310\nMaxThreads 2\nMaxThreads 3\n");
  EXPECT_EQ(load(good, &c), std::vector<std::string>{
                                good + ":3: warning: MaxThreads repeated: the first value (line "
                                       "2) is kept, as clamd does"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tcp_socket, 3310);

  EXPECT_EQ(load(dir.path()),
            std::vector<std::string>{dir.path() + ": error: is a directory, not a config file"});
  EXPECT_EQ(load(dir.path() + "/none.conf"),
            std::vector<std::string>{dir.path() +
                                     "/none.conf: error: cannot open: No such file or directory"});
  std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(load(fifo), std::vector<std::string>{fifo + ": error: not a regular file"});
  std::string big = dir.file("big.conf", std::string(kMaxConfigFileBytes + 1, '#'));
  EXPECT_EQ(load(big), std::vector<std::string>{big + ": error: larger than 1048576 bytes"});
  std::string empty = dir.file("empty.conf", "");
  EXPECT_EQ(load(empty), std::vector<std::string>{empty + ": error: no socket to listen on: set "
                                                          "LocalSocket or TCPSocket (or both)"});
}

// Debian's clamav-daemon writes this file (a copy is a fuzz seed): every option in it is one
// clamd 1.4.6 knows, so it loads, with a warning for each one vigild leaves alone.
TEST(ConfigTest, DebianClamdConfLoads) {
  std::filesystem::path copy = std::filesystem::path(__FILE__).parent_path().parent_path() /
                               "fuzz/corpus/clamd_config/debian-clamd.conf";
  std::optional<Config> c;
  std::vector<std::string> diags = load(copy.string(), &c);
  ASSERT_TRUE(c) << copy << ": " << (diags.empty() ? "" : diags[0]);
  EXPECT_EQ(c->local_socket, "/var/run/clamav/clamd.ctl");
  EXPECT_EQ(c->local_socket_group, "clamav");
  EXPECT_EQ(c->local_socket_mode, 0666u);
  EXPECT_EQ(c->user, "clamav");
  EXPECT_EQ(c->max_threads, 12u);
  EXPECT_EQ(c->max_connection_queue_length, 15u);
  EXPECT_EQ(c->read_timeout, std::chrono::seconds(180));
  EXPECT_EQ(c->send_buf_timeout, std::chrono::milliseconds(200));
  EXPECT_EQ(c->stream_max_length, 25u << 20);
  EXPECT_EQ(c->max_scan_size, 100u << 20);
  EXPECT_EQ(c->max_recursion, 16u);
  EXPECT_EQ(c->log_file, "/var/log/clamav/clamav.log");
  EXPECT_TRUE(c->log_time);
  EXPECT_EQ(c->self_check, std::chrono::seconds(3600));
  EXPECT_EQ(c->database_directory, "/var/lib/clamav");
  std::string ignored;
  for (const std::string& d : diags) {
    size_t at = d.find(": warning: ");
    ASSERT_NE(at, std::string::npos) << d;
    std::string what = d.substr(at + 11);
    EXPECT_TRUE(what.ends_with(": ignored: not applicable to vigild") ||
                what.ends_with(": ignored: obsolete clamd option"))
        << d;
    ignored += what.substr(0, what.find(':')) + " ";
  }
  EXPECT_EQ(ignored, kDebianIgnored);
}

// The machine's own clamd.conf, where clamav-daemon is installed (an administrator may have
// edited it, so only that it loads is checked).
TEST(ConfigTest, InstalledClamdConfLoads) {
  const std::string installed = "/etc/clamav/clamd.conf";
  if (!std::filesystem::exists(installed)) GTEST_SKIP() << installed << " is not installed";
  std::optional<Config> c;
  std::vector<std::string> diags = load(installed, &c);
  EXPECT_TRUE(c) << (diags.empty() ? "" : diags[0]);
}

}  // namespace
}  // namespace vigil::daemon
