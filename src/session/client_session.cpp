// ClientSession, part one: its life from accept to close, and what the front end asks of it
// while logging the client in.
#include "sluice/session/client_session.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "sluice/core/deadline.hpp"

namespace sluice::session {

ClientSession::ClientSession(WorkerSocket client, ProxyContext& context)
    : client_(std::move(client)), context_(context), runtime_(context.config.current()) {
  error_code error;
  const auto endpoint = client_.socket().remote_endpoint(error);
  if (!error) {
    const auto address = endpoint.address();
    ipv6_ = address.is_v6();
    if (ipv6_) {
      address_bytes_ = address.to_v6().to_bytes();
    } else {
      const auto v4 = address.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), address_bytes_.begin());
    }
    port_ = endpoint.port();
  }
}

asio::ip::address ClientSession::peer_address() const {
  if (port_ == 0) return {};  // remote_endpoint failed: no peer port is 0
  if (ipv6_) return asio::ip::address_v6(address_bytes_);
  return asio::ip::address_v4({address_bytes_[0], address_bytes_[1], address_bytes_[2], address_bytes_[3]});
}

std::string ClientSession::address() const { return port_ == 0 ? std::string() : peer_address().to_string(); }

ClientSession::~ClientSession() { context_.registry.remove(*this); }

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
                 frontend_->protocol(), user(), database(), *application_name_, address(), port_);
    // Wait for the first query parked: a connected client that has not asked for anything
    // yet holds no coroutine frame, and the login's frames go back to the next login. One
    // co_spawn per connection, never per transaction. Not over TLS: bytes may already wait
    // inside the TLS layer while the socket is silent. Nor with a backend (session mode's first
    // client keeps the one its login opened): the pump may write to the client at any time.
    if (client_.is_tls() || core_.has_lease()) {
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
  if (spdlog::should_log(spdlog::level::debug)) {  // address() formats: only when it is logged
    spdlog::debug("client parked: user={} database={} address={}:{}", user(), database(), address(), port_);
  }
  flush_counters();  // what it counted since its last lease (bytes of refused statements)
  busy_.reset();
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

// Before identify(): one empty string for every client (immutable, never freed).
const std::shared_ptr<const std::string>& ClientSession::empty_string() {
  static const auto empty = std::make_shared<const std::string>();
  return empty;
}

void ClientSession::identify(std::string user, std::string database, std::string application_name) {
  auto shared_user = context_.shared_strings.intern(user);
  auto shared_database = context_.shared_strings.intern(database);
  auto shared_application_name = context_.shared_strings.intern(application_name);
  // Listed in the client registry already: SHOW CLIENTS and scrapes read these meanwhile.
  std::lock_guard lock(snapshot_mutex_);
  user_ = std::move(shared_user);
  database_ = std::move(shared_database);
  application_name_ = std::move(shared_application_name);
}

void ClientSession::set_application_name(std::string_view application_name) {
  auto shared = context_.shared_strings.intern(application_name);
  std::lock_guard lock(snapshot_mutex_);
  application_name_ = std::move(shared);
}

void ClientSession::set_state(ClientState state) {
  std::lock_guard lock(snapshot_mutex_);
  state_ = state;
  state_since_ = Clock::now();
}

void ClientSession::note_statement_count() {
  const auto statements = static_cast<std::uint32_t>(frontend_->prepared_statement_count());
  std::lock_guard lock(snapshot_mutex_);
  prepared_statements_ = statements;
}

// Logged both ways: an operator seeing a client hold a backend between transactions can tell
// when, why, and when it let go. (Rare: once per pinning statement, never per message.)
void ClientSession::set_pinned(std::string_view reason) {
  const bool was_pinned = pinned_length_ != 0;
  {
    std::lock_guard lock(snapshot_mutex_);
    pinned_ = reason.data();
    pinned_length_ = static_cast<std::uint8_t>(std::min<std::size_t>(reason.size(), UINT8_MAX));
  }
  if (!reason.empty()) {
    spdlog::info("client pinned to its backend: user={} database={} reason={}", user(), database(), reason);
  } else if (was_pinned) {
    spdlog::info("client no longer pinned: user={} database={}", user(), database());
  }
}

std::optional<std::string> ClientSession::admit() {
  return context_.clients.admit(*runtime_->config, user(), database(), ticket_);
}

void ClientSession::join_pool(const config::DatabaseConfig& database) {
  flush_counters();  // what was counted so far belongs to the pool being left (COM_CHANGE_USER)
  pool_ = context_.pools.find_or_create(*runtime_->config, database, user());
  pool_->stats().add(pool_->stats().client_logins, 1);
  limits_version_ = 0;  // another pool's settings: read them at the next lease
  core_.set_pool_mode(pool_->settings().pool_mode);
  histograms_ = &context_.metrics.histograms_for(pool_->key().database, pool_->key().user);
}

ClientSnapshot ClientSession::snapshot() const {
  ClientSnapshot snapshot;
  snapshot.protocol = frontend_->protocol();
  snapshot.address = address();
  snapshot.port = port_;
  snapshot.connected_at = connected_at_;
  std::lock_guard lock(snapshot_mutex_);
  snapshot.id = registry_id_;
  snapshot.user = user();
  snapshot.database = database();
  snapshot.application_name = *application_name_;
  snapshot.state = state_;
  snapshot.state_since = state_since_;
  snapshot.transaction_since = transaction_since_;
  snapshot.server_id = server_id_;
  snapshot.server_process_id = server_process_id_;
  snapshot.prepared_statements = prepared_statements_;
  if (pinned_) snapshot.pinned.assign(pinned_, pinned_length_);
  if (tls_) snapshot.tls = *tls_;
  return snapshot;
}

// The client is leaving (or being sent away): settle the backend, then tell the client why.
awaitable<void> ClientSession::finish(const Status& outcome) {
  co_await stop_pump();
  co_await settle_backend();
  flush_counters();  // bytes of a client that left without a backend (query_wait_timeout, queued)
  const bool in_pool = !database().empty();
  if (!outcome.ok()) {
    const auto& failure = outcome.failure();
    if (failure.reason != "client_close") {
      spdlog::info("client closed: user={} database={} address={}:{} reason={} ({})", user(), database(), address(),
                   port_, failure.reason, failure.message);
      co_await send_error(failure, true);
    } else if (in_pool) {
      spdlog::info("client logout: user={} database={} address={}:{} reason=client_close", user(), database(),
                   address(), port_);
    }
  } else if (in_pool) {
    spdlog::info("client logout: user={} database={} address={}:{} reason=terminate", user(), database(), address(),
                 port_);
  }
  if (!outcome.ok() || in_pool) {
    context_.metrics.count_disconnect(outcome.ok() ? "terminate" : outcome.failure().reason);
  }
  context_.registry.remove(*this);
  client_.close();
}

awaitable<void> ClientSession::send_error(const Failure& failure, bool fatal) {
  if (std::exchange(error_sent_, true)) co_return;
  co_await frontend_->write_error(failure, fatal);
}

}  // namespace sluice::session
