#include "sluice/auth/caching_sha2_password.hpp"

#include <openssl/crypto.h>

namespace sluice::auth {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::span<const std::uint8_t> bytes_of(const Sha256Digest& digest) { return digest; }

// SHA256(stage2 + scramble): the mask SHA256(password) is XORed with.
std::optional<Sha256Digest> scramble_mask(const Sha256Digest& stage2, std::string_view scramble) {
  std::string input(reinterpret_cast<const char*>(stage2.data()), stage2.size());
  input.append(scramble);
  return sha256(bytes_of(input));
}

}  // namespace

std::optional<Sha256Digest> caching_sha2_stage2(std::string_view password) {
  const auto stage1 = sha256(bytes_of(password));
  if (!stage1) return std::nullopt;
  return sha256(bytes_of(*stage1));
}

std::optional<std::string> caching_sha2_scramble(std::string_view password, std::string_view scramble) {
  if (password.empty()) return std::string();
  const auto stage1 = sha256(bytes_of(password));
  const auto stage2 = stage1 ? sha256(bytes_of(*stage1)) : std::nullopt;
  const auto mask = stage2 ? scramble_mask(*stage2, scramble) : std::nullopt;
  if (!mask) return std::nullopt;
  const Sha256Digest response = xor_keys(*stage1, *mask);
  return std::string(reinterpret_cast<const char*>(response.data()), response.size());
}

bool verify_caching_sha2_scramble(const Sha256Digest& stage2, std::string_view scramble, std::string_view response) {
  if (response.size() != scram_key_length) return false;
  const auto mask = scramble_mask(stage2, scramble);
  if (!mask) return false;
  // The client's SHA256(password), if it knows the password; its SHA256 must be stage2.
  Sha256Digest candidate{};
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    candidate[i] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(response[i]) ^ (*mask)[i]);
  }
  const auto candidate_stage2 = sha256(candidate);
  OPENSSL_cleanse(candidate.data(), candidate.size());
  return candidate_stage2 && constant_time_equal(*candidate_stage2, stage2);
}

bool verify_caching_sha2_password(std::string_view password, std::string_view scramble, std::string_view response) {
  if (password.empty()) return response.empty();
  const auto stage2 = caching_sha2_stage2(password);
  return stage2 && verify_caching_sha2_scramble(*stage2, scramble, response);
}

std::string caching_sha2_cleartext_response(std::string_view password) {
  std::string response(password);
  response.push_back('\0');
  return response;
}

}  // namespace sluice::auth
