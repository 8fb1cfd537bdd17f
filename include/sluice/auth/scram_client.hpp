#pragma once

// Sluice logging in to a PostgreSQL backend with SCRAM-SHA-256 (RFC 5802, RFC 7677), or over
// TLS with SCRAM-SHA-256-PLUS (channel binding tls-server-end-point, RFC 5929) once
// set_channel_binding is called. Sans-I/O: the caller moves the messages.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/auth/scram_crypto.hpp"
#include "sluice/auth/scram_secret.hpp"

namespace sluice::auth {

class ScramClientExchange {
 public:
  // An empty client_nonce means 18 random bytes, base64-encoded. user_name is only for
  // interoperating with non-PostgreSQL peers and test vectors: PostgreSQL ignores it.
  explicit ScramClientExchange(std::string password, std::string client_nonce = {},
                               std::string user_name = {});

  // Pass-through mode: prove knowledge of ClientKey (recovered by ScramServerExchange)
  // instead of the password. Works only if the backend holds the very verifier those keys
  // came from; otherwise the backend rejects the proof.
  static ScramClientExchange from_keys(ScramKey client_key, ScramKey server_key,
                                       std::string client_nonce = {});
  // As from_keys, but fails early with a clear error() when the backend's salt or
  // iteration count differ from `secret`'s, instead of sending a proof that cannot match.
  static ScramClientExchange from_secret(const ScramSecret& secret, ScramKey client_key,
                                         std::string client_nonce = {});

  // Over TLS, before client_first_message: the tls-server-end-point hash of the backend's
  // certificate (auth/channel_binding.hpp). If the backend offered SCRAM-SHA-256-PLUS the
  // exchange binds to the certificate ("p=tls-server-end-point"); if not, the client says it
  // could have ("y"), so a backend whose PLUS offer was stripped on the way refuses the login.
  void set_channel_binding(std::vector<std::uint8_t> tls_server_end_point_hash, bool server_offers_plus);
  // The SASL mechanism to name in SASLInitialResponse.
  std::string_view mechanism() const;

  // "n,,n=,r=<nonce>" ("p=tls-server-end-point,,..." or "y,,..." with channel binding).
  std::string client_first_message();
  // Returns client-final-message, or nullopt + error() on bad input (iterations outside
  // [1, max_scram_iterations], missing salt/nonce, nonce not extending ours, ...).
  // With a password this runs PBKDF2, which costs CPU in proportion to the iterations.
  std::optional<std::string> handle_server_first(std::string_view message);
  // Checks the v= signature; false + error() otherwise (including a server "e=" error).
  bool verify_server_final(std::string_view message);

  const std::string& error() const { return error_; }
  // A lower cap than max_scram_iterations on what a server may ask for (fuzzers bound
  // PBKDF2's cost with it); a server first message above it fails.
  void limit_iterations(int max_iterations) { max_iterations_ = max_iterations; }

 private:
  enum class State { initial, awaiting_server_first, awaiting_server_final, succeeded, failed };
  struct ServerFirst {
    std::string_view nonce;
    std::string salt;
    int iterations = 0;
  };

  ScramClientExchange() = default;
  // Each step returns false after recording error() and moving to State::failed.
  bool reject(std::string message);
  std::optional<ServerFirst> parse_server_first(std::string_view message);
  bool check_expected_secret(const ServerFirst& server_first);
  bool derive_keys(const ServerFirst& server_first);
  std::optional<std::string> build_client_final(std::string_view server_first_message,
                                                std::string_view combined_nonce);

  std::optional<std::string> password_;  // absent in pass-through mode
  std::string client_nonce_;
  std::string user_name_;
  std::optional<ScramSecret> expected_secret_;  // from_secret: salt/iterations to insist on
  ScramKey client_key_{};
  ScramKey server_key_{};
  ScramKey server_signature_{};
  std::string client_first_bare_;
  std::string gs2_header_ = "n,,";  // no channel binding, no authzid
  std::string binding_data_;        // appended to the header in c= when binding (p=)
  State state_ = State::initial;
  int max_iterations_ = max_scram_iterations;
  std::string error_;
};

}  // namespace sluice::auth
