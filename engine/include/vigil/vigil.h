/*
 * vigil.h - the one public header of the Vigil scanning engine.
 *
 * Stability: everything in this header is part of the stable C ABI. Enum values are pinned and
 * only ever appended to; structs that callers allocate carry a struct_size field so they can grow.
 *
 * Model (as in Hyperscan): an engine is compiled once from signature sources and is then
 * immutable; any number of threads may scan with it at once, each with its own scratch. There
 * is no global initialisation. A hot reload loads a new engine and swaps a pointer.
 *
 * Conventions:
 *  - Every function returns a vigil_status; negative values are failures. A detection is never
 *    an error: verdicts come back through out-params and callbacks.
 *  - vigil_*_free(NULL) is a no-op. Out-pointers are set to NULL on failure.
 *  - Inputs are borrowed for the duration of the call only; pointers handed to a callback are
 *    valid only during that callback.
 *  - No C++ exception ever crosses this boundary.
 */
#ifndef VIGIL_VIGIL_H_
#define VIGIL_VIGIL_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define VIGIL_API __declspec(dllexport)
#elif defined(__GNUC__)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** @name Version */
/**@{*/
#define VIGIL_VERSION_MAJOR 0
#define VIGIL_VERSION_MINOR 3
#define VIGIL_VERSION_PATCH 0
#define VIGIL_VERSION_STRING "0.3.0"
/** The version as one comparable number: major * 10000 + minor * 100 + patch. */
#define VIGIL_VERSION_NUMBER \
  (VIGIL_VERSION_MAJOR * 10000 + VIGIL_VERSION_MINOR * 100 + VIGIL_VERSION_PATCH)

/** Runtime version of the linked library, e.g. "0.3.0". Static storage; thread-safe. */
VIGIL_API const char *vigil_version(void);
/** Runtime version number of the linked library (see VIGIL_VERSION_NUMBER). */
VIGIL_API uint32_t vigil_version_number(void);
/**@}*/

/** @name Status codes (values pinned; append only) */
/**@{*/
typedef enum vigil_status {
  VIGIL_OK = 0,
  /** A NULL or out-of-range argument, or a scratch used with another engine. */
  VIGIL_ERR_INVALID_ARGUMENT = -1,
  /** Memory allocation failed. */
  VIGIL_ERR_NOMEM = -2,
  /** A file could not be opened, read or mapped; errno-level detail is in the diagnostics. */
  VIGIL_ERR_IO = -3,
  /** Signature sources had errors (strict load); see the diagnostics. */
  VIGIL_ERR_SIGNATURE = -4,
  /** The load produced no usable signature at all. */
  VIGIL_ERR_NO_SIGNATURES = -5,
  /** The pattern-matching backend (Hyperscan) failed to compile or scan. */
  VIGIL_ERR_BACKEND = -6,
  /** A scratch is being used by two calls at once. */
  VIGIL_ERR_SCRATCH_IN_USE = -7,
  /** The input exceeds a configured limit (e.g. the maximum file size). */
  VIGIL_ERR_LIMIT = -8,
  /** The input is not a regular file, buffer or readable stream. */
  VIGIL_ERR_UNSUPPORTED = -9,
  /** A DAT (or a cache file) is malformed: bad magic, a field or section out of bounds, a
   *  checksum mismatch, truncation. The diagnostics say which part. */
  VIGIL_ERR_CORRUPT = -10,
  /** A DAT is unsigned (and unsigned DATs were not allowed), its signature does not verify,
   *  or its signer is not among the trusted keys. */
  VIGIL_ERR_UNTRUSTED = -11,
  /** A DAT needs a newer engine, or its format version is not one this engine reads. */
  VIGIL_ERR_VERSION = -12,
  /** A bug in Vigil; please report it. */
  VIGIL_ERR_INTERNAL = -100
} vigil_status;

/** A short English description of @p status ("ok", "out of memory", ...). Static storage. */
VIGIL_API const char *vigil_status_string(vigil_status status);
/**@}*/

/** @name Diagnostics from loading signatures */
/**@{*/
typedef enum vigil_diag_severity {
  /** The signature was loaded; something is worth knowing. */
  VIGIL_SEVERITY_INFO = 0,
  /** The signature was skipped for a reason that is not an error (e.g. functionality level). */
  VIGIL_SEVERITY_WARNING = 1,
  /** The line is malformed or unsupported. Fails a strict load; skipped otherwise. */
  VIGIL_SEVERITY_ERROR = 2
} vigil_diag_severity;

typedef enum vigil_diag_code {
  /** Malformed line: wrong field count, bad hex, bad number, unbalanced parentheses... */
  VIGIL_DIAG_SYNTAX = 1,
  /** Well-formed but uses a feature this engine version does not implement. */
  VIGIL_DIAG_UNSUPPORTED = 2,
  /** The body pattern has no literal fragment the matcher can search for. */
  VIGIL_DIAG_NO_FRAGMENT = 3,
  /** Skipped: outside the engine's functionality-level range. */
  VIGIL_DIAG_FLEVEL = 4,
  /** A source file or directory could not be read. */
  VIGIL_DIAG_IO = 5,
  /** A file whose extension names no supported signature format. */
  VIGIL_DIAG_UNKNOWN_FORMAT = 6,
  /** Skipped: named by an ignore list (.ign2). */
  VIGIL_DIAG_IGNORED = 7,
  /** Bad lines were skipped (summary, emitted once with VIGIL_LOAD_SKIP_BAD_LINES). */
  VIGIL_DIAG_SKIPPED_SUMMARY = 8,
  /** A DAT was refused (corrupt, untrusted, too new) or mixed with other sources. */
  VIGIL_DIAG_DAT = 9,
  /** A DAT's precompiled database could not be used here and was compiled (or taken from,
   *  or could not be written to, the cache). Information, or a warning for cache trouble. */
  VIGIL_DIAG_DAT_COMPILE = 10
} vigil_diag_code;

/** One diagnostic. All strings are owned by the vigil_diagnostics list. */
typedef struct vigil_diagnostic {
  vigil_diag_code code;
  vigil_diag_severity severity;
  /** Source file (or the name given to an in-memory source); "" if none. */
  const char *file;
  /** 1-based line number; 0 when the diagnostic is about a whole file. */
  uint32_t line;
  /** Signature name when known; "" otherwise. */
  const char *signature;
  /** Human-readable reason, e.g. "unbalanced '(' at column 12". */
  const char *message;
} vigil_diagnostic;

/** An immutable list of diagnostics. Not thread-safe to free while being read. */
typedef struct vigil_diagnostics vigil_diagnostics;

/** Number of diagnostics in @p diags (0 for NULL). */
VIGIL_API size_t vigil_diagnostics_count(const vigil_diagnostics *diags);
/**
 * Copy diagnostic @p index into @p out. The strings stay owned by @p diags.
 * @return VIGIL_OK, or VIGIL_ERR_INVALID_ARGUMENT for NULL or an index out of range.
 */
VIGIL_API vigil_status vigil_diagnostics_get(const vigil_diagnostics *diags, size_t index,
                                             vigil_diagnostic *out);
/** Free a diagnostics list. NULL is a no-op. */
VIGIL_API void vigil_diagnostics_free(vigil_diagnostics *diags);
/**@}*/

/** @name Load options */
/**@{*/

/** Flags for vigil_load_options_set_flags(). */
enum {
  /** Skip malformed/unsupported lines (reported as diagnostics) instead of failing the load. */
  VIGIL_LOAD_SKIP_BAD_LINES = 1u << 0,
  /** Append ".UNOFFICIAL" to signature names, as ClamAV does for unsigned databases. */
  VIGIL_LOAD_UNOFFICIAL_SUFFIX = 1u << 1,
  /** Accept a DAT that carries no signature. Without it an unsigned DAT is refused
   *  (VIGIL_ERR_UNTRUSTED). A signed DAT must still be signed by a trusted key. */
  VIGIL_LOAD_ALLOW_UNSIGNED = 1u << 2
};

/**
 * A builder naming what to load. Owned by the caller; not thread-safe while being modified;
 * may be freed as soon as vigil_engine_load() returns.
 */
typedef struct vigil_load_options vigil_load_options;

/** Create empty load options. @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_NOMEM. */
VIGIL_API vigil_status vigil_load_options_new(vigil_load_options **out);
/** Free load options. NULL is a no-op. */
VIGIL_API void vigil_load_options_free(vigil_load_options *opts);
/** Replace the VIGIL_LOAD_* flags. @return VIGIL_OK or VIGIL_ERR_INVALID_ARGUMENT. */
VIGIL_API vigil_status vigil_load_options_set_flags(vigil_load_options *opts, uint32_t flags);
/**
 * Add a signature source path: a file (format from its extension: .hdb .hsb .mdb .msb .ndb .ldb
 * .fp .sfp .ign2, optionally followed by .gz; or a .cvd/.cld container of such files) or a
 * directory (its supported files, not recursive, in name order). The path is copied; it is opened
 * only by vigil_engine_load(). A DAT (built by vigil-dat; recognised by its content, whatever its
 * name) is loaded precompiled, after its signature is checked against the trusted keys; it must be
 * the only source of a load. The same holds for memory and descriptor sources.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_add_path(vigil_load_options *opts, const char *path);
/**
 * Add an in-memory signature source. @p name gives the format by its extension (e.g.
 * "test.ndb") and is used in diagnostics. The bytes are copied.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_add_memory(vigil_load_options *opts, const char *name,
                                                     const void *data, size_t size);
/**
 * Add a signature source read from an open descriptor (borrowed, not closed), from its current
 * position to its end, now. @p name gives the format, as for vigil_load_options_add_memory().
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_IO (read failed), VIGIL_ERR_LIMIT
 *         (more than 2 GiB), VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_add_fd(vigil_load_options *opts, const char *name,
                                                 int fd);
/**
 * Trust DATs signed by this Ed25519 public key: @p key is the PEM text vigil-dat keygen writes
 * (PREFIX.pub) or the raw key as 64 hex digits. May be called for several keys.
 * @return VIGIL_OK; VIGIL_ERR_INVALID_ARGUMENT for NULL or text that is not such a key;
 *         VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_add_trusted_key(vigil_load_options *opts,
                                                          const char *key);
/**
 * As vigil_load_options_add_trusted_key(), with the key read from a file now.
 * @return VIGIL_OK; VIGIL_ERR_IO if the file cannot be read; VIGIL_ERR_INVALID_ARGUMENT if it
 *         holds no such key; VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_add_trusted_key_file(vigil_load_options *opts,
                                                               const char *path);
/**
 * Directory for pattern databases compiled on this machine when a DAT's precompiled one cannot
 * run here (another Hyperscan version or CPU): the first such load compiles and stores it, later
 * loads of the same DAT read it back. Created (mode 0700) when first needed; files in it are
 * used only if they, and the directory, are owned by this user and writable by no one else.
 * NULL or "" (the default):
 * no cache, every such load compiles.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_load_options_set_cache_dir(vigil_load_options *opts, const char *dir);
/**@}*/

/** @name Engine */
/**@{*/

/** A compiled, immutable signature set. Thread-safe for any number of concurrent scans. */
typedef struct vigil_engine vigil_engine;

/**
 * Load and compile every source named by @p opts.
 * @param opts   what to load (borrowed).
 * @param out    receives the engine; NULL on failure. Free with vigil_engine_free().
 * @param diags  if non-NULL, receives the diagnostics (possibly empty) on success and on
 *               failure; free with vigil_diagnostics_free().
 * @return VIGIL_OK; VIGIL_ERR_SIGNATURE if any line had an error and SKIP_BAD_LINES is not set;
 *         for a DAT: VIGIL_ERR_CORRUPT, VIGIL_ERR_UNTRUSTED, VIGIL_ERR_VERSION (a diagnostic
 *         with code VIGIL_DIAG_DAT says what is wrong), VIGIL_ERR_LIMIT (a DAT file over
 *         4 GiB), VIGIL_ERR_INVALID_ARGUMENT when a DAT is combined with other sources. The
 *         flags SKIP_BAD_LINES and UNOFFICIAL_SUFFIX do not apply to a DAT (its signatures were
 *         checked and named when it was compiled), and a DAT always holds signatures;
 *         VIGIL_ERR_IO if a named path cannot be read; VIGIL_ERR_NO_SIGNATURES if nothing
 *         usable was loaded; VIGIL_ERR_BACKEND, VIGIL_ERR_NOMEM, VIGIL_ERR_INVALID_ARGUMENT.
 */
VIGIL_API vigil_status vigil_engine_load(const vigil_load_options *opts, vigil_engine **out,
                                         vigil_diagnostics **diags);
/** Free an engine. All scratches made for it must be freed or unused. NULL is a no-op. */
VIGIL_API void vigil_engine_free(vigil_engine *engine);

/** Counts describing a loaded engine. Set struct_size = sizeof(vigil_engine_stats) first. */
typedef struct vigil_engine_stats {
  uint32_t struct_size;
  /** Body (.ndb) signatures, macro group members ("$n" offsets, never reported) included. */
  uint64_t body_signatures;
  /** Hash (.hdb/.hsb) signatures. */
  uint64_t hash_signatures;
  /** Allowlist (.fp/.sfp) entries. */
  uint64_t allowlist_entries;
  /** Signatures removed by ignore lists (.ign2). */
  uint64_t ignored_signatures;
  /** Lines skipped: errors (with SKIP_BAD_LINES) and functionality-level skips. */
  uint64_t skipped_lines;
  /** Distinct literal fragments handed to the matcher. */
  uint64_t fragments;
  /** The DAT's version; 0 when the engine was built from signature sources. */
  uint64_t dat_version;
  /** Where the pattern database came from: a vigil_database_origin value. */
  uint32_t database_origin;
  /** The DAT's creation time (seconds since the epoch); 0 if it has none or for sources. */
  uint64_t dat_created;
  /** Since 0.3.0. Logical (.ldb) signatures. Their subsignatures are not counted in
   * body_signatures. */
  uint64_t logical_signatures;
  /** Since 0.3.0. PE section hash (.mdb/.msb) signatures. */
  uint64_t section_hash_signatures;
} vigil_engine_stats;

/** vigil_engine_stats.database_origin. */
typedef enum vigil_database_origin {
  /** Compiled during this load (signature sources, or a DAT built for another machine). */
  VIGIL_DATABASE_COMPILED = 0,
  /** Loaded precompiled from the DAT. */
  VIGIL_DATABASE_PRECOMPILED = 1,
  /** Loaded from the on-disk cache of an earlier compile of the same DAT on this machine. */
  VIGIL_DATABASE_CACHED = 2
} vigil_database_origin;

/**
 * Fill @p out, whose struct_size the caller sets: the first min(struct_size, library's size)
 * bytes are written and struct_size is set to that count.
 * @return VIGIL_OK, or VIGIL_ERR_INVALID_ARGUMENT for NULL or a struct_size below 4.
 */
VIGIL_API vigil_status vigil_engine_get_stats(const vigil_engine *engine, vigil_engine_stats *out);
/**@}*/

/** @name Scratch */
/**@{*/

/**
 * Per-thread scan state. One scratch serves one call at a time; give each thread its own.
 * A scratch is bound to the engine it was made for.
 */
typedef struct vigil_scratch vigil_scratch;

/** Make a scratch for @p engine. @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, NOMEM, BACKEND. */
VIGIL_API vigil_status vigil_scratch_new(const vigil_engine *engine, vigil_scratch **out);
/** Free a scratch. NULL is a no-op. */
VIGIL_API void vigil_scratch_free(vigil_scratch *scratch);
/**@}*/

/** @name Scanning */
/**@{*/

/** Kinds of signature a match can come from. */
typedef enum vigil_sig_kind {
  VIGIL_SIG_BODY = 0,
  VIGIL_SIG_HASH = 1,
  /** An alert the scan raised itself, when asked to by a VIGIL_SCAN_ALERT_* flag:
   *  "Heuristics.Encrypted.Zip", "Heuristics.Broken.Archive",
   *  "Heuristics.Limits.Exceeded.MaxFileSize"... (signature_id VIGIL_SIGNATURE_ID_NONE). */
  VIGIL_SIG_HEURISTIC = 2,
  /** Since 0.3.0. A logical (.ldb) signature: its conditions held over the subsignatures found in
   * the input (offset VIGIL_OFFSET_NONE). */
  VIGIL_SIG_LOGICAL = 3
} vigil_sig_kind;

/** signature_id of a VIGIL_SIG_HEURISTIC match. */
#define VIGIL_SIGNATURE_ID_NONE UINT32_MAX

/** Offset reported for whole-file (hash) matches. */
#define VIGIL_OFFSET_NONE UINT64_MAX

/** One detection, valid only during the callback. */
typedef struct vigil_match {
  /** Signature name as reported to users (with .UNOFFICIAL if that flag was set). */
  const char *name;
  /** Stable index of the signature within the engine. */
  uint32_t signature_id;
  vigil_sig_kind kind;
  /** Byte offset of the start of the match, or VIGIL_OFFSET_NONE for hash signatures. */
  uint64_t offset;
  /** Since 0.2.0. Where the match is inside containers: path[0] names a member of the scanned
   *  input, path[1] a member of that member, and so on, path_depth names in all (0 and NULL
   *  for the input itself). The decompressed bytes of a compressed stream have no name of
   *  their own: a match in file.gz has the path of file.gz, one in file.tar.gz/x that of x. */
  const char *const *path;
  uint32_t path_depth;
} vigil_match;

/**
 * Called for each detection. Return 0 to continue, non-zero to stop the scan (the scan call
 * then returns VIGIL_OK). Called on the scanning thread; must not call back into the same scratch.
 */
typedef int (*vigil_match_callback)(const vigil_match *match, void *user_data);

/** Scan flags. */
enum {
  /** Report every matching signature (each once, at its first match) instead of stopping at the
   *  first detection. */
  VIGIL_SCAN_ALLMATCH = 1u << 0,
  /** Scan the input's own bytes only: do not descend into archives and compressed streams. */
  VIGIL_SCAN_NO_CONTAINERS = 1u << 1,
  /** Report an encrypted member (whose bytes cannot be scanned) as a detection,
   *  "Heuristics.Encrypted.<Format>". */
  VIGIL_SCAN_ALERT_ENCRYPTED = 1u << 2,
  /** Report a container that cannot be read to its end (corrupt, truncated) as a detection,
   *  "Heuristics.Broken.Archive" ("Heuristics.Broken.Executable" for a fat Mach-O whose
   *  architecture table or slices are damaged). What could be read was scanned. */
  VIGIL_SCAN_ALERT_BROKEN = 1u << 3,
  /** Report a scan limit that stopped the descent as a detection,
   *  "Heuristics.Limits.Exceeded.<Limit>" (MaxRecursion, MaxFiles, MaxScanSize, MaxFileSize,
   *  MaxRatio, MaxScanTime). */
  VIGIL_SCAN_ALERT_EXCEEDS_MAX = 1u << 4
};

/** What one scan found. */
typedef struct vigil_scan_result {
  /** Number of detections reported (0 = clean). */
  uint32_t detections;
  /** 1 if the input was allowlisted (.fp/.sfp) and so reported clean. */
  uint32_t allowlisted;
  /** Bytes examined. */
  uint64_t bytes_scanned;
  /** Parts of the input the verdict does not cover: candidate matches whose confirmation was
   *  abandoned at the per-candidate step limit (a pathological pattern on hostile data), and
   *  each container member or descent not scanned because of a limit, encryption or damage
   *  (vigil_scratch_get_scan_info() says which). 0 means the verdict is complete; otherwise a
   *  signature may have been missed. */
  uint32_t incomplete;
} vigil_scan_result;

/** @name Containers and limits
 * Scans descend into archives (zip, 7z, rar, tar, cpio, ar, cab, iso9660, lha, xar),
 * compressed streams (gzip, bzip2, xz, lzma, zstd, lz4, lzip, compress) and fat/universal
 * Mach-O binaries (each architecture's slice is a member, "slice-N"; one sharing bytes with an
 * earlier slice is scanned but not opened), nested, and scan each
 * member with the same signatures, streaming it through the matcher as it is decompressed (no
 * temporary files). The limits below bound what one scan may unpack; each is per scratch. */
/**@{*/

/** Limits of one scan, all levels together unless said otherwise. 0 means no limit. */
typedef struct vigil_scan_limits {
  uint32_t struct_size;
  /** Nesting depth below the input (a zip in a zip is 2). Default 17. */
  uint32_t max_recursion;
  /** Members of one container. Default 10,000. */
  uint32_t max_files;
  /** Bytes of members scanned in all, over every level. Default 400 MiB. */
  uint64_t max_scan_size;
  /** Bytes of one member; the rest of a larger member is not scanned. Default 100 MiB. */
  uint64_t max_file_size;
  /** Decompressed-to-compressed ratio of one member, checked once it passes 1 MiB (a
   *  decompression bomb is stopped early). Default 1000. */
  uint32_t max_ratio;
  /** Milliseconds one scan may spend in containers. Default 120,000. Checked as members are
   *  read (every 64 KiB), so one step (parsing a message, a header) may overrun it; when it
   *  runs out no more members are read, but every level's own bytes are still scanned. */
  uint32_t max_scan_time_ms;
} vigil_scan_limits;

/** Bits of vigil_scan_info.limits_exceeded. */
enum {
  VIGIL_LIMIT_RECURSION = 1u << 0,
  VIGIL_LIMIT_FILES = 1u << 1,
  VIGIL_LIMIT_SCAN_SIZE = 1u << 2,
  VIGIL_LIMIT_FILE_SIZE = 1u << 3,
  VIGIL_LIMIT_RATIO = 1u << 4,
  VIGIL_LIMIT_SCAN_TIME = 1u << 5
};

/**
 * Fill @p out (its struct_size set by the caller, as for vigil_engine_get_stats()) with the
 * default limits. @return VIGIL_OK, or VIGIL_ERR_INVALID_ARGUMENT for NULL or a struct_size
 * below 4.
 */
VIGIL_API vigil_status vigil_scan_limits_default(vigil_scan_limits *out);
/**
 * Use @p limits for the scans made with @p scratch from now on (fields beyond
 * limits->struct_size keep their defaults). Not while the scratch is in a scan.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_SCRATCH_IN_USE.
 */
VIGIL_API vigil_status vigil_scratch_set_limits(vigil_scratch *scratch,
                                                const vigil_scan_limits *limits);

/** What the last scan made with a scratch unpacked, and what stopped it. */
typedef struct vigil_scan_info {
  uint32_t struct_size;
  /** Containers opened. */
  uint32_t containers;
  /** Members scanned. */
  uint32_t members;
  /** Deepest member level reached (0: the input itself). */
  uint32_t max_depth;
  /** VIGIL_LIMIT_* bits of the limits that stopped some descent. */
  uint32_t limits_exceeded;
  /** Encrypted members, not scanned. */
  uint32_t encrypted;
  /** Containers that could not be read to their end. */
  uint32_t broken;
  /** Bytes scanned at every level together. */
  uint64_t bytes_scanned;
} vigil_scan_info;

/**
 * Fill @p out (struct_size set by the caller) about the last scan made with @p scratch.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_SCRATCH_IN_USE.
 */
VIGIL_API vigil_status vigil_scratch_get_scan_info(vigil_scratch *scratch, vigil_scan_info *out);
/**@}*/

/**
 * Scan a memory buffer.
 * @param engine, scratch  scratch must have been made for engine.
 * @param flags     VIGIL_SCAN_* flags.
 * @param callback  may be NULL (then only @p result tells the verdict).
 * @param result    may be NULL; otherwise filled on VIGIL_OK.
 * @return VIGIL_OK (clean or infected), VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_SCRATCH_IN_USE,
 *         VIGIL_ERR_BACKEND, VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_scan_buffer(const vigil_engine *engine, vigil_scratch *scratch,
                                         const void *data, size_t size, uint32_t flags,
                                         vigil_match_callback callback, void *user_data,
                                         vigil_scan_result *result);
/**
 * Scan a regular file by path. Files up to 1 MiB are read into the scratch's buffer; larger
 * ones are memory-mapped, never read into memory whole, and files over 4 GiB work. (Members
 * of a container are decompressed into memory, each up to the vigil_scan_limits.) Caveat: as
 * with any mmap, a mapped file truncated by another process while it is scanned raises SIGBUS.
 * Returns VIGIL_ERR_IO if it cannot be opened or read, VIGIL_ERR_UNSUPPORTED for directories,
 * devices, fifos and sockets; otherwise as vigil_scan_buffer().
 */
VIGIL_API vigil_status vigil_scan_file(const vigil_engine *engine, vigil_scratch *scratch,
                                       const char *path, uint32_t flags,
                                       vigil_match_callback callback, void *user_data,
                                       vigil_scan_result *result);
/**
 * Scan an open file descriptor (borrowed; not closed). Regular files are read or mapped from
 * offset 0, as by vigil_scan_file(); pipes and sockets are read to their end, spooled through
 * an unlinked temporary file in $TMPDIR (or /tmp). Directories and character or block devices
 * give VIGIL_ERR_UNSUPPORTED. Otherwise returns as vigil_scan_file().
 */
VIGIL_API vigil_status vigil_scan_fd(const vigil_engine *engine, vigil_scratch *scratch, int fd,
                                     uint32_t flags, vigil_match_callback callback, void *user_data,
                                     vigil_scan_result *result);
/**@}*/

/** @name Stream scanning
 * An input that arrives in pieces (an upload, a message body, a decompressed member) is scanned
 * as it arrives: vigil_stream_write() hands over each piece, and the matcher runs over what has
 * arrived whenever a scratch is given, so a signature split across pieces is found and the end
 * costs only the last piece. The stream keeps the input's bytes (up to its size limit): a
 * signature may look back to the start, or forward to the end, and the allowlist and hash
 * signatures need the whole input. Verdicts are exactly those of vigil_scan_buffer() on the
 * same bytes, and are reported by vigil_stream_finish(). */
/**@{*/

/** One input being scanned as it arrives; reusable for input after input. A stream is bound to
 *  the engine it was made for and serves one call at a time. */
typedef struct vigil_stream vigil_stream;

/**
 * Make a stream for @p engine (which must outlive it).
 * @param flags     VIGIL_SCAN_* flags, for every input of this stream.
 * @param max_size  the most bytes one input may have; 0 for no limit but memory.
 * @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_NOMEM.
 */
VIGIL_API vigil_status vigil_stream_new(const vigil_engine *engine, uint32_t flags,
                                        uint64_t max_size, vigil_stream **out);
/**
 * Append @p size bytes to the input. With a @p scratch (made for the stream's engine) the
 * matcher also runs over what has arrived, once enough has (a few tens of KiB); with NULL the
 * bytes are only kept, for a caller that has no scratch to spare now.
 * @return VIGIL_OK; VIGIL_ERR_LIMIT when the input would pass max_size (nothing of this piece is
 *         kept; the stream stays usable and finishing scans what it holds);
 *         VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_SCRATCH_IN_USE (the stream or the scratch is in
 *         another call), VIGIL_ERR_NOMEM, VIGIL_ERR_BACKEND.
 */
VIGIL_API vigil_status vigil_stream_write(vigil_stream *stream, vigil_scratch *scratch,
                                          const void *data, size_t size);
/**
 * End the input: scan what is left and report as vigil_scan_buffer() does over the whole
 * input. The stream is then empty and ready for the next input, whatever the outcome.
 * @return as vigil_scan_buffer().
 */
VIGIL_API vigil_status vigil_stream_finish(vigil_stream *stream, vigil_scratch *scratch,
                                           vigil_match_callback callback, void *user_data,
                                           vigil_scan_result *result);
/** Abandon the current input (nothing is reported); the stream is ready for the next one.
 *  @return VIGIL_OK, VIGIL_ERR_INVALID_ARGUMENT, VIGIL_ERR_SCRATCH_IN_USE. */
VIGIL_API vigil_status vigil_stream_reset(vigil_stream *stream);
/** Free a stream. NULL is a no-op. */
VIGIL_API void vigil_stream_free(vigil_stream *stream);
/**@}*/

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIGIL_VIGIL_H_ */
