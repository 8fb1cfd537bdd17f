// PgSession, part three: taking a backend, giving it back clean, and leaving.
#include <spdlog/spdlog.h>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/pg_io.hpp"
#include "sluice/session/pg_session.hpp"
#include "sluice/session/tracked_parameters.hpp"

namespace sluice::session {

namespace {

// How long a backend is held back waiting for our CancelRequest to reach the server.
constexpr std::chrono::milliseconds kCancelDeliveryLimit{2000};

std::uint64_t micros_since(TimePoint start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

double seconds_since(TimePoint start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

PgServerConnection& PgSession::server() const { return static_cast<PgServerConnection&>(core_.lease().connection()); }

// A fresh lease: make the backend look like this client's own session, then start the pump.
awaitable<Status> PgSession::attach_lease(pool::Lease lease) {
  core_.attach(std::move(lease));
  std::optional<TimePoint> waiting_since;  // set when this client queued for the backend
  {
    std::lock_guard lock(snapshot_mutex_);
    if (state_ == ClientState::waiting) waiting_since = state_since_;
  }
  if (waiting_since) {
    histograms_->wait.observe(seconds_since(*waiting_since));
  }
  auto& backend = server();
  clock_.set_limits(pool_->settings());
  const auto& target = *backend.target;  // its own server, even if a reload has moved the pool since
  cancel_target_->set(CancelTarget::Backend{target.host, target.port, backend.process_id, backend.secret_key});
  if (auto synced = co_await sync_parameters(); !synced) {
    discard_lease();
    co_return synced.failure();
  }
  unit_.backend_at_rest();
  lease_started_ = Clock::now();
  {
    std::lock_guard lock(snapshot_mutex_);
    server_id_ = backend.id();
    server_process_id_ = backend.process_id;
    transaction_since_ = lease_started_;
  }
  set_state(ClientState::active);
  pump_running_ = true;
  asio::co_spawn(client_.get_executor(), pump_server(shared_from_this()), asio::detached);
  co_return ok_status();
}

void PgSession::release_lease() {
  auto& stats = pool_->stats();
  stats.add(stats.transactions, 1);
  const auto held_us = micros_since(lease_started_);
  stats.add(stats.transaction_time_us, held_us);
  histograms_->transaction.observe(static_cast<double>(held_us) / 1e6);
  flush_counters();
  cancel_target_->set(std::nullopt);
  core_.lease().release();
  {
    std::lock_guard lock(snapshot_mutex_);
    server_id_ = 0;
    server_process_id_ = 0;
    transaction_since_ = {};
  }
  set_state(ClientState::idle);
}

// A backend whose state cannot be known is closed; the work the client did on it still counts.
void PgSession::discard_lease() {
  flush_counters();
  cancel_target_->set(std::nullopt);
  core_.lease().discard();
}

// Adds what this session counted since the last flush to its pool's stats: once per lease
// (released or discarded) and once as the client leaves, never per message.
void PgSession::flush_counters() {
  if (!pool_) return;  // the admin console, or a login that never chose a pool
  auto& stats = pool_->stats();
  const auto move_into = [&stats](pool::PoolStats::Counter& counter, std::uint64_t count) {
    if (count != 0) stats.add(counter, count);
  };
  const auto query_time = std::chrono::duration_cast<std::chrono::microseconds>(std::exchange(query_time_, {}));
  move_into(stats.queries, std::exchange(queries_, 0));
  move_into(stats.query_time_us, static_cast<std::uint64_t>(query_time.count()));
  move_into(stats.bytes_from_clients, std::exchange(bytes_from_client_, 0));
  move_into(stats.bytes_to_clients, std::exchange(bytes_to_client_, 0));
}

// Sends one query of Sluice's own and reads its replies, which the client never sees.
// Returns the transaction status of the final ReadyForQuery.
awaitable<Expected<char>> PgSession::run_internal_query(std::string_view sql, bool errors_fail) {
  // The server's spelling ("UTF8" for "utf8") becomes the client's: no SET next time.
  auto result = co_await run_backend_query(server(), sql, [this](std::string_view name, std::string_view value) {
    if (is_tracked_parameter(name)) set_parameter(client_parameters_, name, value);
  });
  if (!result) co_return result.failure();
  if (result->error) {
    spdlog::warn("user={} database={}: internal query failed: {}", user_, database_, *result->error);
    if (errors_fail) co_return Failure{"server_reset_query", "08006", "server connection reset failed: " + *result->error};
  }
  co_return result->transaction_status;
}

// SET for every tracked parameter the backend has differently.
awaitable<Status> PgSession::sync_parameters() {
  const auto statement = parameter_sync_statement(client_parameters_, server().parameters);
  if (statement.empty()) co_return ok_status();
  auto status = co_await run_internal_query(statement, false);
  if (!status) co_return status.failure();
  co_return ok_status();
}

// The client is leaving: a backend goes back only if it is provably clean.
awaitable<void> PgSession::settle_backend() {
  if (!core_.has_lease()) co_return;
  switch (core_.settle_plan(work_state())) {
    case SettlePlan::cancel_then_discard:
      cancel_backend_statement();  // mid-statement: stop what runs, then close
      [[fallthrough]];
    case SettlePlan::discard:
      discard_lease();
      co_return;
    case SettlePlan::roll_back_then_release:
      if (!co_await run_settling_query("ROLLBACK")) co_return;
      unit_.backend_at_rest();
      break;
    case SettlePlan::release:
      break;
  }
  if (core_.reset_before_release()) {
    const auto reset_query = pool_->settings().server_reset_query;
    if (!reset_query.empty() && !co_await run_settling_query(reset_query)) co_return;
  }
  release_lease();
}

// A query of Sluice's own while settling: false (and the backend closed) unless it left the
// backend idle outside a transaction.
awaitable<bool> PgSession::run_settling_query(std::string_view sql) {
  auto status = co_await run_internal_query(sql, true);
  if (status && *status == pg::transaction_status::Idle) co_return true;
  discard_lease();
  co_return false;
}

void PgSession::cancel_backend_statement() {
  // From on_timeout (the pump still runs), not from a client that is leaving mid-statement.
  if (statement_timed_out_ && pump_running_) context_.metrics.count_timeout("statement_timeout");
  auto& backend = server();
  const auto& target = *backend.target;
  auto delivered = std::make_shared<asio::steady_timer>(client_.get_executor(), Clock::now() + kCancelDeliveryLimit);
  cancel_in_flight_ = delivered;
  asio::co_spawn(client_.get_executor(),
                 send_cancel_request(client_.get_executor(), target.host, target.port, backend.process_id,
                                     backend.secret_key),
                 [delivered](std::exception_ptr) { delivered->expires_at(TimePoint::min()); });
}

awaitable<void> PgSession::wait_for_cancel_delivery() {
  auto delivered = cancel_in_flight_;  // the pump and the main loop may both wait on it
  if (!delivered) co_return;
  co_await delivered->async_wait(use_nothrow);
  if (cancel_in_flight_ == delivered) cancel_in_flight_.reset();
}

awaitable<void> PgSession::stop_pump() {
  if (!pump_running_) co_return;
  stopping_ = true;
  error_code ignored;
  if (cancel_in_flight_) cancel_in_flight_->expires_at(TimePoint::min());
  server().socket().cancel(ignored);
  client_.cancel(ignored);
  asio::steady_timer pump_done(client_.get_executor(), TimePoint::max());
  pump_done_ = &pump_done;
  while (pump_running_) co_await pump_done.async_wait(use_nothrow);
  pump_done_ = nullptr;
  stopping_ = false;
}

// The client is leaving (or being sent away): settle the backend, then tell the client why.
awaitable<void> PgSession::finish(const Status& outcome) {
  co_await stop_pump();
  co_await settle_backend();
  flush_counters();  // bytes of a client that left without a backend (query_wait_timeout, queued)
  if (!outcome.ok()) {
    const auto& failure = outcome.failure();
    if (failure.reason != "client_close") {
      spdlog::info("client closed: user={} database={} address={}:{} reason={} ({})", user_, database_, address_,
                   port_, failure.reason, failure.message);
      co_await send_error(failure, "FATAL");
    } else if (!database_.empty()) {
      spdlog::info("client logout: user={} database={} address={}:{} reason=client_close", user_, database_,
                   address_, port_);
    }
  } else if (!database_.empty()) {
    spdlog::info("client logout: user={} database={} address={}:{} reason=terminate", user_, database_, address_,
                 port_);
  }
  if (!outcome.ok() || !database_.empty()) {
    context_.metrics.count_disconnect(outcome.ok() ? "terminate" : outcome.failure().reason);
  }
  context_.registry.remove(registry_id_);
  error_code ignored;
  client_.shutdown(tcp::socket::shutdown_both, ignored);
  client_.close(ignored);
}

awaitable<void> PgSession::send_error(const Failure& failure, std::string_view severity) {
  if (error_sent_) co_return;
  error_sent_ = true;
  std::string out;
  pg::write_error_response(out, severity, failure.sqlstate, failure.message);
  co_await asio::async_write(client_, asio::buffer(out), use_nothrow);
}

}  // namespace sluice::session
