// Ed25519 signing and SHA-256 for signed DATs: RFC 8032 and FIPS 180-2 vectors, tamper
// detection, PEM and hex key round trips, and the exact errors for keys of the wrong kind.
#include "dat/crypto.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/hex.h"

namespace vigil::dat {
namespace {

template <size_t N>
std::array<uint8_t, N> from_hex(std::string_view hex) {
  std::array<uint8_t, N> out{};
  EXPECT_EQ(hex.size(), 2 * N);
  EXPECT_TRUE(common::decode_hex(hex, out.data()));
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) { return common::encode_hex(p, n); }

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// An unencrypted PKCS#8 PEM for a raw Ed25519 seed, built by hand (RFC 8410) so that parsing is
// tested against a known encoding rather than against our own writer.
std::string pkcs8_pem_for_seed(std::string_view seed_hex) {
  auto seed = from_hex<32>(seed_hex);
  std::vector<uint8_t> der = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                              0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
  der.insert(der.end(), seed.begin(), seed.end());
  std::vector<unsigned char> b64(der.size() / 3 * 4 + 8);
  int n = EVP_EncodeBlock(b64.data(), der.data(), static_cast<int>(der.size()));
  return "-----BEGIN PRIVATE KEY-----\n" +
         std::string(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n)) +
         "\n-----END PRIVATE KEY-----\n";
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class PemKind { kPrivate, kPublic, kEncryptedPrivate };

std::string openssl_pem(EVP_PKEY* pkey, PemKind kind) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  int ok = 0;
  switch (kind) {
    case PemKind::kPrivate:
      ok = PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr);
      break;
    case PemKind::kPublic:
      ok = PEM_write_bio_PUBKEY(bio.get(), pkey);
      break;
    case PemKind::kEncryptedPrivate:
      ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                         const_cast<char*>("passphrase"));
      break;
  }
  EXPECT_EQ(ok, 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

PrivateKey new_key() {
  auto key = generate_key();
  EXPECT_TRUE(key.is_ok()) << key.status().message();
  return key.is_ok() ? key.take() : PrivateKey();
}

// RFC 8032 section 7.1, tests 1 and 2.
constexpr std::string_view kSeed1 =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kPub1 =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kSig1 =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
    "6bd25bf5f0595bbe24655141438e7a100b";
constexpr std::string_view kSeed2 =
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr std::string_view kPub2 =
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
constexpr std::string_view kSig2 =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d"
    "8c387b2eaeb4302aeeb00d291612bb0c00";

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(to_hex(sha256(bytes("abc"), 3).data(), 32),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(nullptr, 0).data(), 32),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string_view two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(to_hex(sha256(bytes(two_blocks), two_blocks.size()).data(), 32),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Ed25519, MatchesRfc8032Vectors) {
  auto key1 = parse_private_key_pem(pkcs8_pem_for_seed(kSeed1));
  ASSERT_TRUE(key1.is_ok()) << key1.status().message();
  EXPECT_EQ(to_hex(key1.value().public_key().raw.data(), 32), kPub1);
  auto sig1 = sign(key1.value(), nullptr, 0);
  ASSERT_TRUE(sig1.is_ok()) << sig1.status().message();
  EXPECT_EQ(to_hex(sig1.value().data(), 64), kSig1);

  auto key2 = parse_private_key_pem(pkcs8_pem_for_seed(kSeed2));
  ASSERT_TRUE(key2.is_ok()) << key2.status().message();
  const uint8_t msg2 = 0x72;
  auto sig2 = sign(key2.value(), &msg2, 1);
  ASSERT_TRUE(sig2.is_ok()) << sig2.status().message();
  EXPECT_EQ(to_hex(sig2.value().data(), 64), kSig2);

  auto pub2 = parse_public_key(kPub2);
  ASSERT_TRUE(pub2.is_ok()) << pub2.status().message();
  EXPECT_TRUE(verify(pub2.value(), &msg2, 1, from_hex<64>(kSig2)));
  EXPECT_FALSE(verify(pub2.value(), nullptr, 0, from_hex<64>(kSig2)));
}

TEST(Ed25519, SignVerifyAndTamperDetection) {
  PrivateKey key = new_key();
  ASSERT_TRUE(key.valid());
  const PublicKey pub = key.public_key();
  std::string msg = "VIGIL DAT v1\nmain.ndb\n" + std::string(1000, 'x');
  auto sig = sign(key, bytes(msg), msg.size());
  ASSERT_TRUE(sig.is_ok()) << sig.status().message();
  EXPECT_TRUE(verify(pub, bytes(msg), msg.size(), sig.value()));

  std::string flipped_msg = msg;
  flipped_msg[7] ^= 0x01;
  EXPECT_FALSE(verify(pub, bytes(flipped_msg), flipped_msg.size(), sig.value()));
  EXPECT_FALSE(verify(pub, bytes(msg), msg.size() - 1, sig.value()));

  for (size_t bit : {size_t{0}, size_t{255}, size_t{256}, size_t{511}}) {
    Ed25519Signature bad = sig.value();
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(pub, bytes(msg), msg.size(), bad)) << "bit " << bit;
  }

  PrivateKey other = new_key();
  EXPECT_FALSE(verify(other.public_key(), bytes(msg), msg.size(), sig.value()));
  EXPECT_FALSE(verify(PublicKey{}, bytes(msg), msg.size(), sig.value()));
}

TEST(Ed25519, KeyIdIsSha256OfRawPublicKey) {
  PrivateKey a = new_key();
  PrivateKey b = new_key();
  const PublicKey pa = a.public_key();
  const PublicKey pb = b.public_key();
  EXPECT_EQ(pa.id(), sha256(pa.raw.data(), pa.raw.size()));
  EXPECT_NE(pa.raw, pb.raw);
  EXPECT_NE(pa.id(), pb.id());
  std::string hex = key_id_hex(pa.id());
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);

  // `echo -n <kPub1> | xxd -r -p | openssl dgst -sha256`
  auto pub1 = parse_public_key(kPub1);
  ASSERT_TRUE(pub1.is_ok());
  EXPECT_EQ(key_id_hex(pub1.value().id()),
            "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
}

TEST(Ed25519, PrivateKeyPemRoundTrip) {
  PrivateKey key = new_key();
  auto pem = private_key_pem(key);
  ASSERT_TRUE(pem.is_ok()) << pem.status().message();
  EXPECT_EQ(pem.value().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << pem.value();
  auto back = parse_private_key_pem(pem.value());
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back.value().public_key().raw, key.public_key().raw);
  // Ed25519 is deterministic: the same key signs the same message identically.
  auto s1 = sign(key, bytes("m"), 1);
  auto s2 = sign(back.value(), bytes("m"), 1);
  ASSERT_TRUE(s1.is_ok() && s2.is_ok());
  EXPECT_EQ(s1.value(), s2.value());
}

TEST(Ed25519, PublicKeyPemRoundTripAndMatchesOpenSsl) {
  auto key = parse_private_key_pem(pkcs8_pem_for_seed(kSeed1));
  ASSERT_TRUE(key.is_ok());
  const PublicKey pub = key.value().public_key();
  std::string pem = public_key_pem(pub);
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u) << pem;
  auto back = parse_public_key(pem);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back.value().raw, pub.raw);

  PkeyPtr ossl(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.raw.data(), 32));
  ASSERT_TRUE(ossl);
  EXPECT_EQ(pem, openssl_pem(ossl.get(), PemKind::kPublic));
}

TEST(Ed25519, HexPublicKeyAccepted) {
  for (std::string text : {std::string(kPub1), "  \n" + std::string(kPub1) + "\r\n\t", [] {
                             std::string s(kPub1);
                             for (char& c : s) c = static_cast<char>(toupper(c));
                             return s;
                           }()}) {
    auto pub = parse_public_key(text);
    ASSERT_TRUE(pub.is_ok()) << text << ": " << pub.status().message();
    EXPECT_EQ(pub.value().raw, from_hex<32>(kPub1));
  }
}

TEST(Ed25519, WrongLengthHexRejected) {
  for (const std::string& text :
       {std::string(kPub1.substr(0, 62)), std::string("00"), std::string(kPub1) + "00"}) {
    auto pub = parse_public_key(text);
    ASSERT_FALSE(pub.is_ok()) << text;
    EXPECT_EQ(pub.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
    EXPECT_NE(pub.status().message().find("not a PEM public key or 64 hex digits"),
              std::string::npos)
        << pub.status().message();
  }
}

TEST(Ed25519, RsaKeysRejected) {
  PkeyPtr rsa(EVP_RSA_gen(1024));
  ASSERT_TRUE(rsa);
  auto priv = parse_private_key_pem(openssl_pem(rsa.get(), PemKind::kPrivate));
  ASSERT_FALSE(priv.is_ok());
  EXPECT_EQ(priv.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(priv.status().message(), "not an Ed25519 key (RSA)");

  auto pub = parse_public_key(openssl_pem(rsa.get(), PemKind::kPublic));
  ASSERT_FALSE(pub.is_ok());
  EXPECT_EQ(pub.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(pub.status().message(), "not an Ed25519 key (RSA)");
}

TEST(Ed25519, GarbageTruncatedAndMisplacedPemRejected) {
  PrivateKey key = new_key();
  std::string priv_pem = private_key_pem(key).value();
  std::string pub_pem = public_key_pem(key.public_key());

  struct Case {
    std::string text;
    bool as_private;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", true, "not a PEM private key"},
      {"hello world", true, "not a PEM private key"},
      {priv_pem.substr(0, priv_pem.size() / 2), true, "not a PEM private key"},
      {pub_pem, true, "not a PEM private key"},
      {"", false, "not a PEM public key or 64 hex digits"},
      {"hello world", false, "not a PEM public key or 64 hex digits"},
      {pub_pem.substr(0, pub_pem.size() - 30), false, "not a PEM public key or 64 hex digits"},
      {std::string(kPub1.substr(0, 63)) + "g", false, "not a PEM public key or 64 hex digits"},
      {priv_pem, false, "a private key where a public key was expected"},
  };
  for (const Case& c : cases) {
    common::Status st =
        c.as_private ? parse_private_key_pem(c.text).status() : parse_public_key(c.text).status();
    EXPECT_EQ(st.code(), VIGIL_ERR_INVALID_ARGUMENT) << c.text;
    EXPECT_EQ(st.message().rfind(c.message, 0), 0u) << c.text << " -> " << st.message();
    // Nothing is left in OpenSSL's error queue for a later call to trip over.
    EXPECT_EQ(ERR_peek_error(), 0u) << c.text;
  }
}

TEST(Ed25519, EncryptedPrivateKeyRejectedWithoutPrompting) {
  auto key = parse_private_key_pem(pkcs8_pem_for_seed(kSeed1));
  ASSERT_TRUE(key.is_ok());
  PkeyPtr ossl(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, from_hex<32>(kSeed1).data(), 32));
  ASSERT_TRUE(ossl);
  std::string pem = openssl_pem(ossl.get(), PemKind::kEncryptedPrivate);
  ASSERT_NE(pem.find("ENCRYPTED"), std::string::npos);
  auto parsed = parse_private_key_pem(pem);
  ASSERT_FALSE(parsed.is_ok());
  EXPECT_EQ(parsed.status().code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(parsed.status().message(), "encrypted private keys are not supported");
}

TEST(Ed25519, EmptyAndMovedFromKeys) {
  PrivateKey empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_EQ(empty.public_key().raw, PublicKey{}.raw);
  EXPECT_EQ(sign(empty, bytes("m"), 1).status().code(), VIGIL_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(private_key_pem(empty).status().code(), VIGIL_ERR_INVALID_ARGUMENT);

  PrivateKey a = new_key();
  const PublicKey pub = a.public_key();
  PrivateKey b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  ASSERT_TRUE(b.valid());
  EXPECT_EQ(b.public_key().raw, pub.raw);
  EXPECT_EQ(sign(b, nullptr, 1).status().code(), VIGIL_ERR_INVALID_ARGUMENT);
}

TEST(Ed25519, OneKeySignsOnManyThreads) {
  PrivateKey key = new_key();
  const PublicKey pub = key.public_key();
  std::vector<std::thread> threads;
  std::vector<int> good(8, 0);
  for (size_t t = 0; t < good.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string msg = std::to_string(t) + ":" + std::to_string(i);
        auto sig = sign(key, bytes(msg), msg.size());
        if (sig.is_ok() && verify(pub, bytes(msg), msg.size(), sig.value())) ++good[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int g : good) EXPECT_EQ(g, 50);
}

}  // namespace
}  // namespace vigil::dat
