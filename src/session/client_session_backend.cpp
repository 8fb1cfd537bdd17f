// ClientSession, part three: taking a backend, giving it back clean (or closing it), and
// the counters each lease adds to its pool.
#include <spdlog/spdlog.h>

#include "sluice/session/client_session.hpp"

namespace sluice::session {

namespace {

// How long a backend is held back waiting for our cancel to reach the server.
constexpr std::chrono::milliseconds kCancelDeliveryLimit{2000};
// A cancel sent right behind its statement is sent again while that statement still runs:
// after 100 ms, then 200 and 400 ms more (four in all).
constexpr std::chrono::milliseconds kCancelRetryDelay{100};
constexpr int kCancelAttempts = 4;

std::uint64_t micros_since(TimePoint start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

double seconds_since(TimePoint start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

// A fresh lease: the front end makes the backend look like this client's own session, then
// the pump starts.
awaitable<Status> ClientSession::attach_lease(pool::Lease lease) {
  if (attach_at_once(std::move(lease))) {
    lease_ready();
    co_return ok_status();
  }
  co_return co_await prepare_attached();
}

// attach_lease without a coroutine, up to the front end's verdict. False: the backend needs
// queries to look like this client's session (prepare_attached).
bool ClientSession::attach_at_once(pool::Lease lease) {
  core_.attach(std::move(lease));
  std::optional<TimePoint> waiting_since;  // set when this client queued for the backend
  {
    std::lock_guard lock(snapshot_mutex_);
    if (state_ == ClientState::waiting) waiting_since = state_since_;
  }
  if (waiting_since) histograms_->wait.observe(seconds_since(*waiting_since));
  refresh_limits();
  return frontend_->prepare_backend_at_once();
}

awaitable<Status> ClientSession::prepare_attached() {
  if (auto prepared = co_await frontend_->prepare_backend(); !prepared) {
    discard_lease();
    co_return prepared.failure();
  }
  lease_ready();
  co_return ok_status();
}

void ClientSession::lease_ready() {
  busy().lease_started = Clock::now();
  {
    std::lock_guard lock(snapshot_mutex_);
    server_id_ = server().id();
    server_process_id_ = server().remote_process_id();
    transaction_since_ = busy().lease_started;
    state_ = ClientState::active;
    state_since_ = busy().lease_started;
  }
  start_pump();
}

void ClientSession::release_lease() {
  // The lease's own pool: after a MySQL COM_CHANGE_USER the session's pool_ is already the next one.
  count_transaction(core_.lease().pool().stats());
  flush_counters();
  frontend_->backend_detached();
  core_.lease().release();
  detach_lease();
}

// One transaction since lease_started, unless the last one was already counted and nothing ran since.
void ClientSession::count_transaction(pool::PoolStats& stats) {
  if (busy().lease_started == TimePoint{}) return;
  stats.add(stats.transactions, 1);
  const auto held_us = micros_since(std::exchange(busy().lease_started, TimePoint{}));
  stats.add(stats.transaction_time_us, held_us);
  histograms_->transaction.observe(static_cast<double>(held_us) / 1e6);
}

void ClientSession::count_kept_transaction() {
  count_transaction(core_.lease().pool().stats());
  flush_counters();
}

// A backend whose state cannot be known is closed; the work the client did on it still counts.
void ClientSession::discard_lease() {
  flush_counters();
  frontend_->backend_detached();
  core_.lease().discard();
  detach_lease();
}

void ClientSession::detach_lease() {
  const auto now = Clock::now();
  const auto statements = static_cast<std::uint32_t>(frontend_->prepared_statement_count());
  std::lock_guard lock(snapshot_mutex_);
  prepared_statements_ = statements;
  server_id_ = 0;
  server_process_id_ = 0;
  transaction_since_ = {};
  state_ = ClientState::idle;
  state_since_ = now;
}

// Adds what this session counted since the last flush to its pool's stats: once per lease
// (released or discarded) and once as the client leaves, never per message.
void ClientSession::flush_counters() {
  // The admin console, a login that never chose a pool, or nothing counted since the client parked.
  if (!pool_ || !busy_) return;
  auto& stats = pool_->stats();
  const auto move_into = [&stats](pool::PoolStats::Counter& counter, std::uint64_t count) {
    if (count != 0) stats.add(counter, count);
  };
  const auto query_time = std::chrono::duration_cast<std::chrono::microseconds>(std::exchange(busy().query_time, {}));
  move_into(stats.queries, std::exchange(busy().queries, 0));
  move_into(stats.query_time_us, static_cast<std::uint64_t>(query_time.count()));
  move_into(stats.bytes_from_clients, std::exchange(busy().bytes_from_client, 0));
  move_into(stats.bytes_to_clients, std::exchange(busy().bytes_to_client, 0));
  const auto statements = frontend_->take_statement_counts();
  move_into(stats.client_parses, statements.client_parses);
  move_into(stats.server_parses, statements.server_parses);
  move_into(stats.binds, statements.binds);
}

// The client is leaving: a backend goes back only if it is provably clean. (Plain ifs: GCC 12
// resumed a corrupt frame when this was a switch with co_await in its cases.)
awaitable<void> ClientSession::settle_backend() {
  if (!core_.has_lease()) co_return;
  const auto plan = core_.settle_plan(frontend_->work_state());
  if (plan == SettlePlan::cancel_then_discard) start_cancel();  // mid-statement: stop what runs, then close
  bool clean = plan == SettlePlan::release || plan == SettlePlan::roll_back_then_release;
  if (clean && plan == SettlePlan::roll_back_then_release) clean = co_await frontend_->settle(SettleQuery::roll_back);
  if (clean && core_.reset_before_release()) clean = co_await frontend_->settle(SettleQuery::reset);
  // A client that leaves right after its statement_timeout error: the server may still act on
  // our cancel (a PostgreSQL backend is signalled twice, the second time maybe late), and the
  // next client's statement must not be what it cancels.
  if (clean) co_await wait_until_cancel_delivered();
  if (clean) {
    release_lease();
  } else {
    discard_lease();
  }
}

// Sends the front end's cancel on its own coroutine; until the server has acted on it (or
// kCancelDeliveryLimit passes) busy().cancel_in_flight holds the backend back.
void ClientSession::start_cancel() {
  auto delivered = std::make_shared<asio::steady_timer>(client_.get_executor(), Clock::now() + kCancelDeliveryLimit);
  busy().cancel_in_flight = delivered;
  asio::co_spawn(client_.get_executor(), frontend_->cancel_statement(),
                 [delivered](std::exception_ptr) { delivered->expires_at(TimePoint::min()); });
}

namespace {
// start_cancel's timer once the cancel got through (its expiry set to the past), or gave up.
bool cancel_settled(const asio::steady_timer& delivered) {
  return delivered.expiry() == TimePoint::min() || delivered.expiry() <= Clock::now();
}
}  // namespace

// The client cancelled its statement while it was queued: the cancel leaves the moment the
// statement is written, and may reach the server before the server has read it. A server
// waiting for a command ignores a cancel (PostgreSQL does), and the statement would run to its
// end; so while that same statement still runs, it is cancelled again, a few times.
void ClientSession::cancel_statement_just_sent() {
  start_cancel();
  cancel_again_later(1);
}

// `attempt`: how many were sent before this one.
void ClientSession::cancel_again_later(int attempt) {
  if (attempt >= kCancelAttempts) return;
  Busy& work = busy();
  if (!work.cancel_retry) work.cancel_retry.emplace(client_.get_executor());
  work.cancel_retry->expires_after(kCancelRetryDelay * (1 << (attempt - 1)));
  work.cancel_retry->async_wait(
      [self = shared_from_this(), epoch = work.relay_epoch, backend = &server(), attempt](error_code error) {
        if (error || !self->busy_ || self->core_.stopping() || !self->core_.has_lease()) return;
        Busy& work = self->busy();
        // The statement ended (cancelled, or done), the client sent more, or the backend changed.
        if (work.relay_epoch != epoch || &self->server() != backend) return;
        if (!self->frontend_->work_state().statement_running) return;
        if (work.cancel_in_flight && !cancel_settled(*work.cancel_in_flight)) {
          self->cancel_again_later(attempt);  // the last one is still on its way
          return;
        }
        spdlog::debug("cancel sent again (attempt {}): the statement still runs; user={} database={}", attempt + 1,
                      self->user(), self->database());
        self->start_cancel();
        self->cancel_again_later(attempt + 1);
      });
}

// Returns when the cancel is delivered, or when stop_pump() wakes the waiters (then it may not
// be: cancel_in_flight stays set for settle_backend).
awaitable<void> ClientSession::wait_for_cancel_delivery() {
  auto delivered = busy().cancel_in_flight;  // the pump and the main loop may both wait on it
  if (!delivered) co_return;
  co_await delivered->async_wait(use_nothrow);
  note_cancel_delivery(delivered);
}

// After a wait on `delivered` ended: forgets the cancel once the server has acted on it.
void ClientSession::note_cancel_delivery(const std::shared_ptr<asio::steady_timer>& delivered) {
  if (busy().cancel_in_flight == delivered && cancel_settled(*delivered)) busy().cancel_in_flight.reset();
}

// Unlike wait_for_cancel_delivery, not cut short by stop_pump(): for a backend about to go to
// another client.
awaitable<void> ClientSession::wait_until_cancel_delivered() {
  auto delivered = busy_ ? busy().cancel_in_flight : nullptr;
  if (!delivered) co_return;
  while (!cancel_settled(*delivered)) co_await delivered->async_wait(use_nothrow);
  if (busy().cancel_in_flight == delivered) busy().cancel_in_flight.reset();
}

awaitable<void> ClientSession::stop_pump() {
  if (!pump_running_) co_return;
  stopping_ = true;
  error_code ignored;
  if (busy().cancel_in_flight) busy().cancel_in_flight->cancel();  // wakes its waiters; still in flight
  server().socket().cancel(ignored);
  client_.cancel(ignored);
  asio::steady_timer pump_done(client_.get_executor(), TimePoint::max());
  busy().pump_done = &pump_done;
  while (pump_running_) co_await pump_done.async_wait(use_nothrow);
  busy().pump_done = nullptr;
  stopping_ = false;
}

}  // namespace sluice::session
