#pragma once
// Sluice logging in to a MySQL/MariaDB backend: the server's HandshakeV10, [an SSLRequest and
// the TLS handshake,] Sluice's HandshakeResponse41 answering for the server's plugin, then
// AuthSwitchRequest / AuthMoreData rounds up to OK or ERR.
//
// Sans-I/O, like pg::ServerLogin: the connector reads exactly input().size() bytes when next()
// says need_input, writes output() before it reads again, and learns the outcome from next().
// After start_tls it writes the SSLRequest, runs the TLS handshake and calls tls_started();
// every byte after that goes through TLS.
// Plugins: mysql_native_password; caching_sha2_password, its fast path and its full path (no
// cached entry on the server): over TLS the password goes in clear as MySQL's own clients send
// it, in plain text Sluice asks for the server's RSA public key and sends the password
// encrypted with it; sha256_password likewise; MariaDB's client_ed25519 (a signature of the
// server's nonce, auth/client_ed25519_signature.hpp). Any other plugin fails with its name.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace sluice::mysql {

// What Sluice asks of backends. A pooled backend serves many clients, so a session must offer
// its clients the same result-set flags (CLIENT_DEPRECATE_EOF, CLIENT_SESSION_TRACK...).
inline constexpr std::uint64_t kDefaultClientCapabilities =
    capability::CLIENT_LONG_PASSWORD | capability::CLIENT_LONG_FLAG | capability::CLIENT_CONNECT_WITH_DB |
    capability::CLIENT_LOCAL_FILES | capability::CLIENT_PROTOCOL_41 | capability::CLIENT_TRANSACTIONS |
    capability::CLIENT_SECURE_CONNECTION | capability::CLIENT_MULTI_STATEMENTS | capability::CLIENT_MULTI_RESULTS |
    capability::CLIENT_PS_MULTI_RESULTS | capability::CLIENT_PLUGIN_AUTH | capability::CLIENT_CONNECT_ATTRS |
    capability::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | capability::CLIENT_SESSION_TRACK |
    capability::CLIENT_DEPRECATE_EOF;

// tls.server as the login sees it (the connector maps the mode; certificates are its business).
enum class BackendTls {
  off,         // never ask (disable, or no TLS context)
  if_offered,  // SSLRequest when the handshake offers CLIENT_SSL, else plain text (prefer)
  required,    // a handshake without CLIENT_SSL fails the login (require, verify-ca, verify-full)
};

struct ServerLoginIdentity {
  std::string user;
  std::string database;                 // empty: none
  std::optional<std::string> password;  // plain text (a mysql.user hash cannot answer a scramble)
  std::uint64_t capabilities = kDefaultClientCapabilities;
  std::uint8_t character_set = charset::utf8mb4_general_ci;
  std::vector<std::pair<std::string, std::string>> connect_attributes = {{"program_name", "sluice"}};
  BackendTls tls = BackendTls::off;
};

struct ServerLoginLimits {
  std::size_t max_packet_size = kMaxLoginPacketSize;
  int max_auth_rounds = 4;  // AuthSwitchRequest / AuthMoreData packets before giving up
};

enum class ServerLoginEvent {
  need_input,  // write output(), then read exactly input().size() bytes and call received()
  start_tls,   // write output() (the SSLRequest), run the TLS handshake, call tls_started()
  ready,       // OK: logged in; handshake(), capabilities() and status_flags() are known
  failed,      // failure(): server_login_failed with the server's or Sluice's reason
};

class ServerLogin {
 public:
  explicit ServerLogin(ServerLoginIdentity identity, ServerLoginLimits limits = {});

  ServerLoginEvent next();
  std::span<std::uint8_t> input();
  void received(std::size_t count);
  std::string& output() { return output_; }  // the caller clears it
  // The TLS handshake start_tls asked for succeeded: the HandshakeResponse41 (sequence id 2)
  // is in output() now, to be written through TLS.
  void tls_started();
  bool tls() const { return tls_; }

  const HandshakeV10& handshake() const { return handshake_; }  // connection_id is KILL's target
  std::uint64_t capabilities() const { return capabilities_; }  // in force: asked and offered
  std::uint16_t status_flags() const { return status_flags_; }  // from the OK
  const Failure& failure() const { return failure_; }

 private:
  enum class Phase { handshake, tls_handshake, auth_result, ready, failed };

  ServerLoginEvent on_packet(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_handshake(std::span<const std::uint8_t> payload);
  // After the handshake (and TLS, if any): the response for the server's plugin.
  ServerLoginEvent respond();
  // The handshake offers CLIENT_SSL and the identity wants TLS: the SSLRequest.
  ServerLoginEvent request_tls();
  ServerLoginEvent on_auth_result(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_auth_switch(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_auth_more_data(std::span<const std::uint8_t> payload);
  ServerLoginEvent full_authentication();
  ServerLoginEvent send_encrypted_password(std::string_view public_key_pem);
  ServerLoginEvent on_ok(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_err(std::span<const std::uint8_t> payload);
  // The answer to `plugin` for the server's `plugin_data` (a scramble, or client_ed25519's
  // nonce), or nullopt (with failure_ set) if Sluice cannot give one.
  std::optional<std::string> answer_for(std::string_view plugin, std::string_view plugin_data);
  std::optional<std::string> ed25519_answer(std::string_view password, std::string_view nonce);
  std::optional<std::string> sha256_answer(std::string_view password);
  void send_response(std::string_view plugin, std::string auth_response);
  void expect_packet(Phase phase);
  ServerLoginEvent fail(std::string why);

  ServerLoginIdentity identity_;
  ServerLoginLimits limits_;
  Phase phase_ = Phase::handshake;
  SequenceId sequence_;
  std::optional<PacketReader> reader_;
  HandshakeV10 handshake_;
  std::uint64_t capabilities_ = 0;
  std::uint16_t status_flags_ = 0;
  std::string plugin_;  // the plugin now answered for
  std::string scramble_;  // its scramble, which the RSA-encrypted password is XORed with
  bool awaiting_public_key_ = false;  // Sluice asked for the server's RSA key; AuthMoreData brings it
  int auth_rounds_ = 0;
  bool tls_ = false;  // tls_started(): the full authentication may send the password in clear
  std::string output_;
  Failure failure_;
};

// The Failure a backend login reports (server_login_failed), also for I/O errors.
Failure server_login_failure(std::string_view why);

}  // namespace sluice::mysql
