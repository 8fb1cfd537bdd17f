// MySQL/MariaDB client/server protocol: numbers, caps, flags and command bytes.
// Names follow the MySQL source documentation ("Capabilities Flags", "SERVER_STATUS_flags_enum",
// "enum_server_command") and MariaDB's knowledge base for its extended capabilities.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::mysql {

// --- framing ---
inline constexpr std::size_t kPacketHeaderLength = 4;         // int<3> payload_length, int<1> sequence_id
inline constexpr std::uint32_t kMaxPacketPayload = 0xFFFFFF;  // a payload this long continues in the next packet
// Logical payloads Sluice accepts unless configured otherwise: MySQL's max_allowed_packet default.
inline constexpr std::uint64_t kDefaultMaxPacketSize = 64 * 1024 * 1024;

// --- capability flags (int<4> on the wire; MariaDB's extended ones are the upper 32 bits) ---
namespace capability {
inline constexpr std::uint64_t CLIENT_LONG_PASSWORD = 1u << 0;  // MariaDB calls it CLIENT_MYSQL
inline constexpr std::uint64_t CLIENT_MYSQL = CLIENT_LONG_PASSWORD;
inline constexpr std::uint64_t CLIENT_FOUND_ROWS = 1u << 1;
inline constexpr std::uint64_t CLIENT_LONG_FLAG = 1u << 2;
inline constexpr std::uint64_t CLIENT_CONNECT_WITH_DB = 1u << 3;
inline constexpr std::uint64_t CLIENT_NO_SCHEMA = 1u << 4;
inline constexpr std::uint64_t CLIENT_COMPRESS = 1u << 5;
inline constexpr std::uint64_t CLIENT_ODBC = 1u << 6;
inline constexpr std::uint64_t CLIENT_LOCAL_FILES = 1u << 7;
inline constexpr std::uint64_t CLIENT_IGNORE_SPACE = 1u << 8;
inline constexpr std::uint64_t CLIENT_PROTOCOL_41 = 1u << 9;
inline constexpr std::uint64_t CLIENT_INTERACTIVE = 1u << 10;
inline constexpr std::uint64_t CLIENT_SSL = 1u << 11;
inline constexpr std::uint64_t CLIENT_IGNORE_SIGPIPE = 1u << 12;
inline constexpr std::uint64_t CLIENT_TRANSACTIONS = 1u << 13;
inline constexpr std::uint64_t CLIENT_RESERVED = 1u << 14;
inline constexpr std::uint64_t CLIENT_SECURE_CONNECTION = 1u << 15;  // "CLIENT_RESERVED2" in MySQL 8
inline constexpr std::uint64_t CLIENT_MULTI_STATEMENTS = 1u << 16;
inline constexpr std::uint64_t CLIENT_MULTI_RESULTS = 1u << 17;
inline constexpr std::uint64_t CLIENT_PS_MULTI_RESULTS = 1u << 18;
inline constexpr std::uint64_t CLIENT_PLUGIN_AUTH = 1u << 19;
inline constexpr std::uint64_t CLIENT_CONNECT_ATTRS = 1u << 20;
inline constexpr std::uint64_t CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1u << 21;
inline constexpr std::uint64_t CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1u << 22;
inline constexpr std::uint64_t CLIENT_SESSION_TRACK = 1u << 23;
inline constexpr std::uint64_t CLIENT_DEPRECATE_EOF = 1u << 24;
inline constexpr std::uint64_t CLIENT_OPTIONAL_RESULTSET_METADATA = 1u << 25;
inline constexpr std::uint64_t CLIENT_ZSTD_COMPRESSION_ALGORITHM = 1u << 26;
inline constexpr std::uint64_t CLIENT_QUERY_ATTRIBUTES = 1u << 27;
inline constexpr std::uint64_t MULTI_FACTOR_AUTHENTICATION = 1u << 28;
inline constexpr std::uint64_t CLIENT_CAPABILITY_EXTENSION = 1u << 29;
inline constexpr std::uint64_t CLIENT_SSL_VERIFY_SERVER_CERT = 1u << 30;
inline constexpr std::uint64_t CLIENT_REMEMBER_OPTIONS = 1u << 31;
// MariaDB (sent in the handshakes' reserved bytes when CLIENT_MYSQL is clear).
inline constexpr std::uint64_t MARIADB_CLIENT_PROGRESS = std::uint64_t{1} << 32;
inline constexpr std::uint64_t MARIADB_CLIENT_COM_MULTI = std::uint64_t{1} << 33;
inline constexpr std::uint64_t MARIADB_CLIENT_STMT_BULK_OPERATIONS = std::uint64_t{1} << 34;
inline constexpr std::uint64_t MARIADB_CLIENT_EXTENDED_METADATA = std::uint64_t{1} << 35;
inline constexpr std::uint64_t MARIADB_CLIENT_CACHE_METADATA = std::uint64_t{1} << 36;
inline constexpr std::uint64_t MARIADB_CLIENT_BULK_UNIT_RESULTS = std::uint64_t{1} << 37;

// Flags that change the framing or the shape of result sets in ways the codec does not follow
// (compression, optional/cached metadata, query attributes). A session must clear them from
// what it offers clients and asks of backends.
inline constexpr std::uint64_t kUnsupported =
    CLIENT_COMPRESS | CLIENT_OPTIONAL_RESULTSET_METADATA | CLIENT_ZSTD_COMPRESSION_ALGORITHM |
    CLIENT_QUERY_ATTRIBUTES | MULTI_FACTOR_AUTHENTICATION | CLIENT_CAPABILITY_EXTENSION |
    MARIADB_CLIENT_COM_MULTI | MARIADB_CLIENT_CACHE_METADATA;
}  // namespace capability

// --- server status flags (int<2> in OK and EOF packets, and in HandshakeV10) ---
namespace server_status {
inline constexpr std::uint16_t SERVER_STATUS_IN_TRANS = 1u << 0;
inline constexpr std::uint16_t SERVER_STATUS_AUTOCOMMIT = 1u << 1;
inline constexpr std::uint16_t SERVER_MORE_RESULTS_EXISTS = 1u << 3;
inline constexpr std::uint16_t SERVER_QUERY_NO_GOOD_INDEX_USED = 1u << 4;
inline constexpr std::uint16_t SERVER_QUERY_NO_INDEX_USED = 1u << 5;
inline constexpr std::uint16_t SERVER_STATUS_CURSOR_EXISTS = 1u << 6;
inline constexpr std::uint16_t SERVER_STATUS_LAST_ROW_SENT = 1u << 7;
inline constexpr std::uint16_t SERVER_STATUS_DB_DROPPED = 1u << 8;
inline constexpr std::uint16_t SERVER_STATUS_NO_BACKSLASH_ESCAPES = 1u << 9;
inline constexpr std::uint16_t SERVER_STATUS_METADATA_CHANGED = 1u << 10;
inline constexpr std::uint16_t SERVER_QUERY_WAS_SLOW = 1u << 11;
inline constexpr std::uint16_t SERVER_PS_OUT_PARAMS = 1u << 12;
inline constexpr std::uint16_t SERVER_STATUS_IN_TRANS_READONLY = 1u << 13;
inline constexpr std::uint16_t SERVER_SESSION_STATE_CHANGED = 1u << 14;
}  // namespace server_status

// --- the first payload byte of a command packet (enum_server_command) ---
namespace command {
inline constexpr std::uint8_t COM_SLEEP = 0x00;
inline constexpr std::uint8_t COM_QUIT = 0x01;
inline constexpr std::uint8_t COM_INIT_DB = 0x02;
inline constexpr std::uint8_t COM_QUERY = 0x03;
inline constexpr std::uint8_t COM_FIELD_LIST = 0x04;
inline constexpr std::uint8_t COM_CREATE_DB = 0x05;
inline constexpr std::uint8_t COM_DROP_DB = 0x06;
inline constexpr std::uint8_t COM_REFRESH = 0x07;
inline constexpr std::uint8_t COM_SHUTDOWN = 0x08;
inline constexpr std::uint8_t COM_STATISTICS = 0x09;
inline constexpr std::uint8_t COM_PROCESS_INFO = 0x0A;
inline constexpr std::uint8_t COM_CONNECT = 0x0B;
inline constexpr std::uint8_t COM_PROCESS_KILL = 0x0C;
inline constexpr std::uint8_t COM_DEBUG = 0x0D;
inline constexpr std::uint8_t COM_PING = 0x0E;
inline constexpr std::uint8_t COM_TIME = 0x0F;
inline constexpr std::uint8_t COM_DELAYED_INSERT = 0x10;
inline constexpr std::uint8_t COM_CHANGE_USER = 0x11;
inline constexpr std::uint8_t COM_BINLOG_DUMP = 0x12;
inline constexpr std::uint8_t COM_TABLE_DUMP = 0x13;
inline constexpr std::uint8_t COM_CONNECT_OUT = 0x14;
inline constexpr std::uint8_t COM_REGISTER_SLAVE = 0x15;
inline constexpr std::uint8_t COM_STMT_PREPARE = 0x16;
inline constexpr std::uint8_t COM_STMT_EXECUTE = 0x17;
inline constexpr std::uint8_t COM_STMT_SEND_LONG_DATA = 0x18;
inline constexpr std::uint8_t COM_STMT_CLOSE = 0x19;
inline constexpr std::uint8_t COM_STMT_RESET = 0x1A;
inline constexpr std::uint8_t COM_SET_OPTION = 0x1B;
inline constexpr std::uint8_t COM_STMT_FETCH = 0x1C;
inline constexpr std::uint8_t COM_DAEMON = 0x1D;
inline constexpr std::uint8_t COM_BINLOG_DUMP_GTID = 0x1E;
inline constexpr std::uint8_t COM_RESET_CONNECTION = 0x1F;
inline constexpr std::uint8_t COM_CLONE = 0x20;
inline constexpr std::uint8_t COM_SUBSCRIBE_GROUP_REPLICATION_STREAM = 0x21;
// MariaDB
inline constexpr std::uint8_t COM_STMT_BULK_EXECUTE = 0xFA;
inline constexpr std::uint8_t COM_MULTI = 0xFE;
}  // namespace command

// --- the first payload byte of server packets ---
namespace packet_header {
inline constexpr std::uint8_t OK_Packet = 0x00;
inline constexpr std::uint8_t AuthMoreData = 0x01;
inline constexpr std::uint8_t LocalInfileRequest = 0xFB;
inline constexpr std::uint8_t EOF_Packet = 0xFE;  // also an OK_Packet's header under CLIENT_DEPRECATE_EOF
inline constexpr std::uint8_t AuthSwitchRequest = 0xFE;
inline constexpr std::uint8_t ERR_Packet = 0xFF;
}  // namespace packet_header

// An OK packet is at least this long (header, two 1-byte lenenc ints, status, warnings).
inline constexpr std::size_t kMinOkPacketLength = 7;
// An EOF packet is shorter than this; a row that starts with 0xFE is at least this long.
inline constexpr std::size_t kEofPacketLengthLimit = 9;
inline constexpr std::size_t kEofPacketLength = 5;  // header, warnings, status
inline constexpr std::size_t kSqlStateLength = 5;
inline constexpr std::uint16_t kProgressReportCode = 0xFFFF;  // MariaDB: an ERR header that is a progress report

// --- the handshake ---
inline constexpr std::uint8_t kProtocolVersion10 = 10;
inline constexpr std::size_t kScrambleLength = 20;            // auth-plugin-data Sluice sends
inline constexpr std::size_t kScramblePart1Length = 8;
inline constexpr std::size_t kMinScramblePart2Length = 13;    // with its terminating NUL
inline constexpr std::size_t kHandshakeReservedLength = 10;   // 6 filler + MariaDB's 4 capability bytes
inline constexpr std::size_t kHandshakeResponseFillerLength = 23;  // 19 filler + MariaDB's 4 capability bytes
inline constexpr std::size_t kSslRequestLength = 32;          // int<4> + int<4> + int<1> + 23 filler
// Caps on what a peer may make Sluice hold during login.
inline constexpr std::size_t kMaxLoginPacketSize = 64 * 1024;
inline constexpr std::size_t kMaxConnectAttributesLength = 64 * 1024;  // MySQL's own limit
inline constexpr std::size_t kMaxAuthResponseLength = 16 * 1024;       // RSA-encrypted passwords are the longest

// Character set (collation) ids Sluice uses.
namespace charset {
inline constexpr std::uint8_t utf8mb4_general_ci = 45;
inline constexpr std::uint8_t binary = 63;
}  // namespace charset

// Authentication plugin names.
namespace auth_plugin {
inline constexpr std::string_view mysql_native_password = "mysql_native_password";
inline constexpr std::string_view caching_sha2_password = "caching_sha2_password";
inline constexpr std::string_view sha256_password = "sha256_password";
inline constexpr std::string_view mysql_clear_password = "mysql_clear_password";
inline constexpr std::string_view client_ed25519 = "client_ed25519";
}  // namespace auth_plugin

// caching_sha2_password's AuthMoreData statuses and the client's public key request.
namespace caching_sha2 {
inline constexpr std::uint8_t request_public_key = 0x02;
inline constexpr std::uint8_t fast_auth_success = 0x03;
inline constexpr std::uint8_t perform_full_authentication = 0x04;
}  // namespace caching_sha2

// The protocol-doc name of a command byte ("COM_QUERY"), or "" if unknown. For logs and
// protocol_violation reasons; never on the per-packet path.
std::string_view command_name(std::uint8_t command);

}  // namespace sluice::mysql
