#pragma once
// Sluice logging in to a MySQL/MariaDB backend: the server's HandshakeV10, Sluice's
// HandshakeResponse41 answering for the server's plugin, then AuthSwitchRequest / AuthMoreData
// rounds up to OK or ERR.
//
// Sans-I/O, like pg::ServerLogin: the connector reads exactly input().size() bytes when next()
// says need_input, writes output() before it reads again, and learns the outcome from next().
// Plugins: mysql_native_password, and caching_sha2_password's fast path. Its full path (no
// cached entry on the server) needs TLS or the server's RSA key, and client_ed25519 needs a
// signature OpenSSL cannot make from a bare scalar: both fail with a clear reason.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
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

struct ServerLoginIdentity {
  std::string user;
  std::string database;                 // empty: none
  std::optional<std::string> password;  // plain text (a mysql.user hash cannot answer a scramble)
  std::uint64_t capabilities = kDefaultClientCapabilities;
  std::uint8_t character_set = charset::utf8mb4_general_ci;
  std::vector<std::pair<std::string, std::string>> connect_attributes = {{"program_name", "sluice"}};
};

struct ServerLoginLimits {
  std::size_t max_packet_size = kMaxLoginPacketSize;
  int max_auth_rounds = 4;  // AuthSwitchRequest / AuthMoreData packets before giving up
};

enum class ServerLoginEvent {
  need_input,  // write output(), then read exactly input().size() bytes and call received()
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

  const HandshakeV10& handshake() const { return handshake_; }  // connection_id is KILL's target
  std::uint64_t capabilities() const { return capabilities_; }  // in force: asked and offered
  std::uint16_t status_flags() const { return status_flags_; }  // from the OK
  const Failure& failure() const { return failure_; }

 private:
  enum class Phase { handshake, auth_result, ready, failed };

  ServerLoginEvent on_packet(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_handshake(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_auth_result(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_auth_switch(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_auth_more_data(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_ok(std::span<const std::uint8_t> payload);
  ServerLoginEvent on_err(std::span<const std::uint8_t> payload);
  // The answer to `plugin` for `scramble`, or nullopt (with failure_ set) if Sluice cannot give one.
  std::optional<std::string> answer_for(std::string_view plugin, std::string_view scramble);
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
  int auth_rounds_ = 0;
  std::string output_;
  Failure failure_;
};

// The Failure a backend login reports (server_login_failed), also for I/O errors.
Failure server_login_failure(std::string_view why);

}  // namespace sluice::mysql
