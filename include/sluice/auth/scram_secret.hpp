#pragma once

// A SCRAM-SHA-256 verifier, as PostgreSQL stores it in pg_authid.rolpassword.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/auth/scram_crypto.hpp"

namespace sluice::auth {

inline constexpr std::string_view scram_verifier_prefix = "SCRAM-SHA-256$";
inline constexpr int default_scram_iterations = 4096;  // PostgreSQL's scram_iterations default
inline constexpr std::size_t default_scram_salt_length = 16;  // PostgreSQL's SCRAM_DEFAULT_SALT_LEN

struct ScramSecret {
  int iterations = default_scram_iterations;
  std::string salt;  // raw bytes
  ScramKey stored_key{};
  ScramKey server_key{};
};

// Parses "SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>"; nullopt if any
// part is missing, not canonical base64, a key is not 32 bytes, or iterations are out of
// [1, max_scram_iterations].
std::optional<ScramSecret> parse_scram_verifier(std::string_view text);

// The inverse of parse_scram_verifier, in PostgreSQL's exact spelling.
std::string format_scram_verifier(const ScramSecret& secret);

// Derives a secret; nullopt if iterations are out of range or OpenSSL fails.
std::optional<ScramSecret> try_make_scram_secret(std::string_view password,
                                                 std::string_view raw_salt, int iterations);

// As try_make_scram_secret, but on failure returns a secret with all-zero keys, which
// ScramServerExchange refuses, so a failed derivation can never authenticate anyone.
ScramSecret make_scram_secret(std::string_view password, std::string_view raw_salt,
                              int iterations);

// SCRAM pass-through's first half: the ClientKey a client's proof reveals to whoever holds the
// verifier, ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage). nullopt unless
// H(ClientKey) == StoredKey (the proof is wrong) or OpenSSL fails. The comparison takes the same
// time wherever the first difference is.
std::optional<ScramKey> recover_client_key(const ScramSecret& secret, std::string_view auth_message,
                                           const ScramKey& client_proof);

// What an unknown user's SCRAM exchange runs against, as PostgreSQL's mock authentication: the
// salt is derived from the user name and a key of the process's (the same on every attempt,
// as a real user's is) and the keys match no password, so the exchange fails only at the
// client's proof, where a wrong password fails: nobody can tell which names exist.
ScramSecret mock_scram_secret(std::string_view user, std::span<const std::uint8_t> key);

// n cryptographically random bytes, or an empty string if the OpenSSL RNG fails
// (callers treat empty as failure whenever n > 0).
std::string random_bytes(std::size_t n);

// Fills `out` with cryptographically random bytes; false (contents unspecified) if the RNG
// fails. Prefer this for fixed-size values (salts, cancel keys): the failure is hard to miss.
[[nodiscard]] bool random_fill(std::span<std::uint8_t> out);

}  // namespace sluice::auth
