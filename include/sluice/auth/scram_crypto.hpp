#pragma once

// SCRAM-SHA-256 primitives (RFC 5802 §3) over OpenSSL. Every function reports an OpenSSL
// failure as nullopt/false instead of yielding a zeroed key that might compare equal.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::auth {

inline constexpr std::size_t scram_key_length = 32;  // SHA-256 output size
using ScramKey = std::array<std::uint8_t, scram_key_length>;

// Upper bound on PBKDF2 rounds we will run or accept. A backend picks the count and the key
// is derived on an I/O thread during backend login, so the cap bounds what a hostile or
// misconfigured server can stall: ~1-3 s at this cap (PostgreSQL's default is 4096).
inline constexpr int max_scram_iterations = 1'000'000;

std::optional<ScramKey> sha256(std::span<const std::uint8_t> data);
std::optional<ScramKey> hmac_sha256(std::span<const std::uint8_t> key, std::string_view data);

// SaltedPassword := Hi(SASLprep(password), salt, i). nullopt if i is outside [1,
// max_scram_iterations]. SASLprep as PostgreSQL applies it (saslprep.hpp).
std::optional<ScramKey> scram_salted_password(std::string_view password, std::string_view salt,
                                              int iterations);

// ClientKey := HMAC(SaltedPassword, "Client Key"); ServerKey := HMAC(SaltedPassword, "Server Key").
std::optional<ScramKey> scram_client_key(const ScramKey& salted_password);
std::optional<ScramKey> scram_server_key(const ScramKey& salted_password);

// Equality that takes the same time wherever the first difference is (proofs, signatures).
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// Base64 text that decodes to exactly one key (proofs, signatures, verifier keys).
std::optional<ScramKey> decode_scram_key(std::string_view base64);

ScramKey xor_keys(const ScramKey& a, const ScramKey& b);

}  // namespace sluice::auth
