#include "sluice/auth/client_ed25519.hpp"

#include <algorithm>
#include <memory>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sluice/auth/base64.hpp"
#include "sluice/auth/openssl_handles.hpp"

namespace sluice::auth {
namespace {

constexpr std::size_t sha512_length = 64;
constexpr std::size_t scalar_length = 32;
constexpr std::uint8_t sign_bit = 0x80;  // in the last byte of an encoded point: x is odd

using Pkey = PkeyHandle;
using Bignum = BignumHandle;

// MariaDB's secret scalar: the first half of SHA-512(password), clamped as RFC 8032 does.
std::optional<std::array<std::uint8_t, scalar_length>> secret_scalar(std::string_view password) {
  std::array<std::uint8_t, sha512_length> digest{};
  unsigned int length = 0;
  if (EVP_Digest(password.data(), password.size(), digest.data(), &length, EVP_sha512(), nullptr) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  std::array<std::uint8_t, scalar_length> scalar{};
  std::copy(digest.begin(), digest.begin() + scalar_length, scalar.begin());
  OPENSSL_cleanse(digest.data(), digest.size());
  scalar[0] &= 248;
  scalar[31] &= 63;
  scalar[31] |= 64;
  return scalar;
}

// X25519(scalar, 9): the Montgomery u coordinate of scalar * B.
std::optional<std::array<std::uint8_t, scalar_length>> montgomery_u(std::array<std::uint8_t, scalar_length>& scalar) {
  const Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, scalar.data(), scalar.size()));
  OPENSSL_cleanse(scalar.data(), scalar.size());
  std::array<std::uint8_t, scalar_length> u{};
  std::size_t length = u.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), u.data(), &length) != 1 || length != u.size()) {
    return std::nullopt;
  }
  return u;
}

// The birational map to edwards25519: y = (u - 1) / (u + 1) mod 2^255 - 19, little-endian.
std::optional<Ed25519PublicKey> edwards_y(const std::array<std::uint8_t, scalar_length>& u) {
  const BignumContextHandle context(BN_CTX_new());
  const Bignum p(BN_new()), value(BN_lebin2bn(u.data(), static_cast<int>(u.size()), nullptr));
  const Bignum numerator(BN_new()), denominator(BN_new()), y(BN_new());
  if (!context || !p || !value || !numerator || !denominator || !y) return std::nullopt;
  Ed25519PublicKey encoded{};
  const bool ok = BN_set_bit(p.get(), 255) && BN_sub_word(p.get(), 19) &&
                  BN_mod_sub(numerator.get(), value.get(), BN_value_one(), p.get(), context.get()) &&
                  BN_mod_add(denominator.get(), value.get(), BN_value_one(), p.get(), context.get()) &&
                  BN_mod_inverse(denominator.get(), denominator.get(), p.get(), context.get()) &&
                  BN_mod_mul(y.get(), numerator.get(), denominator.get(), p.get(), context.get()) &&
                  BN_bn2lebinpad(y.get(), encoded.data(), static_cast<int>(encoded.size())) ==
                      static_cast<int>(encoded.size());
  if (!ok) return std::nullopt;
  return encoded;
}

}  // namespace

std::optional<Ed25519PublicKey> parse_ed25519_password_hash(std::string_view text) {
  if (text.size() != ed25519_password_hash_length) return std::nullopt;
  const auto bytes = base64_decode(std::string(text) + "=");
  if (!bytes || bytes->size() != ed25519_public_key_length) return std::nullopt;
  Ed25519PublicKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string format_ed25519_password_hash(const Ed25519PublicKey& key) {
  std::string text = base64_encode(key);
  text.pop_back();  // the one '=' of 32 bytes: MariaDB stores it without
  return text;
}

bool verify_ed25519_signature(const Ed25519PublicKey& key, std::string_view message, std::string_view signature) {
  if (signature.size() != ed25519_signature_length) return false;
  const Pkey public_key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  const DigestContextHandle context(EVP_MD_CTX_new());
  if (!public_key || !context) return false;
  if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, public_key.get()) != 1) return false;
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::optional<std::array<Ed25519PublicKey, 2>> ed25519_public_key_candidates(std::string_view password) {
  auto scalar = secret_scalar(password);
  const auto u = scalar ? montgomery_u(*scalar) : std::nullopt;
  const auto y = u ? edwards_y(*u) : std::nullopt;
  if (!y) return std::nullopt;
  std::array<Ed25519PublicKey, 2> candidates{*y, *y};
  candidates[1][ed25519_public_key_length - 1] |= sign_bit;
  return candidates;
}

bool verify_client_ed25519_password(std::string_view password, std::string_view nonce, std::string_view signature) {
  if (password.empty()) return false;
  const auto candidates = ed25519_public_key_candidates(password);
  return candidates && (verify_ed25519_signature((*candidates)[0], nonce, signature) ||
                        verify_ed25519_signature((*candidates)[1], nonce, signature));
}

}  // namespace sluice::auth
