// Generic response packets (MySQL docs: "Generic Response Packets") and the few result-set
// packets Sluice writes itself: OK_Packet, ERR_Packet, EOF_Packet, COM_STMT_PREPARE_OK,
// a column count, Protocol::ColumnDefinition41, a text result row, the LOCAL INFILE request.
//
// Sluice speaks CLIENT_PROTOCOL_41 only, so status flags and warnings are always present.
// Readers take one whole logical payload and never throw; writers append a complete packet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace sluice::mysql {

struct OkPacket {
  std::uint8_t header = packet_header::OK_Packet;  // 0xFE where it ends a result set under CLIENT_DEPRECATE_EOF
  std::uint64_t affected_rows = 0;
  std::uint64_t last_insert_id = 0;
  std::uint16_t status_flags = 0;
  std::uint16_t warnings = 0;
  std::string info;
  // With CLIENT_SESSION_TRACK and SERVER_SESSION_STATE_CHANGED: the raw session state changes.
  std::string session_state_info;
  bool operator==(const OkPacket&) const = default;
};

struct ErrPacket {
  std::uint16_t error_code = 0;
  std::string sql_state;  // 5 characters after the '#' marker; empty when the server sent none
  std::string error_message;
  bool operator==(const ErrPacket&) const = default;
};

struct EofPacket {
  std::uint16_t warnings = 0;
  std::uint16_t status_flags = 0;
  bool operator==(const EofPacket&) const = default;
};

// COM_STMT_PREPARE_OK: the first packet of a successful COM_STMT_PREPARE response.
struct StmtPrepareOk {
  std::uint32_t statement_id = 0;
  std::uint16_t num_columns = 0;
  std::uint16_t num_params = 0;
  std::uint16_t warning_count = 0;
  bool operator==(const StmtPrepareOk&) const = default;
};

// Protocol::ColumnDefinition41, as Sluice describes its own result sets.
struct ColumnDefinition {
  std::string_view name;
  std::uint8_t column_type = 0xFD;  // MYSQL_TYPE_VAR_STRING
  std::uint16_t character_set = charset::utf8mb4_general_ci;
  std::uint32_t column_length = 1024;
};

// capabilities: those in force (client and server); only CLIENT_SESSION_TRACK matters here.
Expected<OkPacket> read_ok_packet(std::span<const std::uint8_t> payload, std::uint64_t capabilities);
void write_ok_packet(std::string& out, SequenceId& sequence, const OkPacket& ok, std::uint64_t capabilities);

Expected<ErrPacket> read_err_packet(std::span<const std::uint8_t> payload);
// A sql_state that is not 5 characters is sent as "HY000"; with_sql_state false leaves the marker
// out, as a server does before it knows the client speaks protocol 4.1.
void write_err_packet(std::string& out, SequenceId& sequence, const ErrPacket& error, bool with_sql_state = true);

Expected<EofPacket> read_eof_packet(std::span<const std::uint8_t> payload);
void write_eof_packet(std::string& out, SequenceId& sequence, const EofPacket& eof);

Expected<StmtPrepareOk> read_stmt_prepare_ok(std::span<const std::uint8_t> payload);
void write_stmt_prepare_ok(std::string& out, SequenceId& sequence, const StmtPrepareOk& prepared);

void write_column_count(std::string& out, SequenceId& sequence, std::uint64_t count);
void write_column_definition(std::string& out, SequenceId& sequence, const ColumnDefinition& column);
// A text result row: nullopt is NULL (0xFB).
void write_text_row(std::string& out, SequenceId& sequence, std::span<const std::optional<std::string_view>> values);
void write_local_infile_request(std::string& out, SequenceId& sequence, std::string_view filename);

// The status flags of an OK packet (header 0x00 or 0xFE) or an EOF packet, read from the first
// bytes of its payload; nullopt if they are too few or malformed. For the response tracker,
// which sees captured prefixes only.
std::optional<std::uint16_t> ok_packet_status(std::span<const std::uint8_t> payload_prefix);
std::optional<std::uint16_t> eof_packet_status(std::span<const std::uint8_t> payload_prefix);
// The warning count of a packet that ends a result: an EOF_Packet (all 5 bytes given) or an
// OK_Packet (its prefix up to the warnings).
std::optional<std::uint16_t> result_end_warnings(std::span<const std::uint8_t> payload_prefix);

}  // namespace sluice::mysql
