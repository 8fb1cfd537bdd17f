// MyServerConnector: TCP connect and a native login (mysql::ServerLogin, TLS inside it as
// tls.server says) within server_connect_timeout, health checks, and reload retargeting.
#include <spdlog/spdlog.h>

#include "sluice/core/deadline.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/session/backend_tls.hpp"
#include "sluice/session/mysql/my_io.hpp"
#include "sluice/session/mysql/my_server.hpp"

namespace sluice::session {

namespace {
// tls.server's mode as the login machine needs it; the certificate rules stay with the context.
mysql::BackendTls login_tls(const BackendTarget& target) {
  if (!wants_backend_tls(target)) return mysql::BackendTls::off;
  return target.tls_mode == config::ServerTlsMode::prefer ? mysql::BackendTls::if_offered
                                                         : mysql::BackendTls::required;
}
}  // namespace

void MyServerConnection::say_goodbye() {
  std::string quit;
  mysql::SequenceId sequence;
  mysql::write_packet(quit, sequence, std::string(1, static_cast<char>(mysql::command::COM_QUIT)));
  stream().write_without_waiting(asio::buffer(quit));
}

std::unique_ptr<pool::ServerConnection> MyServerConnector::create(WorkerExecutor executor) {
  return std::make_unique<MyServerConnection>(std::move(executor));
}

std::shared_ptr<const BackendTarget> MyServerConnector::target() const {
  std::lock_guard lock(mutex_);
  return target_;
}

pool::TargetChange MyServerConnector::retarget(const pool::ServerConnector& fresh) {
  // PoolRegistry replaces a pool whose database changed protocol, so `fresh` is one of ours.
  const auto* mine = dynamic_cast<const MyServerConnector*>(&fresh);
  if (!mine) return {};
  auto next = mine->target();
  std::lock_guard lock(mutex_);
  auto change = compare_targets(*target_, *next);
  if (change.backend || change.settings) target_ = std::move(next);
  return change;
}

awaitable<Status> MyServerConnector::open(pool::ServerConnection& connection) {
  auto& server = static_cast<MyServerConnection&>(connection);
  server.target = target();
  auto outcome = co_await within(server.target->connect_timeout, connect(server));
  if (outcome) co_return std::move(*outcome);
  error_code ignored;
  server.socket().close(ignored);
  co_return connect_failure(*server.target, "server_connect_timeout");
}

// Alive, answering, and not inside a transaction (a backend at rest never is).
awaitable<bool> MyServerConnector::check(pool::ServerConnection& connection) {
  auto& server = static_cast<MyServerConnection&>(connection);
  const auto target = this->target();
  std::vector<std::string> commands;
  commands.push_back(target->check_query.empty() ? com_ping() : com_query(target->check_query));
  auto outcome = co_await within(target->connect_timeout, run_backend_commands(server, commands));
  if (!outcome || !outcome->ok()) co_return false;  // dead: the pool logs its close
  const auto& answer = (**outcome)[0];
  // Alive, but the query itself is wrong: said, or every reuse would churn backends silently.
  if (answer.error) {
    spdlog::warn("server_check_query failed on {}:{}: {} {}", target->host, target->port, answer.error->error_code,
                 answer.error->error_message);
    co_return false;
  }
  if (answer.status_flags & mysql::server_status::SERVER_STATUS_IN_TRANS) {
    spdlog::warn("server_check_query left a transaction open on {}:{}", target->host, target->port);
    co_return false;
  }
  co_return true;
}

awaitable<Status> MyServerConnector::connect(MyServerConnection& server) {
  const auto& target = *server.target;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(target.host, std::to_string(target.port), use_nothrow);
  if (resolve_error) co_return connect_failure(target, resolve_error.message());
  auto [connect_error, endpoint] = co_await asio::async_connect(server.socket(), endpoints, use_nothrow);
  if (connect_error) co_return connect_failure(target, connect_error.message());
  error_code ignored;
  server.socket().set_option(tcp::no_delay(true), ignored);
  server.socket().set_option(asio::socket_base::keep_alive(true), ignored);
  co_return co_await log_in(server);
}

awaitable<Status> MyServerConnector::log_in(MyServerConnection& server) {
  const auto& target = *server.target;
  mysql::ServerLoginIdentity identity;
  identity.user = target.user;
  identity.database = target.dbname;
  identity.password = target.password;
  identity.capabilities = kBackendCapabilities;
  identity.tls = login_tls(target);
  mysql::ServerLogin login(std::move(identity));
  if (auto done = co_await run_login(server, login); !done) co_return done.failure();
  spdlog::debug("logged in to {}:{} as {} over {}", target.host, target.port, target.user,
                login.tls() ? "TLS" : "plain text");
  server.connection_id = login.handshake().connection_id;
  server.server_version = login.handshake().server_version;
  server.capabilities = login.capabilities();
  server.status_flags = login.status_flags();
  server.schema = target.dbname;
  co_return ok_status();
}

// Drives the machine: writes what it says, reads exactly what it asks for, shakes hands for TLS
// when it has sent the SSLRequest (every byte after that goes through the TLS stream).
awaitable<Status> MyServerConnector::run_login(MyServerConnection& server, mysql::ServerLogin& login) {
  const Failure lost = mysql::server_login_failure("connection closed during login");
  for (;;) {
    const auto event = login.next();
    if (!login.output().empty()) {
      if (auto sent = co_await write_bytes(server.stream(), login.output(), lost); !sent) co_return sent.failure();
      login.output().clear();
    }
    if (event == mysql::ServerLoginEvent::failed) co_return login.failure();
    if (event == mysql::ServerLoginEvent::ready) co_return ok_status();
    if (event == mysql::ServerLoginEvent::start_tls) {
      auto tls = co_await handshake_backend_tls(server.stream(), *server.target);
      if (!tls) co_return tls.failure();
      login.tls_started();
      continue;
    }
    const auto wanted = login.input();
    auto [error, read] =
        co_await asio::async_read(server.stream(), asio::buffer(wanted.data(), wanted.size()), use_nothrow);
    if (error) co_return lost;
    login.received(read);
  }
}

}  // namespace sluice::session
