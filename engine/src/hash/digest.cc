// One pass over the input feeds every wanted OpenSSL digest, in 1 MiB steps so that a mapped
// file's pages are touched once while still hot in cache.
#include "hash/digest.h"

#include <openssl/evp.h>

#include <memory>

namespace vigil::hash {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxFree>;

const EVP_MD* md_for(size_t type) {
  switch (static_cast<sig::HashType>(type)) {
    case sig::HashType::kMd5:
      return EVP_md5();
    case sig::HashType::kSha1:
      return EVP_sha1();
    case sig::HashType::kSha256:
      return EVP_sha256();
  }
  return nullptr;
}

}  // namespace

common::Status compute_digests(const uint8_t* data, uint64_t size,
                               const std::array<bool, sig::kHashTypes>& want, Digests& out) {
  std::array<CtxPtr, sig::kHashTypes> ctx;
  bool any = false;
  for (size_t t = 0; t < sig::kHashTypes; ++t) {
    if (!want[t] || out.have[t]) continue;
    ctx[t].reset(EVP_MD_CTX_new());
    if (!ctx[t] || EVP_DigestInit_ex(ctx[t].get(), md_for(t), nullptr) != 1) {
      return common::Status(VIGIL_ERR_NOMEM, "cannot initialise digest");
    }
    any = true;
  }
  if (!any) return common::Status::ok();
  constexpr uint64_t kStep = 1 << 20;
  for (uint64_t off = 0; off < size; off += kStep) {
    size_t n = static_cast<size_t>(size - off < kStep ? size - off : kStep);
    for (auto& c : ctx) {
      if (c && EVP_DigestUpdate(c.get(), data + off, n) != 1) {
        return common::Status(VIGIL_ERR_INTERNAL, "digest update failed");
      }
    }
  }
  for (size_t t = 0; t < sig::kHashTypes; ++t) {
    if (!ctx[t]) continue;
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx[t].get(), out.value[t].data(), &len) != 1) {
      return common::Status(VIGIL_ERR_INTERNAL, "digest final failed");
    }
    out.have[t] = true;
  }
  return common::Status::ok();
}

}  // namespace vigil::hash
