#include "sluice/auth/scram_server.hpp"

#include <span>
#include <utility>

#include "sluice/auth/base64.hpp"
#include "sluice/auth/channel_binding.hpp"
#include "sluice/auth/scram_attributes.hpp"

namespace sluice::auth {
namespace {

constexpr std::size_t server_nonce_bytes = 18;  // PostgreSQL's SCRAM_RAW_NONCE_LEN

// Any ALPHA "=" 1*value-char attribute we do not interpret (RFC 5802 "extensions").
bool is_extension(const std::optional<ScramAttribute>& attribute) {
  return attribute && !attribute->value.empty();
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

ScramServerExchange::ScramServerExchange(const ScramSecret& secret, std::string server_nonce)
    : secret_(secret), server_nonce_(std::move(server_nonce)) {
  // An RNG failure leaves the nonce empty; accept_client_first refuses to go on with it.
  if (server_nonce_.empty()) server_nonce_ = base64_encode(random_bytes(server_nonce_bytes));
}

std::optional<std::string> ScramServerExchange::handle_client_first(std::string_view message) {
  if (!accept_client_first(message)) return std::nullopt;
  return server_first_;
}

std::optional<std::string> ScramServerExchange::handle_client_final(std::string_view message) {
  if (!accept_client_final(message)) return std::nullopt;
  return server_final_;
}

bool ScramServerExchange::reject(std::string message) {
  error_ = std::move(message);
  state_ = State::failed;
  return false;
}

bool ScramServerExchange::secret_is_usable() const {
  // All-zero keys mark a failed make_scram_secret; never let them authenticate.
  return secret_.iterations >= 1 && secret_.iterations <= max_scram_iterations &&
         !secret_.salt.empty() && secret_.stored_key != ScramKey{} &&
         secret_.server_key != ScramKey{};
}

bool ScramServerExchange::accept_client_first(std::string_view message) {
  if (state_ != State::awaiting_client_first) {
    return reject("unexpected SCRAM client-first-message");
  }
  if (!secret_is_usable()) return reject("SCRAM secret is unusable");
  if (!is_valid_scram_nonce(server_nonce_)) return reject("could not generate a SCRAM nonce");
  if (!is_acceptable_scram_message(message)) {
    return reject("malformed SCRAM message: too long or contains a NUL byte");
  }
  // gs2-header = cbind-flag "," [authzid] ","; the rest is client-first-message-bare.
  ScramFieldReader reader(message);
  const std::string_view flag = reader.next_field();
  const std::string_view authzid = reader.next_field();
  if (reader.at_end()) return reject("malformed SCRAM message: incomplete GS2 header");
  if (!accept_gs2_header(flag, authzid)) return false;
  const std::size_t header_length = flag.size() + authzid.size() + 2;
  gs2_header_ = message.substr(0, header_length);
  const std::string_view bare = message.substr(header_length);
  if (!accept_client_first_bare(bare)) return false;

  client_first_bare_ = bare;
  server_first_ = "r=" + combined_nonce_ + ",s=" + base64_encode(secret_.salt) +
                  ",i=" + std::to_string(secret_.iterations);
  state_ = State::awaiting_client_final;
  return true;
}

void ScramServerExchange::set_channel_binding(std::vector<std::uint8_t> tls_server_end_point_hash,
                                              bool plus_selected) {
  binding_data_.assign(tls_server_end_point_hash.begin(), tls_server_end_point_hash.end());
  plus_selected_ = plus_selected;
}

bool ScramServerExchange::accept_gs2_header(std::string_view flag_field,
                                            std::string_view authzid_field) {
  if (!accept_binding_flag(flag_field)) return false;
  if (authzid_field.starts_with("a=")) {
    return reject("SCRAM authorization identity (a=) is not supported");
  }
  if (!authzid_field.empty()) return reject("malformed SCRAM message: bad GS2 header");
  return true;
}

// The mechanism the client chose and its GS2 flag must agree (RFC 5802 §6).
bool ScramServerExchange::accept_binding_flag(std::string_view flag) {
  if (flag.starts_with("p=")) {
    if (!plus_selected_) {
      return reject("SCRAM channel binding (p=) needs SCRAM-SHA-256-PLUS over TLS; use SCRAM-SHA-256");
    }
    if (flag.substr(2) != tls_server_end_point) {
      return reject("SCRAM channel binding type is not supported: only tls-server-end-point is");
    }
    if (binding_data_.empty()) return reject("SCRAM channel binding: no certificate hash for this connection");
    bound_ = true;
    return true;
  }
  if (plus_selected_) return reject("SCRAM-SHA-256-PLUS requires channel binding p=tls-server-end-point");
  if (flag == "y" && !binding_data_.empty()) {
    // We offered PLUS, yet the client believes we cannot bind: someone removed it on the way.
    return reject("SCRAM channel binding downgrade: the client was not offered SCRAM-SHA-256-PLUS");
  }
  // "y" without TLS: the client could bind but believes we cannot, which is true.
  if (flag != "n" && flag != "y") return reject("malformed SCRAM message: bad GS2 channel binding flag");
  return true;
}

bool ScramServerExchange::accept_client_first_bare(std::string_view bare) {
  ScramFieldReader reader(bare);
  const auto user = reader.next_attribute();
  if (user && user->name == 'm') return reject("SCRAM mandatory extensions (m=) are not supported");
  // The user name is ignored, as PostgreSQL does: the startup packet already named the user.
  if (!user || user->name != 'n' || !is_valid_saslname(user->value)) {
    return reject("malformed SCRAM message: expected user name attribute n=");
  }
  const auto nonce = reader.next_attribute();
  if (!nonce || nonce->name != 'r' || !is_valid_scram_nonce(nonce->value)) {
    return reject("malformed SCRAM message: expected client nonce r=");
  }
  while (!reader.at_end()) {
    if (!is_extension(reader.next_attribute())) {
      return reject("malformed SCRAM message: bad attribute after client nonce");
    }
  }
  combined_nonce_ = std::string(nonce->value) + server_nonce_;
  return true;
}

bool ScramServerExchange::accept_client_final(std::string_view message) {
  if (state_ != State::awaiting_client_final) {
    return reject("unexpected SCRAM client-final-message");
  }
  if (!is_acceptable_scram_message(message)) {
    return reject("malformed SCRAM message: too long or contains a NUL byte");
  }
  // The proof must be the last attribute; everything before it is what the proof signs.
  const std::size_t last_comma = message.rfind(',');
  if (last_comma == std::string_view::npos) {
    return reject("malformed SCRAM message: expected client proof p=");
  }
  const auto proof = parse_scram_attribute(message.substr(last_comma + 1));
  if (!proof || proof->name != 'p') {
    return reject("malformed SCRAM message: client proof p= must come last");
  }
  const std::string_view without_proof = message.substr(0, last_comma);
  if (!accept_client_final_without_proof(without_proof)) return false;

  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first_).append(",").append(without_proof);
  return verify_proof(proof->value, auth_message);
}

bool ScramServerExchange::accept_client_final_without_proof(std::string_view without_proof) {
  ScramFieldReader reader(without_proof);
  const auto binding = reader.next_attribute();
  if (!binding || binding->name != 'c') {
    return reject("malformed SCRAM message: expected channel binding attribute c=");
  }
  // c= must echo the GS2 header exactly ("biws" for "n,,"), so the flag was not tampered with,
  // followed under p= by the hash of the certificate the client saw.
  const auto echoed_header = base64_decode(binding->value);
  const std::string expected = bound_ ? gs2_header_ + binding_data_ : gs2_header_;
  if (!echoed_header || echoed_header->size() != expected.size() ||
      !constant_time_equal(as_bytes(*echoed_header), as_bytes(expected))) {
    return reject(bound_ ? "SCRAM channel binding data does not match this connection's TLS certificate"
                         : "SCRAM channel binding data does not match the GS2 header");
  }
  const auto nonce = reader.next_attribute();
  if (!nonce || nonce->name != 'r') return reject("malformed SCRAM message: expected nonce r=");
  if (nonce->value != combined_nonce_) return reject("SCRAM nonce does not match");
  while (!reader.at_end()) {
    const auto extension = reader.next_attribute();
    if (!is_extension(extension) || extension->name == 'p') {
      return reject("malformed SCRAM message: bad attribute before client proof");
    }
  }
  return true;
}

bool ScramServerExchange::verify_proof(std::string_view proof_base64,
                                       std::string_view auth_message) {
  const auto proof = decode_scram_key(proof_base64);
  if (!proof) return reject("malformed SCRAM message: client proof is not a 32-byte base64 value");
  // The proof holds iff the ClientKey it reveals hashes to StoredKey.
  const auto client_key = recover_client_key(secret_, auth_message, *proof);
  if (!client_key) return reject("SCRAM authentication failed: wrong password");
  const auto server_signature = hmac_sha256(secret_.server_key, auth_message);
  if (!server_signature) return reject("SCRAM: HMAC computation failed");
  client_key_ = *client_key;
  server_final_ = "v=" + base64_encode(*server_signature);
  state_ = State::succeeded;
  return true;
}

}  // namespace sluice::auth
