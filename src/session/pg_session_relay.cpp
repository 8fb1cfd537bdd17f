// PgSession, part two: relaying traffic between the client and a leased backend, and
// deciding when that backend is clean enough to go back to the pool.
#include <spdlog/spdlog.h>

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
constexpr std::size_t kMaxInternalReply = 64 * 1024;

Failure client_closed() { return Failure{"client_close", "08006", "client closed the connection"}; }

Failure statement_mode_violation() {
  return Failure{"pool_mode", "25001", "transaction blocks are not allowed in statement pool mode"};
}
}  // namespace

PgServerConnection& PgSession::server() const { return static_cast<PgServerConnection&>(lease_.connection()); }

// The main loop: wait for the client, read what it sent, lease a backend if needed, relay.
awaitable<Status> PgSession::relay_client() {
  for (;;) {
    if (!lease_ && held_ == 0) {
      client_buffer_ = {};  // an idle client holds no buffer
      auto [wait_error] = co_await client_.async_wait(tcp::socket::wait_read, use_nothrow);
      if (wait_error) co_return pump_failure_ ? *pump_failure_ : client_closed();
    }
    if (client_buffer_.empty()) client_buffer_.resize(kClientBufferSize);
    auto [read_error, received] = co_await client_.async_read_some(
        asio::buffer(client_buffer_.data() + held_, client_buffer_.size() - held_), use_nothrow);
    if (pump_failure_) co_return *pump_failure_;
    if (read_error) co_return client_closed();

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
  switch (message.type) {
    case pg::frontend::Query:
    case pg::frontend::FunctionCall:
      ++pending_syncs_;
      break;
    case pg::frontend::Sync:
      ++pending_syncs_;
      unsynced_ = false;
      break;
    case pg::frontend::Parse:
    case pg::frontend::Bind:
    case pg::frontend::Describe:
    case pg::frontend::Execute:
    case pg::frontend::Close:
    case pg::frontend::Flush:
      unsynced_ = true;  // the backend holds state for this client until the next Sync
      break;
    default:
      break;  // CopyData/CopyDone/CopyFail belong to the Query already counted
  }
}

awaitable<Status> PgSession::forward_to_server(std::size_t length) {
  if (!lease_) {
    auto lease = co_await pool_->acquire(client_.get_executor());
    if (!lease) co_return lease.failure();
    if (auto attached = co_await attach_lease(std::move(*lease)); !attached) co_return attached.failure();
  }
  writing_to_server_ = true;
  auto [error, written] =
      co_await asio::async_write(server().socket(), asio::buffer(client_buffer_.data(), length), use_nothrow);
  writing_to_server_ = false;
  if (pump_failure_) co_return *pump_failure_;
  if (error) co_return server_lost();
  co_return ok_status();
}

// A fresh lease: make the backend look like this client's own session, then start the pump.
awaitable<Status> PgSession::attach_lease(pool::Lease lease) {
  lease_ = std::move(lease);
  auto& backend = server();
  const auto& target = connector_->target();
  cancel_target_->set(CancelTarget::Backend{target.host, target.port, backend.process_id, backend.secret_key});
  if (auto synced = co_await sync_parameters(); !synced) {
    cancel_target_->set(std::nullopt);
    lease_.discard();
    co_return synced.failure();
  }
  server_scanner_.reset();
  transaction_status_ = pg::transaction_status::Idle;
  pump_running_ = true;
  asio::co_spawn(client_.get_executor(), pump_server(shared_from_this()), asio::detached);
  co_return ok_status();
}

// Runs SET for every tracked parameter the backend has differently; its replies are
// Sluice's own business and never reach the client.
awaitable<Status> PgSession::sync_parameters() {
  auto& backend = server();
  const auto statement = parameter_sync_statement(client_parameters_, backend.parameters);
  if (statement.empty()) co_return ok_status();
  std::string out;
  pg::write_query(out, statement);
  if (auto sent = co_await write_all(backend.socket(), out, server_lost()); !sent) co_return sent.failure();
  std::string buffer;
  for (;;) {
    auto message = co_await read_pg_message(backend.socket(), buffer, kMaxInternalReply, server_lost());
    if (!message) co_return message.failure();
    const auto body = as_bytes(message->body);
    if (message->type == pg::backend::ParameterStatus) {
      if (auto parameter = pg::read_parameter_status(body)) {
        set_parameter(backend.parameters, parameter->name, parameter->value);
        // The server's spelling ("UTF8" for "utf8") becomes the client's: no SET next time.
        if (is_tracked_parameter(parameter->name)) set_parameter(client_parameters_, parameter->name, parameter->value);
      }
    } else if (message->type == pg::backend::ErrorResponse) {
      auto fields = pg::read_error_fields(body);
      spdlog::warn("user={} database={}: could not apply client parameters: {}", user_, database_,
                   fields ? fields->message : "malformed error");
    } else if (message->type == pg::backend::ReadyForQuery) {
      co_return ok_status();
    }
  }
}

// Server -> client while leased. Ends when the backend goes back to the pool, the server
// is lost, or the session stops.
awaitable<void> PgSession::pump_server([[maybe_unused]] std::shared_ptr<PgSession> self) {
  std::vector<std::uint8_t> buffer(kServerBufferSize);
  auto& socket = server().socket();
  for (;;) {
    auto [read_error, received] = co_await socket.async_read_some(asio::buffer(buffer), use_nothrow);
    if (stopping_) break;
    if (read_error) {
      pump_failure_ = server_lost();
      break;
    }
    const auto scanned = server_scanner_.scan(std::span<const std::uint8_t>(buffer.data(), received),
                                              [this](const pg::MessageView& message) { on_server_message(message); });
    if (scanned.error != pg::ScanError::none) {
      pump_failure_ = server_lost();
      break;
    }
    auto [write_error, written] = co_await asio::async_write(client_, asio::buffer(buffer.data(), received), use_nothrow);
    if (write_error || stopping_) break;  // the client is gone: the main loop notices and cleans up
    if (pool_mode_ == config::PoolMode::statement && pending_syncs_ == 0 &&
        transaction_status_ != pg::transaction_status::Idle) {
      pump_failure_ = statement_mode_violation();
      break;
    }
    if (may_release()) {
      release_lease();
      break;
    }
  }
  if (pump_failure_) {
    // Wake the main loop, wherever it waits on the client.
    error_code ignored;
    client_.cancel(ignored);
  }
  pump_running_ = false;
  pump_done_.cancel();
}

void PgSession::on_server_message(const pg::MessageView& message) {
  if (message.type == pg::backend::ReadyForQuery) {
    if (auto status = pg::read_ready_for_query(message.body)) transaction_status_ = *status;
    if (pending_syncs_ > 0) --pending_syncs_;
  } else if (message.type == pg::backend::ParameterStatus && !message.body_truncated) {
    if (auto parameter = pg::read_parameter_status(message.body)) {
      set_parameter(server().parameters, parameter->name, parameter->value);
      if (is_tracked_parameter(parameter->name)) set_parameter(client_parameters_, parameter->name, parameter->value);
    }
  }
}

// Idle, nothing in flight, no half-sent message: another client can have it.
bool PgSession::backend_is_clean() const {
  return transaction_status_ == pg::transaction_status::Idle && pending_syncs_ == 0 && !unsynced_ &&
         client_scanner_.at_boundary() && !pump_failure_;
}

bool PgSession::may_release() const {
  return pool_mode_ != config::PoolMode::session && !writing_to_server_ && backend_is_clean();
}

void PgSession::release_lease() {
  cancel_target_->set(std::nullopt);
  lease_.release();
}

awaitable<void> PgSession::stop_pump() {
  if (!pump_running_) co_return;
  stopping_ = true;
  error_code ignored;
  server().socket().cancel(ignored);
  client_.cancel(ignored);
  pump_done_.expires_at(TimePoint::max());
  while (pump_running_) co_await pump_done_.async_wait(use_nothrow);
}

// The client is leaving (or being sent away): settle the backend, then tell the client why.
awaitable<void> PgSession::finish(const Status& outcome) {
  co_await stop_pump();
  if (lease_) {
    const bool clean = backend_is_clean() && outcome.ok();
    if (clean && pool_mode_ == config::PoolMode::session) {
      if (auto reset = co_await reset_backend(); reset) {
        release_lease();
      }
    } else if (clean) {
      release_lease();
    } else if (pending_syncs_ > 0 && !pump_failure_) {
      // A statement may still run: stop it before closing, or it runs on to the end.
      const auto& target = connector_->target();
      asio::co_spawn(client_.get_executor(),
                     send_cancel_request(client_.get_executor(), target.host, target.port, server().process_id,
                                         server().secret_key),
                     asio::detached);
    }
    cancel_target_->set(std::nullopt);
    lease_.discard();  // a no-op if released above
  }
  if (!outcome.ok()) {
    const auto& failure = outcome.failure();
    if (failure.reason != "client_close") {
      spdlog::info("client closed: user={} database={} address={} reason={} ({})", user_, database_, remote_,
                   failure.reason, failure.message);
      co_await send_error(failure, "FATAL");
    }
  } else if (!database_.empty()) {
    spdlog::info("client logout: user={} database={} address={}", user_, database_, remote_);
  }
  error_code ignored;
  client_.shutdown(tcp::socket::shutdown_both, ignored);
  client_.close(ignored);
}

// server_reset_query (DISCARD ALL) before a session-mode backend serves someone else.
awaitable<Status> PgSession::reset_backend() {
  const auto reset_query = pool_->settings().server_reset_query;
  if (reset_query.empty()) co_return ok_status();
  auto& backend = server();
  std::string out;
  pg::write_query(out, reset_query);
  if (auto sent = co_await write_all(backend.socket(), out, server_lost()); !sent) co_return sent.failure();
  std::string buffer;
  for (;;) {
    auto message = co_await read_pg_message(backend.socket(), buffer, kMaxInternalReply, server_lost());
    if (!message) co_return message.failure();
    if (message->type == pg::backend::ParameterStatus) {
      if (auto parameter = pg::read_parameter_status(as_bytes(message->body))) {
        set_parameter(backend.parameters, parameter->name, parameter->value);
      }
    } else if (message->type == pg::backend::ErrorResponse) {
      co_return Failure{"server_reset_query", "08006", "server_reset_query failed"};
    } else if (message->type == pg::backend::ReadyForQuery) {
      auto status = pg::read_ready_for_query(as_bytes(message->body));
      if (status != pg::transaction_status::Idle) co_return Failure{"server_reset_query", "08006", "not idle"};
      co_return ok_status();
    }
  }
}

awaitable<void> PgSession::send_error(const Failure& failure, std::string_view severity) {
  if (error_sent_) co_return;
  error_sent_ = true;
  std::string out;
  pg::write_error_response(out, severity, failure.sqlstate, failure.message);
  co_await asio::async_write(client_, asio::buffer(out), use_nothrow);
}

}  // namespace sluice::session
