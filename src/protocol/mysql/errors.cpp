#include "sluice/protocol/mysql/errors.hpp"

#include <array>

namespace sluice::mysql {

namespace {

using namespace error_code;

constexpr std::uint16_t ER_CONNECTION_KILLED = 1927;  // MariaDB
// The client libraries' own codes (CR_*): a server never sends them.
constexpr std::uint16_t kMinClientErrorCode = 2000;
constexpr std::uint16_t kMaxClientErrorCode = 2999;

// How an entry builds its message from its text, the Failure and the context.
enum class Message {
  text,              // the entry's text alone
  text_and_reason,   // "Too many connections: max_client_connections reached"
  text_and_detail,   // the text, then the Failure's message when it adds something
  failure,           // the Failure's own message
  access_denied,     // "Access denied for user 'u'@'h' (using password: YES)"
  access_denied_and_reason,  // the same, then "; " and the Failure's message
  unknown_database,  // "Unknown database 'd'"
};

struct Entry {
  std::string_view key;  // a reason (table by reason) or a PostgreSQL SQLSTATE (fallbacks)
  std::uint16_t code;
  std::string_view sql_state;
  Message message;
  std::string_view text;
};

// ../shared/design/config.md, "Errors a MySQL client sees", and the reasons Sluice reports.
constexpr std::array kByReason{
    Entry{"auth_failed", ER_ACCESS_DENIED_ERROR, "28000", Message::access_denied, ""},
    // Not in the table: MySQL refuses a REQUIRE SSL account's plain login with 1045 too.
    Entry{"tls.client.mode", ER_ACCESS_DENIED_ERROR, "28000", Message::access_denied_and_reason, ""},
    Entry{"unknown_database", ER_BAD_DB_ERROR, "42000", Message::unknown_database, ""},
    Entry{"database_removed", ER_BAD_DB_ERROR, "42000", Message::unknown_database, ""},
    Entry{"max_client_connections", ER_CON_COUNT_ERROR, "08004", Message::text_and_reason, "Too many connections"},
    Entry{"max_user_connections", ER_CON_COUNT_ERROR, "08004", Message::text_and_reason, "Too many connections"},
    Entry{"max_db_connections", ER_CON_COUNT_ERROR, "08004", Message::text_and_reason, "Too many connections"},
    Entry{"query_wait_timeout", SLUICE_QUERY_WAIT_TIMEOUT, "HY000", Message::text, "query_wait_timeout"},
    Entry{"statement_timeout", ER_QUERY_TIMEOUT, "HY000", Message::text,
          "Query execution was interrupted, maximum statement execution time exceeded"},
    Entry{"idle_transaction_timeout", ER_CLIENT_INTERACTION_TIMEOUT, "HY000", Message::text,
          "idle transaction timeout"},
    Entry{"client_idle_timeout", ER_CLIENT_INTERACTION_TIMEOUT, "HY000", Message::failure, ""},
    Entry{"client_login_timeout", ER_HANDSHAKE_ERROR, "08S01", Message::failure, ""},
    Entry{"server_lost", CR_SERVER_LOST, "HY000", Message::text, "Lost connection to server during query"},
    Entry{"server_connect_failed", CR_CONN_HOST_ERROR, "HY000", Message::text_and_detail, "Can't connect to server"},
    Entry{"server_login_failed", CR_CONN_HOST_ERROR, "HY000", Message::text_and_detail, "Can't connect to server"},
    Entry{"shutdown", ER_SERVER_SHUTDOWN, "08S01", Message::text, "Server shutdown in progress"},
    Entry{"protocol_violation", ER_UNKNOWN_COM_ERROR, "08S01", Message::text_and_detail, "protocol violation"},
    Entry{"session_state", ER_NOT_SUPPORTED_YET, "42000", Message::text_and_detail,
          "not supported in transaction pool mode"},
    Entry{"pool_mode", ER_NOT_SUPPORTED_YET, "42000", Message::failure, ""},
    Entry{"multi_statements", ER_PARSE_ERROR, "42000", Message::failure, ""},
    Entry{"database_disabled", ER_UNKNOWN_ERROR, "HY000", Message::failure, ""},
    Entry{"local_infile", ER_LOAD_INFILE_CAPABILITY_DISABLED, "HY000", Message::failure, ""},
    Entry{"prepared_statement", ER_MAX_PREPARED_STMT_COUNT_REACHED, "42000", Message::failure, ""},
    // MariaDB's text, then who: "Connection was killed (killed by admin)".
    Entry{"admin_kill", ER_CONNECTION_KILLED, "70100", Message::text_and_detail, "Connection was killed"},
    Entry{"client_kill", ER_CONNECTION_KILLED, "70100", Message::text_and_detail, "Connection was killed"},  // a client's KILL <id>
};

// Reasons without an entry: by the PostgreSQL SQLSTATE the core chose.
constexpr std::array kBySqlState{
    Entry{"28P01", ER_ACCESS_DENIED_ERROR, "28000", Message::access_denied, ""},
    Entry{"28000", ER_ACCESS_DENIED_ERROR, "28000", Message::access_denied, ""},
    Entry{"3D000", ER_BAD_DB_ERROR, "42000", Message::unknown_database, ""},
    Entry{"53300", ER_CON_COUNT_ERROR, "08004", Message::text_and_reason, "Too many connections"},
    Entry{"57014", ER_QUERY_INTERRUPTED, "70100", Message::failure, ""},
    Entry{"57P01", ER_SERVER_SHUTDOWN, "08S01", Message::failure, ""},
    Entry{"08P01", ER_UNKNOWN_COM_ERROR, "08S01", Message::failure, ""},
    Entry{"08006", CR_SERVER_LOST, "HY000", Message::failure, ""},
    Entry{"08001", CR_CONN_HOST_ERROR, "HY000", Message::failure, ""},
    Entry{"0A000", ER_NOT_SUPPORTED_YET, "42000", Message::failure, ""},
    Entry{"42601", ER_PARSE_ERROR, "42000", Message::failure, ""},
    Entry{"42501", ER_SPECIFIC_ACCESS_DENIED_ERROR, "42000", Message::failure, ""},
};

constexpr Entry kUnknown{"", ER_UNKNOWN_ERROR, "HY000", Message::failure, ""};

template <std::size_t N>
const Entry* find(const std::array<Entry, N>& table, std::string_view key) {
  for (const Entry& entry : table) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

// "max_client_connections (user u)" is the reason max_client_connections with a detail.
std::string_view reason_key(std::string_view reason) { return reason.substr(0, reason.find(' ')); }

const Entry& entry_for(const Failure& failure) {
  if (const Entry* entry = find(kByReason, reason_key(failure.reason))) return *entry;
  if (const Entry* entry = find(kBySqlState, failure.sqlstate)) return *entry;
  return kUnknown;
}

std::string access_denied(const ErrorContext& context) {
  return "Access denied for user '" + std::string(context.user) + "'@'" + std::string(context.host) +
         "' (using password: " + (context.using_password ? "YES" : "NO") + ")";
}

// The database from the context, else from the core's "no such database: d".
std::string unknown_database(const Failure& failure, const ErrorContext& context) {
  std::string_view database = context.database;
  if (database.empty()) {
    const std::size_t colon = failure.message.rfind(": ");
    if (colon != std::string::npos) database = std::string_view(failure.message).substr(colon + 2);
  }
  if (database.empty()) {
    // MariaDB itself lets a client in without one; a pooler cannot, since the database picks the
    // pool. Say what would work.
    return "Unknown database '': connect with a database name, or give the user a default_database in "
           "Sluice's configuration";
  }
  return "Unknown database '" + std::string(database) + "'";
}

// The text, then the Failure's message unless it says nothing more ("protocol violation: x"
// already starts with the text).
std::string text_and_detail(std::string_view text, const Failure& failure) {
  if (failure.message.empty()) return std::string(text);
  if (std::string_view(failure.message).starts_with(text)) return failure.message;
  return std::string(text) + " (" + failure.message + ")";
}

std::string message_for(const Entry& entry, const Failure& failure, const ErrorContext& context) {
  switch (entry.message) {
    case Message::text: return std::string(entry.text);
    case Message::text_and_reason: return std::string(entry.text) + ": " + failure.reason + " reached";
    case Message::text_and_detail: return text_and_detail(entry.text, failure);
    case Message::failure: return failure.message;
    case Message::access_denied: return access_denied(context);
    case Message::access_denied_and_reason: return access_denied(context) + "; " + failure.message;
    case Message::unknown_database: return unknown_database(failure, context);
  }
  return failure.message;
}

}  // namespace

ErrPacket error_for(const Failure& failure, const ErrorContext& context) {
  const Entry& entry = entry_for(failure);
  const bool client_code = entry.code >= kMinClientErrorCode && entry.code <= kMaxClientErrorCode;
  const std::uint16_t code = client_code && context.rejects_client_codes ? ER_UNKNOWN_ERROR : entry.code;
  return ErrPacket{code, std::string(entry.sql_state), message_for(entry, failure, context)};
}

}  // namespace sluice::mysql
