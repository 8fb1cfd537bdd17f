#pragma once
// One PostgreSQL client's life: startup, authentication, then relaying its traffic to a
// backend leased from its pool — for the whole session, per transaction or per statement.
//
// Two coroutines share the session's strand while a backend is leased: the main one reads
// the client and writes the server; the pump reads the server and writes the client, and
// is the one that notices (at ReadyForQuery) that the backend can go back to the pool.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/pool/server_pool.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/session/pg_io.hpp"
#include "sluice/session/pg_server.hpp"
#include "sluice/session/proxy_context.hpp"

namespace sluice::session {

class PgSession : public std::enable_shared_from_this<PgSession> {
 public:
  PgSession(tcp::socket client, ProxyContext& context);
  ~PgSession();

  // Spawns the session on its own strand; the session keeps itself alive until done.
  static void start(std::shared_ptr<PgSession> session);

 private:
  // --- login (pg_session_login.cpp) ---
  awaitable<void> run();
  awaitable<Status> log_in();
  awaitable<Expected<bool>> read_startup();  // false: it was a CancelRequest, now handled
  Status choose_pool();
  awaitable<Status> authenticate();
  awaitable<Status> authenticate_md5(const auth::Credential* credential);
  awaitable<Status> authenticate_scram(const auth::Credential* credential);
  awaitable<Expected<std::string>> read_password_message();  // its body
  awaitable<Status> send_welcome();
  void handle_cancel_request(const pg::StartupPacket& packet);

  // --- data phase (pg_session_relay.cpp) ---
  awaitable<Status> relay_client();
  awaitable<Status> forward_to_server(std::size_t length);
  awaitable<Status> attach_lease(pool::Lease lease);
  awaitable<Status> sync_parameters();
  awaitable<void> pump_server(std::shared_ptr<PgSession> self);
  void on_server_message(const pg::MessageView& message);
  void on_client_message(const pg::MessageView& message);
  bool backend_is_clean() const;
  bool may_release() const;
  void release_lease();
  awaitable<void> finish(const Status& outcome);
  awaitable<void> stop_pump();
  awaitable<Status> reset_backend();
  awaitable<void> send_error(const Failure& failure, std::string_view severity);
  PgServerConnection& server() const;

  tcp::socket client_;
  ProxyContext& context_;
  std::shared_ptr<const RuntimeConfig> runtime_;  // the snapshot this client logged in under

  pg::StartupPacket startup_;
  std::string user_;
  std::string database_;
  std::optional<ClientLimits::Ticket> ticket_;
  std::shared_ptr<pool::ServerPool> pool_;
  std::shared_ptr<PgServerConnector> connector_;
  config::PoolMode pool_mode_ = config::PoolMode::transaction;
  ParameterList client_parameters_;  // tracked parameters as this client believes them
  std::shared_ptr<CancelTarget> cancel_target_;
  std::optional<CancelRegistration> cancel_registration_;
  std::string remote_;  // "address:port", for logs

  // Data phase state, touched only on the session's strand.
  pool::Lease lease_;
  pg::MessageScanner client_scanner_;
  pg::MessageScanner server_scanner_;
  int pending_syncs_ = 0;       // Query/Sync/FunctionCall sent whose ReadyForQuery has not come back
  bool unsynced_ = false;       // extended-protocol messages sent since the last Sync
  bool writing_to_server_ = false;
  bool terminate_requested_ = false;
  char transaction_status_ = 'I';  // from the last ReadyForQuery
  bool stopping_ = false;
  bool pump_running_ = false;
  bool error_sent_ = false;
  std::optional<Failure> pump_failure_;  // why the pump ended the session (server lost, statement mode)
  asio::steady_timer pump_done_;
  std::vector<std::uint8_t> client_buffer_;  // only while the client is busy: idle clients hold none
  std::size_t held_ = 0;  // bytes of an incomplete message header kept at the front of client_buffer_
};

}  // namespace sluice::session
