#pragma once

// MariaDB's client_ed25519, client side: Sluice logging in to a backend whose user was created
// IDENTIFIED VIA ed25519, with the user's plain password. Over libsodium.
//
// The server sends a 32-byte nonce; the answer is an Ed25519 signature of it (R || S, 64
// bytes) under MariaDB's key: h = SHA-512(password) of any length (RFC 8032 hashes a 32-byte
// seed instead), a = clamp(h[0..32]), A = a·B; r = SHA-512(h[32..64] || nonce) mod L,
// R = r·B, k = SHA-512(R || A || nonce) mod L, S = r + k·a mod L. OpenSSL signs only from a
// seed, not from the scalar a, so this uses libsodium's scalar and point operations (the
// curve arithmetic is theirs; only the composition is here). The server-side check is
// client_ed25519.hpp's verify_client_ed25519_password.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

// The 64-byte answer to `nonce` for `password`; nullopt if libsodium cannot be initialised.
// For a 32-byte password this is RFC 8032's signature with the password as the seed.
std::optional<std::string> client_ed25519_signature(std::string_view password, std::string_view nonce);

}  // namespace sluice::auth
