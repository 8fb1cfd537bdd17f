#pragma once

// Sluice authenticating a client with SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel
// binding: SASL mechanism "SCRAM-SHA-256" only, never "-PLUS". Sans-I/O: feed it the
// SASLInitialResponse / SASLResponse payloads, send back what it returns.

#include <optional>
#include <string>
#include <string_view>

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
};

}  // namespace sluice::auth
