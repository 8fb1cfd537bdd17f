#include "sluice/auth/scram_secret.hpp"

#include <climits>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sluice/auth/base64.hpp"
#include "sluice/auth/scram_attributes.hpp"

namespace sluice::auth {
namespace {

// Splits "left<sep>right" at the first sep; nullopt if sep is absent.
std::optional<std::pair<std::string_view, std::string_view>> split_once(std::string_view text,
                                                                       char sep) {
  const std::size_t at = text.find(sep);
  if (at == std::string_view::npos) return std::nullopt;
  return std::pair{text.substr(0, at), text.substr(at + 1)};
}

}  // namespace

std::optional<ScramSecret> parse_scram_verifier(std::string_view text) {
  if (!text.starts_with(scram_verifier_prefix)) return std::nullopt;
  text.remove_prefix(scram_verifier_prefix.size());
  // <iter>:<salt>$<StoredKey>:<ServerKey>; none of the parts may contain '$' or ':'.
  const auto halves = split_once(text, '$');
  if (!halves) return std::nullopt;
  const auto iteration_and_salt = split_once(halves->first, ':');
  const auto keys = split_once(halves->second, ':');
  if (!iteration_and_salt || !keys) return std::nullopt;

  ScramSecret secret;
  const auto iterations = parse_scram_iterations(iteration_and_salt->first);
  auto salt = base64_decode(iteration_and_salt->second);
  const auto stored_key = decode_scram_key(keys->first);
  const auto server_key = decode_scram_key(keys->second);
  if (!iterations || !salt || salt->empty() || !stored_key || !server_key) return std::nullopt;
  secret.iterations = *iterations;
  secret.salt = std::move(*salt);
  secret.stored_key = *stored_key;
  secret.server_key = *server_key;
  return secret;
}

std::string format_scram_verifier(const ScramSecret& secret) {
  std::string text(scram_verifier_prefix);
  text += std::to_string(secret.iterations);
  text += ':';
  text += base64_encode(secret.salt);
  text += '$';
  text += base64_encode(secret.stored_key);
  text += ':';
  text += base64_encode(secret.server_key);
  return text;
}

std::optional<ScramSecret> try_make_scram_secret(std::string_view password,
                                                 std::string_view raw_salt, int iterations) {
  auto salted = scram_salted_password(password, raw_salt, iterations);
  if (!salted) return std::nullopt;
  const auto client_key = scram_client_key(*salted);
  const auto server_key = scram_server_key(*salted);
  OPENSSL_cleanse(salted->data(), salted->size());
  if (!client_key || !server_key) return std::nullopt;
  const auto stored_key = sha256(*client_key);
  if (!stored_key) return std::nullopt;
  return ScramSecret{iterations, std::string(raw_salt), *stored_key, *server_key};
}

ScramSecret make_scram_secret(std::string_view password, std::string_view raw_salt,
                              int iterations) {
  if (auto secret = try_make_scram_secret(password, raw_salt, iterations)) return *secret;
  return ScramSecret{iterations, std::string(raw_salt), {}, {}};
}

std::optional<ScramKey> recover_client_key(const ScramSecret& secret, std::string_view auth_message,
                                           const ScramKey& client_proof) {
  const auto client_signature = hmac_sha256(secret.stored_key, auth_message);
  if (!client_signature) return std::nullopt;
  const ScramKey client_key = xor_keys(client_proof, *client_signature);
  const auto stored_key = sha256(client_key);
  if (!stored_key || !constant_time_equal(*stored_key, secret.stored_key)) return std::nullopt;
  return client_key;
}

std::string random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  const std::span<std::uint8_t> view(reinterpret_cast<std::uint8_t*>(bytes.data()), n);
  if (!random_fill(view)) return {};
  return bytes;
}

bool random_fill(std::span<std::uint8_t> out) {
  if (out.empty()) return true;
  if (out.size() > static_cast<std::size_t>(INT_MAX)) return false;
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

ScramSecret mock_scram_secret(std::string_view user, std::span<const std::uint8_t> key) {
  ScramSecret secret;
  const auto salt = hmac_sha256(key, "salt:" + std::string(user));
  if (salt) secret.salt.assign(reinterpret_cast<const char*>(salt->data()), 16);  // PostgreSQL's salt length
  if (auto stored = hmac_sha256(key, "stored:" + std::string(user))) secret.stored_key = *stored;
  if (auto server = hmac_sha256(key, "server:" + std::string(user))) secret.server_key = *server;
  return secret;
}

}  // namespace sluice::auth
