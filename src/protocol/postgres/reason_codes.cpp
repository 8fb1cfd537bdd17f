#include "sluice/protocol/postgres/reason_codes.hpp"

#include <array>
#include <utility>

#include "sluice/protocol/postgres/sqlstate.hpp"

namespace sluice::pg {

namespace {

// Reason -> SQLSTATE, as PgBouncer and PostgreSQL itself answer the same situations.
constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kByReason{{
    {"query_wait_timeout", sqlstate::query_canceled},
    {"statement_timeout", sqlstate::query_canceled},
    {"admin_pause", sqlstate::query_canceled},
    {"unknown_database", sqlstate::invalid_catalog_name},
    {"database_removed", sqlstate::invalid_catalog_name},
    {"pool_mode", "25001"},                 // active_sql_transaction
    {"idle_transaction_timeout", "25P03"},  // idle_in_transaction_session_timeout
    {"client_idle_timeout", "57P05"},       // idle_session_timeout
    {"client_login_timeout", sqlstate::connection_failure},
    {"client_close", sqlstate::connection_failure},
    {"server_lost", sqlstate::connection_failure},
    {"shutdown", sqlstate::admin_shutdown},
    {"admin_kill", sqlstate::admin_shutdown},
    {"max_client_connections", sqlstate::too_many_connections},
    {"max_user_connections", sqlstate::too_many_connections},
    {"max_db_connections", sqlstate::too_many_connections},
    {"server_connect_failed", sqlstate::sqlclient_unable_to_establish_sqlconnection},
    {"server_login_failed", sqlstate::sqlclient_unable_to_establish_sqlconnection},
    {"protocol_violation", sqlstate::protocol_violation},
    {"session_state", "0A000"},  // feature_not_supported
    {"database_disabled", "57P03"},  // cannot_connect_now
}};

constexpr std::string_view kInternalError = "XX000";

}  // namespace

std::string_view sqlstate_for(const Failure& failure) {
  if (!failure.sqlstate.empty()) return failure.sqlstate;
  for (const auto& [reason, code] : kByReason) {
    if (reason == failure.reason) return code;
  }
  return kInternalError;
}

}  // namespace sluice::pg
