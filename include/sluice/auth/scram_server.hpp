#pragma once

// Sluice authenticating a client with SCRAM-SHA-256 (RFC 5802, RFC 7677), and over TLS
// SCRAM-SHA-256-PLUS with channel binding tls-server-end-point (RFC 5929) once
// set_channel_binding is called. Sans-I/O: feed it the SASLInitialResponse / SASLResponse
// payloads, send back what it returns.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/auth/scram_secret.hpp"

namespace sluice::auth {

class ScramServerExchange {
 public:
  // An empty server_nonce means 18 random bytes, base64-encoded (as PostgreSQL does).
  explicit ScramServerExchange(const ScramSecret& secret, std::string server_nonce = {});

  // client-first-message ("n,,n=...,r=..."); returns server-first-message, or nullopt + error().
  std::optional<std::string> handle_client_first(std::string_view message);
  // client-final-message; returns server-final-message ("v=...") if the proof verifies,
  // else nullopt + error().
  std::optional<std::string> handle_client_final(std::string_view message);

  // Over TLS, before handle_client_first: the tls-server-end-point hash of Sluice's own
  // certificate (auth/channel_binding.hpp) and whether the client chose SCRAM-SHA-256-PLUS.
  // Then PLUS demands p=tls-server-end-point with matching data, plain SCRAM refuses p=, and a
  // "y" flag (the client thinks we cannot bind) is refused as a downgrade, as PostgreSQL does.
  void set_channel_binding(std::vector<std::uint8_t> tls_server_end_point_hash, bool plus_selected);
  // After success: the proof covered the TLS certificate.
  bool channel_bound() const { return succeeded() && bound_; }

  const std::string& error() const { return error_; }
  bool succeeded() const { return state_ == State::succeeded; }
  // After success: the ClientKey recovered from the proof, which lets a proxy log in to a
  // backend holding the same verifier without knowing the password. All zero before success.
  ScramKey client_key() const { return succeeded() ? client_key_ : ScramKey{}; }

 private:
  enum class State { awaiting_client_first, awaiting_client_final, succeeded, failed };

  // Each step returns false after recording error() and moving to State::failed.
  bool reject(std::string message);
  bool accept_client_first(std::string_view message);
  bool accept_gs2_header(std::string_view flag_field, std::string_view authzid_field);
  bool accept_binding_flag(std::string_view flag);
  bool accept_client_first_bare(std::string_view bare);
  bool accept_client_final(std::string_view message);
  bool accept_client_final_without_proof(std::string_view without_proof);
  bool verify_proof(std::string_view proof_base64, std::string_view auth_message);
  bool secret_is_usable() const;

  ScramSecret secret_;
  std::string server_nonce_;
  State state_ = State::awaiting_client_first;
  std::string error_;
  std::string gs2_header_;         // echoed back base64-encoded in the client's c=
  std::string client_first_bare_;  // first part of AuthMessage
  std::string server_first_;       // second part of AuthMessage
  std::string combined_nonce_;     // c-nonce + s-nonce, which the client must return verbatim
  std::string server_final_;
  ScramKey client_key_{};
  std::string binding_data_;  // raw tls-server-end-point hash; empty = not offered (no TLS)
  bool plus_selected_ = false;
  bool bound_ = false;  // the client sent p=tls-server-end-point
};

}  // namespace sluice::auth
