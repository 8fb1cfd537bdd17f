#pragma once

// PostgreSQL's md5 password method (protocol docs: AuthenticationMD5Password).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::auth {

inline constexpr std::string_view md5_prefix = "md5";
inline constexpr std::size_t md5_hash_length = 35;  // "md5" + 32 lowercase hex digits

// Lowercase hex MD5 of data.
std::string md5_hex(std::string_view data);

// What pg_authid stores: "md5" + md5_hex(password + user).
std::string pg_md5_password(std::string_view password, std::string_view user);

// The PasswordMessage a client sends for AuthenticationMD5Password(salt), given the stored
// hash: "md5" + md5_hex(hash_without_prefix + salt). A hash without the "md5" prefix is used whole.
std::string pg_md5_salted_response(std::string_view stored_md5_hash,
                                   std::span<const std::uint8_t, 4> salt);

// True for exactly "md5" + 32 lowercase hex digits, PostgreSQL's own test for a stored hash.
bool is_md5_hash(std::string_view text);

}  // namespace sluice::auth
