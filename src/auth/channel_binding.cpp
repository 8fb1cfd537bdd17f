#include "sluice/auth/channel_binding.hpp"

#include <openssl/evp.h>

namespace sluice::auth {

std::optional<std::vector<std::uint8_t>> tls_server_end_point_hash(const X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  int digest_nid = NID_undef;
  // X509_get_signature_info reads RSA-PSS parameters too, where the signature NID alone
  // would not name the hash.
  if (X509_get_signature_info(const_cast<X509*>(certificate), &digest_nid, nullptr, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  if (digest_nid == NID_md5 || digest_nid == NID_sha1) digest_nid = NID_sha256;
  const EVP_MD* digest = EVP_get_digestbynid(digest_nid);
  if (digest == nullptr) return std::nullopt;
  std::vector<std::uint8_t> hash(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (X509_digest(certificate, digest, hash.data(), &length) != 1) return std::nullopt;
  hash.resize(length);
  return hash;
}

}  // namespace sluice::auth
