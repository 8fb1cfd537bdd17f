#pragma once
// The PostgreSQL front end of a ClientSession: the v3 protocol's login (startup, SSLRequest and
// direct TLS, CancelRequest, hba rules, trust/md5/SCRAM(-PLUS)/cert), the admin console's wire, scanning both directions
// (message headers, ReadyForQuery's status byte, ParameterStatus), the tracked parameters a
// backend is brought to, ROLLBACK / server_reset_query, CancelRequest, ErrorResponse.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "sluice/protocol/postgres/client_login.hpp"
#include "sluice/protocol/postgres/client_text_reader.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/rest_points.hpp"
#include "sluice/protocol/postgres/session_settings.hpp"
#include "sluice/protocol/postgres/statement_tracker.hpp"
#include "sluice/protocol/postgres/unit_of_work.hpp"
#include "sluice/runtime/cancel_registry.hpp"
#include "sluice/session/client_session.hpp"
#include "sluice/session/frontend.hpp"
#include "sluice/session/postgres/pg_server.hpp"

namespace sluice::session {

using runtime::CancelRegistration;
using runtime::CancelTarget;

class PgFrontend : public Frontend {
 public:
  explicit PgFrontend(ClientSession& session);

  const char* protocol() const override { return "postgres"; }
  awaitable<Expected<LoginOutcome>> log_in() override;
  awaitable<Status> serve_admin_console() override;
  ClientScan scan_client(std::span<const std::uint8_t> buffer, std::size_t held, std::size_t received) override;
  ServerScan scan_server(std::span<const std::uint8_t> chunk) override;
  OutgoingBytes rewrite_outgoing(std::span<const std::uint8_t> bytes) override;
  WorkState work_state() const override;
  net::RestPoint client_rest_point() const override { return &pg::ends_client_request; }
  net::RestPoint server_rest_point() const override { return &pg::ends_with_ready_for_query; }
  void trim_idle() override;
  StatementCounts take_statement_counts() override { return std::exchange(statement_counts_, {}); }
  std::size_t prepared_statement_count() const override { return client_statements_ ? client_statements_->size() : 0; }
  bool prepare_backend_at_once() override;
  awaitable<Status> prepare_backend() override;
  void backend_detached() override;
  awaitable<bool> settle(SettleQuery query) override;
  awaitable<void> cancel_statement() override;
  void statement_timed_out() override { statement_timed_out_ = true; }
  awaitable<void> write_error(const Failure& failure, bool fatal) override;

 private:
  // --- login (pg_frontend_login.cpp) ---
  awaitable<Expected<pg::ClientLoginEvent>> drive_login(pg::ClientLogin& login);
  // The database from the startup packet: refused at once if unknown; null for the console.
  Expected<const config::DatabaseConfig*> choose_database(const pg::StartupPacket& startup);
  awaitable<Status> authenticate(pg::ClientLogin& login, auth::HbaMethod method);
  Failure unknown_user_failure() const;

  // --- TLS towards the client (pg_frontend_tls.cpp; the handshake is the session's) ---
  awaitable<Status> accept_direct_tls();
  awaitable<Status> answer_encryption_request(pg::ClientLogin& login);
  std::vector<std::uint8_t> channel_binding_data();

  // --- who may log in, and how (pg_frontend_auth.cpp) ---
  // The first matching hba rule's method for the database asked for (auth_type without rules).
  Expected<auth::HbaMethod> choose_method(std::string_view database) const;
  awaitable<Status> send_welcome(const pg::StartupPacket& startup);
  void serve_cancel_request(const pg::StartupPacket& packet);
  Status check_admin_access() const;
  awaitable<Status> send_admin_welcome();

  // --- whose password is this (pg_frontend_credentials.cpp) ---
  // The credential the client must prove: `users`, else auth_query; nullopt = unknown user.
  awaitable<std::optional<auth::Credential>> find_credential();
  // The client failed to prove it: auth_query looks the user up afresh next time.
  void credential_refused();
  // SCRAM pass-through: a verifier-only user's ClientKey, from this client's proof, to the pool.
  void share_client_key(const pg::ClientLogin& login);

  // --- the data phase (pg_frontend_relay.cpp) ---
  void on_server_message(const pg::MessageView& message, ServerScan& scan);
  // A query of Sluice's own; the server's ParameterStatus replies keep session_settings_
  // in step. Returns the final ReadyForQuery's transaction status.
  awaitable<Expected<char>> run_internal_query(std::string_view sql, bool errors_fail);

  // --- session settings and state (pg_frontend_session_state.cpp) ---
  // Feeds the client's new bytes to the tracker; a ClientScan if a statement is refused
  // (session_state: error): answered locally when it stands alone, else the session ends.
  std::optional<ClientScan> track_client_bytes(std::span<const std::uint8_t> buffer, std::size_t held,
                                               std::size_t received);
  std::optional<ClientScan> refuse_alone(std::span<const std::uint8_t> bytes);
  void read_state_policy();
  void follow_session_state(const pg::MessageView& message);
  // Brings a fresh backend to the client's settings (RESET what an earlier client left, SET
  // what this one has). The settings are attached to the backend already; it runs only when
  // SessionSettings::in_sync_with says something is to be done (prepare_backend_at_once).
  awaitable<Status> sync_session();
  bool pinned() const;
  void show_pin();  // SHOW CLIENTS and the log follow what pins the client
  PgServerConnection& server() const { return static_cast<PgServerConnection&>(session_.server()); }

  // --- prepared statements in transaction mode (pg_frontend_statements.cpp) ---
  void choose_statement_tracking();
  // Parse, Bind, Describe and Close are renamed on their way: they must go on whole.
  bool held_whole(char type) const;
  pg::BackendStatements& backend_statements();
  // One whole Parse/Bind/Describe/Close: its rewrite appended to out.to_backend.
  std::optional<Failure> rewrite_statement_message(char type, std::span<const std::uint8_t> body,
                                                   pg::StatementOutbox& out);
  // A whole Query: true if it was rewritten into out.to_backend (a SQL DEALLOCATE of one of the
  // client's statements); DEALLOCATE ALL / DISCARD ALL are noted, not rewritten.
  bool track_query(std::span<const std::uint8_t> body, pg::StatementOutbox& out);
  // The same for a whole unnamed Parse: true if it was rewritten into out.to_backend.
  bool track_unnamed_parse(std::span<const std::uint8_t> body, pg::StatementOutbox& out);
  // After a Bind of `statement_name` ("" the unnamed statement) went on: if that statement's text
  // is DEALLOCATE ALL or DISCARD ALL, every statement is forgotten on both sides.
  void track_bind(std::string_view statement_name);
  void forget_all_statements();
  std::string_view statement_context();
  // The unnamed statement across transactions: true if a whole `type` message must be preceded
  // by BackendStatements::restore_unnamed; note_unnamed follows what the message does to it.
  bool needs_unnamed_restore(char type, std::span<const std::uint8_t> body) const;
  void note_unnamed(char type, std::span<const std::uint8_t> body, std::span<const std::uint8_t> message);
  // A client holding no backend that sent only named Parses and a Sync while the pool has no
  // backend free: the ParseCompletes and ReadyForQuery Sluice answers itself (see the .cpp).
  std::optional<ClientScan> answer_prepare_alone(std::span<const std::uint8_t> batch, const ClientScan& scan);
  // A server message the statement tracker may swallow or follow with replies of Sluice's own.
  struct StatementReply {
    bool relay = true;
    std::string due;
  };
  std::optional<StatementReply> track_server_message(const pg::MessageView& message);

  using ServerScanner = pg::BasicMessageScanner<256>;  // ReadyForQuery and ParameterStatus bodies

  ClientSession& session_;
  // The pool's (session_.pool() keeps it alive): learns the server's parameters.
  PgServerConnector* connector_ = nullptr;
  // What the client must prove, during login only (never logged): an idle client keeps none.
  std::unique_ptr<auth::Credential> credential_;
  // Where the client's own CancelRequests go: registered by a pointer that shares the session's
  // ownership, so it lives inside the session and costs no allocation of its own.
  // The route a client's CancelRequest takes: through the session, on its worker (see
  // ClientSession::cancel_requested).
  struct SessionCancelTarget : CancelTarget {
    explicit SessionCancelTarget(ClientSession& session) : session(session) {}
    void request_cancel() override { session.cancel_requested(); }
    ClientSession& session;
  };
  SessionCancelTarget cancel_target_{session_};
  CancelRegistration cancel_registration_;
  // Message boundaries of a busy client: made on its first read after a wake-up and dropped by
  // trim_idle at a boundary, so a parked client holds none.
  struct Scanners {
    explicit Scanners(std::uint64_t max_message_length) : client(max_message_length), outgoing(max_message_length) {}
    pg::BasicMessageScanner<0> client;    // types and lengths are all the client side needs
    pg::BasicMessageScanner<0> outgoing;  // message boundaries of what goes to the backend
    std::string held_server_bytes;  // an incomplete header from the server (< 5 bytes): maybe a reply to swallow
    std::string statement_context;  // statement_context()'s buffer
  };
  Scanners& scanners();
  bool client_at_boundary() const { return !scanners_ || scanners_->client.at_boundary(); }
  std::unique_ptr<Scanners> scanners_;
  // The client's Query and Parse texts, as they stream: made on a client's first message,
  // dropped again when it has been idle a while (trim_idle; 900 bytes an idle client need not hold).
  std::unique_ptr<pg::ClientTextReader> text_reader_;
  pg::SessionSettings session_settings_;  // what follows the client, and what pins it
  std::optional<pg::SessionState> shown_pin_;  // as SHOW CLIENTS has it
  bool refuse_state_ = false;  // session_state: error, in transaction or statement mode
  bool statement_timed_out_ = false;  // the next 57014 from the server is ours: say why
  // Prepared statements: on in transaction and statement mode with max_prepared_statements > 0.
  bool track_statements_ = false;
  bool unnamed_forgets_all_ = false;  // the unnamed statement's text is DEALLOCATE ALL or DISCARD ALL
  // The backend in hand has this client's unnamed statement (or, like the client, none): it
  // parsed, closed or destroyed it (a Query) in this lease, or Sluice restored it. Per lease.
  bool unnamed_on_lease_ = false;
  std::unique_ptr<ServerScanner> server_scanner_;  // made at a lease, kept while busy: trimmed idle clients hold none
  pg::UnitOfWork unit_;  // what the backend holds for this client: the release decision's input

  // This client's names, whichever backend it has: made on its first statement message and
  // dropped by trim_idle while it has none, so a client without statements holds no table.
  std::unique_ptr<pg::ClientStatements> client_statements_;
  // The client's last unnamed Parse, whole, while it may still be bound (until its next unnamed
  // Parse, a Close of it, or a Query): a later transaction's Bind may meet another backend.
  std::unique_ptr<std::string> unnamed_parse_;
  StatementCounts statement_counts_;  // since the core last took them
  pg::ClientStatements& client_statements();
};

// A ClientSession with a PostgreSQL front end, for the listener.
std::shared_ptr<ClientSession> make_postgres_session(WorkerSocket client, ProxyContext& context);

}  // namespace sluice::session
