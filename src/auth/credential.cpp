#include "sluice/auth/credential.hpp"

#include "sluice/auth/md5.hpp"

namespace sluice::auth {
namespace {

std::optional<Credential> make_plain_credential(std::string_view password) {
  // Derived once at load so every SCRAM login costs no PBKDF2 on our side.
  const std::string salt = random_bytes(default_scram_salt_length);
  if (salt.empty()) return std::nullopt;
  auto secret = try_make_scram_secret(password, salt, default_scram_iterations);
  if (!secret) return std::nullopt;
  return Credential{PasswordKind::plain, std::string(password), std::move(*secret)};
}

}  // namespace

std::optional<Credential> make_credential(std::string_view configured,
                                          [[maybe_unused]] std::string_view user) {
  if (configured.empty()) return std::nullopt;
  if (is_md5_hash(configured)) {
    return Credential{PasswordKind::md5, std::string(configured), ScramSecret{}};
  }
  if (configured.starts_with(scram_verifier_prefix)) {
    auto secret = parse_scram_verifier(configured);
    if (!secret) return std::nullopt;
    return Credential{PasswordKind::scram, std::string(configured), std::move(*secret)};
  }
  return make_plain_credential(configured);
}

bool verify_md5_response(const Credential& credential, std::string_view user,
                         std::span<const std::uint8_t, 4> salt, std::string_view response) {
  std::string expected;
  switch (credential.kind) {
    case PasswordKind::plain:
      expected = pg_md5_salted_response(pg_md5_password(credential.text, user), salt);
      break;
    case PasswordKind::md5:
      expected = pg_md5_salted_response(credential.text, salt);
      break;
    case PasswordKind::scram:
      return false;  // a verifier cannot produce the md5 hash the client salts
  }
  // An MD5 failure (e.g. a FIPS-only provider) leaves a bare "md5"; never match on that.
  if (expected.size() != md5_hash_length) return false;
  const auto as_bytes = [](std::string_view s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()),
                                         s.size());
  };
  return constant_time_equal(as_bytes(expected), as_bytes(response));
}

}  // namespace sluice::auth
