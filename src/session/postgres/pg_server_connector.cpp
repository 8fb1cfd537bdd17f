#include <spdlog/spdlog.h>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/server_login.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_server.hpp"
#include "sluice/session/postgres/pg_server_tls.hpp"

#include "sluice/core/deadline.hpp"

namespace sluice::session {

namespace {
// Login-phase messages from a server are small; anything bigger is not a PostgreSQL server.
constexpr std::size_t kMaxLoginMessage = 64 * 1024;  // also bounds replies to internal queries
}  // namespace

void set_parameter(ParameterList& parameters, std::string_view name, std::string_view value) {
  for (auto& [known, current] : parameters) {
    if (known == name) {
      current = value;
      return;
    }
  }
  parameters.emplace_back(name, value);
}

const std::string* find_parameter(const ParameterList& parameters, std::string_view name) {
  for (const auto& [known, value] : parameters) {
    if (known == name) return &value;
  }
  return nullptr;
}

void PgServerConnection::say_goodbye() {
  std::string terminate;
  pg::write_terminate(terminate);
  stream().write_without_waiting(asio::buffer(terminate));
}

std::unique_ptr<pool::ServerConnection> PgServerConnector::create(WorkerExecutor executor) {
  return std::make_unique<PgServerConnection>(std::move(executor));
}

std::optional<ParameterList> PgServerConnector::server_parameters() const {
  std::lock_guard lock(mutex_);
  return server_parameters_;
}

std::shared_ptr<const BackendTarget> PgServerConnector::target() const {
  std::lock_guard lock(mutex_);
  return target_;
}

pool::TargetChange PgServerConnector::retarget(const pool::ServerConnector& fresh) {
  // The pool's ConnectorFactory builds PgServerConnectors only (PgFrontend relies on it too).
  auto next = static_cast<const PgServerConnector&>(fresh).target();
  std::lock_guard lock(mutex_);
  auto change = compare_targets(*target_, *next);
  if (!change.backend && !change.settings) return change;
  // Same server: the parameters learned from it stand for the new target too.
  if (!change.backend && parameters_target_ == target_) parameters_target_ = next;
  target_ = std::move(next);
  return change;
}

awaitable<Status> PgServerConnector::open(pool::ServerConnection& connection) {
  auto& server = static_cast<PgServerConnection&>(connection);
  server.target = target();
  auto outcome = co_await within(server.target->connect_timeout, connect(server));
  if (outcome) co_return std::move(*outcome);
  error_code ignored;
  server.socket().close(ignored);
  co_return connect_failure(*server.target, "server_connect_timeout");
}

awaitable<bool> PgServerConnector::check(pool::ServerConnection& connection) {
  auto& server = static_cast<PgServerConnection&>(connection);
  const auto target = this->target();
  auto outcome = co_await within(target->connect_timeout, run_backend_query(server, target->check_query));
  if (!outcome || !outcome->ok()) co_return false;  // dead: the pool logs its close
  // Alive, but the query itself is wrong: said, or every reuse would churn backends silently.
  if ((*outcome)->error) {
    spdlog::warn("server_check_query failed on {}:{}: {}", target->host, target->port, *(*outcome)->error);
    co_return false;
  }
  if ((*outcome)->transaction_status != pg::transaction_status::Idle) {
    spdlog::warn("server_check_query left a transaction open on {}:{}", target->host, target->port);
    co_return false;
  }
  co_return true;
}

awaitable<Expected<BackendQueryResult>> run_backend_query(PgServerConnection& server, std::string_view sql,
                                                          const ParameterObserver& on_parameter) {
  std::string out;
  pg::write_query(out, sql);
  const Failure lost = server_lost();
  if (auto sent = co_await write_all(server.stream(), out, lost); !sent) co_return sent.failure();
  std::string buffer;
  BackendQueryResult result;
  for (;;) {
    auto message = co_await read_pg_message(server.stream(), buffer, kMaxLoginMessage, lost);
    if (!message) co_return message.failure();
    const auto body = as_bytes(message->body);
    if (message->type == pg::backend::ParameterStatus) {
      if (auto parameter = pg::read_parameter_status(body)) {
        server.report_parameter(parameter->name, parameter->value);
        if (on_parameter) on_parameter(parameter->name, parameter->value);
      }
    } else if (message->type == pg::backend::ErrorResponse) {
      auto fields = pg::read_error_fields(body);
      result.error = fields ? fields->message : std::string("malformed ErrorResponse");
    } else if (message->type == pg::backend::ReadyForQuery) {
      auto status = pg::read_ready_for_query(body);
      if (!status) co_return lost;
      result.transaction_status = *status;
      co_return result;
    }
  }
}

awaitable<Status> PgServerConnector::connect(PgServerConnection& server) {
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
  auto tls = co_await negotiate_backend_tls(server.stream(), target);
  if (!tls) co_return tls.failure();
  auto logged_in = co_await log_in(server, std::move(tls->channel_binding));
  co_return logged_in;
}

awaitable<Status> PgServerConnector::log_in(PgServerConnection& server,
                                            std::optional<std::vector<std::uint8_t>> channel_binding) {
  const auto& target = *server.target;
  pg::ServerLoginIdentity identity{target.user, target.dbname, target.password, {}, std::move(channel_binding), {}};
  if (!target.password) {
    std::lock_guard lock(mutex_);
    identity.pass_through = pass_through_;
  }
  pg::ServerLogin login(std::move(identity), {kMaxLoginMessage});
  const Failure lost = pg::server_login_failure("connection closed during login");
  for (;;) {
    const auto event = login.next();
    if (!login.output().empty()) {
      if (auto sent = co_await write_all(server.stream(), login.output(), lost); !sent) co_return sent.failure();
      login.output().clear();
    }
    if (event == pg::ServerLoginEvent::failed) co_return login.failure();
    if (event == pg::ServerLoginEvent::ready) break;
    const auto wanted = login.input();
    auto [error, read] =
        co_await asio::async_read(server.stream(), asio::buffer(wanted.data(), wanted.size()), use_nothrow);
    if (error) co_return lost;
    login.received(read);
  }
  for (const auto& [name, value] : login.parameters()) server.report_parameter(name, value);
  spdlog::debug("logged in to {}:{} as {} over {} with {}", target.host, target.port, target.user,
                server.stream().tls() ? "TLS" : "plain text",
                login.sasl_mechanism().empty() ? "no SASL" : login.sasl_mechanism());
  server.process_id = login.process_id();
  server.secret_key = login.secret_key();
  server.cancel_route = std::make_shared<const runtime::CancelTarget::Backend>(runtime::CancelTarget::Backend{
      target.host, target.port, server.process_id, server.secret_key, target.tls_mode, target.tls_context});
  learn_parameters(server);
  co_return ok_status();
}

// The first backend's parameters, replaced once by the first backend of a new target (a
// reload may have moved the pool to a server of another version or settings).
void PgServerConnector::learn_parameters(const PgServerConnection& server) {
  std::lock_guard lock(mutex_);
  const bool newer = parameters_target_ != target_ && server.target == target_;
  if (server_parameters_ && !newer) return;
  server_parameters_ = server.parameters;
  parameters_target_ = server.target;
}

void PgServerConnector::learn_client_key(const auth::ScramSecret& secret, const auth::ScramKey& client_key) {
  std::lock_guard lock(mutex_);
  pass_through_ = pg::ScramPassThrough{secret, client_key};
}

namespace {
// The cancel connection: TCP, TLS as the backend's connection had it, CancelRequest.
awaitable<Status> deliver_cancel(net::BackendStream& stream, const BackendTarget& target, std::uint32_t process_id,
                                 std::uint32_t secret_key) {
  tcp::resolver resolver(stream.get_executor());
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(target.host, std::to_string(target.port), use_nothrow);
  if (resolve_error) co_return connect_failure(target, resolve_error.message());
  auto [connect_error, endpoint] = co_await asio::async_connect(stream.socket(), endpoints, use_nothrow);
  if (connect_error) co_return connect_failure(target, connect_error.message());
  auto tls = co_await negotiate_backend_tls(stream, target);
  if (!tls) co_return tls.failure();
  std::string request;
  pg::write_cancel_request(request, process_id, secret_key);
  const Failure lost = server_lost();
  auto sent = co_await write_all(stream, request, lost);
  if (!sent) co_return sent.failure();
  // The server closes the connection once it has read the request.
  char sink;
  co_await stream.async_read_some(asio::buffer(&sink, 1), use_nothrow);
  co_return ok_status();
}

// A cancel that cannot get through in this long is too late to matter; it must not linger.
constexpr std::chrono::seconds kCancelDeliveryLimit{10};
}  // namespace

awaitable<void> send_cancel_request(WorkerExecutor executor, runtime::CancelTarget::Backend backend) {
  BackendTarget target;
  target.host = backend.host;
  target.port = backend.port;
  target.tls_mode = backend.tls_mode;
  target.tls_context = backend.tls_context;
  net::BackendStream stream(executor);
  auto delivered = co_await within(kCancelDeliveryLimit,
                                   deliver_cancel(stream, target, backend.process_id, backend.secret_key));
  if (!delivered) {
    spdlog::warn("cancel request to {}:{} failed: no answer within {} s", target.host, target.port,
                 kCancelDeliveryLimit.count());
  } else if (!*delivered) {
    spdlog::warn("cancel request failed: {}", delivered->failure().message);
  }
}

}  // namespace sluice::session
