// PgFrontend, part two: the data phase's protocol work — scanning what is relayed, bringing
// a backend to the client's parameters, settling it, cancelling, and the client's errors.
#include <spdlog/spdlog.h>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/reason_codes.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

namespace {
// PostgreSQL's words for it.
Failure invalid_message_type(char type) {
  return protocol_violation("invalid frontend message type " + std::to_string(static_cast<unsigned char>(type)));
}

Failure statement_timeout() {
  return Failure{"statement_timeout", "57014", "canceling statement due to statement timeout"};
}
}  // namespace

// Scans only the new bytes; stops right after a Terminate, which is never relayed. An
// incomplete header stays behind for the next read; a message whose header is in may be
// relayed in parts.
PgFrontend::Scanners& PgFrontend::scanners() {
  if (!scanners_) scanners_ = std::make_unique<Scanners>(session_.runtime().config->max_packet_size);
  return *scanners_;
}

ClientScan PgFrontend::scan_client(std::span<const std::uint8_t> buffer, std::size_t held, std::size_t received) {
  if (auto refused = track_client_bytes(buffer, held, received)) return std::move(*refused);
  ClientScan result;
  std::size_t complete_end = 0;  // buffer offset just past the last complete message
  std::size_t terminate_start = 0;
  auto& client_scanner = scanners().client;
  const auto scanned = client_scanner.scan(buffer.subspan(held, received), [&](const pg::MessageView& message) {
    complete_end = held + message.end;
    if (!pg::frontend::is_data_phase_message(message.type)) {
      result.error = invalid_message_type(message.type);
      return false;
    }
    if (message.type == pg::frontend::Terminate) {
      result.terminate = true;
      terminate_start = complete_end >= message.length + 1 ? complete_end - message.length - 1 : 0;
      return false;
    }
    if (unit_.on_client_message(message.type)) result.round_trip_started = true;
    return true;
  });
  if (scanned.error != pg::ScanError::none) {
    result.error = protocol_violation(std::string(pg::to_string(scanned.error)));
    return result;
  }
  if (result.error) return result;
  // A long message's header is in: its type is known before its end.
  if (const auto pending = client_scanner.pending_type(); pending && !pg::frontend::is_data_phase_message(*pending)) {
    result.error = invalid_message_type(*pending);
    return result;
  }
  result.relay_end = held + received;
  if (result.terminate) {
    result.relay_end = terminate_start;
  } else if (!client_scanner.at_boundary() && !client_scanner.pending_type()) {
    result.relay_end = complete_end;
  } else if (const auto pending = client_scanner.pending_type(); pending && held_whole(*pending)) {
    // Renamed on its way: it goes on whole, from where it starts in the buffer.
    const std::size_t size = std::size_t{client_scanner.pending_length()} + 1;
    const std::size_t in_buffer = size - client_scanner.pending_remaining();
    result.relay_end = held + received - in_buffer;
    result.hold_for = size;
  }
  if (auto answered = answer_prepare_alone(buffer.subspan(0, result.relay_end), result)) return std::move(*answered);
  return result;
}

// Relays the chunk as it came unless something in it must change: the ErrorResponse of a
// statement_timeout cancel of ours gets the real reason; replies to what the statement tracker
// added are swallowed and replies it owes inserted. A reply to swallow is one 5-byte message, so
// an incomplete header at the chunk's end is kept back until it is whole.
ServerScan PgFrontend::scan_server(std::span<const std::uint8_t> chunk) {
  ServerScan result;
  const auto bytes = std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  const bool tracking = track_statements_;
  std::string& out = result.replacement;
  std::string& held_server_bytes = scanners().held_server_bytes;
  if (!held_server_bytes.empty()) {
    result.replaced = true;
    out = std::exchange(held_server_bytes, {});
  }
  std::size_t copied = 0;    // chunk bytes before this are in `out` (once replaced)
  std::size_t last_end = 0;  // just past the last message completed in this chunk
  const auto edit_up_to = [&](std::size_t end) {
    result.replaced = true;
    out.append(bytes.substr(copied, end - copied));
    copied = end;
  };
  const auto scanned = server_scanner_->scan(chunk, [&](const pg::MessageView& message) {
    last_end = message.end;
    if (!pg::is_backend_message(message.type)) {
      // Not PostgreSQL (a proxy in between, a port reused by something else): the session
      // cannot know what this backend is doing, so it is not relayed and the backend closes.
      result.error = protocol_violation(fmt::format("the server sent a message of unknown type {:#04x}",
                                                    static_cast<unsigned char>(message.type)));
      return false;
    }
    // A row: nothing below looks at one (the statement tracker ignores them, and neither the unit
    // of work nor the session state follows them), so rows go on as they came at no cost per row.
    if (pg::BackendStatements::ignores(message.type)) return true;
    const std::size_t size = std::size_t{message.length} + 1;
    const bool whole = message.end >= size;
    const std::size_t start = whole ? message.end - size : 0;
    on_server_message(message, result);
    follow_session_state(message);
    if (message.type == pg::backend::ErrorResponse && statement_timed_out_ && whole) {
      statement_timed_out_ = false;
      edit_up_to(start);
      const auto failure = statement_timeout();
      pg::write_error_response(out, "ERROR", pg::sqlstate_for(failure), failure.message);
      copied = message.end;
    }
    if (!tracking) return true;
    auto reply = track_server_message(message);
    if (!reply) {
      result.error = server_lost();
      return false;
    }
    if (!reply->relay) {
      if (whole) {
        edit_up_to(start);
      } else {  // its first bytes were held back: they are at the end of `out`
        const std::size_t held = size - message.end;
        out.resize(out.size() >= held ? out.size() - held : 0);
      }
      copied = message.end;
    }
    if (!reply->due.empty()) {
      edit_up_to(message.end);
      out += reply->due;
    }
    return true;
  });
  if (result.error) return result;
  if (scanned.error != pg::ScanError::none) {
    // Said in the log (the pump's warning, on_server_read): a row over max_packet_size is a setting to
    // raise, not a network fault.
    result.error = server_lost();
    result.error->message += scanned.error == pg::ScanError::length_too_large
                                 ? ": the server sent a message larger than max_packet_size"
                                 : ": the server sent a malformed message length";
    return result;
  }
  if (tracking && !server_scanner_->at_boundary() && !server_scanner_->pending_type()) {
    edit_up_to(last_end);
    held_server_bytes.assign(bytes.substr(last_end));
    if (last_end == 0) held_server_bytes.insert(0, std::exchange(out, {}));  // all of it one header so far
  } else if (result.replaced) {
    edit_up_to(chunk.size());
  }
  return result;
}

void PgFrontend::on_server_message(const pg::MessageView& message, ServerScan& scan) {
  if (message.type == pg::backend::ReadyForQuery) {
    if (unit_.on_server_message(message.type, message.body)) {
      scan.round_trip_completed = true;
      statement_timed_out_ = false;
    }
  } else if (message.type == pg::backend::ParameterStatus && !message.body_truncated) {
    if (auto parameter = pg::read_parameter_status(message.body)) {
      server().report_parameter(parameter->name, parameter->value);
      if (pg::is_reported_parameter(parameter->name)) {
        session_settings_.set_reported(parameter->name, parameter->value);
        if (parameter->name == "application_name") session_.set_application_name(parameter->value);
      }
    }
  }
}

WorkState PgFrontend::work_state() const {
  return WorkState{unit_.statement_running(), unit_.in_transaction(),
                   unit_.unsynced() || !client_at_boundary(), pinned()};
}

bool PgFrontend::prepare_backend_at_once() {
  // Its own server's route, even if a reload has moved the pool since.
  cancel_target_.set(server().cancel_route);
  // Kept from the last lease while the client is busy (trim_idle drops it): no allocation per
  // transaction. Made again only when a reload changed max_packet_size.
  const auto max_packet_size = session_.runtime().config->max_packet_size;
  if (!server_scanner_ || server_scanner_->max_message_length() != max_packet_size) {
    server_scanner_ = std::make_unique<ServerScanner>(max_packet_size);
  }
  read_state_policy();
  session_settings_.attach(&server().given_settings);
  // The usual lease needs no query.
  if (!session_settings_.in_sync_with(server().given_settings)) return false;
  unit_.backend_at_rest();
  return true;
}

// The settings differ (prepare_backend_at_once has attached them): the queries that bring the
// backend to this client's.
awaitable<Status> PgFrontend::prepare_backend() {
  if (auto synced = co_await sync_session(); !synced) co_return synced.failure();
  unit_.backend_at_rest();
  co_return ok_status();
}

void PgFrontend::backend_detached() {
  unnamed_on_lease_ = false;  // the next backend's unnamed statement may be anyone's
  if (server().statements) server().note_prepared_statements(server().statements->size());
  cancel_target_.set(nullptr);
  session_settings_.attach(nullptr);
  if (server_scanner_) server_scanner_->reset();  // the next lease starts at a message boundary
  if (scanners_) scanners_->held_server_bytes.clear();
  // Lost with requests unanswered: the statements they would have made never existed.
  if (client_statements_ && server().statements && server().statements->requests_in_flight() > 0) {
    client_statements_->forget_unconfirmed();
  }
}

awaitable<bool> PgFrontend::settle(SettleQuery query) {
  std::string sql = "ROLLBACK";
  if (query == SettleQuery::reset) {
    sql = session_.pool().settings().server_reset_query;
    if (sql.empty()) co_return true;
  }
  auto status = co_await run_internal_query(sql, true);
  // server_reset_query (DISCARD ALL as a rule) may have dropped every prepared statement.
  if (query == SettleQuery::reset && server().statements) server().statements->forget_all();
  if (!status || *status != pg::transaction_status::Idle) co_return false;
  if (query == SettleQuery::reset) pg::SessionSettings::apply_to_backend(sql, server().given_settings);
  unit_.backend_at_rest();
  co_return true;
}

awaitable<void> PgFrontend::cancel_statement() {
  co_await send_cancel_request(session_.client().get_executor(), *server().cancel_route);
}

awaitable<void> PgFrontend::write_error(const Failure& failure, bool fatal) {
  // A write now would resume the handshake and wait on a client that stalled or failed it.
  if (session_.tls_handshaking()) co_return;
  std::string out;
  pg::write_error_response(out, fatal ? "FATAL" : "ERROR", pg::sqlstate_for(failure), failure.message);
  co_await asio::async_write(session_.client(), asio::buffer(out), use_nothrow);
}

// Sends one query of Sluice's own and reads its replies, which the client never sees.
awaitable<Expected<char>> PgFrontend::run_internal_query(std::string_view sql, bool errors_fail) {
  // The server's spelling ("UTF8" for "utf8") becomes the client's: no SET next time.
  auto result = co_await run_backend_query(server(), sql, [this](std::string_view name, std::string_view value) {
    if (pg::is_reported_parameter(name)) session_settings_.set_reported(name, value);
  });
  if (!result) co_return result.failure();
  if (result->error) {
    spdlog::warn("user={} database={}: internal query failed: {}", session_.user(), session_.database(),
                 *result->error);
    if (errors_fail) co_return Failure{"server_reset_query", "08006", "server connection reset failed: " + *result->error};
  }
  co_return result->transaction_status;
}

}  // namespace sluice::session
