// Test support: archives made at test time with libarchive's writer, in memory, in any format
// and filter it writes, so container tests need no files in the tree.
#ifndef VIGIL_TESTS_API_ARCHIVE_SUPPORT_H_
#define VIGIL_TESTS_API_ARCHIVE_SUPPORT_H_

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace vigil_test {

struct Entry {
  std::string name;
  std::string data;
};

struct ArchiveSpec {
  std::string format;                // archive_write_set_format_by_name: "zip", "7zip", "pax"...
  std::vector<std::string> filters;  // archive_write_add_filter_by_name, innermost first
  std::string options;               // archive_write_set_options, e.g. "zip:compression=store"
  std::string passphrase;            // encrypts (zip: with options "zip:encryption=zipcrypt")
};

inline la_ssize_t append_to_string(archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// The archive's bytes; fails the test (and returns "") when libarchive refuses the spec.
inline std::string make_archive(const ArchiveSpec& spec, const std::vector<Entry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  auto fail = [&](const char* what) {
    ADD_FAILURE() << what << " (" << spec.format << "): " << archive_error_string(a);
    archive_write_free(a);
    return std::string();
  };
  if (archive_write_set_format_by_name(a, spec.format.c_str()) != ARCHIVE_OK) return fail("format");
  for (const std::string& f : spec.filters) {
    if (archive_write_add_filter_by_name(a, f.c_str()) != ARCHIVE_OK) return fail(f.c_str());
  }
  if (!spec.options.empty() && archive_write_set_options(a, spec.options.c_str()) != ARCHIVE_OK) {
    return fail("options");
  }
  if (!spec.passphrase.empty() &&
      archive_write_set_passphrase(a, spec.passphrase.c_str()) != ARCHIVE_OK) {
    return fail("passphrase");
  }
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open(a, &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    return fail("open");
  }
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    archive_entry_set_mtime(entry, 1700000000, 0);
    if (archive_write_header(a, entry) != ARCHIVE_OK) {
      archive_entry_free(entry);
      return fail("header");
    }
    archive_entry_free(entry);
    if (!e.data.empty() && archive_write_data(a, e.data.data(), e.data.size()) < 0) {
      return fail("data");
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) return fail("close");
  archive_write_free(a);
  return out;
}

// Incompressible filler, so decompressed chunk edges fall at arbitrary places.
inline std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

}  // namespace vigil_test

#endif  // VIGIL_TESTS_API_ARCHIVE_SUPPORT_H_
