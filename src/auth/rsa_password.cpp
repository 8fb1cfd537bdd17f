#include "sluice/auth/rsa_password.hpp"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "sluice/auth/openssl_handles.hpp"

namespace sluice::auth {
namespace {

// MySQL's servers send "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo), as
// `caching_sha2_password_public_key_path` holds it; only an RSA key will do.
PkeyHandle read_rsa_public_key(std::string_view pem) {
  const BioHandle bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  PkeyHandle key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return nullptr;
  return key;
}

}  // namespace

std::string scramble_masked_password(std::string_view password, std::string_view scramble) {
  std::string masked(password);
  masked.push_back('\0');
  if (scramble.empty()) return masked;
  for (std::size_t i = 0; i < masked.size(); ++i) masked[i] ^= scramble[i % scramble.size()];
  return masked;
}

std::optional<std::string> rsa_encrypted_password(std::string_view public_key_pem, std::string_view password,
                                                  std::string_view scramble) {
  if (scramble.empty()) return std::nullopt;
  const PkeyHandle key = read_rsa_public_key(public_key_pem);
  if (!key) return std::nullopt;
  const PkeyContextHandle context(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!context || EVP_PKEY_encrypt_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_OAEP_PADDING) != 1) {
    return std::nullopt;
  }
  std::string masked = scramble_masked_password(password, scramble);
  const auto* plain = reinterpret_cast<const unsigned char*>(masked.data());
  std::size_t length = 0;
  std::optional<std::string> encrypted;
  // A password too long for the key fails here (OAEP leaves the modulus size less 42 bytes).
  if (EVP_PKEY_encrypt(context.get(), nullptr, &length, plain, masked.size()) == 1) {
    std::string out(length, '\0');
    if (EVP_PKEY_encrypt(context.get(), reinterpret_cast<unsigned char*>(out.data()), &length, plain,
                         masked.size()) == 1) {
      out.resize(length);
      encrypted = std::move(out);
    }
  }
  OPENSSL_cleanse(masked.data(), masked.size());
  return encrypted;
}

}  // namespace sluice::auth
