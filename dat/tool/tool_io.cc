// Shared plumbing of vigil-dat's commands (see tool_io.h).
#include "tool_io.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "common/atomic_file.h"

namespace vigil::dattool {

int fail(const std::string& message, int code) {
  std::cerr << "vigil-dat: " << message << "\n";
  return code;
}

int fail(const common::Status& status, int code) { return fail(status.message(), code); }

common::Result<std::string> read_input(const std::string& path) {
  return common::read_whole_file(path, size_t{1} << 32);
}

common::Result<ContainerFile> read_container(const std::string& path) {
  auto bytes = read_input(path);
  if (!bytes.is_ok()) return bytes.status();
  ContainerFile f{bytes.take()};
  if (dat::looks_like(dat::Kind::kDelta, f.data(), f.size())) f.kind = dat::Kind::kDelta;
  return f;
}

common::Result<dat::PrivateKey> read_private_key(const std::string& path) {
  auto text = common::read_whole_file(path, size_t{1} << 20);
  if (!text.is_ok()) return text.status();
  auto key = dat::parse_private_key_pem(text.value());
  if (!key.is_ok())
    return common::Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

common::Result<dat::PublicKey> read_public_key(const std::string& path) {
  auto text = common::read_whole_file(path, size_t{1} << 20);
  if (!text.is_ok()) return text.status();
  auto key = dat::parse_public_key(text.value());
  if (!key.is_ok())
    return common::Status(key.status().code(), path + ": " + key.status().message());
  return key;
}

common::Status install(const std::string& path, const std::string& bytes, const dat::Trust& check) {
  return common::write_file_atomically(
      path, bytes, 0644, [&check](const std::string& temp) -> common::Status {
        auto written = common::read_whole_file(temp, size_t{1} << 32);
        if (!written.is_ok()) return written.status();
        const auto* data = reinterpret_cast<const uint8_t*>(written.value().data());
        auto view = dat::open(data, written.value().size(), check);
        if (!view.is_ok()) {
          return common::Status(view.status().code(),
                                "the new file does not check: " + view.status().message());
        }
        return common::Status::ok();
      });
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool parse_u64(const std::string& text, uint64_t& out) {
  if (text.empty()) return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

bool CommandLine::has(const std::string& name) const { return value(name) != nullptr; }

const std::string* CommandLine::value(const std::string& name) const {
  const std::string* v = nullptr;
  for (const auto& [k, val] : options) {
    if (k == name) v = &val;
  }
  return v;
}

std::vector<std::string> CommandLine::values(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, val] : options) {
    if (k == name) out.push_back(val);
  }
  return out;
}

CommandLine parse_command_line(const std::vector<std::string>& args,
                               const std::vector<std::string>& valued,
                               const std::vector<std::string>& flags) {
  CommandLine cl;
  auto listed = [](const std::vector<std::string>& v, const std::string& a) {
    return std::find(v.begin(), v.end(), a) != v.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      cl.positional.push_back(a);
    } else if (listed(valued, a)) {
      if (i + 1 >= args.size()) {
        cl.error = "option " + a + " needs a value";
        return cl;
      }
      cl.options.emplace_back(a, args[++i]);
    } else if (listed(flags, a)) {
      cl.options.emplace_back(a, "");
    } else {
      cl.error = "unknown option " + a;
      return cl;
    }
  }
  return cl;
}

common::Result<dat::Trust> trust_from(const CommandLine& cl, dat::Kind kind,
                                      const std::string& option) {
  dat::Trust trust;
  trust.kind = kind;
  trust.allow_unsigned = cl.has("--allow-unsigned");
  for (const std::string& path : cl.values(option)) {
    auto key = read_public_key(path);
    if (!key.is_ok()) return key.status();
    trust.keys.push_back(key.value());
  }
  return trust;
}

}  // namespace vigil::dattool
