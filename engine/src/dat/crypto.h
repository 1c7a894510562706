// Ed25519 keys and signatures for signed DAT files, plus SHA-256, on OpenSSL 3 libcrypto.
// Keys travel as PEM (PKCS#8 private, SubjectPublicKeyInfo public) or, for public keys, as 64 hex
// digits of the raw key; a key is named by its KeyId, the SHA-256 of the raw public key.
// No global state: every function may be called from any thread, and a PrivateKey may sign on
// several threads at once (moving or destroying it needs exclusive access).
#ifndef VIGIL_DAT_CRYPTO_H_
#define VIGIL_DAT_CRYPTO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; only crypto.cc looks inside.

namespace vigil::dat {

using Sha256 = std::array<uint8_t, 32>;
// One-shot SHA-256. `data` may be null when `size` is 0. EVP_Digest fails only when it cannot
// allocate, which is reported as std::bad_alloc (the C API firewall maps it to NOMEM).
Sha256 sha256(const uint8_t* data, size_t size);

// SHA-256 of the raw 32-byte public key.
using KeyId = std::array<uint8_t, 32>;

struct PublicKey {
  std::array<uint8_t, 32> raw{};
  KeyId id() const;
};

// Lowercase hex, 64 characters.
std::string key_id_hex(const KeyId& id);

using Ed25519Signature = std::array<uint8_t, 64>;

// Move-only owner of an Ed25519 private key (an EVP_PKEY). A default-constructed or moved-from
// key is empty: valid() is false, and sign / private_key_pem report VIGIL_ERR_INVALID_ARGUMENT.
class PrivateKey {
 public:
  PrivateKey() = default;
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey() = default;

  bool valid() const { return pkey_ != nullptr; }
  // The matching public key; all zero for an empty key.
  PublicKey public_key() const;

 private:
  struct Free {
    void operator()(evp_pkey_st* pkey) const;
  };
  explicit PrivateKey(evp_pkey_st* pkey) : pkey_(pkey) {}

  friend common::Result<PrivateKey> generate_key();
  friend common::Result<PrivateKey> parse_private_key_pem(std::string_view pem);
  friend common::Result<std::string> private_key_pem(const PrivateKey& key);
  friend common::Result<Ed25519Signature> sign(const PrivateKey& key, const uint8_t* msg,
                                               size_t size);

  std::unique_ptr<evp_pkey_st, Free> pkey_;
};

// A fresh key from OpenSSL's default random generator. VIGIL_ERR_INTERNAL if OpenSSL fails.
common::Result<PrivateKey> generate_key();

// PKCS#8, unencrypted: "-----BEGIN PRIVATE KEY-----". The returned string holds secret material.
common::Result<std::string> private_key_pem(const PrivateKey& key);
// SubjectPublicKeyInfo (RFC 8410): "-----BEGIN PUBLIC KEY-----". Cannot fail.
std::string public_key_pem(const PublicKey& key);

// Parses a PEM private key (the first PEM block in `pem`). VIGIL_ERR_INVALID_ARGUMENT for text
// that is not a PEM private key, an encrypted key, or a key of another type ("not an Ed25519
// key (RSA)"); never prompts for a passphrase.
common::Result<PrivateKey> parse_private_key_pem(std::string_view pem);
// Accepts the PEM form public_key_pem writes or exactly 64 hex digits (either case) of the raw
// key, with surrounding whitespace. VIGIL_ERR_INVALID_ARGUMENT otherwise, naming the problem.
common::Result<PublicKey> parse_public_key(std::string_view text);

// Pure Ed25519 (RFC 8032) over the whole message; deterministic. `msg` may be null when `size`
// is 0.
common::Result<Ed25519Signature> sign(const PrivateKey& key, const uint8_t* msg, size_t size);
// True only for a valid signature of exactly this message by this key; any failure is false.
bool verify(const PublicKey& key, const uint8_t* msg, size_t size, const Ed25519Signature& sig);

}  // namespace vigil::dat

#endif  // VIGIL_DAT_CRYPTO_H_
