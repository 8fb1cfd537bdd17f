#include "sluice/auth/cleartext_password.hpp"

#include <span>
#include <string>

#include "sluice/auth/md5.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/auth/scram_secret.hpp"

namespace sluice::auth {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

bool matches_native_hash(std::string_view stored, std::string_view password) {
  const auto expected = parse_mysql_native_password_hash(stored);
  const auto stage2 = mysql_native_stage2(password);
  return expected && stage2 && constant_time_equal(*expected, *stage2);
}

bool matches_md5_hash(std::string_view stored, std::string_view user, std::string_view password) {
  const std::string candidate = pg_md5_password(password, user);
  // An MD5 failure (a FIPS-only provider) leaves a bare "md5": never a match.
  return candidate.size() == md5_hash_length && constant_time_equal(as_bytes(candidate), as_bytes(stored));
}

bool matches_scram_verifier(std::string_view stored, std::string_view password) {
  const auto secret = parse_scram_verifier(stored);
  if (!secret) return false;
  const auto candidate = try_make_scram_secret(password, secret->salt, secret->iterations);
  return candidate && constant_time_equal(candidate->stored_key, secret->stored_key) &&
         constant_time_equal(candidate->server_key, secret->server_key);
}

}  // namespace

bool verify_cleartext_password(std::string_view stored, std::string_view user, std::string_view password) {
  if (stored.empty()) return password.empty();
  if (password.empty()) return false;
  if (is_mysql_native_password_hash(stored)) return matches_native_hash(stored, password);
  if (is_md5_hash(stored)) return matches_md5_hash(stored, user, password);
  if (stored.starts_with(scram_verifier_prefix)) return matches_scram_verifier(stored, password);
  return constant_time_equal(as_bytes(stored), as_bytes(password));
}

}  // namespace sluice::auth
