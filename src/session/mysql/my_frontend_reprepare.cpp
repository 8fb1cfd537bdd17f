// MyFrontend, part five: a client's binary prepared statements prepared again on the backend it
// has now, when the commands about to go there name one the backend lacks. On a fresh lease
// (restore_statements) Sluice's own commands run before the relay starts; inside a lease
// (before_forward) the relay pump is reading the backend, so Sluice writes its COM_STMT_PREPAREs,
// scan_server keeps their answers from the client (on_internal_packet), and the client's command
// waits until they are in. Only statements about to run are prepared: a client that changes
// backend pays for what it uses.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/statement_packets.hpp"
#include "sluice/session/mysql/my_frontend.hpp"
#include "sluice/session/mysql/my_io.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

namespace {

using mysql::PacketView;

// How often a waiting command looks again whether the session was stopped meanwhile (a lost
// backend ends the pump without an answer to wake it).
constexpr std::chrono::milliseconds kWaitSlice{50};

// COM_STMT_PREPARE as ResponseTracker reads a client's command.
PacketView prepare_command_view() {
  static constexpr std::uint8_t command = mysql::command::COM_STMT_PREPARE;
  return PacketView{1, 0, 5, std::span<const std::uint8_t>(&command, 1), false, false, 1};
}

}  // namespace

// The client's statements that the commands scan_client let through name and this backend
// lacks, each once, at most max_prepared_statements of them.
std::vector<std::uint32_t> MyFrontend::missing_statements() {
  std::vector<std::uint32_t> wanted;
  if (!track_statements_ || edits_.empty()) return wanted;
  auto& held = backend_statements();
  const auto context = statement_context();
  for (const auto& edit : edits_) {
    if (!mysql::names_statement(edit.command) || edit.command == mysql::command::COM_STMT_CLOSE) continue;
    const auto id = edit.statement_id;
    const auto* statement = id == mysql::kLastStatementId ? nullptr : statements_.find(id);
    if (!statement || held.holds(statement->key)) continue;
    if (std::string_view(statement->key).substr(0, statement->sql_start - 1) != context) {
      // Prepared in another schema, character set or SETs than the client's now: prepared here,
      // it could name other tables or parse otherwise. Its command gets the server's 1243.
      spdlog::info("user={} database={}: statement {} was prepared under another schema or session settings; "
                   "not prepared again on this backend",
                   session_.user(), session_.database(), id);
      continue;
    }
    if (std::find(wanted.begin(), wanted.end(), id) == wanted.end() && wanted.size() < held.limit()) {
      wanted.push_back(id);
    }
  }
  return wanted;
}

// A fresh lease, before the relay starts: the statements the pending commands need, prepared
// here with answers read by Sluice alone (the backend may have them: it served this client last).
awaitable<Status> MyFrontend::restore_statements() {
  const auto wanted = missing_statements();
  if (wanted.empty()) co_return ok_status();
  auto& held = backend_statements();
  std::vector<std::string> commands;
  // COM_STMT_CLOSE has no answer: the closes go first, so answers line up with the prepares.
  for (const auto closed : make_room(wanted.size())) commands.push_back(mysql::stmt_close_payload(closed));
  const std::size_t first = commands.size();
  for (const auto id : wanted) commands.push_back(mysql::stmt_prepare_payload(statements_.find(id)->sql()));
  statement_counts_.server_parses += wanted.size();
  auto results = co_await run_backend_commands(server(), commands);
  if (!results) co_return results.failure();
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const auto& result = (*results)[first + i];
    const auto prepared = mysql::read_prepare_ok(mysql::bytes_of(result.head));
    if (!prepared || prepared->num_params != statements_.find(wanted[i])->num_params) {
      // Its command reaches the server under an unknown id and gets the server's error.
      spdlog::warn("user={} database={}: preparing statement {} again failed: {}", session_.user(), session_.database(),
                   wanted[i], result.error ? result.error->error_message : "its parameters changed");
      continue;
    }
    held.add(statements_.find(wanted[i])->key, prepared->statement_id);
  }
  co_return ok_status();
}

// Inside a lease: Sluice's prepares go first, once every earlier command is answered (so their
// answers are the next the pump reads), and the client's command waits for them.
awaitable<Status> MyFrontend::before_forward(std::span<const std::uint8_t>) {
  const auto wanted = missing_statements();
  if (wanted.empty()) co_return ok_status();
  // Until the client's command is written, the pump must not give the backend back (the range
  // may hold only commands without an answer).
  preparing_inside_ = true;
  auto status = co_await prepare_inside(wanted);
  preparing_inside_ = false;
  co_return status;
}

awaitable<Status> MyFrontend::prepare_inside(std::vector<std::uint32_t> wanted) {
  while (tracker_.commands_in_flight() > range_commands_) {
    if (!co_await wait_for_server()) co_return ok_status();  // stopping: the core says why
  }
  auto& held = backend_statements();
  std::string out;
  mysql::SequenceId sequence;
  for (const auto closed : make_room(wanted.size())) {
    sequence.reset();
    mysql::write_packet(out, sequence, mysql::stmt_close_payload(closed));
  }
  for (const auto id : wanted) {
    sequence.reset();
    mysql::write_packet(out, sequence, mysql::stmt_prepare_payload(statements_.find(id)->sql()));
    internal_tracker_.on_client_packet(prepare_command_view());
    internal_wanted_.push_back(id);
    held.prepare_sent();
    ++statement_counts_.server_parses;
  }
  internal_first_ = true;
  const Failure lost = server_lost();
  if (auto sent = co_await write_bytes(server().stream(), out, lost); !sent) co_return sent.failure();
  while (swallowing()) {
    if (!co_await wait_for_server()) co_return ok_status();
  }
  co_return ok_status();
}

// Sleeps until scan_server reports an answer (or a slice passes); false once the session stops.
awaitable<bool> MyFrontend::wait_for_server() {
  if (session_.core().stopping()) co_return false;
  server_progress_.expires_after(kWaitSlice);
  co_await server_progress_.async_wait(use_nothrow);
  co_return !session_.core().stopping();
}

// One packet answering Sluice's own COM_STMT_PREPARE (scan_server cuts it from the client's bytes).
void MyFrontend::on_internal_packet(const PacketView& packet, ServerScan& scan) {
  if (internal_first_ && packet.starts_payload()) {
    const auto id = internal_wanted_.front();
    const auto prepared = mysql::read_prepare_ok(packet.payload);
    const auto* statement = statements_.find(id);
    auto& held = backend_statements();
    held.prepare_answered();
    if (prepared && statement && prepared->num_params == statement->num_params) {
      held.add(statement->key, prepared->statement_id);
    } else {
      spdlog::warn("user={} database={}: preparing statement {} again failed", session_.user(), session_.database(), id);
    }
  }
  internal_first_ = false;
  const auto before = internal_tracker_.commands_in_flight();
  if (internal_tracker_.on_server_packet(packet) == mysql::ResponseProgress::violation) {
    scan.error = mysql::protocol_violation(internal_tracker_.violation());
    return;
  }
  if (internal_tracker_.commands_in_flight() != before) {
    internal_wanted_.pop_front();
    internal_first_ = true;
    if (!swallowing()) server_progress_.cancel();
  }
}

}  // namespace sluice::session
