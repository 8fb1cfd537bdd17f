#pragma once
// One PostgreSQL client's life: startup, authentication, then relaying its traffic to a
// backend leased from its pool — for the whole session, per transaction or per statement.
//
// Two coroutines share the session's strand while a backend is leased: the main one reads
// the client and writes the server; the pump reads the server and writes the client, and
// is the one that notices (at ReadyForQuery) that the backend can go back to the pool.
#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/metrics/event_metrics.hpp"
#include "sluice/net/buffer_pool.hpp"
#include "sluice/pool/server_pool.hpp"
#include "sluice/protocol/postgres/client_login.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/protocol/postgres/unit_of_work.hpp"
#include "sluice/session/client_registry.hpp"
#include "sluice/session/pg_io.hpp"
#include "sluice/session/pg_server.hpp"
#include "sluice/session/proxy_context.hpp"
#include "sluice/session/session_clock.hpp"
#include "sluice/session/session_core.hpp"

namespace sluice::session {

class PgSession : public ClientHandle, public std::enable_shared_from_this<PgSession> {
 public:
  PgSession(tcp::socket client, ProxyContext& context);
  ~PgSession() override;

  // Spawns the session on its own strand; the session keeps itself alive until done.
  static void start(std::shared_ptr<PgSession> session);

  // ClientHandle: safe from any thread.
  ClientSnapshot snapshot() const override;
  void check_timeouts(TimePoint now) override;
  void request_stop(Failure reason) override;
  void kill(Failure reason) override;
  std::shared_ptr<ClientHandle> shared_handle() override { return weak_from_this().lock(); }

 private:
  // --- login (pg_session_login.cpp) ---
  awaitable<void> run();
  awaitable<Status> log_in_within_deadline();
  awaitable<Status> log_in();
  // Runs the login machine until it needs a decision: reads and writes for it meanwhile.
  awaitable<Expected<pg::ClientLoginEvent>> drive_login(pg::ClientLogin& login);
  Status choose_pool();  // the database: refused at once if unknown
  void join_pool();      // after authentication
  awaitable<Status> authenticate(pg::ClientLogin& login);
  awaitable<Status> send_welcome();
  void handle_cancel_request(const pg::StartupPacket& packet);

  // --- admin console (pg_admin_session.cpp): the virtual database `sluice` / `pgbouncer` ---
  Status check_admin_access() const;
  awaitable<Status> send_admin_welcome();
  awaitable<Status> serve_admin_console();

  // --- data phase (pg_session_relay.cpp) ---
  awaitable<Status> relay_client();
  void on_client_message(const pg::MessageView& message);
  awaitable<Status> forward_to_server(std::size_t length);
  awaitable<void> pump_server(std::shared_ptr<PgSession> self);
  using ServerScanner = pg::BasicMessageScanner<256>;  // ReadyForQuery and ParameterStatus bodies
  awaitable<bool> relay_to_client(ServerScanner& scanner, std::span<std::uint8_t> chunk);
  void on_server_message(const pg::MessageView& message);
  WorkState work_state() const;  // the backend's state for this client, as the core reads it
  void stop(Failure reason);

  // --- backend handling (pg_session_backend.cpp) ---
  awaitable<Status> attach_lease(pool::Lease lease);
  void release_lease();
  void discard_lease();
  void flush_counters();
  awaitable<void> wait_for_cancel_delivery();
  awaitable<Expected<char>> run_internal_query(std::string_view sql, bool errors_fail);
  awaitable<Status> sync_parameters();
  awaitable<void> settle_backend();
  awaitable<bool> run_settling_query(std::string_view sql);
  void cancel_backend_statement();
  awaitable<void> stop_pump();
  awaitable<void> finish(const Status& outcome);
  awaitable<void> send_error(const Failure& failure, std::string_view severity);
  PgServerConnection& server() const;

  // --- timeouts (pg_session_control.cpp) ---
  void on_timeout(TimeoutKind kind);
  void set_state(ClientState state);

  tcp::socket client_;
  ProxyContext& context_;
  std::shared_ptr<const RuntimeConfig> runtime_;  // the snapshot this client logged in under
  std::uint64_t registry_id_ = 0;  // set under snapshot_mutex_: snapshot() reads it from other threads

  pg::StartupPacket startup_;
  std::string user_;
  std::string database_;
  std::optional<ClientLimits::Ticket> ticket_;
  const config::DatabaseConfig* database_config_ = nullptr;  // points into runtime_
  std::shared_ptr<pool::ServerPool> pool_;
  metrics::EventMetrics::PoolHistograms* histograms_ = nullptr;  // this pool's, looked up once
  std::shared_ptr<PgServerConnector> connector_;
  bool admin_console_ = false;
  ParameterList client_parameters_;  // tracked parameters as this client believes them
  std::shared_ptr<CancelTarget> cancel_target_;
  std::optional<CancelRegistration> cancel_registration_;
  std::string address_;
  std::uint16_t port_ = 0;
  std::chrono::system_clock::time_point connected_at_ = std::chrono::system_clock::now();

  // Read by other threads (janitor, admin, metrics).
  SessionClock clock_;
  mutable std::mutex snapshot_mutex_;
  std::string application_name_;
  ClientState state_ = ClientState::login;
  TimePoint state_since_ = Clock::now();
  TimePoint transaction_since_{};
  std::uint64_t server_id_ = 0;
  std::uint32_t server_process_id_ = 0;

  // Data phase state, touched only on the session's strand.
  SessionCore core_;            // the lease and every protocol-neutral decision about it
  pg::BasicMessageScanner<0> client_scanner_;     // types and lengths are all the client side needs
  pg::UnitOfWork unit_;         // what the backend holds for this client: the release decision
  bool terminate_requested_ = false;
  bool stopping_ = false;
  bool pump_running_ = false;
  bool error_sent_ = false;
  bool statement_timed_out_ = false;  // the next 57014 from the server is ours: say why
  TimePoint lease_started_;
  TimePoint statement_started_;
  // Counted here, per message; added to the pool's PoolStats once per lease however it ends
  // (flush_counters), so the hot path does no shared atomic write.
  std::uint64_t bytes_from_client_ = 0;
  std::uint64_t bytes_to_client_ = 0;
  std::uint64_t queries_ = 0;
  Clock::duration query_time_{};  // Query/Sync sent to its ReadyForQuery, summed
  asio::steady_timer* pump_done_ = nullptr;  // set while stop_pump() waits for the pump to end
  // Set while our statement_timeout CancelRequest is on its way; expires once the server has
  // acted on it. Until then the backend is neither released nor sent the next statement, so a
  // late signal cannot cancel that statement (an idle backend ignores a cancel).
  std::shared_ptr<asio::steady_timer> cancel_in_flight_;
  net::PooledBuffer client_buffer_;  // only while the client is busy: idle clients hold none
  std::size_t held_ = 0;  // bytes of an incomplete message header kept at the front of client_buffer_
};

}  // namespace sluice::session
