// The pools' ConnectorFactory: the one place that turns a database's `protocol` into the
// connector that opens its backends, so pool/ never names a protocol.
#include "sluice/app/proxy_server.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/session/mysql/my_server.hpp"
#include "sluice/session/postgres/pg_server.hpp"

namespace sluice::app {

namespace {

// Where a pool's backends go, who they log in as (the database's forced user, or the client's)
// and how they ask for TLS (tls.server, either protocol).
session::BackendTarget backend_target(const config::DatabaseConfig& database, const config::UserConfig* user,
                                      const std::string& user_name, const config::PoolSettings& settings,
                                      const ServerTls& tls) {
  session::BackendTarget target;
  target.host = database.host;
  target.port = database.port;
  target.dbname = database.dbname.empty() ? database.name : database.dbname;
  if (database.user) {
    target.user = *database.user;
    target.password = database.password;
  } else {
    target.user = user_name;
    if (user && user->password) target.password = *user->password;
  }
  target.connect_timeout = settings.server_connect_timeout;
  target.check_query = settings.server_check_query;
  target.tls_mode = tls.mode;
  target.tls_context = tls.context;
  return target;
}

bool is_scram_verifier(const std::string& password) { return password.starts_with("SCRAM-SHA-256$"); }

}  // namespace

std::shared_ptr<pool::ServerConnector> make_postgres_connector(const config::DatabaseConfig& database,
                                                               const config::UserConfig* user,
                                                               const std::string& user_name,
                                                               const config::PoolSettings& settings,
                                                               const ServerTls& tls) {
  auto target = backend_target(database, user, user_name, settings, tls);
  // A SCRAM verifier or a mysql.user hash cannot log in to a server; only plain text or an md5
  // hash can (or the ClientKey a client reveals, SCRAM pass-through:
  // PgServerConnector::learn_client_key).
  if (target.password &&
      (is_scram_verifier(*target.password) || auth::is_mysql_native_password_hash(*target.password))) {
    target.password.reset();
  }
  return std::make_shared<session::PgServerConnector>(std::move(target));
}

std::shared_ptr<pool::ServerConnector> make_mysql_connector(const config::DatabaseConfig& database,
                                                            const config::UserConfig* user,
                                                            const std::string& user_name,
                                                            const config::PoolSettings& settings,
                                                            const ServerTls& tls) {
  auto target = backend_target(database, user, user_name, settings, tls);
  // A mysql.user hash (or a PostgreSQL verifier) checks clients but cannot answer a scramble:
  // the login then fails with the server's own "Access denied".
  if (target.password && (auth::is_mysql_native_password_hash(*target.password) || is_scram_verifier(*target.password) ||
                          (target.password->starts_with("md5") && target.password->size() == 35))) {
    target.password.reset();
  }
  return std::make_shared<session::MyServerConnector>(std::move(target));
}

std::shared_ptr<pool::ServerConnector> make_connector(const config::DatabaseConfig& database,
                                                      const config::UserConfig* user, const std::string& user_name,
                                                      const config::PoolSettings& settings, const ServerTls& tls) {
  if (database.protocol == config::Protocol::mysql) return make_mysql_connector(database, user, user_name, settings, tls);
  return make_postgres_connector(database, user, user_name, settings, tls);
}

std::string build_server_tls(const config::ServerTlsConfig& settings, ServerTls& built) {
  built = ServerTls{settings.mode, nullptr};
  if (settings.mode == config::ServerTlsMode::disable) return "";
  auto context = net::make_server_tls_context(settings);
  if (!context.ok()) return context.error;
  built.context = std::move(context.context);
  return "";
}

}  // namespace sluice::app
