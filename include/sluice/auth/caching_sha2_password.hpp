#pragma once

// MySQL's caching_sha2_password, the fast authentication path (MySQL docs: "caching_sha2_password
// information"), over OpenSSL EVP.
//
//   response = XOR(SHA256(password), SHA256(SHA256(SHA256(password)), scramble))
//
// The server keeps SHA256(SHA256(password)) ("stage2") for users that logged in before; it
// undoes the XOR with SHA256(stage2 + scramble) and hashes what it finds. When it has no cached
// entry it answers AuthMoreData perform_full_authentication, and the client sends its password
// in clear over TLS (or RSA-encrypted): that full path is a session's business, not this file's.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/auth/scram_crypto.hpp"

namespace sluice::auth {

using Sha256Digest = ScramKey;  // 32 bytes

// SHA256(SHA256(password)), what the server caches.
std::optional<Sha256Digest> caching_sha2_stage2(std::string_view password);

// The client's fast-path answer to `scramble` (20 bytes, without a trailing NUL): "" for an
// empty password, nullopt if OpenSSL fails.
std::optional<std::string> caching_sha2_scramble(std::string_view password, std::string_view scramble);

// Server side, given the cached stage2. Constant time in the response's contents.
bool verify_caching_sha2_scramble(const Sha256Digest& stage2, std::string_view scramble, std::string_view response);

// Server side, given the plain password (Sluice's configuration). An empty password accepts
// only the empty response.
bool verify_caching_sha2_password(std::string_view password, std::string_view scramble, std::string_view response);

// The full authentication's answer over TLS: the password and a NUL.
std::string caching_sha2_cleartext_response(std::string_view password);

}  // namespace sluice::auth
