#include "sluice/auth/mysql_native_password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace sluice::auth {
namespace {

constexpr std::string_view upper_hex = "0123456789ABCDEF";

std::optional<std::uint8_t> hex_value(char digit) {
  if (digit >= '0' && digit <= '9') return static_cast<std::uint8_t>(digit - '0');
  if (digit >= 'A' && digit <= 'F') return static_cast<std::uint8_t>(digit - 'A' + 10);
  if (digit >= 'a' && digit <= 'f') return static_cast<std::uint8_t>(digit - 'a' + 10);
  return std::nullopt;
}

std::string_view as_text(const Sha1Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// SHA1(scramble + stage2): the mask the client's stage1 is XORed with.
std::optional<Sha1Digest> scramble_mask(std::string_view scramble, const Sha1Digest& stage2) {
  std::string input(scramble);
  input.append(as_text(stage2));
  return sha1(input);
}

}  // namespace

std::optional<Sha1Digest> sha1(std::string_view data) {
  Sha1Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1 ||
      length != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

std::optional<Sha1Digest> mysql_native_stage2(std::string_view password) {
  const auto stage1 = sha1(password);
  if (!stage1) return std::nullopt;
  return sha1(as_text(*stage1));
}

std::string mysql_native_password_hash(std::string_view password) {
  if (password.empty()) return {};
  const auto stage2 = mysql_native_stage2(password);
  if (!stage2) return {};
  std::string hash(1, mysql_native_hash_prefix);
  for (const std::uint8_t byte : *stage2) {
    hash.push_back(upper_hex[byte >> 4]);
    hash.push_back(upper_hex[byte & 0x0F]);
  }
  return hash;
}

bool is_mysql_native_password_hash(std::string_view text) { return parse_mysql_native_password_hash(text).has_value(); }

std::optional<Sha1Digest> parse_mysql_native_password_hash(std::string_view text) {
  if (text.size() != mysql_native_hash_length || text[0] != mysql_native_hash_prefix) return std::nullopt;
  Sha1Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const auto high = hex_value(text[1 + 2 * i]);
    const auto low = hex_value(text[2 + 2 * i]);
    if (!high || !low) return std::nullopt;
    digest[i] = static_cast<std::uint8_t>((*high << 4) | *low);
  }
  return digest;
}

std::optional<std::string> mysql_native_password_scramble(std::string_view password, std::string_view scramble) {
  if (password.empty()) return std::string();
  const auto stage1 = sha1(password);
  const auto stage2 = stage1 ? sha1(as_text(*stage1)) : std::nullopt;
  const auto mask = stage2 ? scramble_mask(scramble, *stage2) : std::nullopt;
  if (!mask) return std::nullopt;
  std::string response(sha1_length, '\0');
  for (std::size_t i = 0; i < sha1_length; ++i) response[i] = static_cast<char>((*stage1)[i] ^ (*mask)[i]);
  return response;
}

bool verify_mysql_native_password(const Sha1Digest& stage2, std::string_view scramble, std::string_view response) {
  if (response.size() != sha1_length) return false;
  const auto mask = scramble_mask(scramble, stage2);
  if (!mask) return false;
  // The client's stage1, if it knows the password; its SHA1 must be the stored stage2.
  std::string candidate(sha1_length, '\0');
  for (std::size_t i = 0; i < sha1_length; ++i) {
    candidate[i] = static_cast<char>(static_cast<std::uint8_t>(response[i]) ^ (*mask)[i]);
  }
  const auto candidate_stage2 = sha1(candidate);
  OPENSSL_cleanse(candidate.data(), candidate.size());
  return candidate_stage2 && CRYPTO_memcmp(candidate_stage2->data(), stage2.data(), sha1_length) == 0;
}

bool verify_mysql_native_password(std::string_view stored, std::string_view scramble, std::string_view response) {
  if (stored.empty()) return response.empty();
  const auto stage2 = is_mysql_native_password_hash(stored) ? parse_mysql_native_password_hash(stored)
                                                            : mysql_native_stage2(stored);
  return stage2 && verify_mysql_native_password(*stage2, scramble, response);
}

}  // namespace sluice::auth
