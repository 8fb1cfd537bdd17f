// MyFrontend, part two: the command phase's protocol work — scanning what is relayed both ways,
// following the client's schema, settling a backend, KILL QUERY,
// and the client's errors.
#include <spdlog/spdlog.h>

#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/found_rows.hpp"
#include "sluice/protocol/mysql/use_statement.hpp"
#include "sluice/session/mysql/my_frontend.hpp"
#include "sluice/session/mysql/my_io.hpp"

namespace sluice::session {

namespace {

using mysql::PacketView;

// What KILL QUERY makes the server answer the killed statement with.
constexpr std::uint16_t kQueryInterrupted = 1317;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool is_command(const PacketView& packet, std::uint8_t command) {
  return packet.starts_payload() && packet.length >= 1 && packet.payload[0] == command;
}

// An ERR for a killed statement, whole in this chunk: [start, end) and its sequence id.
struct Interrupted {
  std::size_t start = 0;
  std::size_t end = 0;
  std::uint8_t sequence_id = 0;
};

std::optional<Interrupted> interrupted_error(const PacketView& packet) {
  if (!packet.starts_payload() || packet.payload_truncated || packet.end < packet.length + 4u) return std::nullopt;
  if (packet.payload.size() < 3 || packet.payload[0] != mysql::packet_header::ERR_Packet) return std::nullopt;
  const std::uint16_t code = static_cast<std::uint16_t>(packet.payload[1] | (packet.payload[2] << 8));
  if (code != kQueryInterrupted) return std::nullopt;
  return Interrupted{packet.end - packet.length - 4, packet.end, packet.sequence_id};
}

}  // namespace

// Relays everything read except COM_QUIT (and what follows it), which ends the session instead.
// With statement tracking, a statement command is relayed only once it is whole.
ClientScan MyFrontend::scan_client(std::span<const std::uint8_t> buffer, std::size_t held, std::size_t received) {
  ClientScan result;
  const std::size_t in_flight_before = tracker_.commands_in_flight();
  // A packet left partial by this read starts in the buffer (and may be held from its start)
  // unless it began in bytes an earlier read already relayed.
  bool partial_starts_here = held > 0 || client_scanner_.at_boundary();
  if (held == 0) {
    if (auto pong = local_ping_reply(buffer.subspan(0, received))) {
      result.local_reply = std::move(*pong);
      return result;
    }
    if (closed_locally(buffer.subspan(0, received))) {
      result.answered_locally = true;
      return result;
    }
  }
  std::size_t quit_start = 0;
  std::size_t complete_end = 0;  // buffer offset just past the last complete packet
  const auto scanned = client_scanner_.scan(buffer.subspan(held, received), [&](const PacketView& packet) {
    complete_end = held + packet.end;
    partial_starts_here = true;
    const bool command = packet.starts_payload() && !tracker_.awaiting_client_file();
    if (command && packet.length == 1 && packet.payload[0] == mysql::command::COM_QUIT) {
      result.terminate = true;
      // Its first bytes came in an earlier read and went to the server: the backend holds half
      // a packet, so it must not serve anyone else.
      quit_split_ = packet.end < 5;
      quit_start = quit_split_ ? 0 : packet.end - 5;
      return false;
    }
    if (command && is_kill(packet)) return answer_kill(packet, held == 0 && packet.end == received, result);
    if (command && !packet.payload.empty() && packet.payload[0] == mysql::command::COM_CHANGE_USER) {
      return answer_change_user(buffer.subspan(held, received), packet, held == 0 && packet.end == received, result);
    }
    return on_client_packet(packet, buffer.subspan(0, held + received), complete_end, result);
  });
  if (scanned.error != mysql::PacketScanError::none) {
    result.error = mysql::protocol_violation(std::string(mysql::to_string(scanned.error)));
    return result;
  }
  if (!tracker_.violation().empty()) {
    result.error = mysql::protocol_violation(tracker_.violation());
    return result;
  }
  if (result.error || !result.local_reply.empty()) return result;
  range_commands_ = tracker_.commands_in_flight() - in_flight_before;
  result.relay_end = held + (result.terminate ? quit_start : received);
  if (!result.terminate && partial_starts_here) {
    hold_statement_packet(buffer.subspan(0, held + received), complete_end, result);
  }
  show_pin();
  return result;
}

bool MyFrontend::on_client_packet(const PacketView& packet, std::span<const std::uint8_t> buffer, std::size_t buffer_end,
                                  ClientScan& scan) {
  const bool command = packet.starts_payload() && !tracker_.awaiting_client_file() && packet.length >= 1;
  next_sequence_ = static_cast<std::uint8_t>(packet.sequence_id + 1);
  if (command && !check_command(packet.payload[0], scan)) return false;
  if (command && track_statements_ && !note_statement_packet(packet, buffer_end, scan)) return false;
  if (command && (packet.payload[0] == mysql::command::COM_QUERY || packet.payload[0] == mysql::command::COM_STMT_PREPARE) &&
      !read_query(packet, buffer, buffer_end, scan)) {
    return false;
  }
  if (command && next_transaction_commands_ && may_start_transaction(packet.payload[0])) ++*next_transaction_commands_;
  if (command && packet.payload[0] == mysql::command::COM_RESET_CONNECTION) session_reset_by_client();
  if (command && packet.payload[0] == mysql::command::COM_SET_OPTION) {
    const std::size_t size = std::size_t{packet.length} + mysql::kPacketHeaderLength;
    const bool alone = !packet.continued() && buffer_end == size && buffer.size() == size && tracker_.response_complete();
    if (!on_set_option(packet, alone, scan)) return false;
  }
  const bool alone = tracker_.response_complete();
  if (tracker_.on_client_packet(packet)) scan.round_trip_started = true;
  if (command && alone) on_schema_command(packet);
  if (pending_setting_) awaiting_schema_answer_ = true;
  if (command && !track_statements_) count_statements(packet.payload[0]);
  return true;
}

// A COM_QUERY's (or COM_STMT_PREPARE's) text as the buffer holds it: whole when scan_client held it (up to
// kMaxReadQuery), else the part in this read (a longer text is read by its start only).
bool MyFrontend::read_query(const PacketView& packet, std::span<const std::uint8_t> buffer, std::size_t buffer_end,
                            ClientScan& scan) {
  const std::size_t size = std::size_t{packet.length} + mysql::kPacketHeaderLength;
  const bool whole = !packet.continued() && buffer_end >= size;
  const std::size_t start = whole ? buffer_end - size + mysql::kPacketHeaderLength + 1 : 0;
  const auto text = whole ? as_text(buffer.subspan(start, buffer_end - start)) : as_text(packet.payload.subspan(1));
  const bool alone = whole && start == mysql::kPacketHeaderLength + 1 && buffer_end == buffer.size() &&
                     tracker_.response_complete();
  const bool prepared = packet.payload[0] == mysql::command::COM_STMT_PREPARE;
  if (!whole) {
    // Only its start is read: whatever the rest leaves on the session (a user variable, a lock)
    // is not seen, so another client never gets this backend without a reset first.
    if (prepared) prepared_unseen_effects_ = true;
    else unfollowed_state_ = true;
  }
  return on_query_text(text, packet.sequence_id, alone, scan, prepared);
}

// Commands a pooled backend cannot serve: another user's session on a backend of this pool,
// replication streams that never end. The session ends with 1235 rather than relay them.
bool MyFrontend::check_command(std::uint8_t command, ClientScan& scan) {
  if (command != mysql::command::COM_CHANGE_USER &&
      mysql::response_shape(command) != mysql::ResponseShape::unsupported) {
    return true;
  }
  scan.error = Failure{"session_state", "0A000",
                       "not supported in transaction pool mode: command " + std::to_string(command)};
  return false;
}

// Binary prepared statements live on the backend that prepared them: until the client has
// closed every one (or reset its session), the backend stays with it (work_state()).
void MyFrontend::count_statements(std::uint8_t command) {
  if (command == mysql::command::COM_STMT_PREPARE) {
    ++open_statements_;
  } else if (command == mysql::command::COM_STMT_CLOSE && open_statements_ > 0) {
    --open_statements_;
  } else if (command == mysql::command::COM_RESET_CONNECTION) {
    open_statements_ = 0;
    ++session_resets_;
  }
}

// COM_INIT_DB or `USE name` sent alone: the schema changes once the server says OK.
void MyFrontend::on_schema_command(const PacketView& packet) {
  if (packet.payload_truncated || packet.length < 2) return;
  const auto argument = as_text(packet.payload.subspan(1));
  if (is_command(packet, mysql::command::COM_INIT_DB)) {
    pending_schema_ = std::string(argument);
  } else if (is_command(packet, mysql::command::COM_QUERY)) {
    pending_schema_ = mysql::parse_use_statement(argument);
  }
  awaiting_schema_answer_ = pending_schema_.has_value();
}

// A killed statement's ERR, when ours (statement_timeout), gets the timeout's code and message;
// a COM_STMT_PREPARE_OK gets the client's statement id. The start of a COM_STMT_PREPARE_OK split
// across reads waits for the rest (a dozen bytes at most).
ServerScan MyFrontend::scan_server(std::span<const std::uint8_t> chunk) {
  ServerScan result;
  std::string carried = std::exchange(held_server_bytes_, {});
  if (!carried.empty()) edited_output(chunk, carried, result);
  std::optional<Interrupted> interrupted;
  std::size_t last_end = 0;  // just past the last packet completed in this chunk
  bool completed = false;
  std::vector<OutputEdit> edits;  // offsets in the output (carried + chunk), in packet order
  const bool found_rows = (client_capabilities_ & mysql::capability::CLIENT_FOUND_ROWS) != 0;
  const auto scanned = server_scanner_->scan(chunk, [&](const PacketView& packet) {
    last_end = packet.end;
    completed = true;
    // Its header is in `carried` or in this chunk: either way at these offsets of the output.
    const std::size_t end = carried.size() + packet.end;
    const std::size_t start = end - packet.length - mysql::kPacketHeaderLength;
    if (swallowing()) {
      edited_output(chunk, carried, result);
      edits.push_back({start, end, {}});  // an answer to Sluice's own prepare
      on_internal_packet(packet, result);
      return;
    }
    if (statement_timed_out_ && !interrupted) interrupted = interrupted_error(packet);
    if (track_statements_ && tracker_.awaiting_prepare_ok() && packet.starts_payload()) {
      on_prepare_answer(packet, start, &edited_output(chunk, carried, result));
    }
    if (found_rows && tracker_.awaiting_result_start() && packet.starts_payload() && !packet.continued() &&
        !packet.payload_truncated) {
      if (auto rewritten = mysql::with_found_rows(packet.payload, packet.sequence_id)) {
        edited_output(chunk, carried, result);
        edits.push_back({start, end, std::move(*rewritten)});
      }
    }
    on_server_packet(packet, result);
  });
  if (scanned.error != mysql::PacketScanError::none) {
    result.error = mysql::protocol_violation(std::string(mysql::to_string(scanned.error)));
    return result;
  }
  // A packet split between reads is held back whole when it may need an edit: an answer to a
  // prepare, or (for CLIENT_FOUND_ROWS) an UPDATE's OK packet.
  const bool may_edit = (track_statements_ && (swallowing() || tracker_.awaiting_prepare_ok())) ||
                        (found_rows && tracker_.awaiting_result_start());
  if (may_edit && !server_scanner_->at_boundary()) {
    auto& output = edited_output(chunk, carried, result);
    const std::size_t partial = completed ? carried.size() + last_end : 0;
    held_server_bytes_ = output.substr(partial);
    output.resize(partial);
  }
  if (interrupted) {
    const auto& bytes = edited_output(chunk, carried, result);
    const std::size_t offset = carried.size();
    mysql::SequenceId sequence;
    sequence.reset(interrupted->sequence_id);
    const Failure timeout{"statement_timeout", "57014", "canceling statement due to statement timeout"};
    std::string replacement = bytes.substr(0, offset + interrupted->start);
    mysql::write_err_packet(replacement, sequence, mysql::error_for(timeout));
    const std::size_t resumed = std::min(bytes.size(), offset + interrupted->end);
    replacement.append(bytes.substr(resumed));
    // Edits past the replaced packet move with what follows it; none lies inside it.
    const auto shift = static_cast<std::ptrdiff_t>(replacement.size()) - static_cast<std::ptrdiff_t>(bytes.size());
    std::erase_if(edits, [&](const OutputEdit& edit) {
      return edit.end > offset + interrupted->start && edit.begin < resumed;
    });
    for (auto& edit : edits) {
      if (edit.begin >= resumed) {
        edit.begin = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(edit.begin) + shift);
        edit.end = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(edit.end) + shift);
      }
    }
    result.replacement = std::move(replacement);
  }
  // From the end, so each edit leaves the offsets of those before it as they were.
  for (auto edit = edits.rbegin(); edit != edits.rend(); ++edit) {
    if (edit->begin >= result.replacement.size()) continue;  // held back for the next read
    const std::size_t length = std::min(edit->end, result.replacement.size()) - edit->begin;
    result.replacement.replace(edit->begin, length, edit->with);
  }
  return result;
}

std::string& MyFrontend::edited_output(std::span<const std::uint8_t> chunk, std::string& carried, ServerScan& scan) {
  if (!scan.replaced) {
    scan.replaced = true;
    scan.replacement = carried;
    scan.replacement.append(as_text(chunk));
  }
  return scan.replacement;
}

void MyFrontend::on_server_packet(const PacketView& packet, ServerScan& scan) {
  if (awaiting_schema_answer_ && packet.starts_payload()) {
    const bool ok = !packet.payload.empty() && packet.payload[0] == mysql::packet_header::OK_Packet;
    if (ok && pending_schema_) {
      schema_ = *pending_schema_;
      server().schema = schema_;
    }
    if (ok) setting_confirmed();
    awaiting_schema_answer_ = false;
    pending_schema_.reset();
    pending_setting_.reset();
  }
  next_sequence_ = static_cast<std::uint8_t>(packet.sequence_id + 1);
  answer_started_ = true;
  switch (tracker_.on_server_packet(packet)) {
    case mysql::ResponseProgress::complete:
      scan.round_trip_completed = true;
      // An execute that asked for a cursor opened one only if its answer says so.
      if (cursor_asked_ && !(tracker_.status_flags() & mysql::server_status::SERVER_STATUS_CURSOR_EXISTS)) {
        cursors_.erase(*cursor_asked_);
      }
      cursor_asked_.reset();
      follow_transaction();
      show_pin();
      answer_started_ = false;
      next_sequence_ = 0;  // an error of ours now would start an exchange of its own
      statement_timed_out_ = false;
      break;
    case mysql::ResponseProgress::violation:
      scan.error = mysql::protocol_violation(tracker_.violation());
      break;
    case mysql::ResponseProgress::more:
      break;
  }
}

bool MyFrontend::ends_server_answer(const void* self, std::span<const std::uint8_t> bytes) {
  const auto& frontend = *static_cast<const MyFrontend*>(self);
  return frontend.server_scanner_ && !frontend.swallowing() && frontend.held_server_bytes_.empty() &&
         mysql::ends_every_answer(*frontend.server_scanner_, frontend.tracker_, bytes);
}

void MyFrontend::trim_idle() {
  if (!session_.core().has_lease()) server_scanner_.reset();  // kept between leases while busy
}

WorkState MyFrontend::work_state() const {
  const bool partial = quit_split_ || !client_scanner_.at_boundary() || client_scanner_.in_logical_payload() ||
                       (server_scanner_ && !server_scanner_->at_boundary()) || !tracker_.violation().empty() ||
                       preparing_inside_;
  // After SET TRANSACTION the client is as good as in its next transaction: the setting lives
  // on this backend only.
  const bool in_transaction = tracker_.in_transaction() || next_transaction_commands_.has_value() || savepoint_open_;
  return WorkState{!tracker_.response_complete(), in_transaction, partial, !pin_reason().empty()};
}

// Session mode keeps the backend anyway: nothing pins there.
std::string_view MyFrontend::pin_reason() const {
  if (session_.core().pool_mode() == config::PoolMode::session) return {};
  if (state_pin_ != mysql::SessionPin::none) return mysql::to_string(state_pin_);
  if (!track_statements_ && open_statements_ > 0) return "prepared_statements";
  if (!long_data_.empty()) return "long_data";
  if (!cursors_.empty()) return "cursor";
  return {};
}

void MyFrontend::show_pin() {
  auto reason = pin_reason();
  if (reason == shown_pin_) return;
  session_.set_pinned(reason);
  shown_pin_ = std::move(reason);
}

void MyFrontend::backend_detached() {
  // The client's own OKs set it there, or Sluice did on attach.
  if (session_.core().has_lease()) {
    server().last_insert_id = tracker_.last_insert_id();
    if (server().statements) server().note_prepared_statements(server().statements->size());
    if (std::exchange(unfollowed_state_, false) || prepared_unseen_effects_) server().needs_reset = true;
    if (tracker_.take_diagnostics()) server().diagnostics_left = true;
  }
  next_transaction_commands_.reset();  // a lost backend took the SET TRANSACTION with it
  savepoint_open_ = savepoint_sent_ = transaction_end_sent_ = false;  // and any transaction
  if (server_scanner_) server_scanner_->reset();  // the next lease starts at a packet boundary
  awaiting_schema_answer_ = false;
  pending_schema_.reset();
  pending_prepares_.clear();
  held_server_bytes_.clear();
  internal_wanted_.clear();
  internal_tracker_ = mysql::ResponseTracker(kBackendCapabilities);
  internal_first_ = true;
}

awaitable<bool> MyFrontend::settle(SettleQuery query) {
  std::vector<std::string> commands;
  commands.push_back(query == SettleQuery::roll_back ? com_query("ROLLBACK") : com_reset_connection());
  auto results = co_await run_backend_commands(server(), commands);
  if (!results || (*results)[0].error) co_return false;
  if (server().status_flags & mysql::server_status::SERVER_STATUS_IN_TRANS) co_return false;
  tracker_.backend_at_rest(server().status_flags);
  if (query == SettleQuery::reset) {
    open_statements_ = 0;
    server().needs_reset = false;
    server().settings.clear();
    if (server().statements) server().statements->clear();
  }
  co_return true;
}

// KILL QUERY <thread id> on a connection of its own (my_kill_routing.cpp). The backend's details
// are copied first: the lease may be gone before the end.
awaitable<void> MyFrontend::cancel_statement() {
  co_await kill_query(session_.client().get_executor(), server().target, server().connection_id);
}

// In the current exchange when a command awaits its answer; otherwise (a timeout, a shutdown
// between commands) as a new one. Not at all once part of the server's answer went out (an
// ERR among column definitions is a malformed packet), nor for a lost backend: client
// libraries report the closed connection as 2013 themselves, and Connector/C rejects an ERR
// packet carrying a client error code (2000-2999) as malformed.
awaitable<void> MyFrontend::write_error(const Failure& failure, bool) {
  // A write now would resume the handshake and wait on a client that stalled or failed it.
  if (session_.tls_handshaking()) co_return;
  if (login_error_sent_ || (answer_started_ && !tracker_.response_complete())) co_return;
  if (failure.reason == "server_lost") co_return;
  mysql::SequenceId sequence;
  sequence.reset(next_sequence_);
  std::string out;
  mysql::write_err_packet(out, sequence, error_for_client(failure));
  co_await asio::async_write(session_.client(), asio::buffer(out), use_nothrow);
}

mysql::ErrPacket MyFrontend::error_for_client(const Failure& failure) const {
  const auto host = session_.address();  // the context views it
  const mysql::ErrorContext context{session_.user(), host, session_.database(), true, rejects_client_codes_};
  return mysql::error_for(failure, context);
}

}  // namespace sluice::session
