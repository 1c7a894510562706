// RAII wrappers over the public handles, for tests that use vigil.h as a product would.
#ifndef VIGIL_TESTS_API_SUPPORT_H_
#define VIGIL_TESTS_API_SUPPORT_H_

#include <gtest/gtest.h>
#include <vigil/vigil.h>

#include <memory>
#include <string>
#include <vector>

namespace vigil_test {

struct Deleter {
  void operator()(vigil_engine* e) const { vigil_engine_free(e); }
  void operator()(vigil_scratch* s) const { vigil_scratch_free(s); }
  void operator()(vigil_diagnostics* d) const { vigil_diagnostics_free(d); }
  void operator()(vigil_load_options* o) const { vigil_load_options_free(o); }
  void operator()(vigil_stream* s) const { vigil_stream_free(s); }
};
using Engine = std::unique_ptr<vigil_engine, Deleter>;
using Scratch = std::unique_ptr<vigil_scratch, Deleter>;
using Diags = std::unique_ptr<vigil_diagnostics, Deleter>;
using Options = std::unique_ptr<vigil_load_options, Deleter>;
using Stream = std::unique_ptr<vigil_stream, Deleter>;

struct Load {
  vigil_status status = VIGIL_OK;
  Engine engine;
  Diags diags;
  std::vector<std::string> messages;   // "file:line: message [name]"
  std::vector<vigil_diag_code> codes;  // filled by loaders that need them
};

inline Load load(const std::vector<std::pair<std::string, std::string>>& memory,
                 const std::vector<std::string>& paths = {}, uint32_t flags = 0) {
  vigil_load_options* raw = nullptr;
  EXPECT_EQ(vigil_load_options_new(&raw), VIGIL_OK);
  Options opts(raw);
  EXPECT_EQ(vigil_load_options_set_flags(opts.get(), flags), VIGIL_OK);
  for (const auto& [name, text] : memory) {
    EXPECT_EQ(vigil_load_options_add_memory(opts.get(), name.c_str(), text.data(), text.size()),
              VIGIL_OK);
  }
  for (const auto& p : paths)
    EXPECT_EQ(vigil_load_options_add_path(opts.get(), p.c_str()), VIGIL_OK);
  Load out;
  vigil_engine* e = nullptr;
  vigil_diagnostics* d = nullptr;
  out.status = vigil_engine_load(opts.get(), &e, &d);
  out.engine.reset(e);
  out.diags.reset(d);
  for (size_t i = 0; i < vigil_diagnostics_count(d); ++i) {
    vigil_diagnostic x;
    EXPECT_EQ(vigil_diagnostics_get(d, i, &x), VIGIL_OK);
    out.messages.push_back(std::string(x.file) + ":" + std::to_string(x.line) + ": " + x.message +
                           " [" + x.signature + "]");
  }
  return out;
}

// Bytes as lower-case hex, as signature files write them.
inline std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

inline int collect(const vigil_match* m, void* user) {
  static_cast<std::vector<std::string>*>(user)->push_back(m->name);
  return 0;
}

}  // namespace vigil_test

#endif  // VIGIL_TESTS_API_SUPPORT_H_
