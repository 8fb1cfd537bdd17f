// PgSession, part two: relaying traffic between the client and a leased backend, and
// deciding when that backend is clean enough to go back to the pool.
#include <spdlog/spdlog.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/pg_io.hpp"
#include "sluice/session/pg_session.hpp"
#include "sluice/session/tracked_parameters.hpp"

namespace sluice::session {

namespace {
// One read, many messages, one write: buffers sized for a socket's worth of data.
constexpr std::size_t kClientBufferSize = 16 * 1024;
constexpr std::size_t kServerBufferSize = 32 * 1024;

Failure client_closed() { return Failure{"client_close", "08006", "client closed the connection"}; }

Failure statement_timeout() {
  return Failure{"statement_timeout", "57014", "canceling statement due to statement timeout"};
}

// True once the client has closed or reset its connection, read from TCP's own state (one
// syscall, once per lease): a peek would not do, since a client that pipelined more messages
// before it closed has them unread ahead of its FIN. A FIN is a client gone, as in the relay
// loop: no PostgreSQL client half-closes and then waits for an answer.
bool client_has_left(tcp::socket& client) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(client.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
  return info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE;  // FIN, or reset
}
}  // namespace

// The main loop: wait for the client, read what it sent, lease a backend if needed, relay.
awaitable<Status> PgSession::relay_client() {
  for (;;) {
    if (held_ == 0) {
      // Wait without a buffer: between messages, and all the time it is idle, a client
      // holds none (borrowing one back from the thread's spares costs no malloc).
      client_buffer_.reset();
      auto [wait_error] = co_await client_.async_wait(tcp::socket::wait_read, use_nothrow);
      if (core_.stopping()) co_return *core_.stop_reason();
      if (wait_error) co_return client_closed();
    }
    if (client_buffer_.empty()) client_buffer_ = net::PooledBuffer(kClientBufferSize);
    auto [read_error, received] = co_await client_.async_read_some(
        asio::buffer(client_buffer_.data() + held_, client_buffer_.size() - held_), use_nothrow);
    if (core_.stopping()) co_return *core_.stop_reason();
    if (read_error) co_return client_closed();
    bytes_from_client_ += received;
    clock_.client_busy();
    clock_.not_idle_in_transaction();

    // Scan only the new bytes; stop right after a Terminate, which is never relayed.
    std::size_t complete_end = 0;  // buffer offset just past the last complete message
    std::size_t terminate_start = 0;
    const auto chunk = std::span<const std::uint8_t>(client_buffer_.data() + held_, received);
    const auto scanned = client_scanner_.scan(chunk, [&](const pg::MessageView& message) {
      complete_end = held_ + message.end;
      if (message.type == pg::frontend::Terminate) {
        terminate_requested_ = true;
        terminate_start = complete_end >= message.length + 1 ? complete_end - message.length - 1 : 0;
        return false;
      }
      on_client_message(message);
      return true;
    });
    if (scanned.error != pg::ScanError::none) {
      co_return protocol_violation(std::string(pg::to_string(scanned.error)));
    }

    // Relay everything but a Terminate and an incomplete header (kept for the next read).
    std::size_t relay_end = held_ + received;
    if (terminate_requested_) {
      relay_end = terminate_start;
    } else if (!client_scanner_.at_boundary() && !client_scanner_.pending_type()) {
      relay_end = complete_end;
    }
    if (relay_end > 0) {
      if (auto forwarded = co_await forward_to_server(relay_end); !forwarded) co_return forwarded.failure();
    }
    if (terminate_requested_) co_return ok_status();
    held_ = held_ + received - relay_end;
    std::memmove(client_buffer_.data(), client_buffer_.data() + relay_end, held_);
  }
}

void PgSession::on_client_message(const pg::MessageView& message) {
  if (unit_.on_client_message(message.type)) statement_started_ = Clock::now();
}

awaitable<Status> PgSession::forward_to_server(std::size_t length) {
  if (!core_.has_lease()) {
    set_state(ClientState::waiting);
    auto lease = co_await pool_->acquire(client_.get_executor());
    if (!lease) co_return lease.failure();
    // Left while queued: the backend goes back untouched, instead of running a statement
    // nobody will read and then being closed because the client left mid-statement.
    if (client_has_left(client_)) {
      lease->release();
      co_return client_closed();
    }
    if (auto attached = co_await attach_lease(std::move(*lease)); !attached) co_return attached.failure();
    // statement_timeout counts time on the server, not time queued for a backend.
    statement_started_ = Clock::now();
  }
  if (cancel_in_flight_) {
    // Our statement_timeout cancel is still on its way: PostgreSQL may signal the backend
    // twice (process and process group), so wait until it has, while the backend is idle.
    co_await wait_for_cancel_delivery();
    if (core_.stopping()) co_return *core_.stop_reason();
    statement_started_ = Clock::now();
  }
  if (unit_.statement_running()) clock_.statement_started(statement_started_);
  core_.set_writing(true);
  auto [error, written] =
      co_await asio::async_write(server().socket(), asio::buffer(client_buffer_.data(), length), use_nothrow);
  core_.set_writing(false);
  if (core_.stopping()) co_return *core_.stop_reason();
  if (error) co_return server_lost();
  co_return ok_status();
}

// Server -> client while leased. Ends when the backend goes back to the pool, the server
// is lost, or the session stops.
awaitable<void> PgSession::pump_server([[maybe_unused]] std::shared_ptr<PgSession> self) {
  net::PooledBuffer buffer(kServerBufferSize);
  ServerScanner scanner(runtime_->config->max_packet_size);  // lives as long as the lease
  auto& socket = server().socket();
  for (;;) {
    auto [read_error, received] = co_await socket.async_read_some(asio::buffer(buffer.data(), buffer.size()), use_nothrow);
    if (stopping_) break;
    if (read_error) {
      stop(server_lost());
      break;
    }
    if (!co_await relay_to_client(scanner, std::span<std::uint8_t>(buffer.data(), received)) || stopping_) break;
    if (auto violation = core_.check_pool_mode(work_state())) {
      // Whatever the client sent meanwhile: a statement left a transaction open.
      stop(std::move(*violation));
      break;
    }
    if (!unit_.statement_running() && unit_.in_transaction()) {
      clock_.idle_in_transaction(Clock::now());
    } else if (!unit_.statement_running()) {
      clock_.client_idle(Clock::now());
    }
    if (auto due = core_.due_stop(work_state())) {
      stop(std::move(*due));
      break;
    }
    if (core_.may_release(work_state()) && cancel_in_flight_) {
      co_await wait_for_cancel_delivery();
      if (stopping_) break;
    }
    if (core_.may_release(work_state())) {
      release_lease();
      break;
    }
  }
  pump_running_ = false;
  if (pump_done_) pump_done_->cancel();
}

// Scans one chunk from the server and writes it to the client. False: the session is over.
awaitable<bool> PgSession::relay_to_client(ServerScanner& scanner, std::span<std::uint8_t> chunk) {
  // A cancel of ours: its ErrorResponse, when whole in this chunk, gets the real reason.
  std::optional<std::pair<std::size_t, std::size_t>> timeout_error;  // [start, end) in chunk
  const auto scanned = scanner.scan(chunk, [&](const pg::MessageView& message) {
    const std::size_t size = std::size_t{message.length} + 1;
    if (message.type == pg::backend::ErrorResponse && statement_timed_out_ && message.end >= size) {
      statement_timed_out_ = false;
      timeout_error.emplace(message.end - size, message.end);
    }
    on_server_message(message);
  });
  if (scanned.error != pg::ScanError::none) {
    stop(server_lost());
    co_return false;
  }
  bytes_to_client_ += chunk.size();
  const auto bytes = std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  std::string rewritten;
  if (timeout_error) {
    const auto [start, end] = *timeout_error;
    const auto failure = statement_timeout();
    rewritten.append(bytes.substr(0, start));
    pg::write_error_response(rewritten, "ERROR", failure.sqlstate, failure.message);
    rewritten.append(bytes.substr(end));
  }
  auto [error, written] =
      co_await asio::async_write(client_, asio::buffer(timeout_error ? std::string_view(rewritten) : bytes), use_nothrow);
  co_return !error;  // on error the client is gone: the main loop notices and cleans up
}

void PgSession::on_server_message(const pg::MessageView& message) {
  if (message.type == pg::backend::ReadyForQuery) {
    if (unit_.on_server_message(message.type, message.body)) {
      ++queries_;
      query_time_ += Clock::now() - statement_started_;
      clock_.statement_finished();
      clock_.cancel_settled();
      statement_timed_out_ = false;
    }
  } else if (message.type == pg::backend::ParameterStatus && !message.body_truncated) {
    if (auto parameter = pg::read_parameter_status(message.body)) {
      set_parameter(server().parameters, parameter->name, parameter->value);
      if (is_tracked_parameter(parameter->name)) {
        set_parameter(client_parameters_, parameter->name, parameter->value);
        if (parameter->name == "application_name") {
          std::lock_guard lock(snapshot_mutex_);
          application_name_ = parameter->value;
        }
      }
    }
  }
}

WorkState PgSession::work_state() const {
  return WorkState{unit_.statement_running(), unit_.in_transaction(),
                   unit_.unsynced() || !client_scanner_.at_boundary()};
}

// Ends the session for `reason`: wakes the main loop wherever it waits on the client.
void PgSession::stop(Failure reason) {
  core_.stop(std::move(reason));
  error_code ignored;
  client_.cancel(ignored);
}

}  // namespace sluice::session
