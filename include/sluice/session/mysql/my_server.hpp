#pragma once
// The MySQL/MariaDB side of a backend: connecting, logging in natively with the sans-I/O
// mysql::ServerLogin (mysql_native_password, caching_sha2_password; TLS as tls.server says),
// the per-backend state a session needs (the server's connection id, the capabilities and
// status flags in force, the schema Sluice last put it in, the client that used it last),
// and Sluice's own commands on a backend no client is talking to (COM_PING,
// COM_RESET_CONNECTION, COM_INIT_DB, ROLLBACK).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sluice/pool/server_connection.hpp"
#include "sluice/session/backend_target.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/server_login.hpp"
#include "sluice/protocol/mysql/statement_registry.hpp"

namespace sluice::session {

// What Sluice asks of MySQL backends: the codec's default less CLIENT_DEPRECATE_EOF and
// CLIENT_SESSION_TRACK. A pooled backend answers every client in the one format its login
// fixed, so clients are offered only result formats that this one matches (my_frontend.hpp):
// classic EOF packets and OK packets without session-state data, which every client reads.
inline constexpr std::uint64_t kBackendCapabilities =
    mysql::kDefaultClientCapabilities &
    ~(mysql::capability::CLIENT_DEPRECATE_EOF | mysql::capability::CLIENT_SESSION_TRACK);

class MyServerConnection : public pool::ServerConnection {
 public:
  using pool::ServerConnection::ServerConnection;
  void say_goodbye() override;  // COM_QUIT: the server logs a clean disconnect
  std::uint32_t remote_process_id() const override { return connection_id; }

  std::shared_ptr<const BackendTarget> target;  // opened with: KILL QUERY goes to its server
  std::uint32_t connection_id = 0;  // the server's thread id (KILL's target, SHOW PROCESSLIST's Id)
  std::string server_version;       // from its handshake: what clients are greeted with
  bool version_noted = false;       // told to ProxyContext::mysql_server_version by a session
  std::uint64_t capabilities = 0;   // in force since login
  std::uint16_t status_flags = 0;   // from the last OK/EOF Sluice saw
  std::string schema;               // the database the backend is in, as far as Sluice knows
  std::uint8_t character_set = mysql::charset::utf8mb4_general_ci;  // its connection collation id, ditto
  std::uint64_t last_client = 0;    // the session that used it last (0: none since login)
  // A client left state on it that Sluice does not follow (a session it switched with
  // COM_CHANGE_USER, a USE Sluice could not follow, a CALL, a SET TRANSACTION): the next other
  // client's lease starts with COM_RESET_CONNECTION. Otherwise it changes hands as it is, its
  // statements included.
  bool needs_reset = false;
  // Its last client's statements left warnings or errors (SHOW WARNINGS would show them): a
  // different client's lease starts with a statement that clears them.
  bool diagnostics_left = false;
  // The SETs it has from its last client (that client's SessionSettings::statements). Another
  // client with the same list takes it as it is, statements included (Connector/J sends the
  // same SETs at every connect); one with another list gets it reset first.
  std::vector<std::string> settings;
  // CLIENT_MULTI_STATEMENTS in force: on from the login, set per client by COM_SET_OPTION, so
  // the server itself parses each client's text as MariaDB would for that client (one
  // statement and a trailing comment is one result, stacked statements are refused).
  bool multi_statements = true;
  // Binary prepared statements on it, shared by its clients (transaction pooling; made on first use).
  std::unique_ptr<mysql::BackendStatements> statements;
  std::uint64_t last_insert_id = 0;       // what LAST_INSERT_ID() returns on it, as far as Sluice knows
};

class MyServerConnector : public pool::ServerConnector {
 public:
  explicit MyServerConnector(BackendTarget target)
      : target_(std::make_shared<const BackendTarget>(std::move(target))) {}

  std::unique_ptr<pool::ServerConnection> create(WorkerExecutor executor) override;
  awaitable<Status> open(pool::ServerConnection& connection) override;
  // COM_PING (or server_check_query): alive and outside a transaction.
  awaitable<bool> check(pool::ServerConnection& connection) override;
  pool::TargetChange retarget(const pool::ServerConnector& fresh) override;

  std::shared_ptr<const BackendTarget> target() const;

 private:
  awaitable<Status> connect(MyServerConnection& server);
  awaitable<Status> log_in(MyServerConnection& server);
  awaitable<Status> run_login(MyServerConnection& server, mysql::ServerLogin& login);

  mutable std::mutex mutex_;  // guards target_; held for a copy or a swap only
  std::shared_ptr<const BackendTarget> target_;
};

// The answer to one command of Sluice's own.
struct MyCommandResult {
  std::optional<mysql::ErrPacket> error;  // the server refused it
  std::uint16_t status_flags = 0;         // from the response's last OK/EOF (unchanged after an ERR)
  std::string head;  // the response's first payload bytes (up to kPacketCaptureLimit): COM_STMT_PREPARE_OK
};

// Sends the commands (each a payload: command byte and arguments) in one write, pipelined, and
// reads every response in full; server.status_flags follows them. A broken or oversized reply
// is a lost server (the backend must then be closed).
awaitable<Expected<std::vector<MyCommandResult>>> run_backend_commands(MyServerConnection& server,
                                                                       const std::vector<std::string>& commands);

// Payloads of Sluice's own commands.
std::string com_ping();
std::string com_reset_connection();
std::string com_init_db(std::string_view schema);
std::string com_query(std::string_view sql);
// COM_SET_OPTION: MYSQL_OPTION_MULTI_STATEMENTS_ON (true) or _OFF.
std::string com_set_option(bool multi_statements);

}  // namespace sluice::session
