// PgFrontend, part one: from the first byte to ReadyForQuery.
#include <spdlog/spdlog.h>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"
#include "sluice/session/postgres/tracked_parameters.hpp"

namespace sluice::session {

namespace {
bool is_admin_database(std::string_view name) { return name == "sluice" || name == "pgbouncer"; }

// The database the client asked for: its user's name when it names none, as PostgreSQL does.
std::string requested_database(const pg::StartupPacket& startup) {
  const auto* database = startup.find("database");
  if (database && !database->empty()) return *database;
  const auto* user = startup.find("user");
  return user ? *user : "";
}
}  // namespace

std::shared_ptr<ClientSession> make_postgres_session(WorkerSocket client, ProxyContext& context) {
  auto session = std::make_shared<ClientSession>(std::move(client), context);
  session->set_frontend(std::make_unique<PgFrontend>(*session));
  return session;
}

PgFrontend::PgFrontend(ClientSession& session) : session_(session) {}

awaitable<Expected<LoginOutcome>> PgFrontend::log_in() {
  if (auto direct = co_await accept_direct_tls(); !direct) co_return direct.failure();
  pg::ClientLogin login;
  auto event = co_await drive_login(login);
  if (!event) co_return event.failure();
  if (*event == pg::ClientLoginEvent::cancel_request) {
    serve_cancel_request(login.startup());
    co_return LoginOutcome::finished;
  }
  if (*event != pg::ClientLoginEvent::startup) co_return login.failure();
  // Before anything else is said in plain text (not even whether the database exists).
  if (auto secured = session_.check_tls_required(); !secured) co_return secured.failure();
  auto database = choose_database(login.startup());
  // hba first, as in PostgreSQL: a refused client learns nothing of which databases exist.
  auto method = choose_method(requested_database(login.startup()));
  if (!method) co_return method.failure();
  if (!database) co_return database.failure();
  if (auto authenticated = co_await authenticate(login, *method); !authenticated) co_return authenticated.failure();
  if (!*database) {
    if (auto allowed = check_admin_access(); !allowed) co_return allowed.failure();
    if (auto welcomed = co_await send_admin_welcome(); !welcomed) co_return welcomed.failure();
    co_return LoginOutcome::admin_console;
  }
  if (auto reason = session_.admit()) {
    co_return Failure{*reason, "53300", "too many connections: " + *reason + " reached"};
  }
  session_.join_pool(**database);
  connector_ = &static_cast<PgServerConnector&>(*session_.pool().connector());
  share_client_key(login);
  credential_.reset();  // proved: the password's forms stay in the config, not in every client
  read_state_policy();
  choose_statement_tracking();
  if (auto welcomed = co_await send_welcome(login.startup()); !welcomed) co_return welcomed.failure();
  co_return LoginOutcome::client;
}

awaitable<Expected<pg::ClientLoginEvent>> PgFrontend::drive_login(pg::ClientLogin& login) {
  auto& client = session_.client();
  for (;;) {
    const auto event = login.next();
    if (!login.output().empty()) {
      if (auto sent = co_await write_all(client, login.output(), client_closed()); !sent) co_return sent.failure();
      login.output().clear();
    }
    switch (event) {
      case pg::ClientLoginEvent::need_input: {
        const auto wanted = login.input();
        auto [error, read] =
            co_await asio::async_read(client, asio::buffer(wanted.data(), wanted.size()), use_nothrow);
        if (error) co_return client_closed();
        login.received(read);
        break;
      }
      case pg::ClientLoginEvent::encryption_request:
        if (auto answered = co_await answer_encryption_request(login); !answered) co_return answered.failure();
        break;
      default:
        co_return event;
    }
  }
}

void PgFrontend::serve_cancel_request(const pg::StartupPacket& packet) {
  auto target = session_.context().cancels.find({packet.cancel_process_id, packet.cancel_secret_key});
  if (!target) return;  // unknown key: say nothing, like PostgreSQL
  // The client's session decides on its own worker: only a statement of its own still running
  // on the backend it holds is cancelled, never the next client's on a backend it gave back.
  target->request_cancel();
}

Expected<const config::DatabaseConfig*> PgFrontend::choose_database(const pg::StartupPacket& startup) {
  const auto* user = startup.find("user");
  const auto* application_name = startup.find("application_name");
  std::string user_name = user ? *user : "";
  std::string database_name = requested_database(startup);
  const bool admin = is_admin_database(database_name);
  const auto* database_config = admin ? nullptr : session_.runtime().config->find_database(database_name);
  // A MySQL database's pool opens MySQL backends: to a PostgreSQL client it does not exist.
  if (database_config && database_config->protocol != config::Protocol::postgres) database_config = nullptr;
  const bool known = admin || database_config;
  session_.identify(std::move(user_name), known ? database_name : std::string(),
                    application_name ? *application_name : std::string());
  if (!known) return Failure{"unknown_database", "3D000", "no such database: " + database_name};
  if (database_config && session_.context().pools.disabled(database_name)) return pool::database_disabled(database_name);
  return database_config;
}

// AuthenticationOk, the server's parameters as this client will see them, our own
// BackendKeyData, ReadyForQuery. The parameters come from a real backend: the first
// client of a pool opens one to learn them.
awaitable<Status> PgFrontend::send_welcome(const pg::StartupPacket& startup) {
  auto server_parameters = connector_->server_parameters();
  pool::Lease first;  // the pool's first backend, opened to learn them
  if (!server_parameters) {
    auto lease = co_await session_.pool().acquire(session_.client().get_executor());
    if (!lease) co_return lease.failure();
    server_parameters = connector_->server_parameters();
    first = std::move(*lease);
  }
  for (const auto& [name, value] : initial_client_parameters(startup, server_parameters.value_or(ParameterList{}))) {
    session_settings_.set_reported(name, value);
  }
  // Its other startup parameters (extra_float_digits, search_path, -c in options) are its settings.
  // PostgreSQL reads `options` first: a parameter of its own wins over the same one in it.
  const auto* options = startup.find("options");
  auto settings = options ? pg::read_startup_options(*options) : pg::Parameters{};
  settings.insert(settings.end(), startup.parameters.begin(), startup.parameters.end());
  for (const auto& [name, value] : settings) {
    if (!pg::SessionSettings::is_startup_setting(name)) continue;
    if (pg::is_reported_parameter(name)) {
      session_settings_.set_reported(name, value);
    } else if (!session_settings_.set_startup(name, value)) {
      co_return Failure{"startup_parameter", "22023", "invalid value for parameter \"" + name + "\""};
    }
  }
  // Attached only now, so the backend is brought to the client's parameters like any other.
  if (first && session_.core().pool_mode() == config::PoolMode::session) {
    if (auto attached = co_await session_.attach_lease(std::move(first)); !attached) co_return attached.failure();
  } else if (first) {
    first.release();
  }

  cancel_registration_ = CancelRegistration(session_.context().cancels,
                                            std::shared_ptr<CancelTarget>(session_.shared_from_this(), &cancel_target_));
  std::string out;
  pg::write_authentication_ok(out);
  auto reported = server_parameters.value_or(ParameterList{});
  for (const auto& [name, value] : session_settings_.reported()) set_parameter(reported, name, value);
  session_settings_.share_reported(session_.context().shared_strings);
  for (const auto& [name, value] : reported) pg::write_parameter_status(out, name, value);
  pg::write_backend_key_data(out, cancel_registration_.key().process_id, cancel_registration_.key().secret_key);
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  co_return co_await write_all(session_.client(), out, client_closed());
}

}  // namespace sluice::session
