#pragma once

// MySQL's mysql_native_password (MySQL docs: "Native Authentication"), over OpenSSL EVP.
//
//   stage1   = SHA1(password)
//   stage2   = SHA1(stage1)                       what mysql.user stores, as "*" + 40 hex digits
//   response = stage1 XOR SHA1(scramble + stage2) what the client sends for a 20-byte scramble
//
// A server holding stage2 checks a response by undoing the XOR and hashing what it finds. An
// empty password is an empty response and an empty stored hash.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

inline constexpr std::size_t sha1_length = 20;
using Sha1Digest = std::array<std::uint8_t, sha1_length>;

inline constexpr std::size_t mysql_native_hash_length = 41;  // "*" + 40 hex digits
inline constexpr char mysql_native_hash_prefix = '*';

std::optional<Sha1Digest> sha1(std::string_view data);

// stage2 of a password.
std::optional<Sha1Digest> mysql_native_stage2(std::string_view password);

// What MySQL's PASSWORD() returned and mysql.user stores: "*" + 40 uppercase hex digits of
// stage2; "" for the empty password, or if OpenSSL fails.
std::string mysql_native_password_hash(std::string_view password);

// True for "*" + 40 hex digits (either case, as MySQL accepts them in IDENTIFIED BY PASSWORD).
bool is_mysql_native_password_hash(std::string_view text);
std::optional<Sha1Digest> parse_mysql_native_password_hash(std::string_view text);

// The client's answer to `scramble` (20 bytes; a trailing NUL from an AuthSwitchRequest must
// already be dropped): "" for an empty password, nullopt if OpenSSL fails.
std::optional<std::string> mysql_native_password_scramble(std::string_view password, std::string_view scramble);

// Server side: does `response` answer `scramble` for the password whose stage2 is given?
// Constant time in the response's contents.
bool verify_mysql_native_password(const Sha1Digest& stage2, std::string_view scramble, std::string_view response);

// The same against what a configuration holds: a "*..." hash, or a plain password. An empty
// stored value accepts only the empty response.
bool verify_mysql_native_password(std::string_view stored, std::string_view scramble, std::string_view response);

}  // namespace sluice::auth
