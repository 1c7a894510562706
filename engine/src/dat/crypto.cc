// Ed25519 and SHA-256 on OpenSSL 3's EVP interface: one-shot EVP_DigestSign/EVP_DigestVerify
// with a NULL digest (Ed25519 hashes internally), unique_ptr owners for every OpenSSL object and
// no global state. Each entry point starts and ends with an empty OpenSSL error queue, so one
// call's errors never leak into a later call's message. The public key PEM is the fixed RFC 8410
// SubjectPublicKeyInfo prefix plus the raw key, so writing it cannot fail.
#include "dat/crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <climits>
#include <iterator>
#include <new>
#include <string>
#include <utility>

#include "common/hex.h"

namespace vigil::dat {
namespace {

using common::Result;
using common::Status;

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Empties the calling thread's OpenSSL error queue on entry and again on exit.
class ErrorQueueScope {
 public:
  ErrorQueueScope() { ERR_clear_error(); }
  ~ErrorQueueScope() { ERR_clear_error(); }
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// VIGIL_ERR_INTERNAL: "what: <each queued OpenSSL error>". Drains the queue.
Status openssl_error(std::string_view what) {
  std::string msg(what);
  bool any = false;
  char buf[256];
  for (unsigned long err = ERR_get_error(); err != 0; err = ERR_get_error()) {
    ERR_error_string_n(err, buf, sizeof buf);
    msg += any ? "; " : ": ";
    msg += buf;
    any = true;
  }
  if (!any) msg += ": no OpenSSL error reported";
  return Status(VIGIL_ERR_INTERNAL, std::move(msg));
}

// VIGIL_ERR_INVALID_ARGUMENT: `problem`, with OpenSSL's reason for the first queued error (if
// any) in parentheses. Drains the queue.
Status invalid_input(std::string_view problem) {
  std::string msg(problem);
  unsigned long err = ERR_get_error();
  const char* reason = err != 0 ? ERR_reason_error_string(err) : nullptr;
  if (reason != nullptr) msg.append(" (").append(reason).append(")");
  ERR_clear_error();
  return Status(VIGIL_ERR_INVALID_ARGUMENT, std::move(msg));
}

// A read-only memory BIO over `text`, or null if it is too large for OpenSSL's int length.
BioPtr read_bio(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Refuses to supply a passphrase, so an encrypted key fails instead of prompting on a terminal.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

// Checks that `pkey` is Ed25519; otherwise names the type it is.
Status require_ed25519(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519) return Status::ok();
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return Status(VIGIL_ERR_INVALID_ARGUMENT,
                std::string("not an Ed25519 key (") + (type != nullptr ? type : "unknown") + ")");
}

Result<PublicKey> raw_public_key(EVP_PKEY* pkey) {
  PublicKey out;
  size_t len = out.raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, out.raw.data(), &len) != 1 || len != out.raw.size()) {
    return openssl_error("cannot extract the Ed25519 public key");
  }
  return out;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

bool all_hex(std::string_view s) {
  for (char c : s) {
    if (common::hex_digit_value(c) < 0) return false;
  }
  return true;
}

// Stands in for a null message pointer of length 0, which OpenSSL does not promise to accept.
const uint8_t kEmpty[1] = {0};

}  // namespace

Sha256 sha256(const uint8_t* data, size_t size) {
  ErrorQueueScope errors;
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data != nullptr ? data : kEmpty, size, out.data(), &len, EVP_sha256(), nullptr) !=
          1 ||
      len != out.size()) {
    throw std::bad_alloc();
  }
  return out;
}

KeyId PublicKey::id() const { return sha256(raw.data(), raw.size()); }

std::string key_id_hex(const KeyId& id) { return common::encode_hex(id.data(), id.size()); }

void PrivateKey::Free::operator()(evp_pkey_st* pkey) const { EVP_PKEY_free(pkey); }

PublicKey PrivateKey::public_key() const {
  ErrorQueueScope errors;
  if (!valid()) return PublicKey{};
  auto key = raw_public_key(pkey_.get());
  return key.is_ok() ? key.value() : PublicKey{};
}

Result<PrivateKey> generate_key() {
  ErrorQueueScope errors;
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) return openssl_error("Ed25519 key generation failed");
  return PrivateKey(pkey);
}

Result<std::string> private_key_pem(const PrivateKey& key) {
  ErrorQueueScope errors;
  if (!key.valid()) return Status(VIGIL_ERR_INVALID_ARGUMENT, "empty private key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return openssl_error("cannot allocate a memory BIO");
  // With no cipher, OpenSSL 3 writes an unencrypted PKCS#8 PrivateKeyInfo.
  if (PEM_write_bio_PrivateKey(bio.get(), key.pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    return openssl_error("cannot write the private key PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return openssl_error("cannot write the private key PEM");
  return std::string(data, static_cast<size_t>(len));
}

std::string public_key_pem(const PublicKey& key) {
  // SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) <32 bytes> }.
  static constexpr uint8_t kSpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                            0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  std::array<uint8_t, sizeof kSpkiPrefix + 32> der;
  std::copy(std::begin(kSpkiPrefix), std::end(kSpkiPrefix), der.begin());
  std::copy(key.raw.begin(), key.raw.end(), der.begin() + sizeof kSpkiPrefix);
  // 44 bytes -> 60 base64 characters: one line, under PEM's 64-column limit.
  std::array<unsigned char, (der.size() + 2) / 3 * 4 + 1> b64;
  int n = EVP_EncodeBlock(b64.data(), der.data(), static_cast<int>(der.size()));
  std::string out = "-----BEGIN PUBLIC KEY-----\n";
  out.append(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
  out += "\n-----END PUBLIC KEY-----\n";
  return out;
}

Result<PrivateKey> parse_private_key_pem(std::string_view pem) {
  ErrorQueueScope errors;
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return Status(VIGIL_ERR_INVALID_ARGUMENT, "encrypted private keys are not supported");
  }
  BioPtr bio = read_bio(pem);
  if (!bio) return Status(VIGIL_ERR_INVALID_ARGUMENT, "not a PEM private key (too large)");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr));
  if (!pkey) return invalid_input("not a PEM private key");
  if (Status st = require_ed25519(pkey.get()); !st.is_ok()) return st;
  return PrivateKey(pkey.release());
}

Result<PublicKey> parse_public_key(std::string_view text) {
  ErrorQueueScope errors;
  std::string_view t = trim(text);
  if (all_hex(t) && !t.empty()) {
    PublicKey key;
    if (t.size() != key.raw.size() * 2) {
      return Status(VIGIL_ERR_INVALID_ARGUMENT, "not a PEM public key or 64 hex digits (got " +
                                                    std::to_string(t.size()) + " hex digits)");
    }
    common::decode_hex(t, key.raw.data());
    return key;
  }
  if (t.find("PRIVATE KEY-----") != std::string_view::npos) {
    return Status(VIGIL_ERR_INVALID_ARGUMENT, "a private key where a public key was expected");
  }
  BioPtr bio = read_bio(t);
  if (!bio) return Status(VIGIL_ERR_INVALID_ARGUMENT, "not a PEM public key or 64 hex digits");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr));
  if (!pkey) return invalid_input("not a PEM public key or 64 hex digits");
  if (Status st = require_ed25519(pkey.get()); !st.is_ok()) return st;
  return raw_public_key(pkey.get());
}

Result<Ed25519Signature> sign(const PrivateKey& key, const uint8_t* msg, size_t size) {
  ErrorQueueScope errors;
  if (!key.valid()) return Status(VIGIL_ERR_INVALID_ARGUMENT, "empty private key");
  if (msg == nullptr && size != 0) {
    return Status(VIGIL_ERR_INVALID_ARGUMENT, "null message with a non-zero size");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return openssl_error("cannot allocate a signing context");
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.pkey_.get()) != 1) {
    return openssl_error("Ed25519 sign init failed");
  }
  Ed25519Signature sig{};
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, msg != nullptr ? msg : kEmpty, size) != 1) {
    return openssl_error("Ed25519 signing failed");
  }
  if (len != sig.size()) {
    return Status(VIGIL_ERR_INTERNAL, "Ed25519 signature of " + std::to_string(len) + " bytes");
  }
  return sig;
}

bool verify(const PublicKey& key, const uint8_t* msg, size_t size, const Ed25519Signature& sig) {
  ErrorQueueScope errors;
  if (msg == nullptr && size != 0) return false;
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.raw.data(), key.raw.size()));
  if (!pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg != nullptr ? msg : kEmpty, size) ==
         1;
}

}  // namespace vigil::dat
