#include "sluice/auth/scram_crypto.hpp"

#include "sluice/auth/saslprep.hpp"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sluice/auth/base64.hpp"

namespace sluice::auth {
namespace {

constexpr std::string_view client_key_label = "Client Key";
constexpr std::string_view server_key_label = "Server Key";

}  // namespace

std::optional<ScramKey> sha256(std::span<const std::uint8_t> data) {
  ScramKey digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

std::optional<ScramKey> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data) {
  ScramKey mac{};
  unsigned int length = 0;
  const auto* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  if (result == nullptr || length != mac.size()) return std::nullopt;
  return mac;
}

std::optional<ScramKey> scram_salted_password(std::string_view password, std::string_view salt,
                                              int iterations) {
  if (iterations < 1 || iterations > max_scram_iterations) return std::nullopt;
  const std::string prepared = saslprep_or_raw(password);
  ScramKey salted{};
  const int ok = PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                                   reinterpret_cast<const unsigned char*>(salt.data()),
                                   static_cast<int>(salt.size()), iterations, EVP_sha256(),
                                   static_cast<int>(salted.size()), salted.data());
  if (ok != 1) return std::nullopt;
  return salted;
}

std::optional<ScramKey> scram_client_key(const ScramKey& salted_password) {
  return hmac_sha256(salted_password, client_key_label);
}

std::optional<ScramKey> scram_server_key(const ScramKey& salted_password) {
  return hmac_sha256(salted_password, server_key_label);
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  // Lengths are public (fixed by the protocol); only the contents need hiding.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<ScramKey> decode_scram_key(std::string_view base64) {
  const auto bytes = base64_decode(base64);
  if (!bytes || bytes->size() != scram_key_length) return std::nullopt;
  ScramKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

ScramKey xor_keys(const ScramKey& a, const ScramKey& b) {
  ScramKey out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = a[i] ^ b[i];
  return out;
}

}  // namespace sluice::auth
