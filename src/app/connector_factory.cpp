// The pools' ConnectorFactory: the one place that turns a database's `protocol` into the
// connector that opens its backends, so pool/ never names a protocol.
#include <spdlog/spdlog.h>

#include "sluice/app/proxy_server.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/session/mysql/my_server.hpp"

namespace sluice::app {

std::shared_ptr<pool::ServerConnector> make_mysql_connector(const config::DatabaseConfig& database,
                                                            const config::UserConfig* user,
                                                            const std::string& user_name,
                                                            const config::PoolSettings& settings) {
  session::MyBackendTarget target;
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
  // A mysql.user hash (or a PostgreSQL verifier) checks clients but cannot answer a scramble:
  // the login then fails with the server's own "Access denied".
  if (target.password && (auth::is_mysql_native_password_hash(*target.password) ||
                          target.password->starts_with("SCRAM-SHA-256$") ||
                          (target.password->starts_with("md5") && target.password->size() == 35))) {
    target.password.reset();
  }
  target.connect_timeout = settings.server_connect_timeout;
  target.check_query = settings.server_check_query;
  return std::make_shared<session::MyServerConnector>(std::move(target));
}

std::shared_ptr<pool::ServerConnector> make_connector(const config::DatabaseConfig& database,
                                                      const config::UserConfig* user, const std::string& user_name,
                                                      const config::PoolSettings& settings) {
  if (database.protocol == config::Protocol::mysql) return make_mysql_connector(database, user, user_name, settings);
  return make_postgres_connector(database, user, user_name, settings);
}

}  // namespace sluice::app
