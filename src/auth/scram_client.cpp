#include "sluice/auth/scram_client.hpp"

#include <utility>

#include <openssl/crypto.h>

#include "sluice/auth/base64.hpp"
#include "sluice/auth/channel_binding.hpp"
#include "sluice/auth/scram_attributes.hpp"

namespace sluice::auth {
namespace {

constexpr std::size_t client_nonce_bytes = 18;  // as libpq
constexpr std::size_t max_logged_server_error = 128;

bool is_extension(const std::optional<ScramAttribute>& attribute) {
  return attribute && !attribute->value.empty();
}

// A server's e= text goes into our logs; keep it short and free of control bytes.
std::string printable_excerpt(std::string_view text) {
  std::string out(text.substr(0, max_logged_server_error));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E) c = '?';
  }
  return out;
}

}  // namespace

ScramClientExchange::ScramClientExchange(std::string password, std::string client_nonce,
                                         std::string user_name)
    : password_(std::move(password)),
      client_nonce_(std::move(client_nonce)),
      user_name_(std::move(user_name)) {
  // An RNG failure leaves the nonce empty; handle_server_first refuses to go on with it.
  if (client_nonce_.empty()) client_nonce_ = base64_encode(random_bytes(client_nonce_bytes));
}

ScramClientExchange ScramClientExchange::from_keys(ScramKey client_key, ScramKey server_key,
                                                   std::string client_nonce) {
  ScramClientExchange exchange;
  exchange.client_key_ = client_key;
  exchange.server_key_ = server_key;
  exchange.client_nonce_ = std::move(client_nonce);
  if (exchange.client_nonce_.empty()) {
    exchange.client_nonce_ = base64_encode(random_bytes(client_nonce_bytes));
  }
  return exchange;
}

ScramClientExchange ScramClientExchange::from_secret(const ScramSecret& secret,
                                                     ScramKey client_key,
                                                     std::string client_nonce) {
  ScramClientExchange exchange = from_keys(client_key, secret.server_key, std::move(client_nonce));
  exchange.expected_secret_ = secret;
  return exchange;
}

void ScramClientExchange::set_channel_binding(std::vector<std::uint8_t> tls_server_end_point_hash,
                                              bool server_offers_plus) {
  if (tls_server_end_point_hash.empty()) return;  // no hash (e.g. an Ed25519 certificate): cannot bind
  if (!server_offers_plus) {
    gs2_header_ = "y,,";
    return;
  }
  gs2_header_ = "p=" + std::string(tls_server_end_point) + ",,";
  binding_data_.assign(tls_server_end_point_hash.begin(), tls_server_end_point_hash.end());
}

std::string_view ScramClientExchange::mechanism() const {
  return binding_data_.empty() ? std::string_view("SCRAM-SHA-256") : scram_plus_mechanism;
}

std::string ScramClientExchange::client_first_message() {
  client_first_bare_ = "n=" + escape_saslname(user_name_) + ",r=" + client_nonce_;
  if (state_ == State::initial) state_ = State::awaiting_server_first;
  return gs2_header_ + client_first_bare_;
}

std::optional<std::string> ScramClientExchange::handle_server_first(std::string_view message) {
  if (state_ != State::awaiting_server_first) {
    reject("unexpected SCRAM server-first-message");
    return std::nullopt;
  }
  if (!is_valid_scram_nonce(client_nonce_)) {
    reject("could not generate a valid SCRAM client nonce");
    return std::nullopt;
  }
  const auto server_first = parse_server_first(message);
  if (!server_first || !check_expected_secret(*server_first) || !derive_keys(*server_first)) {
    return std::nullopt;
  }
  return build_client_final(message, server_first->nonce);
}

bool ScramClientExchange::verify_server_final(std::string_view message) {
  if (state_ != State::awaiting_server_final) {
    return reject("unexpected SCRAM server-final-message");
  }
  if (!is_acceptable_scram_message(message)) {
    return reject("malformed SCRAM message: too long or contains a NUL byte");
  }
  ScramFieldReader reader(message);
  const auto verifier = reader.next_attribute();
  if (verifier && verifier->name == 'e') {
    return reject("server rejected SCRAM authentication: " + printable_excerpt(verifier->value));
  }
  if (!verifier || verifier->name != 'v') {
    return reject("malformed SCRAM message: expected server signature v=");
  }
  const auto signature = decode_scram_key(verifier->value);
  if (!signature) return reject("malformed SCRAM message: bad server signature");
  while (!reader.at_end()) {
    if (!is_extension(reader.next_attribute())) {
      return reject("malformed SCRAM message: bad attribute after server signature");
    }
  }
  if (!constant_time_equal(*signature, server_signature_)) {
    return reject("SCRAM server signature does not match: the server does not know the password");
  }
  state_ = State::succeeded;
  return true;
}

bool ScramClientExchange::reject(std::string message) {
  error_ = std::move(message);
  state_ = State::failed;
  return false;
}

// server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
auto ScramClientExchange::parse_server_first(std::string_view message)
    -> std::optional<ServerFirst> {
  const auto fail = [this](const char* problem) {
    reject(problem);
    return std::nullopt;
  };
  if (!is_acceptable_scram_message(message)) {
    return fail("malformed SCRAM message: too long or contains a NUL byte");
  }
  ScramFieldReader reader(message);
  const auto nonce = reader.next_attribute();
  if (nonce && nonce->name == 'm') return fail("server requires an unsupported SCRAM extension (m=)");
  if (!nonce || nonce->name != 'r' || !is_valid_scram_nonce(nonce->value)) {
    return fail("malformed SCRAM message: expected nonce r=");
  }
  // The server must append its own part, or it could replay an earlier exchange.
  if (!nonce->value.starts_with(client_nonce_) || nonce->value.size() == client_nonce_.size()) {
    return fail("SCRAM server nonce does not extend the client nonce");
  }
  const auto salt = reader.next_attribute();
  auto salt_bytes = salt && salt->name == 's' ? base64_decode(salt->value) : std::nullopt;
  if (!salt_bytes || salt_bytes->empty()) {
    return fail("malformed SCRAM message: expected base64 salt s=");
  }
  const auto iterations = reader.next_attribute();
  if (!iterations || iterations->name != 'i') {
    return fail("malformed SCRAM message: expected iteration count i=");
  }
  const auto iteration_count = parse_scram_iterations(iterations->value);
  if (!iteration_count) return fail("SCRAM iteration count must be an integer from 1 to 1000000");
  if (*iteration_count > max_iterations_) {
    return fail("SCRAM iteration count above this client's limit");
  }
  while (!reader.at_end()) {
    if (!is_extension(reader.next_attribute())) {
      return fail("malformed SCRAM message: bad attribute after iteration count");
    }
  }
  return ServerFirst{nonce->value, std::move(*salt_bytes), *iteration_count};
}

bool ScramClientExchange::check_expected_secret(const ServerFirst& server_first) {
  if (!expected_secret_) return true;
  if (server_first.salt != expected_secret_->salt ||
      server_first.iterations != expected_secret_->iterations) {
    return reject(
        "SCRAM pass-through needs the backend to hold the same verifier, but its salt or "
        "iteration count differ");
  }
  return true;
}

bool ScramClientExchange::derive_keys(const ServerFirst& server_first) {
  if (!password_) return true;  // pass-through: keys were given
  auto salted = scram_salted_password(*password_, server_first.salt, server_first.iterations);
  if (!salted) return reject("SCRAM: PBKDF2 computation failed");
  const auto client_key = scram_client_key(*salted);
  const auto server_key = scram_server_key(*salted);
  OPENSSL_cleanse(salted->data(), salted->size());
  if (!client_key || !server_key) return reject("SCRAM: HMAC computation failed");
  client_key_ = *client_key;
  server_key_ = *server_key;
  return true;
}

std::optional<std::string> ScramClientExchange::build_client_final(
    std::string_view server_first_message, std::string_view combined_nonce) {
  std::string without_proof = "c=" + base64_encode(gs2_header_ + binding_data_) + ",r=";
  without_proof.append(combined_nonce);
  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first_message).append(",").append(without_proof);
  // ClientProof = ClientKey XOR HMAC(H(ClientKey), AuthMessage).
  const auto stored_key = sha256(client_key_);
  const auto client_signature =
      stored_key ? hmac_sha256(*stored_key, auth_message) : std::nullopt;
  const auto server_signature = hmac_sha256(server_key_, auth_message);
  if (!client_signature || !server_signature) {
    reject("SCRAM: HMAC computation failed");
    return std::nullopt;
  }
  server_signature_ = *server_signature;
  state_ = State::awaiting_server_final;
  return without_proof + ",p=" + base64_encode(xor_keys(client_key_, *client_signature));
}

}  // namespace sluice::auth
