#pragma once

// MariaDB's ed25519 authentication (client plugin "client_ed25519", server plugin "ed25519"),
// server side: Sluice checks a client's signature; over OpenSSL EVP.
//
// The server sends a 32-byte random nonce; the client signs it with an Ed25519 key made from
// its password and sends the 64-byte signature. MariaDB's key differs from RFC 8032's in one
// place: the 64 bytes hashed into the secret scalar and the nonce prefix are SHA-512 of the
// password itself (any length), where RFC 8032 hashes a 32-byte seed. mysql.user stores the
// public key as 43 characters of unpadded base64 (SELECT ed25519_password('...')).
//
// Verifying is plain Ed25519, which OpenSSL does. Deriving the public key from a password
// needs a scalar multiplication by an arbitrary scalar, which OpenSSL's Ed25519 API does not
// offer (it takes the seed, not the scalar); X25519 does, on the Montgomery form, and gives
// the point's y coordinate but not the sign of x. So a plain password yields two candidate
// keys, A and -A; a signature that verifies under either proves knowledge of the password
// (signing for -A needs the same secret scalar, negated). Signing as a client (Sluice's backend
// logins) is client_ed25519_signature.hpp's, over libsodium: OpenSSL cannot sign with a bare scalar.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

inline constexpr std::size_t ed25519_public_key_length = 32;
inline constexpr std::size_t ed25519_signature_length = 64;
inline constexpr std::size_t client_ed25519_nonce_length = 32;
inline constexpr std::size_t ed25519_password_hash_length = 43;  // unpadded base64 of 32 bytes

using Ed25519PublicKey = std::array<std::uint8_t, ed25519_public_key_length>;

// mysql.user's value for the ed25519 plugin, and back.
std::optional<Ed25519PublicKey> parse_ed25519_password_hash(std::string_view text);
std::string format_ed25519_password_hash(const Ed25519PublicKey& key);

// Plain Ed25519 (RFC 8032) verification.
bool verify_ed25519_signature(const Ed25519PublicKey& key, std::string_view message, std::string_view signature);

// The two keys a password can stand for under MariaDB's derivation: A and -A. nullopt if
// OpenSSL fails.
std::optional<std::array<Ed25519PublicKey, 2>> ed25519_public_key_candidates(std::string_view password);

// Server side, given the plain password (Sluice's configuration). With the stored public key,
// use verify_ed25519_signature(key, nonce, signature).
bool verify_client_ed25519_password(std::string_view password, std::string_view nonce, std::string_view signature);

}  // namespace sluice::auth
