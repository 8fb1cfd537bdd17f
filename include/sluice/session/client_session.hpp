#pragma once
// One client's life, whatever its protocol: the socket, the pool and the lease, the clock the
// janitor reads, the limits, stop/kill, and relaying bytes both ways while a backend is held.
// A Frontend (session/postgres, session/mysql) does everything that depends on the wire.
//
// Two flows share the session's worker thread while a backend is leased: the main coroutine
// reads the client and writes the server; the pump (callbacks) reads the server and writes the
// client, and is the one that notices (SessionCore::may_release) that the backend can go back.
#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/core/asio.hpp"
#include "sluice/core/small_mutex.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/metrics/event_metrics.hpp"
#include "sluice/net/buffer_pool.hpp"
#include "sluice/net/client_stream.hpp"
#include "sluice/net/idle_watcher.hpp"
#include "sluice/pool/server_pool.hpp"
#include "sluice/runtime/client_registry.hpp"
#include "sluice/session/frontend.hpp"
#include "sluice/runtime/proxy_context.hpp"
#include "sluice/session/session_clock.hpp"
#include "sluice/session/session_core.hpp"

namespace sluice::session {

// The runtime layer's vocabulary, used throughout the session code.
using runtime::ClientHandle;
using runtime::ClientLimits;
using runtime::ClientSnapshot;
using runtime::ClientState;
using runtime::ProxyContext;
using runtime::RuntimeConfig;

class ClientSession : public ClientHandle,
                      public net::IdleWait,
                      public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(WorkerSocket client, ProxyContext& context);
  ~ClientSession() override;

  // The front end is made with a reference to its session, so it is set right after.
  void set_frontend(std::unique_ptr<Frontend> frontend) { frontend_ = std::move(frontend); }
  // Spawns the session on its socket's worker; the session keeps itself alive until done.
  static void start(std::shared_ptr<ClientSession> session);

  // ClientHandle: safe from any thread.
  ClientSnapshot snapshot() const override;
  void check_timeouts(TimePoint now) override;
  void request_stop(Failure reason) override;
  void kill(Failure reason) override;
  // The client's own cancel request (it arrives on another connection, on any thread): acted on
  // here, on this session's worker. A statement running on the backend the client holds is
  // cancelled, and the backend kept until the server has acted on it; one still queued for a
  // backend is cancelled once it starts; with nothing running it is dropped, as PostgreSQL does.
  void cancel_requested() override;
  std::shared_ptr<ClientHandle> shared_handle() override { return weak_from_this().lock(); }

  // --- for the front end, on the session's worker ---
  // Plain or TLS: the front end decides at login (start_tls), everything after reads through it.
  net::ClientStream& client() { return client_; }
  ProxyContext& context() { return context_; }
  const RuntimeConfig& runtime() const { return *runtime_; }
  SessionCore& core() { return core_; }
  const SessionCore& core() const { return core_; }
  const std::string& user() const { return *user_; }
  const std::string& database() const { return *database_; }
  asio::ip::address peer_address() const;  // unspecified when it could not be read
  std::string address() const;             // the same as text, "" when unknown
  std::uint16_t port() const { return port_; }
  // Who the client says it is; `database` empty while unknown (refused, or the admin console).
  void identify(std::string user, std::string database, std::string application_name);
  void set_application_name(std::string_view application_name);
  void set_state(ClientState state);
  // Why the client keeps its backend between transactions (empty: it does not), for snapshots:
  // a fixed word with static storage (the session keeps the view, not a copy).
  void set_pinned(std::string_view reason);
  // Copies the front end's prepared statement count for SHOW CLIENTS (at rest, not per message).
  void note_statement_count();
  // The per-user and global client caps: the reason of the cap that refused, if one did.
  std::optional<std::string> admit();
  // Joins (creating if need be) the pool of (database, user): only after authentication, so
  // made-up user names never create pools.
  void join_pool(const config::DatabaseConfig& database);
  pool::ServerPool& pool() { return *pool_; }
  awaitable<Status> attach_lease(pool::Lease lease);
  pool::ServerConnection& server() const { return core_.lease().connection(); }

  // --- TLS towards the client and what hba sees of it (client_session_tls.cpp), either protocol ---
  // The context a new TLS client gets; null while tls.client.mode is disable.
  net::TlsContextPtr client_tls_context() const;
  // Starts TLS on the client's stream and runs the server side of the handshake (after the
  // protocol agreed on it); shown in SHOW CLIENTS' tls column once done.
  awaitable<Status> handshake_client_tls(net::TlsContextPtr context);
  // TLS started but not established: nothing may be written to the client (a write would
  // resume the handshake and wait on a client that stalled or failed it).
  bool tls_handshaking() const { return tls_handshaking_; }
  // tls.client.mode require: the refusal of a plain-text client.
  Status check_tls_required() const;
  // The hba rules for this client (its TLS state, address and user) and `database`.
  std::optional<auth::HbaMatch> match_hba(std::string_view database) const;
  // The `cert` method: the certificate verified against tls.client.ca has the user's name as CN.
  Status check_certificate_user();

 private:
  awaitable<void> run();
  awaitable<Expected<LoginOutcome>> log_in_within_deadline();
  awaitable<void> serve_client();
  // Parking: the socket leaves Asio for the worker's IdleWatcher until it speaks (or a stop).
  void park();
  void idle_ready(int fd, bool shutting_down) override;
  void unpark();
  void resume_data_phase();  // serve_client again, on a fresh coroutine
  void logged_in();  // an ordinary client is ready: idle until its first message
  void refresh_limits();

  // --- data phase (client_session_relay.cpp) ---
  awaitable<Status> relay_client();
  // An idle backend taken and attached without a coroutine; needs_preparing: attached, but the
  // front end's queries must run first (prepare_attached).
  enum class LeaseAtOnce : std::uint8_t { none, ready, needs_preparing };
  LeaseAtOnce lease_at_once();
  awaitable<Status> lease_backend(bool attached);
  awaitable<Status> forward_to_server(std::size_t length);
  awaitable<bool> write_to_client(asio::const_buffer bytes, bool wait_turn);
  void grow_client_buffer(std::size_t at_least);
  void after_server_chunk(const WorkState& work);
  void stop(Failure reason);
  void on_client_cancel();

  // --- the pump: server -> client while leased (client_session_pump.cpp) ---
  void start_pump();
  void read_server();
  void on_server_read(error_code error, std::size_t received);
  void write_chunk();
  void on_chunk_written(error_code error);
  void after_chunk_relayed();
  void end_pump();

  // --- the lease (client_session_backend.cpp) ---
  bool attach_at_once(pool::Lease lease);
  awaitable<Status> prepare_attached();
  void lease_ready();  // attached and prepared: SHOW CLIENTS says active, the pump starts
  void release_lease();
  void discard_lease();
  // A transaction ended on a backend the client keeps (session mode, a pinned client): counted
  // now, as PgBouncer counts them, not once when the backend goes back.
  void count_kept_transaction();
  void count_transaction(pool::PoolStats& stats);
  void detach_lease();
  void flush_counters();
  void start_cancel();
  void cancel_statement_just_sent();
  void cancel_again_later(int attempt);
  awaitable<void> wait_for_cancel_delivery();
  void note_cancel_delivery(const std::shared_ptr<asio::steady_timer>& delivered);
  awaitable<void> settle_backend();
  awaitable<void> stop_pump();
  awaitable<void> wait_until_cancel_delivered();
  awaitable<void> finish(const Status& outcome);
  awaitable<void> send_error(const Failure& failure, bool fatal);

  // --- timeouts (client_session_control.cpp) ---
  void on_timeout(TimeoutKind kind);
  void trim_idle();

  // Every idle client carries what follows (tens of thousands of them), so the order keeps
  // the small fields together and the struct free of padding.
  net::ClientStream client_;
  ProxyContext& context_;
  std::shared_ptr<const RuntimeConfig> runtime_;  // the snapshot this client logged in under
  std::unique_ptr<Frontend> frontend_;
  std::uint64_t registry_id_ = 0;  // set under snapshot_mutex_: snapshot() reads it from other threads

  ClientLimits::Ticket ticket_;  // holds a place under the client caps once admitted
  std::shared_ptr<pool::ServerPool> pool_;
  metrics::EventMetrics::PoolHistograms* histograms_ = nullptr;  // this pool's, looked up once
  std::uint64_t limits_version_ = 0;  // pool_->settings_version() that clock_'s limits came from
  // The peer's IP, IPv4 in the first 4 bytes (ipv6_ says which): 16 bytes where its text would
  // take 32; formatted when a log, SHOW CLIENTS or hba asks.
  std::array<std::uint8_t, 16> address_bytes_{};
  std::chrono::system_clock::time_point connected_at_ = std::chrono::system_clock::now();

  // Read by other threads (janitor, admin, metrics): written under snapshot_mutex_.
  SessionClock clock_;
  mutable core::SmallMutex snapshot_mutex_;
  ClientState state_ = ClientState::login;
  bool ipv6_ = false;  // the socket's family, to hand it back to Asio after parking
  std::uint16_t port_ = 0;
  static const std::shared_ptr<const std::string>& empty_string();
  // Shared with every client that gave the same (ProxyContext::shared_strings): 16 bytes each
  // instead of a 32-byte string per idle client.
  std::shared_ptr<const std::string> user_ = empty_string();
  std::shared_ptr<const std::string> database_ = empty_string();
  std::shared_ptr<const std::string> application_name_ = empty_string();
  TimePoint state_since_ = Clock::now();
  TimePoint transaction_since_{};
  std::uint64_t server_id_ = 0;
  std::uint32_t server_process_id_ = 0;
  std::uint32_t prepared_statements_ = 0;  // the front end's count, as of the last lease or local answer
  // A front end's fixed reason word ("temporary_objects"), never a made string: held by view,
  // its length beside the flags below (a string_view's 8-byte size would round the struct up).
  const char* pinned_ = nullptr;
  // "TLSv1.3/TLS_AES_256_GCM_SHA384" once the handshake is done, as PgBouncer shows it; most
  // clients are plain, and an empty string would cost every one of them 32 bytes.
  std::unique_ptr<const std::string> tls_;

  // Data phase state, touched only on the session's worker.
  SessionCore core_;  // the lease and every protocol-neutral decision about it
  bool stopping_ = false;
  bool pump_running_ = false;
  bool waiting_idle_ = false;    // relay_client waits for the client with nothing held
  bool park_requested_ = false;  // trim_idle cancelled that wait: park, not a hang-up
  bool parked_ = false;          // relay_client returned to park, not because the client left
  bool error_sent_ = false;
  bool tls_handshaking_ = false;
  std::uint8_t pinned_length_ = 0;  // of pinned_; under snapshot_mutex_ like it
  std::shared_ptr<ClientSession> parked_self_;  // while in the IdleWatcher: nothing else holds it

  // What only a client with work in hand needs: made when its data phase starts or resumes,
  // dropped when it parks, so an idle client carries none of it.
  struct Busy {
    TimePoint lease_started;  // or since the last transaction counted on a kept backend; {}: none since
    TimePoint statement_started;
    // Counted here, per message; added to the pool's PoolStats once per lease however it ends
    // (flush_counters), so the hot path does no shared atomic write.
    std::uint64_t bytes_from_client = 0;
    std::uint64_t bytes_to_client = 0;
    std::uint64_t queries = 0;
    Clock::duration query_time{};  // request sent to its complete answer, summed
    asio::steady_timer* pump_done = nullptr;  // set while stop_pump() waits for the pump to end
    pool::ServerPool::WaitTicket pool_wait;  // while queued for a backend: stop() ends the wait
    // Set while a statement_timeout cancel is on its way; expires once the server has acted on
    // it. Until then the backend is neither released nor sent the next statement, so a late
    // signal cannot cancel that statement (an idle backend ignores a cancel).
    std::shared_ptr<asio::steady_timer> cancel_in_flight;
    bool leasing = false;             // queued for a backend, or attaching one (lease_backend)
    bool cancel_when_leased = false;  // the client cancelled what it sent while queued
    // Moves on whenever the client's bytes reach the server or its statement ends: a cancel
    // sent again (cancel_again_later) is for the statement that was running when it was armed.
    std::uint32_t relay_epoch = 0;
    std::optional<WorkerTimer> cancel_retry;
    bool client_writing = false;     // write_to_client() has a write in progress
    std::string client_backlog;      // replies due while it had: written right after it
    asio::steady_timer* writer_waiting = nullptr;  // the main loop waiting for its turn to write
    bool pump_wants_turn = false;    // the pump's chunk waits for the main loop's write to end
    net::PooledBuffer server_buffer;  // while the pump runs: what it read from the server
    asio::const_buffer pump_pending;  // the chunk the pump writes to the client
    std::string pump_bytes;  // the front end's replacement for that chunk, or the backlog after it
    net::PooledBuffer client_buffer;  // only while the client is busy: between messages it holds none
    std::size_t held = 0;  // bytes of an incomplete message header kept at the front of client_buffer
  };
  Busy& busy() {
    if (!busy_) busy_ = std::make_unique<Busy>();
    return *busy_;
  }
  std::unique_ptr<Busy> busy_;
};

}  // namespace sluice::session
