// ClientSession, part one: its life from accept to close, and what the front end asks of it
// while logging the client in.
#include "sluice/session/client_session.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "sluice/core/deadline.hpp"

namespace sluice::session {

ClientSession::ClientSession(tcp::socket client, ProxyContext& context)
    : client_(std::move(client)), context_(context), runtime_(context.config.current()) {
  error_code error;
  const auto endpoint = client_.socket().remote_endpoint(error);
  if (!error) {
    address_ = endpoint.address().to_string();
    port_ = endpoint.port();
    ipv6_ = endpoint.address().is_v6();
  }
}

ClientSession::~ClientSession() { context_.registry.remove(registry_id_); }

void ClientSession::start(std::shared_ptr<ClientSession> session) {
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

awaitable<void> ClientSession::run() {
  error_code ignored;
  client_.socket().set_option(tcp::no_delay(true), ignored);
  auto login = co_await log_in_within_deadline();
  Status outcome = login ? ok_status() : Status(login.failure());
  if (login && *login == LoginOutcome::admin_console) {
    outcome = co_await frontend_->serve_admin_console();
  } else if (login && *login == LoginOutcome::client) {
    logged_in();
    spdlog::info("client login: protocol={} user={} database={} application_name={} address={}:{}",
                 frontend_->protocol(), user_, database_, application_name_, address_, port_);
    // Wait for the first query parked: a connected client that has not asked for anything
    // yet holds no coroutine frame, and the login's frames go back to the next login. One
    // co_spawn per connection, never per transaction. Not over TLS: bytes may already wait
    // inside the TLS layer while the socket is silent.
    if (client_.is_tls()) {
      co_await serve_client();
    } else {
      park();
    }
    co_return;
  }
  co_await finish(outcome);
}

// The data phase, until the client leaves or parks (then park() has armed the wake-up).
awaitable<void> ClientSession::serve_client() {
  auto outcome = co_await relay_client();
  if (std::exchange(parked_, false)) {
    park();
    co_return;
  }
  co_await finish(outcome);
}

// A parked client holds no coroutine frame, and its socket is out of Asio's reactor: it waits
// in the worker's IdleWatcher, the session kept alive by itself alone. Any wake-up — bytes, a
// hang-up, or a stop (unpark) — hands the socket back to Asio and brings the data phase back.
void ClientSession::park() {
  spdlog::debug("client parked: user={} database={} address={}:{}", user_, database_, address_, port_);
  error_code error;
  const int fd = core_.stopping() ? -1 : client_.socket().release(error);
  if (fd < 0 || error) {  // stopped meanwhile, or not open: the data phase ends the session
    resume_data_phase();
    return;
  }
  parked_self_ = shared_from_this();
  if (auto watching = net::IdleWatcher::of(client_.get_executor()).watch(*this, fd); !watching) {
    spdlog::warn("client could not park ({}): it waits as a busy client", watching.failure().message);
    idle_ready(fd, false);
  }
}

void ClientSession::idle_ready(int fd, bool shutting_down) {
  auto self = std::move(parked_self_);  // the last reference, maybe: held to the end of this call
  if (shutting_down) {
    ::close(fd);
    return;
  }
  error_code error;
  client_.socket().assign(ipv6_ ? tcp::v6() : tcp::v4(), fd, error);
  if (error) {
    ::close(fd);
    spdlog::warn("client lost on wake-up: {}", error.message());
  }
  // Not open after a failed assign: serve_client's first read fails and the session ends.
  resume_data_phase();
}

void ClientSession::resume_data_phase() {
  asio::co_spawn(client_.get_executor(),
                 [self = shared_from_this()]() -> awaitable<void> { co_await self->serve_client(); }, asio::detached);
}

// A stop, kill or timeout reached a parked client: wake it so the data phase acts on it.
void ClientSession::unpark() {
  if (!watched()) return;
  const int fd = net::IdleWatcher::of(client_.get_executor()).unwatch(*this);
  if (fd >= 0) idle_ready(fd, false);
}

// client_login_timeout bounds everything up to "ready for queries" (slowloris included). A
// coroutine of its own, so the timer is gone once the client is in.
awaitable<Expected<LoginOutcome>> ClientSession::log_in_within_deadline() {
  auto login = co_await within(runtime_->config->defaults.client_login_timeout, frontend_->log_in());
  if (login) co_return std::move(*login);
  co_return Failure{"client_login_timeout", "", "client_login_timeout"};
}

void ClientSession::logged_in() {
  refresh_limits();
  if (!core_.has_lease()) {
    set_state(ClientState::idle);
    clock_.client_idle(Clock::now());
  }
}

// The janitor's limits (statement_timeout …) from the pool's settings, copied again only when
// a reload has changed them since.
void ClientSession::refresh_limits() {
  const auto version = pool_->settings_version();
  if (version == limits_version_) return;
  clock_.set_limits(pool_->settings());
  limits_version_ = version;
}

void ClientSession::identify(std::string user, std::string database, std::string application_name) {
  // Listed in the client registry already: SHOW CLIENTS and scrapes read these meanwhile.
  std::lock_guard lock(snapshot_mutex_);
  user_ = std::move(user);
  database_ = std::move(database);
  application_name_ = std::move(application_name);
}

void ClientSession::set_application_name(std::string_view application_name) {
  std::lock_guard lock(snapshot_mutex_);
  application_name_ = application_name;
}

void ClientSession::set_state(ClientState state) {
  std::lock_guard lock(snapshot_mutex_);
  state_ = state;
  state_since_ = Clock::now();
}

void ClientSession::set_pinned(std::string_view reason) {
  std::lock_guard lock(snapshot_mutex_);
  pinned_ = reason;
}

std::optional<std::string> ClientSession::admit() {
  auto reason = context_.clients.admit(*runtime_->config, user_, ticket_.emplace());
  if (reason) ticket_.reset();
  return reason;
}

void ClientSession::join_pool(const config::DatabaseConfig& database) {
  flush_counters();  // what was counted so far belongs to the pool being left (COM_CHANGE_USER)
  pool_ = context_.pools.find_or_create(*runtime_->config, database, user_);
  limits_version_ = 0;  // another pool's settings: read them at the next lease
  core_.set_pool_mode(pool_->settings().pool_mode);
  histograms_ = &context_.metrics.histograms_for(pool_->key().database, pool_->key().user);
}

ClientSnapshot ClientSession::snapshot() const {
  ClientSnapshot snapshot;
  snapshot.protocol = frontend_->protocol();
  snapshot.address = address_;
  snapshot.port = port_;
  snapshot.connected_at = connected_at_;
  std::lock_guard lock(snapshot_mutex_);
  snapshot.id = registry_id_;
  snapshot.user = user_;
  snapshot.database = database_;
  snapshot.application_name = application_name_;
  snapshot.state = state_;
  snapshot.state_since = state_since_;
  snapshot.transaction_since = transaction_since_;
  snapshot.server_id = server_id_;
  snapshot.server_process_id = server_process_id_;
  snapshot.pinned = pinned_;
  if (tls_) snapshot.tls = *tls_;
  return snapshot;
}

// The client is leaving (or being sent away): settle the backend, then tell the client why.
awaitable<void> ClientSession::finish(const Status& outcome) {
  co_await stop_pump();
  co_await settle_backend();
  flush_counters();  // bytes of a client that left without a backend (query_wait_timeout, queued)
  const bool in_pool = !database_.empty();
  if (!outcome.ok()) {
    const auto& failure = outcome.failure();
    if (failure.reason != "client_close") {
      spdlog::info("client closed: user={} database={} address={}:{} reason={} ({})", user_, database_, address_,
                   port_, failure.reason, failure.message);
      co_await send_error(failure, true);
    } else if (in_pool) {
      spdlog::info("client logout: user={} database={} address={}:{} reason=client_close", user_, database_,
                   address_, port_);
    }
  } else if (in_pool) {
    spdlog::info("client logout: user={} database={} address={}:{} reason=terminate", user_, database_, address_,
                 port_);
  }
  if (!outcome.ok() || in_pool) {
    context_.metrics.count_disconnect(outcome.ok() ? "terminate" : outcome.failure().reason);
  }
  context_.registry.remove(registry_id_);
  client_.close();
}

awaitable<void> ClientSession::send_error(const Failure& failure, bool fatal) {
  if (std::exchange(error_sent_, true)) co_return;
  co_await frontend_->write_error(failure, fatal);
}

}  // namespace sluice::session
