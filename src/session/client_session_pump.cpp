// ClientSession, part four: the pump, server -> client while a backend is leased. It ends when
// the backend goes back to the pool, the server is lost, or the session stops.
//
// Callbacks, not a coroutine: a transaction-mode client leases a backend per transaction, and a
// coroutine per lease cost a co_spawn, two frames and a scheduler round trip each time (about a
// twentieth of a transaction's instructions). The steps, each a member below: read a chunk from
// the server, scan it, write it to the client (waiting for the main loop's turn if it is writing),
// then decide — read on, or give the backend back.
#include <spdlog/spdlog.h>

#include <exception>
#include <string>

#include "sluice/session/client_session.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

namespace {
constexpr std::size_t kServerBufferSize = 32 * 1024;  // a socket's worth of answers per read
}  // namespace

void ClientSession::start_pump() {
  pump_running_ = true;
  busy().server_buffer = net::PooledBuffer(kServerBufferSize);
  read_server();
}

void ClientSession::read_server() {
  Busy& work = busy();
  server().stream().async_read_some_until_rest(
      asio::buffer(work.server_buffer.data(), work.server_buffer.size()), frontend_->server_rest_point(),
      [self = shared_from_this()](error_code error, std::size_t received) { self->on_server_read(error, received); });
}

void ClientSession::on_server_read(error_code error, std::size_t received) {
  if (stopping_) return end_pump();
  if (error) {
    stop(server_lost());
    return end_pump();
  }
  Busy& work = busy();
  const std::span<const std::uint8_t> chunk(work.server_buffer.data(), received);
  ServerScan scan;
  try {
    scan = frontend_->scan_server(chunk);
  } catch (const std::exception& thrown) {
    // Nothing a server sends should throw (the fuzzers hold the scanners to that); if something
    // does, this backend goes, not the process: a callback has no coroutine to catch it.
    scan.error = server_lost();
    scan.error->message += std::string(": ") + thrown.what();
  }
  if (scan.error) {
    spdlog::warn("user={} database={}: closing the backend: {}", user(), database(), scan.error->message);
    stop(server_lost());
    return end_pump();
  }
  if (scan.round_trip_completed) {
    ++work.queries;
    work.query_time += Clock::now() - work.statement_started;
    clock_.statement_finished();
    clock_.cancel_settled();
  }
  work.bytes_to_client += chunk.size();
  if (scan.replaced) {
    work.pump_bytes = std::move(scan.replacement);
    work.pump_pending = asio::buffer(work.pump_bytes);
  } else {
    work.pump_pending = asio::buffer(chunk.data(), chunk.size());
  }
  write_chunk();
}

// One writer at a time (see write_to_client): while the main loop writes, the pump's chunk waits
// for its turn, so the server's bytes keep their back-pressure.
void ClientSession::write_chunk() {
  if (stopping_) return end_pump();
  Busy& work = busy();
  if (work.client_writing) {
    work.pump_wants_turn = true;  // write_to_client hands the turn over when it ends
    return;
  }
  work.client_writing = true;
  // At once when the socket takes it all (the usual case), else the rest through the reactor.
  error_code error;
  if (const auto rest = client_.write_now(work.pump_pending, error); rest.size() > 0) {
    asio::async_write(client_, rest, [self = shared_from_this()](error_code written, std::size_t) {
      self->on_chunk_written(written);
    });
    return;
  }
  on_chunk_written(error);
}

void ClientSession::on_chunk_written(error_code error) {
  Busy& work = busy();
  // Replies the main loop made while the chunk was on its way go right after it.
  if (!error && !work.client_backlog.empty()) {
    work.pump_bytes = std::exchange(work.client_backlog, {});
    asio::async_write(client_, asio::buffer(work.pump_bytes), [self = shared_from_this()](error_code written, std::size_t) {
      self->on_chunk_written(written);
    });
    return;
  }
  work.client_writing = false;
  if (work.writer_waiting) work.writer_waiting->cancel();
  if (error) {
    // The client is gone. The main loop may be blocked writing to this backend, which stopped
    // reading because nobody read its answers: stopping is what ends that write.
    if (!stopping_) stop(client_closed());
    return end_pump();
  }
  after_chunk_relayed();
}

// The chunk reached the client: read on, or give the backend back if SessionCore says it may go.
void ClientSession::after_chunk_relayed() {
  if (stopping_) return end_pump();
  const auto work = frontend_->work_state();
  if (auto violation = core_.check_pool_mode(work)) {
    // Whatever the client sent meanwhile: a statement left a transaction open.
    stop(std::move(*violation));
    return end_pump();
  }
  after_server_chunk(work);
  if (auto due = core_.due_stop(work)) {
    stop(std::move(*due));
    return end_pump();
  }
  if (!core_.may_release(work)) {
    if (work.at_rest()) count_kept_transaction();
    return read_server();
  }
  if (auto delivered = busy().cancel_in_flight) {
    // Our statement_timeout cancel may still reach the server: the backend waits for it.
    delivered->async_wait([self = shared_from_this(), delivered](error_code) {
      self->note_cancel_delivery(delivered);
      if (self->stopping_) return self->end_pump();
      // The client sent more meanwhile: its answer is the pump's to read.
      if (!self->core_.may_release(self->frontend_->work_state())) return self->read_server();
      self->release_lease();
      self->end_pump();
    });
    return;
  }
  release_lease();
  end_pump();
}

void ClientSession::end_pump() {
  pump_running_ = false;
  Busy& work = busy();
  work.server_buffer.reset();
  work.pump_bytes.clear();
  if (work.pump_done) work.pump_done->cancel();
}

}  // namespace sluice::session
