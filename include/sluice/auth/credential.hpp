#pragma once

// What the configuration's `users.X.password` string means, decided once at config load.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/auth/scram_secret.hpp"

namespace sluice::auth {

enum class PasswordKind { plain, md5, scram };

struct Credential {
  PasswordKind kind = PasswordKind::plain;
  std::string text;   // plain password, or "md5..." hash, or the verifier text
  ScramSecret scram;  // parsed verifier, or (for plain) derived once with a random salt
};

// Classifies a configured password the way PostgreSQL's get_password_type does: "md5" + 32
// lowercase hex is an md5 hash, "SCRAM-SHA-256$..." a verifier, anything else plain text.
// nullopt if the text starts like a verifier but does not parse (a typo must not silently
// become a plain password), if it is empty (PostgreSQL never accepts an empty password),
// or if the RNG fails while salting a plain password. `user` is not needed to classify
// (md5 hashes already embed it); it is accepted so callers need not change if that does.
std::optional<Credential> make_credential(std::string_view configured, std::string_view user);

// Checks a client's PasswordMessage for AuthenticationMD5Password(salt). Only plain and md5
// credentials can answer md5; a scram credential returns false.
bool verify_md5_response(const Credential& credential, std::string_view user,
                         std::span<const std::uint8_t, 4> salt, std::string_view response);

}  // namespace sluice::auth
