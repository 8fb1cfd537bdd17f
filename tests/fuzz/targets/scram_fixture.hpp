// The SCRAM-SHA-256 credentials the fuzz targets authenticate with: RFC 7677's example
// (user "user", password "pencil"), so the seed corpus holds a real, verifying exchange.
// tests/fuzz/make_seeds.py builds its seeds from the same values: change both together.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sluice/auth/base64.hpp"
#include "sluice/auth/scram_attributes.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_crypto.hpp"
#include "sluice/auth/scram_secret.hpp"

namespace sluice::fuzz {

inline constexpr std::string_view kScramPassword = "pencil";
inline constexpr std::string_view kScramSaltBase64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
inline constexpr int kScramIterations = 4096;
inline constexpr std::string_view kScramClientNonce = "rOprNGfwEbeRWgbNEkqO";
inline constexpr std::string_view kScramServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

// A hostile server picks the iteration count, and PBKDF2 runs that many rounds (up to
// max_scram_iterations: minutes of CPU). Above this, targets log in with the derived keys
// instead of the password: the same parsing, without the key derivation.
inline constexpr int kFuzzMaxPasswordIterations = 4096;

struct ScramFixture {
  auth::ScramSecret secret;  // what the server side holds
  auth::ScramKey client_key{};
};

// Derived once per process (PBKDF2 is the slow part), then only read.
inline const ScramFixture& scram_fixture() {
  static const ScramFixture fixture = [] {
    ScramFixture made;
    const auto salt = auth::base64_decode(kScramSaltBase64);
    const auto secret = salt ? auth::try_make_scram_secret(kScramPassword, *salt, kScramIterations) : std::nullopt;
    const auto salted = salt ? auth::scram_salted_password(kScramPassword, *salt, kScramIterations) : std::nullopt;
    const auto client_key = salted ? auth::scram_client_key(*salted) : std::nullopt;
    SLUICE_FUZZ_CHECK(secret && client_key);
    made.secret = *secret;
    made.client_key = *client_key;
    return made;
  }();
  return fixture;
}

// The i= of a server-first-message, if it is the third attribute as required.
inline std::optional<int> peek_iterations(std::string_view server_first) {
  auth::ScramFieldReader reader(server_first);
  for (int field = 0; field < 2; ++field) reader.next_field();
  const auto attribute = reader.next_attribute();
  if (!attribute || attribute->name != 'i') return std::nullopt;
  return auth::parse_scram_iterations(attribute->value);
}

// The client the daemon uses (password), unless server_first would make PBKDF2 too slow
// for a fuzzer; then the pass-through client, which parses the message the same way.
inline auth::ScramClientExchange make_scram_client(std::string_view server_first) {
  const auto iterations = peek_iterations(server_first);
  if (iterations && *iterations > kFuzzMaxPasswordIterations) {
    return auth::ScramClientExchange::from_keys(scram_fixture().client_key, scram_fixture().secret.server_key,
                                                std::string(kScramClientNonce));
  }
  return auth::ScramClientExchange(std::string(kScramPassword), std::string(kScramClientNonce));
}

}  // namespace sluice::fuzz
