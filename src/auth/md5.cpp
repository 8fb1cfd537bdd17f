#include "sluice/auth/md5.hpp"

#include <array>

#include <openssl/evp.h>

namespace sluice::auth {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

}  // namespace

std::string md5_hex(std::string_view data) {
  std::array<unsigned char, 16> digest{};
  unsigned int length = 0;
  // EVP rather than MD5(), which OpenSSL 3 deprecates. Failure (e.g. a FIPS-only provider)
  // yields an empty string, which never equals a real response.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_md5(), nullptr) != 1 ||
      length != digest.size()) {
    return {};
  }
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const unsigned char byte : digest) {
    hex.push_back(hex_digits[byte >> 4]);
    hex.push_back(hex_digits[byte & 0x0F]);
  }
  return hex;
}

std::string pg_md5_password(std::string_view password, std::string_view user) {
  std::string input;
  input.reserve(password.size() + user.size());
  input.append(password).append(user);
  return std::string(md5_prefix) + md5_hex(input);
}

std::string pg_md5_salted_response(std::string_view stored_md5_hash,
                                   std::span<const std::uint8_t, 4> salt) {
  std::string_view hash = stored_md5_hash;
  if (hash.starts_with(md5_prefix)) hash.remove_prefix(md5_prefix.size());
  std::string input(hash);
  input.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return std::string(md5_prefix) + md5_hex(input);
}

bool is_md5_hash(std::string_view text) {
  return text.size() == md5_hash_length && text.starts_with(md5_prefix) &&
         text.find_first_not_of(hex_digits, md5_prefix.size()) == std::string_view::npos;
}

}  // namespace sluice::auth
