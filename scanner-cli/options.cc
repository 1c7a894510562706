// Turns argv into an Options struct with getopt_long. Usage problems are reported here, once,
// in the same words every time, so main() only has to map the outcome to an exit status.
// Values are validated up front (sizes, job counts) so a typo fails before any signature is
// loaded rather than half-way through a long scan.
#include "options.h"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "vigil/vigil.h"

namespace vigil::cli {
namespace {

enum LongOnly : int {
  kSkipBadSignatures = 256,
  kUnofficialSuffix,
  kFollowSymlinks,
  kExclude,
  kInclude,
  kMaxFilesize,
  kAllmatch,
  kNoSummary,
  kJson,
  kTrustedKey,
  kAllowUnsigned,
  kCacheDir,
  kNoCache,
  kMaxScansize,
  kMaxRecursion,
  kMaxFiles,
  kMaxRatio,
  kMaxScantime,
  kNoArchive,
  kAlertEncrypted,
  kAlertBroken,
  kAlertExceedsMax,
};

// The leading ':' makes getopt_long return ':' for a missing argument.
constexpr char kShortOptions[] = ":d:vrj:ihV";

const option kLongOptions[] = {
    {"database", required_argument, nullptr, 'd'},
    {"skip-bad-signatures", no_argument, nullptr, kSkipBadSignatures},
    {"unofficial-suffix", no_argument, nullptr, kUnofficialSuffix},
    {"trusted-key", required_argument, nullptr, kTrustedKey},
    {"allow-unsigned", no_argument, nullptr, kAllowUnsigned},
    {"cache-dir", required_argument, nullptr, kCacheDir},
    {"no-cache", no_argument, nullptr, kNoCache},
    {"verbose", no_argument, nullptr, 'v'},
    {"recursive", no_argument, nullptr, 'r'},
    {"follow-symlinks", no_argument, nullptr, kFollowSymlinks},
    {"exclude", required_argument, nullptr, kExclude},
    {"include", required_argument, nullptr, kInclude},
    {"max-filesize", required_argument, nullptr, kMaxFilesize},
    {"max-scansize", required_argument, nullptr, kMaxScansize},
    {"max-recursion", required_argument, nullptr, kMaxRecursion},
    {"max-files", required_argument, nullptr, kMaxFiles},
    {"max-ratio", required_argument, nullptr, kMaxRatio},
    {"max-scantime", required_argument, nullptr, kMaxScantime},
    {"no-archive", no_argument, nullptr, kNoArchive},
    {"alert-encrypted", no_argument, nullptr, kAlertEncrypted},
    {"alert-broken", no_argument, nullptr, kAlertBroken},
    {"alert-exceeds-max", no_argument, nullptr, kAlertExceedsMax},
    {"jobs", required_argument, nullptr, 'j'},
    {"infected", no_argument, nullptr, 'i'},
    {"allmatch", no_argument, nullptr, kAllmatch},
    {"no-summary", no_argument, nullptr, kNoSummary},
    {"json", no_argument, nullptr, kJson},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {nullptr, 0, nullptr, 0},
};

constexpr char kUsage[] =
    "Usage: vigil-scan [OPTIONS] PATH...\n"
    "Scan files for known malware with the Vigil engine. PATH '-' reads standard input.\n"
    "\n"
    "Signatures:\n"
    "  -d, --database=PATH        load a DAT, or signature files or directories (repeatable);\n"
    "                             default: $VIGIL_DATABASE, else the bundled DAT\n"
    "      --trusted-key=PUB      trust DATs signed by this public key (repeatable; the\n"
    "                             bundled DAT's key is always trusted)\n"
    "      --allow-unsigned       accept a DAT that carries no signature\n"
    "      --cache-dir=DIR        where databases compiled for this machine are kept\n"
    "                             (default: $XDG_CACHE_HOME/vigil or ~/.cache/vigil)\n"
    "      --no-cache             compile without reading or writing the cache\n"
    "      --skip-bad-signatures  skip malformed signature lines instead of failing\n"
    "      --unofficial-suffix    append .UNOFFICIAL to signature names (as ClamAV does)\n"
    "  -v, --verbose              also print informational load diagnostics and skipped files\n"
    "\n"
    "Selecting files:\n"
    "  -r, --recursive            scan directories recursively\n"
    "      --follow-symlinks      follow symbolic links found while walking directories\n"
    "      --exclude=GLOB         skip files and directories matching GLOB (repeatable)\n"
    "      --include=GLOB         scan only files matching GLOB (repeatable)\n"
    "      --max-filesize=SIZE    skip files larger than SIZE, and scan only the first SIZE\n"
    "                             bytes of an archive member (suffix K, M or G; 100M)\n"
    "      --max-scansize=SIZE    archive member bytes scanned per file, all levels (400M)\n"
    "      --max-recursion=N      archive nesting depth (17)\n"
    "      --max-files=N          members scanned per archive (10000)\n"
    "      --max-ratio=N          decompressed:compressed ratio of a member (1000)\n"
    "      --max-scantime=MS      milliseconds per file spent in archives (120000)\n"
    "                             (0 for any of these: no limit)\n"
    "      --no-archive           do not look inside archives and compressed files\n"
    "      --alert-encrypted      report encrypted archive members as detections\n"
    "      --alert-broken         report corrupt or truncated archives as detections\n"
    "      --alert-exceeds-max    report a limit that stopped the scan as a detection\n"
    "  -j, --jobs=N               scan with N threads (default: number of CPUs)\n"
    "\n"
    "Output:\n"
    "  -i, --infected             print only infected files\n"
    "      --allmatch             report every matching signature, not just the first\n"
    "      --no-summary           do not print the scan summary\n"
    "      --json                 print one JSON object per file, then a summary object\n"
    "  -h, --help                 print this help and exit\n"
    "  -V, --version              print the version and exit\n"
    "\n"
    "Exit status: 0 nothing found, 1 something found, 2 an error occurred.\n";

void print_usage_error(const char* message, const char* argument) {
  if (message != nullptr) {
    std::fprintf(stderr, "vigil-scan: %s%s%s\n", message, argument != nullptr ? ": " : "",
                 argument != nullptr ? argument : "");
  }
  std::fputs(kUsage, stderr);
}

// Names the option getopt_long just rejected. optopt is 0 for an unknown long option (whose
// word is then argv[optind - 1]), a character for a short option, or a LongOnly value.
std::string offending_option(char** argv) {
  if (optopt == 0)
    return std::string(argv[optind - 1]).substr(0, std::string(argv[optind - 1]).find('='));
  for (const option& o : kLongOptions) {
    if (o.name != nullptr && o.val == optopt && optopt >= kSkipBadSignatures) {
      return std::string("--") + o.name;
    }
  }
  return std::string("-") + static_cast<char>(optopt);
}

bool parse_jobs(const char* text, unsigned* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long value = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value < 1 || value > 4096) {
    return false;
  }
  *out = static_cast<unsigned>(value);
  return true;
}

}  // namespace

bool parse_size(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0) return false;
  uint64_t multiplier = 1;
  std::string suffix(end);
  if (suffix == "K" || suffix == "k") {
    multiplier = 1ull << 10;
  } else if (suffix == "M" || suffix == "m") {
    multiplier = 1ull << 20;
  } else if (suffix == "G" || suffix == "g") {
    multiplier = 1ull << 30;
  } else if (!suffix.empty()) {
    return false;
  }
  if (value > UINT64_MAX / multiplier) return false;
  *out = value * multiplier;
  return true;
}

ParseOutcome parse_options(int argc, char** argv, Options* out) {
  Options opts;
  unsigned hardware = std::thread::hardware_concurrency();
  opts.jobs = hardware == 0 ? 1 : hardware;

  opterr = 0;  // we print our own messages
  optind = 1;
  for (;;) {
    int index = 0;
    int c = getopt_long(argc, argv, kShortOptions, kLongOptions, &index);
    if (c == -1) break;
    switch (c) {
      case 'd':
        opts.databases.emplace_back(optarg);
        break;
      case kSkipBadSignatures:
        opts.skip_bad_signatures = true;
        break;
      case kTrustedKey:
        opts.trusted_keys.emplace_back(optarg);
        break;
      case kAllowUnsigned:
        opts.allow_unsigned = true;
        break;
      case kCacheDir:
        opts.cache_dir = optarg;
        break;
      case kNoCache:
        opts.no_cache = true;
        break;
      case kUnofficialSuffix:
        opts.unofficial_suffix = true;
        break;
      case 'v':
        opts.verbose = true;
        break;
      case 'r':
        opts.recursive = true;
        break;
      case kFollowSymlinks:
        opts.follow_symlinks = true;
        break;
      case kExclude:
        opts.excludes.emplace_back(optarg);
        break;
      case kInclude:
        opts.includes.emplace_back(optarg);
        break;
      case kMaxFilesize:
        if (!parse_size(optarg, &opts.max_filesize)) {
          print_usage_error("invalid --max-filesize value", optarg);
          return ParseOutcome::kUsageError;
        }
        opts.limits.max_file_size = opts.max_filesize;
        break;
      case kMaxScansize:
        if (!parse_size(optarg, &opts.limits.max_scan_size)) {
          print_usage_error("invalid --max-scansize value", optarg);
          return ParseOutcome::kUsageError;
        }
        break;
      case kMaxRecursion:
      case kMaxFiles:
      case kMaxRatio:
      case kMaxScantime: {
        uint64_t v = 0;
        if (!parse_size(optarg, &v) || v > UINT32_MAX) {
          print_usage_error(c == kMaxRecursion ? "invalid --max-recursion value"
                            : c == kMaxFiles   ? "invalid --max-files value"
                            : c == kMaxRatio   ? "invalid --max-ratio value"
                                               : "invalid --max-scantime value",
                            optarg);
          return ParseOutcome::kUsageError;
        }
        uint32_t n = static_cast<uint32_t>(v);
        (c == kMaxRecursion ? opts.limits.max_recursion
         : c == kMaxFiles   ? opts.limits.max_files
         : c == kMaxRatio   ? opts.limits.max_ratio
                            : opts.limits.max_scan_time_ms) = n;
        break;
      }
      case kNoArchive:
        opts.scan_flags |= VIGIL_SCAN_NO_CONTAINERS;
        break;
      case kAlertEncrypted:
        opts.scan_flags |= VIGIL_SCAN_ALERT_ENCRYPTED;
        break;
      case kAlertBroken:
        opts.scan_flags |= VIGIL_SCAN_ALERT_BROKEN;
        break;
      case kAlertExceedsMax:
        opts.scan_flags |= VIGIL_SCAN_ALERT_EXCEEDS_MAX;
        break;
      case 'j':
        if (!parse_jobs(optarg, &opts.jobs)) {
          print_usage_error("invalid --jobs value (expected 1..4096)", optarg);
          return ParseOutcome::kUsageError;
        }
        break;
      case 'i':
        opts.infected_only = true;
        break;
      case kAllmatch:
        opts.allmatch = true;
        break;
      case kNoSummary:
        opts.no_summary = true;
        break;
      case kJson:
        opts.json = true;
        break;
      case 'h':
        std::fputs(kUsage, stdout);
        return ParseOutcome::kExitOk;
      case 'V':
        std::printf("vigil-scan %s\n", vigil_version());
        return ParseOutcome::kExitOk;
      case ':':
        print_usage_error("option requires an argument", offending_option(argv).c_str());
        return ParseOutcome::kUsageError;
      default:
        print_usage_error("unknown option", offending_option(argv).c_str());
        return ParseOutcome::kUsageError;
    }
  }
  for (int i = optind; i < argc; ++i) opts.paths.emplace_back(argv[i]);
  if (opts.paths.empty()) {
    print_usage_error("no PATH to scan", nullptr);
    return ParseOutcome::kUsageError;
  }
  *out = std::move(opts);
  return ParseOutcome::kRun;
}

}  // namespace vigil::cli
