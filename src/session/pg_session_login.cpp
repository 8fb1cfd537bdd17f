// PgSession, part one: from the first byte to ReadyForQuery.
#include <spdlog/spdlog.h>

#include "sluice/core/deadline.hpp"

#include "sluice/auth/scram_secret.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/pg_io.hpp"
#include "sluice/session/pg_session.hpp"
#include "sluice/session/tracked_parameters.hpp"

namespace sluice::session {

namespace {
Failure client_gone() { return Failure{"client_close", "08006", "client closed the connection"}; }

}  // namespace

PgSession::PgSession(tcp::socket client, ProxyContext& context)
    : client_(std::move(client)),
      context_(context),
      runtime_(context.config.current()),
      cancel_target_(std::make_shared<CancelTarget>()),
      client_scanner_(runtime_->config->max_packet_size) {
  error_code error;
  const auto endpoint = client_.remote_endpoint(error);
  if (!error) {
    address_ = endpoint.address().to_string();
    port_ = endpoint.port();
  }
}

PgSession::~PgSession() { context_.registry.remove(registry_id_); }

void PgSession::start(std::shared_ptr<PgSession> session) {
  // Listed before the id is stored: a scrape or SHOW CLIENTS may snapshot it at once.
  const auto registry_id = session->context_.registry.add(session.get());
  {
    std::lock_guard lock(session->snapshot_mutex_);
    session->registry_id_ = registry_id;
  }
  auto executor = session->client_.get_executor();
  asio::co_spawn(executor, [session]() mutable -> awaitable<void> { co_await session->run(); },
                 asio::detached);
}

awaitable<void> PgSession::run() {
  error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  Status outcome = co_await log_in_within_deadline();
  startup_ = {};  // everything needed from it is copied by now: idle clients stay small
  if (outcome.ok() && admin_console_) {
    outcome = co_await serve_admin_console();
  } else if (outcome.ok() && !database_.empty()) {
    spdlog::info("client login: user={} database={} application_name={} address={}:{}", user_, database_,
                 application_name_, address_, port_);
    outcome = co_await relay_client();
  }
  co_await finish(outcome);
}

// client_login_timeout bounds everything up to ReadyForQuery (slowloris included). A
// coroutine of its own, so the timer is gone once the client is in.
awaitable<Status> PgSession::log_in_within_deadline() {
  auto login = co_await within(runtime_->config->defaults.client_login_timeout, log_in());
  if (login) co_return std::move(*login);
  co_return Failure{"client_login_timeout", "08006", "client_login_timeout"};
}

awaitable<Status> PgSession::log_in() {
  pg::ClientLogin login;
  auto event = co_await drive_login(login);
  if (!event) co_return event.failure();
  if (*event == pg::ClientLoginEvent::cancel_request) {
    handle_cancel_request(login.startup());
    co_return ok_status();  // nothing more to do
  }
  if (*event != pg::ClientLoginEvent::startup) co_return login.failure();
  startup_ = login.startup();
  if (auto chosen = choose_pool(); !chosen) co_return chosen.failure();
  if (auto authenticated = co_await authenticate(login); !authenticated) co_return authenticated.failure();
  if (admin_console_) {
    if (auto allowed = check_admin_access(); !allowed) co_return allowed.failure();
    co_return co_await send_admin_welcome();
  }
  if (auto reason = context_.clients.admit(*runtime_->config, user_, ticket_.emplace())) {
    ticket_.reset();
    co_return Failure{*reason, "53300", "too many connections: " + *reason + " reached"};
  }
  join_pool();  // only now: made-up user names never create pools
  if (auto welcomed = co_await send_welcome(); !welcomed) co_return welcomed.failure();
  clock_.set_limits(pool_->settings());
  if (!core_.has_lease()) {
    set_state(ClientState::idle);
    clock_.client_idle(Clock::now());
  }
  co_return ok_status();
}

awaitable<Expected<pg::ClientLoginEvent>> PgSession::drive_login(pg::ClientLogin& login) {
  for (;;) {
    const auto event = login.next();
    if (!login.output().empty()) {
      if (auto sent = co_await write_all(client_, login.output(), client_gone()); !sent) co_return sent.failure();
      login.output().clear();
    }
    switch (event) {
      case pg::ClientLoginEvent::need_input: {
        const auto wanted = login.input();
        auto [error, read] =
            co_await asio::async_read(client_, asio::buffer(wanted.data(), wanted.size()), use_nothrow);
        if (error) co_return client_gone();
        login.received(read);
        break;
      }
      case pg::ClientLoginEvent::encryption_request:
        login.refuse_encryption();  // TLS is not offered yet: the client goes on in plain text
        break;
      default:
        co_return event;
    }
  }
}

void PgSession::handle_cancel_request(const pg::StartupPacket& packet) {
  auto target = context_.cancels.find({packet.cancel_process_id, packet.cancel_secret_key});
  if (!target) return;  // unknown key: say nothing, like PostgreSQL
  auto backend = target->get();
  if (!backend) return;  // that client holds no backend: nothing is running
  asio::co_spawn(client_.get_executor(),
                 send_cancel_request(client_.get_executor(), backend->host, backend->port, backend->process_id,
                                     backend->secret_key),
                 asio::detached);
}

Status PgSession::choose_pool() {
  const auto* user = startup_.find("user");
  const auto* database = startup_.find("database");
  const auto* application_name = startup_.find("application_name");
  std::string user_name = user ? *user : "";
  std::string database_name = database && !database->empty() ? *database : user_name;
  const bool admin = database_name == "sluice" || database_name == "pgbouncer";
  const auto* database_config = admin ? nullptr : runtime_->config->find_database(database_name);
  const bool known = admin || database_config;
  {
    // Listed in the client registry already: SHOW CLIENTS and scrapes read these meanwhile.
    std::lock_guard lock(snapshot_mutex_);
    user_ = std::move(user_name);
    if (known) database_ = database_name;
    if (application_name) application_name_ = *application_name;
  }
  if (!known) return Failure{"unknown_database", "3D000", "no such database: " + database_name};
  if (admin) {
    admin_console_ = true;
    return ok_status();
  }
  database_config_ = database_config;
  return ok_status();
}

void PgSession::join_pool() {
  pool_ = context_.pools.find_or_create(*runtime_->config, *database_config_, user_);
  connector_ = std::static_pointer_cast<PgServerConnector>(pool_->connector());
  core_.set_pool_mode(pool_->settings().pool_mode);
  histograms_ = &context_.metrics.histograms_for(pool_->key().database, pool_->key().user);
}

awaitable<Status> PgSession::authenticate(pg::ClientLogin& login) {
  const auto& config = *runtime_->config;
  const auth::Credential* credential = nullptr;
  if (auto found = runtime_->credentials.find(user_); found != runtime_->credentials.end()) {
    credential = &found->second;
  }
  switch (config.auth_type) {
    case config::AuthType::trust:
      login.begin_trust();
      break;
    case config::AuthType::md5: {
      std::array<std::uint8_t, 4> salt{};
      if (!auth::random_fill(salt)) co_return Failure{"internal_error", "58000", "no randomness for the md5 salt"};
      login.begin_md5(credential, salt);
      break;
    }
    case config::AuthType::scram_sha_256:
      login.begin_scram(credential);
      break;
  }
  auto event = co_await drive_login(login);
  if (!event) co_return event.failure();
  if (*event == pg::ClientLoginEvent::authenticated) co_return ok_status();
  if (!login.auth_error().empty()) spdlog::info("SCRAM exchange with user={} failed: {}", user_, login.auth_error());
  co_return login.failure();
}

// AuthenticationOk, the server's parameters as this client will see them, our own
// BackendKeyData, ReadyForQuery. The parameters come from a real backend: the first
// client of a pool opens one to learn them.
awaitable<Status> PgSession::send_welcome() {
  auto server_parameters = connector_->server_parameters();
  if (!server_parameters) {
    auto lease = co_await pool_->acquire(client_.get_executor());
    if (!lease) co_return lease.failure();
    server_parameters = connector_->server_parameters();
    if (core_.pool_mode() == config::PoolMode::session) {
      if (auto attached = co_await attach_lease(std::move(*lease)); !attached) co_return attached.failure();
    } else {
      lease->release();
    }
  }
  client_parameters_ = initial_client_parameters(startup_, server_parameters.value_or(ParameterList{}));

  cancel_registration_.emplace(context_.cancels, cancel_target_);
  std::string out;
  pg::write_authentication_ok(out);
  auto reported = server_parameters.value_or(ParameterList{});
  for (const auto& [name, value] : client_parameters_) set_parameter(reported, name, value);
  for (const auto& [name, value] : reported) pg::write_parameter_status(out, name, value);
  pg::write_backend_key_data(out, cancel_registration_->key().process_id, cancel_registration_->key().secret_key);
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  co_return co_await write_all(client_, out, client_gone());
}

}  // namespace sluice::session
