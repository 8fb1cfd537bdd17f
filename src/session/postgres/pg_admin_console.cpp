// PgFrontend, part three: the admin console (virtual database `sluice`, alias `pgbouncer`)
// over the PostgreSQL protocol. The commands themselves live in admin/AdminConsole; this
// file only reads Query messages and writes each answer as RowDescription, DataRows,
// CommandComplete and ReadyForQuery. Like PgBouncer's console it speaks the simple query
// protocol only: an extended-protocol batch gets one 0A000 error, then ReadyForQuery at
// its Sync.
#include <spdlog/spdlog.h>

#include "sluice/admin/admin_console.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/reason_codes.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

namespace {

// Largest message the console reads: a command is at most kMaxCommandLength, and an
// extended-protocol message is only read to be refused.
constexpr std::size_t kMaxAdminMessage = 64 * 1024;
// A long answer (SHOW CLIENTS with many clients) goes out in writes of about this size.
constexpr std::size_t kAdminWriteChunk = 64 * 1024;

enum class AdminMessage { query, terminate, sync, extended, function_call, unexpected };

// What the console does with each frontend message type.
constexpr std::pair<char, AdminMessage> kAdminMessages[] = {
    {pg::frontend::Query, AdminMessage::query},        {pg::frontend::Terminate, AdminMessage::terminate},
    {pg::frontend::Sync, AdminMessage::sync},          {pg::frontend::Parse, AdminMessage::extended},
    {pg::frontend::Bind, AdminMessage::extended},      {pg::frontend::Describe, AdminMessage::extended},
    {pg::frontend::Execute, AdminMessage::extended},   {pg::frontend::Close, AdminMessage::extended},
    {pg::frontend::Flush, AdminMessage::extended},     {pg::frontend::FunctionCall, AdminMessage::function_call},
};

AdminMessage classify(char type) {
  for (const auto& [candidate, kind] : kAdminMessages) {
    if (candidate == type) return kind;
  }
  return AdminMessage::unexpected;
}

void write_admin_error(std::string& out, const Failure& failure) {
  pg::write_error_response(out, "ERROR", pg::sqlstate_for(failure), failure.message);
}

void write_row(std::string& out, const admin::Row& row) {
  std::vector<std::optional<std::string_view>> values;
  values.reserve(row.size());
  for (const auto& value : row) values.push_back(value ? std::optional<std::string_view>(*value) : std::nullopt);
  pg::write_data_row(out, values);
}

pg::ColumnDescription describe(std::string_view name, admin::ColumnType type) {
  switch (type) {
    case admin::ColumnType::int4: return {name, pg::kInt4TypeOid, 4};
    case admin::ColumnType::int8: return {name, pg::kInt8TypeOid, 8};
    case admin::ColumnType::numeric: return {name, pg::kNumericTypeOid, -1};
    case admin::ColumnType::text: break;
  }
  return {name, pg::kTextTypeOid, -1};
}

void write_row_description(std::string& out, const admin::ResultSet& result) {
  std::vector<pg::ColumnDescription> columns;
  columns.reserve(result.columns.size());
  for (std::size_t i = 0; i < result.columns.size(); ++i) {
    columns.push_back(describe(result.columns[i], result.column_type(i)));
  }
  pg::write_row_description(out, columns);
}

// Notices, RowDescription, DataRows, CommandComplete (or EmptyQueryResponse), ReadyForQuery.
awaitable<Status> write_result(net::ClientStream& client, const admin::ResultSet& result) {
  std::string out;
  for (const auto& notice : result.notices) pg::write_notice_response(out, "00000", notice);
  if (result.command_tag.empty()) {
    pg::write_empty_query_response(out);
  } else {
    if (!result.columns.empty()) write_row_description(out, result);
    for (const auto& row : result.rows) {
      write_row(out, row);
      if (out.size() < kAdminWriteChunk) continue;
      if (auto sent = co_await write_all(client, out, client_closed()); !sent) co_return sent;
      out.clear();
    }
    pg::write_command_complete(out, result.command_tag);
  }
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  co_return co_await write_all(client, out, client_closed());
}

// Runs one Query message's command and writes its answer (or its error) and ReadyForQuery.
awaitable<Status> answer_query(net::ClientStream& client, admin::AdminConsole& console, std::string_view body,
                               std::function<bool()> interrupted) {
  auto query = pg::read_query(as_bytes(body));
  if (!query) co_return protocol_violation("malformed Query message");
  auto result = co_await console.execute(*query, std::move(interrupted));
  if (!result) {
    std::string out;
    write_admin_error(out, result.failure());
    pg::write_ready_for_query(out, pg::transaction_status::Idle);
    co_return co_await write_all(client, out, client_closed());
  }
  if (auto sent = co_await write_result(client, *result); !sent) co_return sent;
  if (result->after_sent) result->after_sent();
  co_return ok_status();
}

// What the console answers to a message outside the simple query protocol (may be nothing).
std::string refusal(AdminMessage kind, bool& skipping_to_sync) {
  std::string out;
  switch (kind) {
    case AdminMessage::sync:
      skipping_to_sync = false;
      pg::write_ready_for_query(out, pg::transaction_status::Idle);
      break;
    case AdminMessage::extended:
      if (!std::exchange(skipping_to_sync, true)) {
        write_admin_error(out, Failure{"admin_extended_protocol", "0A000",
                                       "the admin console supports the simple query protocol only"});
      }
      break;
    case AdminMessage::function_call:
      write_admin_error(out, Failure{"admin_function_call", "0A000", "the admin console has no functions"});
      pg::write_ready_for_query(out, pg::transaction_status::Idle);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

// Only admin_users and stats_users get in; anyone else is refused like a missing CONNECT privilege.
Status PgFrontend::check_admin_access() const {
  const auto& config = *session_.runtime().config;
  const auto& user = session_.user();
  if (config.is_admin_user(user) || config.is_stats_user(user)) return ok_status();
  return Failure{"admin_access", "42501",
                 "permission denied for the admin console: user \"" + user +
                     "\" is in neither admin_users nor stats_users"};
}

awaitable<Status> PgFrontend::send_admin_welcome() {
  std::string out;
  pg::write_authentication_ok(out);
  pg::write_parameter_status(out, "server_version", SLUICE_VERSION);
  pg::write_parameter_status(out, "client_encoding", "UTF8");
  pg::write_parameter_status(out, "server_encoding", "UTF8");
  pg::write_parameter_status(out, "DateStyle", "ISO, MDY");
  pg::write_parameter_status(out, "standard_conforming_strings", "on");
  pg::write_parameter_status(out, "integer_datetimes", "on");
  pg::write_parameter_status(out, "application_name", session_.snapshot().application_name);
  pg::write_backend_key_data(out, 0, 0);
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  session_.set_state(ClientState::idle);
  co_return co_await write_all(session_.client(), out, client_closed());
}

awaitable<Status> PgFrontend::serve_admin_console() {
  const auto& user = session_.user();
  const bool admin = session_.runtime().config->is_admin_user(user);
  admin::AdminConsole console(session_.context(), admin ? admin::AdminRole::admin : admin::AdminRole::stats, user);
  spdlog::info("admin console login: user={} role={} address={}:{}", user, admin ? "admin" : "stats",
               session_.address(), session_.port());
  auto& client = session_.client();
  const auto& core = session_.core();
  const auto interrupted = [&core] { return core.stopping(); };
  std::string buffer;
  bool skipping_to_sync = false;  // an extended-protocol batch was refused: drop the rest of it
  for (;;) {
    auto message = co_await read_pg_message(client, buffer, kMaxAdminMessage, client_closed());
    if (core.stopping()) co_return *core.stop_reason();
    if (!message) co_return message.failure();
    const auto kind = classify(message->type);
    if (kind == AdminMessage::terminate) co_return ok_status();
    if (kind == AdminMessage::unexpected) {
      co_return protocol_violation("unexpected message type '" + std::string(1, message->type) +
                                   "' on the admin console");
    }
    Status answered = ok_status();
    if (kind == AdminMessage::query) {
      session_.set_state(ClientState::active);
      answered = co_await answer_query(client, console, message->body, interrupted);
      session_.set_state(ClientState::idle);
    } else {
      answered = co_await write_all(client, refusal(kind, skipping_to_sync), client_closed());
    }
    if (core.stopping()) co_return *core.stop_reason();
    if (!answered) co_return answered;
    if (buffer.capacity() > kAdminWriteChunk) buffer = {};  // do not keep a large message's buffer
  }
}

}  // namespace sluice::session
