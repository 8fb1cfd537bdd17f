// MyFrontend, part one: from the TCP accept to the OK packet.
#include <spdlog/spdlog.h>

#include "sluice/auth/md5.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/session/mysql/my_frontend.hpp"
#include "sluice/session/mysql/my_io.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

namespace {
Failure auth_failed(std::string_view user) {
  return Failure{"auth_failed", "28P01", "password authentication failed for user \"" + std::string(user) + "\""};
}

Failure unknown_database(std::string_view name) {
  return Failure{"unknown_database", "3D000", "no such database: " + std::string(name)};
}
}  // namespace

std::shared_ptr<ClientSession> make_mysql_session(WorkerSocket client, ProxyContext& context) {
  auto session = std::make_shared<ClientSession>(std::move(client), context);
  session->set_frontend(std::make_unique<MyFrontend>(*session));
  return session;
}

MyFrontend::MyFrontend(ClientSession& session)
    : session_(session),
      cancel_target_(std::make_shared<MyKillTarget>()),
      client_scanner_(session.runtime().config->max_packet_size),
      tracker_(kBackendCapabilities),
      internal_tracker_(kBackendCapabilities),
      server_progress_(session.client().get_executor()) {}

std::uint64_t MyFrontend::client_token() const {
  const auto& key = registration_.key();
  return ((std::uint64_t{key.process_id} << 32) | key.secret_key) + session_resets_;
}

awaitable<Expected<LoginOutcome>> MyFrontend::log_in() {
  registration_ = runtime::CancelRegistration(session_.context().cancels, cancel_target_);
  auto tls_context = session_.client_tls_context();
  mysql::ClientLoginSettings settings;
  settings.connection_id = registration_.key().process_id;
  // CLIENT_SSL only with a context to start TLS with (tls.client.mode allow or require).
  settings.capabilities = kClientCapabilities | (tls_context ? mysql::capability::CLIENT_SSL : 0);
  settings.client_host = session_.address();
  // The backends' own version once one has been seen (MariaDB's "5.5.5-" prefix included).
  if (auto version = session_.context().mysql_server_version.current(); !version.empty()) {
    settings.server_version = std::move(version);
  }
  settings.max_packet_size = std::min<std::uint64_t>(settings.max_packet_size, session_.runtime().config->max_packet_size);
  mysql::ClientLogin login(std::move(settings));
  auto event = co_await read_response(login, std::move(tls_context));
  if (!event) co_return event.failure();
  // Every refusal leaves through the one co_await at the end, with a named Failure: GCC 12
  // destroyed a temporary twice when it was built inside `co_return co_await` in an if.
  std::optional<Failure> refusal;
  const config::DatabaseConfig* database = nullptr;
  if (*event != mysql::ClientLoginEvent::handshake_response) refusal = login.failure();
  // Before anything else is said in plain text (not even whether the database exists).
  if (!refusal) {
    if (auto secured = session_.check_tls_required(); !secured) refusal = secured.failure();
  }
  std::string database_name;
  if (!refusal) {
    database = choose_database(login.response(), database_name);
    rejects_client_codes_ = mysql::rejects_client_error_codes(login.response());
    if (!database) {
      refusal = unknown_database(database_name);
    } else if (session_.context().pools.disabled(database_name)) {
      refusal = pool::database_disabled(database_name);
    }
  }
  if (!refusal) {
    const auto cap = session_.admit();
    if (cap) refusal = Failure{*cap, "53300", "too many connections: " + *cap + " reached"};
  }
  std::optional<auth::HbaMethod> method;
  if (!refusal) {
    auto allowed = check_hba();
    if (allowed) method = *allowed;
    else refusal = allowed.failure();
  }
  if (!refusal && !begin_authentication(login, method)) refusal = auth_failed(session_.user());
  if (!refusal) {
    event = co_await drive_login(login);
    if (!event) co_return event.failure();
    if (*event != mysql::ClientLoginEvent::authenticated) refusal = login.failure();
  }
  if (refusal) co_return co_await fail_login(login, std::move(*refusal));
  co_return co_await welcome(login, *database);
}

// Joins the pool and sends the OK: from now on the client may send commands.
awaitable<Expected<LoginOutcome>> MyFrontend::welcome(mysql::ClientLogin& login, const config::DatabaseConfig& database) {
  session_.join_pool(database);
  cancel_target_->set_owner(session_.user(), session_.weak_from_this());
  choose_statement_tracking();
  read_state_policy();
  auto connector = std::static_pointer_cast<MyServerConnector>(session_.pool().connector());
  schema_ = connector->target()->dbname;
  choose_collation(login.response().character_set);
  scramble_ = login.scramble();
  client_capabilities_ = login.capabilities();
  follow_login_sql_mode();
  const Failure lost = client_closed();
  auto sent = co_await write_bytes(session_.client(), login.output(), lost);
  if (!sent) co_return sent.failure();
  co_return LoginOutcome::client;
}

// Up to the HandshakeResponse41, through the TLS handshake when the client sent an SSLRequest
// (seq 1; the response then comes encrypted as seq 2).
awaitable<Expected<mysql::ClientLoginEvent>> MyFrontend::read_response(mysql::ClientLogin& login,
                                                                       net::TlsContextPtr tls_context) {
  auto event = co_await drive_login(login);
  if (!event || *event != mysql::ClientLoginEvent::ssl_request) co_return event;
  auto secured = co_await session_.handshake_client_tls(std::move(tls_context));
  if (!secured) co_return secured.failure();
  login.tls_started();
  event = co_await drive_login(login);
  co_return event;
}

// Writes and reads for the login until it needs a decision (or has failed, ERR included).
awaitable<Expected<mysql::ClientLoginEvent>> MyFrontend::drive_login(mysql::ClientLogin& login) {
  auto& client = session_.client();
  const Failure lost = client_closed();
  for (;;) {
    const auto event = login.next();
    if (event == mysql::ClientLoginEvent::authenticated) co_return event;  // the caller sends the OK
    if (!login.output().empty()) {
      if (event == mysql::ClientLoginEvent::failed) login_error_sent_ = true;
      if (auto sent = co_await write_bytes(client, login.output(), lost); !sent) co_return sent.failure();
      login.output().clear();
    }
    if (event != mysql::ClientLoginEvent::need_input) co_return event;
    const auto wanted = login.input();
    auto [error, read] = co_await asio::async_read(client, asio::buffer(wanted.data(), wanted.size()), use_nothrow);
    if (error) co_return client_closed();
    login.received(read);
  }
}

// The ERR packet goes out in the login's sequence; the session then ends with `failure`.
// (After an AuthSwitchRequest and the client's answer, when refuse() sent one.)
awaitable<Expected<LoginOutcome>> MyFrontend::fail_login(mysql::ClientLogin& login, Failure failure) {
  login.refuse(failure);
  co_await drive_login(login);
  co_return failure;
}

const config::DatabaseConfig* MyFrontend::choose_database(const mysql::HandshakeResponse41& response,
                                                          std::string& name) {
  const auto& config = *session_.runtime().config;
  name = response.database.value_or("");
  if (name.empty()) {
    // As MariaDB lets a client in without a schema: the user's default_database, else the one
    // MySQL database there is (mariadb-admin, or `mariadb -u app` and then USE, never name one).
    if (const auto* user = config.find_user(response.user); user && user->default_database) {
      name = *user->default_database;
    } else {
      name = config.sole_database(config::Protocol::mysql);
    }
  }
  const auto* database = config.find_database(name);
  const bool known = database && database->protocol == config::Protocol::mysql;
  const std::string program(mysql::connect_attribute(response, "program_name"));
  session_.identify(response.user, known ? name : std::string(), program);
  if (!known) {
    spdlog::info("MySQL client asked for unknown database '{}' (user={})", name, response.user);
    return nullptr;
  }
  return database;
}

// mysql_native_password against a "*..." hash or a plain password; caching_sha2_password's fast
// path when the client answered for it (a plain password only). Over TLS, a stored form that
// cannot check the client's scramble (an md5 hash or SCRAM verifier, or a "*" hash for a
// caching_sha2_password client) gets caching_sha2_password's full authentication: the client
// sends the password itself. Without TLS md5 hashes and SCRAM verifiers are refused.
bool MyFrontend::begin_authentication(mysql::ClientLogin& login, std::optional<auth::HbaMethod> method) {
  const auto& config = *session_.runtime().config;
  const bool trusted = method ? *method == auth::HbaMethod::trust : config.auth_type == config::AuthType::trust;
  if (trusted) {
    login.begin_trust();
    return true;
  }
  const auto* user = config.find_user(login.response().user);
  if (!user || !user->password) return false;
  const std::string& stored = *user->password;
  const bool native_hash = auth::is_mysql_native_password_hash(stored);
  const bool postgres_form = stored.starts_with(auth::scram_verifier_prefix) || auth::is_md5_hash(stored);
  const auto& plugin = login.response().auth_plugin_name;
  const bool sha2_client = plugin && *plugin == mysql::auth_plugin::caching_sha2_password;
  if (session_.client().is_tls() && (postgres_form || (native_hash && sha2_client))) {
    login.begin_caching_sha2_full_authentication(stored);
  } else if (postgres_form) {
    spdlog::info("MySQL client user={} refused: its password is an md5 hash or SCRAM verifier, which needs TLS "
                 "(caching_sha2_password full authentication)",
                 login.response().user);
    return false;
  } else if (native_hash || !sha2_client) {
    login.begin_mysql_native_password(stored);
  } else {
    login.begin_caching_sha2_password(stored);
  }
  return true;
}

// The console speaks PostgreSQL only: choose_database never picks it for a MySQL client.
awaitable<Status> MyFrontend::serve_admin_console() {
  co_return Failure{"unknown_database", "3D000", "no such database: sluice"};
}

// The character set every backend is put in for this client. An id MariaDB does not know gets
// the default Sluice's handshake offered, as a server falls back to its own: never whatever
// the backend's last client left.
void MyFrontend::choose_collation(std::uint8_t id) {
  collation_ = mysql::collation_by_id(id);
  character_set_ = id;
  if (collation_) return;
  spdlog::warn("user={} database={}: unknown collation id {} at login; using utf8mb4_general_ci", session_.user(),
               session_.database(), id);
  character_set_ = mysql::charset::utf8mb4_general_ci;
  collation_ = mysql::collation_by_id(character_set_);
}

}  // namespace sluice::session
