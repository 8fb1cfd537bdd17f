// MyFrontend, part three: binary prepared statements in transaction and statement mode. The
// bookkeeping is mysql::ClientStatements / mysql::BackendStatements (no I/O); this file feeds
// them the packets in wire order and applies what they decide:
//   - scan_client lets statement commands through whole only (note_statement_packet,
//     hold_statement_packet), so rewrite_outgoing can map the client's ids to the backend's;
//   - a COM_STMT_PREPARE_OK on its way back gets the id Sluice gave the client;
//   - a first COM_STMT_EXECUTE on a backend that relies on types bound earlier (new-params-bound
//     0) is rewritten to carry them.
// Preparing statements again on another backend is my_frontend_reprepare.cpp.
#include <spdlog/spdlog.h>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/statement_packets.hpp"
#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

namespace {

using mysql::PacketView;

bool tracked_command(std::uint8_t command) {
  return command == mysql::command::COM_STMT_PREPARE || command == mysql::command::COM_RESET_CONNECTION ||
         mysql::names_statement(command);
}

// COM_QUERY texts up to this long are read whole for session state (held until complete);
// a longer one is read by the start Sluice captures of every packet.
constexpr std::uint32_t kMaxReadQuery = 1024 * 1024;

// What Sluice keeps of one client's statements (their SQL lives in Sluice's memory however many
// the backends hold): MariaDB's own default max_prepared_stmt_count, and 16 MiB of SQL text.
constexpr std::size_t kMaxClientStatements = 16382;
constexpr std::size_t kMaxClientStatementText = 16 * 1024 * 1024;

// Commands whose payload Sluice may change in length: they must fit one packet.
bool rewritten_whole(std::uint8_t command) {
  return command == mysql::command::COM_STMT_PREPARE || command == mysql::command::COM_STMT_EXECUTE;
}

void append_packet(std::string& out, std::uint8_t sequence_id, std::string_view payload) {
  mysql::SequenceId sequence;
  sequence.reset(sequence_id);
  mysql::write_packet(out, sequence, payload);
}

}  // namespace

// A session-mode client keeps its backend, statements and all; max_prepared_statements 0 turns
// tracking off (statements then pin, as before).
void MyFrontend::choose_statement_tracking() {
  const auto& settings = session_.pool().settings();
  track_statements_ = settings.pool_mode != config::PoolMode::session && settings.max_prepared_statements > 0;
}

// What a statement's meaning depends on besides its text: the schema its names resolve in, the
// character set its literals are read in, and the client's SETs (sql_mode may change how it
// parses), except autocommit, which changes nothing a prepare sees (Connector/J's
// setAutoCommit(false) and back made its cached statements unusable on any other backend).
// Clients whose contexts are equal share the backend's statement.
std::string MyFrontend::statement_context() const {
  std::string context = schema_;
  context.push_back('\0');
  context.push_back(static_cast<char>(character_set_));
  const auto& statements = settings_.statements();
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (settings_.keys()[i] == "autocommit") continue;
    context.push_back('\0');
    context.append(statements[i]);
  }
  return context;
}

std::vector<std::uint32_t> MyFrontend::make_room(std::size_t incoming) {
  std::vector<std::string_view> in_use;
  for (const auto* ids : {&cursors_, &long_data_}) {
    for (const auto id : *ids) {
      if (const auto* statement = statements_.find(id)) in_use.push_back(statement->key);
    }
  }
  return backend_statements().make_room(incoming, in_use);
}

mysql::BackendStatements& MyFrontend::backend_statements() {
  auto& backend = server();
  if (!backend.statements) {
    const auto limit = static_cast<std::size_t>(std::max(1, session_.pool().settings().max_prepared_statements));
    backend.statements = std::make_unique<mysql::BackendStatements>(limit);
  }
  return *backend.statements;
}

// A whole statement command in the buffer (scan_client held it until it was): noted for
// rewrite_outgoing. False (with scan.error) when it did not arrive whole, or is too long.
bool MyFrontend::note_statement_packet(const PacketView& packet, std::size_t buffer_end, ClientScan& scan) {
  const std::uint8_t command = packet.payload[0];
  if (!tracked_command(command)) return true;
  const std::size_t size = std::size_t{packet.length} + mysql::kPacketHeaderLength;
  if (buffer_end < size || (packet.continued() && rewritten_whole(command))) {
    scan.error = mysql::protocol_violation("prepared-statement command too long to follow across backends");
    return false;
  }
  StatementEdit edit{buffer_end - size, packet.length, command, 0};
  if (mysql::names_statement(command)) {
    const auto id = mysql::read_statement_id(packet.payload);
    if (!id) {
      scan.error = mysql::protocol_violation("malformed prepared-statement command");
      return false;
    }
    edit.statement_id = *id;
  }
  edits_.push_back(edit);
  return true;
}

// The buffer ends inside a command that may be a statement command (or a COM_QUERY Sluice reads
// whole): it waits, from its first byte, until it is whole (the core keeps the bytes and grows its buffer to hold_for).
void MyFrontend::hold_statement_packet(std::span<const std::uint8_t> buffer, std::size_t from, ClientScan& scan) const {
  if (client_scanner_.at_boundary() || client_scanner_.in_logical_payload() || tracker_.awaiting_client_file()) return;
  const auto rest = buffer.subspan(from);
  if (rest.size() > mysql::kPacketHeaderLength) {
    const std::uint8_t command = rest[mysql::kPacketHeaderLength];
    const bool query = command == mysql::command::COM_QUERY && mysql::load_le24(rest.data()) <= kMaxReadQuery;
    if (!query && !(track_statements_ && tracked_command(command))) return;
  }
  scan.relay_end = from;
  if (rest.size() >= mysql::kPacketHeaderLength) {
    scan.hold_for = std::size_t{mysql::load_le24(rest.data())} + mysql::kPacketHeaderLength;
  }
}

OutgoingBytes MyFrontend::rewrite_outgoing(std::span<const std::uint8_t> bytes) {
  OutgoingBytes out;
  if (edits_.empty()) return out;
  const auto edits = std::exchange(edits_, {});
  std::size_t copied = 0;
  for (const auto& edit : edits) {
    const std::size_t end = edit.start + edit.length + mysql::kPacketHeaderLength;
    if (edit.start < copied || end > bytes.size()) {
      out.error = mysql::protocol_violation("prepared-statement command split across reads");
      return out;
    }
    out.to_server.append(mysql::as_text(bytes.subspan(copied, edit.start - copied)));
    if (auto failure = rewrite_statement(edit, bytes.subspan(edit.start, end - edit.start), out.to_server)) {
      out.error = std::move(failure);
      return out;
    }
    copied = end;
  }
  out.to_server.append(mysql::as_text(bytes.subspan(copied)));
  out.rewritten = true;
  return out;
}

// One statement command on its way to the backend: ids mapped, the registries kept in step.
std::optional<Failure> MyFrontend::rewrite_statement(const StatementEdit& edit, std::span<const std::uint8_t> packet,
                                                     std::string& out) {
  const auto payload = packet.subspan(mysql::kPacketHeaderLength);
  auto& held = backend_statements();
  switch (edit.command) {
    case mysql::command::COM_STMT_PREPARE:
      if (statements_.size() + pending_prepares_.size() >= kMaxClientStatements ||
          statements_.text_size() + payload.size() > kMaxClientStatementText) {
        return Failure{"prepared_statement", "53400",
                       "Can't create more than max_prepared_stmt_count statements (current value: " +
                           std::to_string(kMaxClientStatements) + ")"};
      }
      // Room first: the least recently used statements close before the new one arrives.
      for (const auto closed : make_room(1)) append_packet(out, 0, mysql::stmt_close_payload(closed));
      held.prepare_sent();
      ++statement_counts_.client_parses;
      ++statement_counts_.server_parses;
      pending_prepares_.emplace_back(mysql::as_text(payload.subspan(1)));
      out.append(mysql::as_text(packet));
      return std::nullopt;
    case mysql::command::COM_RESET_CONNECTION:
      // The server closes every statement of the session: so does the client.
      statements_.clear();
      held.clear();
      cursors_.clear();
      long_data_.clear();
      out.append(mysql::as_text(packet));
      return std::nullopt;
    case mysql::command::COM_STMT_CLOSE:
      // The backend's statement stays for other clients with the same key (COM_STMT_CLOSE has
      // no answer, so nothing goes to the backend); the LRU bound closes it.
      statements_.forget(edit.statement_id);
      cursors_.erase(edit.statement_id);
      long_data_.erase(edit.statement_id);  // its data went with it
      return std::nullopt;
    case mysql::command::COM_STMT_EXECUTE:
      ++statement_counts_.binds;
      rewrite_execute(edit, packet, out);
      return std::nullopt;
    default: break;
  }
  // FETCH, RESET, SEND_LONG_DATA: the backend's id for the client's.
  std::uint32_t backend_id = edit.statement_id;
  if (edit.statement_id != mysql::kLastStatementId) {
    const auto* statement = statements_.use(edit.statement_id);
    const auto* entry = statement ? held.use(statement->key) : nullptr;
    backend_id = entry ? entry->backend_id : mysql::kNoStatementId;
  }
  if (edit.command == mysql::command::COM_STMT_SEND_LONG_DATA) long_data_.insert(edit.statement_id);
  if (edit.command == mysql::command::COM_STMT_RESET) {
    cursors_.erase(edit.statement_id);
    long_data_.erase(edit.statement_id);
  }
  out.append(mysql::as_text(packet.subspan(0, mysql::kPacketHeaderLength)));
  out.append(mysql::with_statement_id(payload, backend_id));
  return std::nullopt;
}

// COM_STMT_EXECUTE: the types it binds are remembered; one that relies on types bound earlier
// goes to a backend that has not seen them with them inserted.
void MyFrontend::rewrite_execute(const StatementEdit& edit, std::span<const std::uint8_t> packet, std::string& out) {
  const auto payload = packet.subspan(mysql::kPacketHeaderLength);
  const std::uint8_t sequence_id = packet[3];
  long_data_.erase(edit.statement_id);  // the execute consumes it; the lease is kept until it is answered
  if (edit.statement_id == mysql::kLastStatementId) {
    out.append(mysql::as_text(packet));  // prepared just before, in this write, on this backend
    return;
  }
  auto& held = backend_statements();
  auto* statement = statements_.use(edit.statement_id);
  auto* entry = statement ? held.use(statement->key) : nullptr;
  const std::uint32_t backend_id = entry ? entry->backend_id : mysql::kNoStatementId;
  const auto head = entry ? mysql::read_execute(payload, statement->num_params) : std::nullopt;
  if (head) {
    if (head->opens_cursor()) {
      // Until the answer says whether one opened (no result set, or an error, opens none).
      cursors_.insert(edit.statement_id);
      cursor_asked_ = edit.statement_id;
    } else {
      cursors_.erase(edit.statement_id);
    }
    if (head->new_params_bound) {
      statement->types.assign(head->types);
      entry->types_bound = statement->types;
    } else if (statement->num_params > 0 && !statement->types.empty() && entry->types_bound != statement->types) {
      if (auto with_types = mysql::execute_with_types(payload, backend_id, statement->types)) {
        entry->types_bound = statement->types;
        append_packet(out, sequence_id, *with_types);
        return;
      }
    }
  }
  out.append(mysql::as_text(packet.subspan(0, mysql::kPacketHeaderLength)));
  out.append(mysql::with_statement_id(payload, backend_id));
}

// The first packet answering a client's COM_STMT_PREPARE. OK: the statement is the client's,
// under an id of Sluice's (written over the backend's when they differ; `output` holds the
// bytes going to the client, the packet's header at output_start).
void MyFrontend::on_prepare_answer(const PacketView& packet, std::size_t output_start, std::string* output) {
  if (pending_prepares_.empty()) return;
  std::string sql = std::move(pending_prepares_.front());
  pending_prepares_.pop_front();
  auto& held = backend_statements();
  held.prepare_answered();
  const auto prepared = mysql::read_prepare_ok(packet.payload);
  if (!prepared) return;  // ERR: nothing was prepared
  const std::uint32_t client_id = statements_.add(statement_context(), sql, *prepared);
  held.add(statements_.find(client_id)->key, prepared->statement_id);
  if (client_id == prepared->statement_id || !output) return;
  for (int i = 0; i < 4; ++i) {
    (*output)[output_start + mysql::kPacketHeaderLength + 1 + i] = static_cast<char>(client_id >> (8 * i));
  }
}

}  // namespace sluice::session
