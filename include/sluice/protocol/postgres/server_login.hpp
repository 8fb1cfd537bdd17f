#pragma once
// Sluice logging in to a PostgreSQL backend: the StartupMessage, the authentication the
// server asks for (trust, cleartext, md5, SCRAM-SHA-256), then ParameterStatus and
// BackendKeyData up to the first ReadyForQuery.
//
// Sans-I/O, like ClientLogin: the connector writes output(), reads exactly input().size()
// bytes when next() says need_input, and learns the outcome from next(). The daemon, the unit
// tests and the fuzzers drive this same code; every length is checked before it is read.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_crypto.hpp"
#include "sluice/core/failure.hpp"

namespace sluice::pg {

struct ServerLoginLimits {
  std::size_t max_message = 64 * 1024;  // login-phase messages are small; bigger is not PostgreSQL
  int max_scram_iterations = auth::max_scram_iterations;
};

// SCRAM pass-through: the user's verifier and the ClientKey a client's proof revealed
// (auth::recover_client_key). Enough to answer a backend holding the same verifier.
struct ScramPassThrough {
  auth::ScramSecret secret;
  auth::ScramKey client_key{};
};

struct ServerLoginIdentity {
  std::string user;
  std::string database;
  std::optional<std::string> password;  // plain text or an "md5..." hash
  std::string scram_nonce;              // empty: random (tests and fuzzers pin it)
  // Over TLS: the backend certificate's tls-server-end-point hash. SCRAM then binds to it
  // (SCRAM-SHA-256-PLUS) when the server offers PLUS.
  std::optional<std::vector<std::uint8_t>> channel_binding;
  // Used for SCRAM when there is no plain password.
  std::optional<ScramPassThrough> pass_through;
};

enum class ServerLoginEvent {
  need_input,  // write output(), then read exactly input().size() bytes and call received()
  ready,       // ReadyForQuery: logged in; parameters() and the key are known
  failed,      // failure(): 08001 with the server's or Sluice's reason
};

class ServerLogin {
 public:
  using Parameters = std::vector<std::pair<std::string, std::string>>;

  explicit ServerLogin(ServerLoginIdentity identity, ServerLoginLimits limits = {});

  ServerLoginEvent next();
  std::span<std::uint8_t> input();
  void received(std::size_t count);
  std::string& output() { return output_; }  // the StartupMessage first; the caller clears it

  const Parameters& parameters() const { return parameters_; }  // as ParameterStatus reported them
  std::uint32_t process_id() const { return process_id_; }      // BackendKeyData
  std::uint32_t secret_key() const { return secret_key_; }
  const Failure& failure() const { return failure_; }
  // The SASL mechanism used ("SCRAM-SHA-256-PLUS" when bound to the TLS certificate), "" if none.
  std::string_view sasl_mechanism() const { return scram_ ? scram_->mechanism() : std::string_view(); }

 private:
  enum class Phase { header, body, ready, failed };

  ServerLoginEvent on_message(char type, std::span<const std::uint8_t> body);
  Status on_authentication(std::span<const std::uint8_t> body);
  Status on_cleartext_request();
  Status on_md5_request(std::span<const std::uint8_t> salt);
  Status on_sasl_request(std::span<const std::uint8_t> mechanisms);
  Status on_sasl_continue(std::string_view data);
  Status on_sasl_final(std::string_view data);
  void on_parameter_status(std::span<const std::uint8_t> body);
  ServerLoginEvent fail(Failure failure);
  void expect(Phase phase, std::size_t bytes);
  bool password_is_md5_hash() const;
  bool has_plain_password() const;

  ServerLoginIdentity identity_;
  ServerLoginLimits limits_;
  Phase phase_ = Phase::header;
  char type_ = 0;  // of the message whose body is being read
  std::vector<std::uint8_t> buffer_;
  std::size_t filled_ = 0;
  std::optional<auth::ScramClientExchange> scram_;
  Parameters parameters_;
  std::uint32_t process_id_ = 0;
  std::uint32_t secret_key_ = 0;
  std::string output_;
  Failure failure_;
};

// The Failure a backend login reports (server_login_failed, 08001), also for I/O errors.
Failure server_login_failure(std::string_view why);

}  // namespace sluice::pg
