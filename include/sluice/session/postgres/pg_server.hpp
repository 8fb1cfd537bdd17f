#pragma once
// The PostgreSQL side of a backend: connecting, logging in (trust, cleartext, md5,
// SCRAM-SHA-256), and the per-backend state the session needs (its cancel key and the
// parameter values it last reported).
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/pool/server_connection.hpp"
#include "sluice/protocol/postgres/server_login.hpp"
#include "sluice/runtime/cancel_registry.hpp"
#include "sluice/session/backend_target.hpp"
#include "sluice/protocol/postgres/session_settings.hpp"
#include "sluice/protocol/postgres/statement_tracker.hpp"

namespace sluice::session {

using ParameterList = std::vector<std::pair<std::string, std::string>>;

// Sets or replaces one parameter, keeping first-seen order.
void set_parameter(ParameterList& parameters, std::string_view name, std::string_view value);
const std::string* find_parameter(const ParameterList& parameters, std::string_view name);

class PgServerConnection : public pool::ServerConnection {
 public:
  using pool::ServerConnection::ServerConnection;
  void say_goodbye() override;
  std::uint32_t remote_process_id() const override { return process_id; }

  std::shared_ptr<const BackendTarget> target;  // opened with: its server gets its CancelRequests
  std::uint32_t process_id = 0;   // BackendKeyData: what a CancelRequest must carry
  std::uint32_t secret_key = 0;
  // Made once at login from the three above: each lease hands its clients' cancel targets this
  // pointer, so a lease copies no address.
  std::shared_ptr<const runtime::CancelTarget::Backend> cancel_route;
  ParameterList parameters;       // as the server last reported them (ParameterStatus)
  pg::BackendSettings given_settings;  // what Sluice's clients have SET here (reset for the next one)
  // A ParameterStatus from the server, whoever's query caused it.
  void report_parameter(std::string_view name, std::string_view value) {
    set_parameter(parameters, name, value);
    given_settings.reported_change();
  }
  // The prepared statements Sluice made here for its clients (transaction and statement mode):
  // they stay with the backend, and every client it serves next can use them.
  std::unique_ptr<pg::BackendStatements> statements;
};

class PgServerConnector : public pool::ServerConnector {
 public:
  explicit PgServerConnector(BackendTarget target)
      : target_(std::make_shared<const BackendTarget>(std::move(target))) {}

  std::unique_ptr<pool::ServerConnection> create(WorkerExecutor executor) override;
  // Each reads the target once, at its start: a reload meanwhile never mixes two targets.
  awaitable<Status> open(pool::ServerConnection& connection) override;
  awaitable<bool> check(pool::ServerConnection& connection) override;
  pool::TargetChange retarget(const pool::ServerConnector& fresh) override;

  // Where new backends go now; a backend's own is PgServerConnection::target.
  std::shared_ptr<const BackendTarget> target() const;
  // The parameters the first backend reported, sent to clients at login; after a reload that
  // changed the server, the first backend of the new target replaces them.
  std::optional<ParameterList> server_parameters() const;
  // SCRAM pass-through: a client proved the user's verifier, revealing the ClientKey. Backends
  // opened from now on log in with it when the target has no plain password. Never logged.
  void learn_client_key(const auth::ScramSecret& secret, const auth::ScramKey& client_key);

 private:
  awaitable<Status> connect(PgServerConnection& server);
  awaitable<Status> log_in(PgServerConnection& server, std::optional<std::vector<std::uint8_t>> channel_binding);
  void learn_parameters(const PgServerConnection& server);

  mutable std::mutex mutex_;  // guards the members below; held for a copy or a swap only
  std::shared_ptr<const BackendTarget> target_;
  std::optional<ParameterList> server_parameters_;
  std::shared_ptr<const BackendTarget> parameters_target_;  // the target server_parameters_ came from
  std::optional<pg::ScramPassThrough> pass_through_;
};

// One query of Sluice's own (parameter sync, ROLLBACK, reset, health check) on a backend no
// client is talking to: sends it, reads the replies up to ReadyForQuery, keeps
// server.parameters current and reports each ParameterStatus to `on_parameter`.
struct BackendQueryResult {
  char transaction_status = 'I';
  std::optional<std::string> error;  // the ErrorResponse's message, if the query failed
};
using ParameterObserver = std::function<void(std::string_view name, std::string_view value)>;
awaitable<Expected<BackendQueryResult>> run_backend_query(PgServerConnection& server, std::string_view sql,
                                                          const ParameterObserver& on_parameter = {});

// Asks the backend with this key to cancel its running statement, on a new connection (TLS
// when the backend's was, under the same tls.server mode).
awaitable<void> send_cancel_request(WorkerExecutor executor, runtime::CancelTarget::Backend backend);

}  // namespace sluice::session
