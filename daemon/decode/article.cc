#include "daemon/decode/article.h"

#include <memory>

#include <openssl/evp.h>

namespace newswatch::decode {

std::string derived_article_id(const std::string& title, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), title.data(), title.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), "\n", 1) == 1 &&
                  EVP_DigestUpdate(ctx.get(), body.data(), body.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest, &digest_len) == 1 && digest_len >= 8;
  // OpenSSL only fails here when it cannot allocate or SHA-256 is unavailable; the id must still
  // be non-empty and deterministic, so fall back to an all-zero digest rather than failing.
  if (!ok) {
    for (unsigned char& b : digest) b = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "sha256:";
  for (int i = 0; i < 8; ++i) {
    id.push_back(kHex[digest[i] >> 4]);
    id.push_back(kHex[digest[i] & 0x0F]);
  }
  return id;
}

}  // namespace newswatch::decode
