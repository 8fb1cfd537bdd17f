// ClientSession, part two: relaying traffic between the client and a leased backend, and
// giving the backend back as soon as SessionCore says it may go.
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <string>
#include <tuple>
#include <utility>

#include "sluice/net/drain_aware_ops.hpp"
#include "sluice/session/client_session.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

namespace {
// One read, many messages, one write: buffers sized for a socket's worth of data.
constexpr std::size_t kClientBufferSize = 16 * 1024;

// True once the client has closed or reset its connection, asked of the socket's poll state
// (one cheap system call, once per lease that waited): a peek would not do, since a client that
// pipelined more messages before it closed has them unread ahead of its FIN; POLLRDHUP reports
// the FIN whatever is queued before it. A FIN is a client gone, as in the relay loop: no client
// half-closes and then waits for an answer. No system call at all when the reactor holds the
// socket drained since the client's last request (net::known_drained): no FIN has come since.
bool client_has_left(WorkerSocket& client) {
  if (net::known_drained(client)) return false;
  pollfd state{client.native_handle(), POLLRDHUP, 0};
  if (::poll(&state, 1, 0) != 1) return false;
  return (state.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;  // FIN, or reset
}
}  // namespace

// The main loop: wait for the client, read what it sent, lease a backend if needed, relay.
awaitable<Status> ClientSession::relay_client() {
  // Busy state lives while the data phase runs: park() drops it only after this returns.
  Busy& work = busy();
  for (;;) {
    if (core_.stopping()) co_return *core_.stop_reason();  // stopped while parked
    const bool waits_first = work.held == 0 && !client_.is_tls();
    if (waits_first) {
      // Wait without a buffer: between messages, and all the time it is idle, a client
      // holds none (borrowing one back from the thread's spares costs no malloc). Not over
      // TLS: decrypted or still encrypted bytes may wait inside OpenSSL and Asio's TLS layer
      // while the socket is silent, so a TLS client reads straight into a buffer.
      work.client_buffer.reset();
      waiting_idle_ = true;
      auto [wait_error] = co_await client_.async_wait_readable(use_nothrow);
      waiting_idle_ = false;
      if (core_.stopping()) co_return *core_.stop_reason();
      // idle_trim cancelled the wait (park_idle): leave the coroutines, wait by callback.
      if (std::exchange(park_requested_, false) && wait_error == asio::error::operation_aborted) {
        parked_ = true;
        co_return ok_status();
      }
      if (wait_error) co_return client_closed();
    }
    if (work.client_buffer.empty()) work.client_buffer = net::PooledBuffer(kClientBufferSize);
    // Read at once when the socket may have bytes (it does after the wait), else through the reactor.
    const auto into = asio::buffer(work.client_buffer.data() + work.held, work.client_buffer.size() - work.held);
    error_code read_error;
    std::size_t received = 0;
    if (const auto now = client_.read_now_until_rest(into, frontend_->client_rest_point())) {
      read_error = now->error;
      received = now->bytes;
    } else if (waits_first) {
      // Woken by an edge whose bytes a read at once already took (one the reactor had not
      // polled yet, as after unparking): wait again, without a buffer, and still parkable.
      continue;
    } else {
      std::tie(read_error, received) = co_await client_.async_read_some_until_rest(into, frontend_->client_rest_point(), use_nothrow);
    }
    if (core_.stopping()) co_return *core_.stop_reason();
    if (read_error) co_return client_closed();
    work.bytes_from_client += received;
    clock_.client_busy();
    clock_.not_idle_in_transaction();

    const auto scan = frontend_->scan_client(
        std::span<const std::uint8_t>(work.client_buffer.data(), work.held + received), work.held, received);
    if (scan.error) co_return *scan.error;
    if (scan.answered_locally || !scan.local_reply.empty()) {
      // Answered by the front end (a refused statement): nothing reaches the backend.
      if (!scan.local_reply.empty() && !co_await write_to_client(asio::buffer(scan.local_reply), true)) {
        co_return client_closed();
      }
      after_server_chunk(frontend_->work_state());  // idle again (in its transaction, if one is open)
      note_statement_count();  // a Parse or Close answered without a backend
      // A local answer can end what kept the backend (MySQL's COM_CHANGE_USER ends a pin): the
      // pump is waiting on a quiet server then, so stop it and hand the backend back.
      if (core_.has_lease() && core_.may_release(frontend_->work_state())) {
        co_await stop_pump();
        if (core_.has_lease()) release_lease();
      }
      work.held = 0;
      continue;
    }
    if (scan.round_trip_started) {
      work.statement_started = Clock::now();
      // The next transaction on a kept backend starts (a fresh lease sets it when attached).
      if (core_.has_lease() && work.lease_started == TimePoint{}) work.lease_started = work.statement_started;
    }
    if (scan.relay_end > 0) {
      if (auto forwarded = co_await forward_to_server(scan.relay_end); !forwarded) co_return forwarded.failure();
      // A command the server never answers (MySQL's COM_STMT_CLOSE behind a finished command)
      // leaves nothing in flight: no answer will come to hand the backend back, so it goes now.
      if (core_.has_lease() && core_.may_release(frontend_->work_state())) {
        co_await stop_pump();
        if (core_.has_lease()) release_lease();
      }
    }
    if (scan.terminate) co_return ok_status();
    // What was not relayed (an incomplete header, or a message the front end needs whole) is
    // kept for the next read.
    work.held = work.held + received - scan.relay_end;
    std::memmove(work.client_buffer.data(), work.client_buffer.data() + scan.relay_end, work.held);
    if (scan.hold_for > work.client_buffer.size()) grow_client_buffer(scan.hold_for);
  }
}

// A message larger than the buffer that must be held whole: a bigger buffer until the client
// is next idle (the front end bounds it by max_packet_size).
void ClientSession::grow_client_buffer(std::size_t at_least) {
  Busy& work = busy();
  std::size_t size = kClientBufferSize;
  while (size < at_least) size *= 2;
  net::PooledBuffer bigger(size);
  std::memcpy(bigger.data(), work.client_buffer.data(), work.held);
  work.client_buffer = std::move(bigger);
}

// A backend for the client's next bytes: queued for if none is idle, or (`attached`) the one
// lease_at_once attached, prepared. Its own coroutine, so that forward_to_server's frame stays
// small enough for Asio's per-thread frame recycling (frames above ~1 KiB go to malloc on every
// call).
awaitable<Status> ClientSession::lease_backend(bool attached) {
  Busy& work = busy();
  if (attached) {
    if (auto prepared = co_await prepare_attached(); !prepared) co_return prepared.failure();
    work.statement_started = Clock::now();  // statement_timeout counts the client's statement only
    co_return ok_status();
  }
  set_state(ClientState::waiting);
  auto lease = co_await pool_->acquire(client_.get_executor(), &work.pool_wait, true);  // lease_at_once tried
  // Stopped while queued (a drain, a KILL): the client hears why, not that its wait ended.
  if (core_.stopping()) {
    if (lease) lease->release();
    co_return *core_.stop_reason();
  }
  if (!lease) co_return lease.failure();
  // Left while queued: the backend goes back untouched, instead of running a statement
  // nobody will read and then being closed because the client left mid-statement. A lease
  // handed out at once skips the check: nothing happened in between.
  if (lease->waited() && client_has_left(client_.socket())) {
    lease->release();
    co_return client_closed();
  }
  if (auto attached = co_await attach_lease(std::move(*lease)); !attached) co_return attached.failure();
  // statement_timeout counts time on the server, not time queued for a backend.
  work.statement_started = Clock::now();
  co_return ok_status();
}

ClientSession::LeaseAtOnce ClientSession::lease_at_once() {
  auto lease = pool_->try_acquire_now(client_.get_executor());
  if (!lease) return LeaseAtOnce::none;
  if (!attach_at_once(std::move(*lease))) return LeaseAtOnce::needs_preparing;
  lease_ready();
  return LeaseAtOnce::ready;
}

awaitable<Status> ClientSession::forward_to_server(std::size_t length) {
  Busy& work = busy();
  // An idle backend at once (the usual case below pool_size) takes no coroutine of its own;
  // lease_backend queues, opens or prepares.
  if (!core_.has_lease()) {
    const auto at_once = lease_at_once();
    if (at_once != LeaseAtOnce::ready) {
      work.leasing = true;
      work.cancel_when_leased = false;
      auto leased = co_await lease_backend(at_once == LeaseAtOnce::needs_preparing);
      work.leasing = false;
      if (!leased) co_return leased.failure();
    }
  }
  if (work.cancel_in_flight) {
    // Our statement_timeout cancel is still on its way: the server may act on it late (a
    // PostgreSQL backend is signalled twice), so wait until it has, while the backend is idle.
    co_await wait_for_cancel_delivery();
    if (core_.stopping()) co_return *core_.stop_reason();
    work.statement_started = Clock::now();
  }
  const std::span<const std::uint8_t> relayed(work.client_buffer.data(), length);
  if (frontend_->wants_before_forward()) {
    if (auto ready = co_await frontend_->before_forward(relayed); !ready) co_return ready.failure();
    if (core_.stopping()) co_return *core_.stop_reason();
  }
  auto outgoing = frontend_->rewrite_outgoing(relayed);
  if (outgoing.error) co_return *outgoing.error;
  // Replies due now go before these bytes reach the server: the replies to them come after.
  if (!outgoing.to_client.empty() && !co_await write_to_client(asio::buffer(outgoing.to_client), false)) {
    co_return client_closed();
  }
  if (frontend_->work_state().statement_running) clock_.statement_started(work.statement_started);
  const auto bytes = outgoing.rewritten ? asio::buffer(outgoing.to_server) : asio::buffer(work.client_buffer.data(), length);
  core_.set_writing(true);
  error_code error;
  if (const auto rest = server().stream().write_now(bytes, error); rest.size() > 0) {
    std::tie(error, std::ignore) = co_await asio::async_write(server().stream(), rest, use_nothrow);
  }
  core_.set_writing(false);
  if (core_.stopping()) co_return *core_.stop_reason();
  if (error) co_return server_lost();
  ++work.relay_epoch;
  // Cancelled by the client while it was queued: what it sent runs now, and is cancelled now.
  if (std::exchange(work.cancel_when_leased, false) && !work.cancel_in_flight) cancel_statement_just_sent();
  co_return ok_status();
}

// While a backend is leased two writers share the client: the pump (client_session_pump.cpp)
// what the server sent, the main loop replies the front end made itself. One write at a time,
// in the order they became due. The main loop's small replies join the pump's write in
// progress; the pump waits for the main loop's (rare) write to end, so the server's bytes keep
// their back-pressure.
awaitable<bool> ClientSession::write_to_client(asio::const_buffer bytes, bool wait_turn) {
  Busy& work = busy();
  if (work.client_writing) {
    if (!wait_turn) {
      work.client_backlog.append(static_cast<const char*>(bytes.data()), bytes.size());
      co_return true;
    }
    asio::steady_timer turn(client_.get_executor(), TimePoint::max());
    work.writer_waiting = &turn;
    while (work.client_writing) co_await turn.async_wait(use_nothrow);
    work.writer_waiting = nullptr;
  }
  work.client_writing = true;
  // At once when the socket takes it all (the usual case), else the rest through the reactor.
  error_code error;
  if (const auto rest = client_.write_now(bytes, error); rest.size() > 0) {
    std::tie(error, std::ignore) = co_await asio::async_write(client_, rest, use_nothrow);
  }
  while (!error && !work.client_backlog.empty()) {
    const std::string backlog = std::exchange(work.client_backlog, {});
    std::tie(error, std::ignore) = co_await asio::async_write(client_, asio::buffer(backlog), use_nothrow);
  }
  work.client_writing = false;
  if (work.writer_waiting) work.writer_waiting->cancel();
  // The pump's chunk waited for this write: its turn now (posted, as the pump's steps never run
  // inside the main loop's).
  if (std::exchange(work.pump_wants_turn, false)) {
    asio::post(client_.get_executor(), [self = shared_from_this()] { self->write_chunk(); });
  }
  co_return !error;
}

// The janitor's clock after each server chunk: idle in a transaction, or idle.
void ClientSession::after_server_chunk(const WorkState& work) {
  if (work.statement_running) return;
  ++busy().relay_epoch;
  if (work.in_transaction) {
    clock_.idle_in_transaction(Clock::now());
  } else {
    clock_.client_idle(Clock::now());
  }
}

// Ends the session for `reason`: wakes the main loop wherever it waits on the client.
void ClientSession::stop(Failure reason) {
  core_.stop(std::move(reason));
  error_code ignored;
  client_.cancel(ignored);
  if (busy_) busy().pool_wait.abandon();
  // A write to the backend can wait forever: a client that pipelined without reading fills
  // the backend's output, and the backend stops reading. The backend is not clean then anyway.
  if (core_.writing() && core_.has_lease()) server().stream().cancel(ignored);
  unpark();
}

}  // namespace sluice::session
