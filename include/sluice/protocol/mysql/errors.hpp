// What a MySQL client sees when Sluice refuses or ends it: the core's Failure (a reason, a
// PostgreSQL SQLSTATE and a message) mapped to an ERR packet's error code, SQLSTATE and
// message, per ../shared/design/config.md "Errors a MySQL client sees". The reason decides;
// reasons without an entry fall back on the Failure's SQLSTATE class, then on 1105 (unknown).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace sluice::mysql {

// Server error numbers (MySQL's mysqld_error.h / MariaDB's) and client ones (errmsg.h) Sluice sends.
namespace error_code {
inline constexpr std::uint16_t ER_CON_COUNT_ERROR = 1040;        // Too many connections
inline constexpr std::uint16_t ER_HANDSHAKE_ERROR = 1043;        // Bad handshake
inline constexpr std::uint16_t ER_ACCESS_DENIED_ERROR = 1045;
inline constexpr std::uint16_t ER_UNKNOWN_COM_ERROR = 1047;      // also used for protocol violations
inline constexpr std::uint16_t ER_BAD_DB_ERROR = 1049;
inline constexpr std::uint16_t ER_SERVER_SHUTDOWN = 1053;
inline constexpr std::uint16_t ER_PARSE_ERROR = 1064;
inline constexpr std::uint16_t ER_UNKNOWN_ERROR = 1105;
inline constexpr std::uint16_t ER_SPECIFIC_ACCESS_DENIED_ERROR = 1227;
inline constexpr std::uint16_t ER_NOT_SUPPORTED_YET = 1235;
inline constexpr std::uint16_t ER_MAX_PREPARED_STMT_COUNT_REACHED = 1461;
inline constexpr std::uint16_t ER_QUERY_INTERRUPTED = 1317;
inline constexpr std::uint16_t CR_CONN_HOST_ERROR = 2003;        // Can't connect to server
inline constexpr std::uint16_t CR_SERVER_LOST = 2013;            // Lost connection during query
inline constexpr std::uint16_t ER_QUERY_TIMEOUT = 3024;          // MySQL: max_execution_time exceeded
inline constexpr std::uint16_t ER_CLIENT_INTERACTION_TIMEOUT = 4031;
inline constexpr std::uint16_t ER_LOAD_INFILE_CAPABILITY_DISABLED = 4166;
inline constexpr std::uint16_t SLUICE_QUERY_WAIT_TIMEOUT = 9001;  // Sluice's own: no backend in time
}  // namespace error_code

// Who the client is, for the messages that name it ("Access denied for user 'u'@'h'").
struct ErrorContext {
  std::string_view user;
  std::string_view host;
  std::string_view database;
  bool using_password = true;
  // The client's library reads an ERR carrying a client error code (2000-2999) as a malformed
  // packet (MariaDB Connector/C, so the mariadb client, says "2027 Received malformed packet"
  // instead of why): such a client gets ER_UNKNOWN_ERROR (1105) with the same message.
  bool rejects_client_codes = false;
};

// The ERR packet a client gets for `failure`.
ErrPacket error_for(const Failure& failure, const ErrorContext& context = {});

}  // namespace sluice::mysql
