#include "sluice/protocol/mysql/responses.hpp"

#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/payload.hpp"

namespace sluice::mysql {

namespace {

using capability::CLIENT_SESSION_TRACK;
using server_status::SERVER_SESSION_STATE_CHANGED;

constexpr char kSqlStateMarker = '#';
constexpr std::string_view kUnknownSqlState = "HY000";
constexpr std::string_view kCatalog = "def";
constexpr std::uint8_t kFixedFieldsLength = 0x0C;
constexpr std::size_t kMinStmtPrepareOkLength = 10;  // header, id, columns, params, reserved
constexpr std::size_t kStmtPrepareOkLength = 12;     // and the warning count

Failure malformed(std::string_view packet, std::string_view why) {
  return protocol_violation("malformed " + std::string(packet) + ": " + std::string(why));
}

bool is_ok_header(std::uint8_t header) {
  return header == packet_header::OK_Packet || header == packet_header::EOF_Packet;
}

// The fields every OK packet has, after its header.
Status read_ok_fixed_fields(PayloadReader& reader, OkPacket& ok) {
  const auto affected_rows = reader.read_lenenc_int();
  const auto last_insert_id = affected_rows ? reader.read_lenenc_int() : std::nullopt;
  const auto status_flags = last_insert_id ? reader.read_u16() : std::nullopt;
  const auto warnings = status_flags ? reader.read_u16() : std::nullopt;
  if (!warnings) return malformed("OK_Packet", "truncated");
  ok.affected_rows = *affected_rows;
  ok.last_insert_id = *last_insert_id;
  ok.status_flags = *status_flags;
  ok.warnings = *warnings;
  return ok_status();
}

// With CLIENT_SESSION_TRACK: string<lenenc> info, then the session state changes when flagged;
// each only if bytes remain (servers leave an empty info out).
Status read_ok_tracked_fields(PayloadReader& reader, OkPacket& ok) {
  if (reader.at_end()) return ok_status();
  const auto info = reader.read_lenenc_string();
  if (!info) return malformed("OK_Packet", "info truncated");
  ok.info = *info;
  if (!(ok.status_flags & SERVER_SESSION_STATE_CHANGED) || reader.at_end()) return ok_status();
  const auto state = reader.read_lenenc_string();
  if (!state) return malformed("OK_Packet", "session state info truncated");
  ok.session_state_info = *state;
  return ok_status();
}

}  // namespace

// --- OK_Packet ---

Expected<OkPacket> read_ok_packet(std::span<const std::uint8_t> payload, std::uint64_t capabilities) {
  PayloadReader reader(payload);
  OkPacket ok;
  const auto header = reader.read_u8();
  if (!header || !is_ok_header(*header)) return malformed("OK_Packet", "header is not 0x00 or 0xFE");
  ok.header = *header;
  if (auto read = read_ok_fixed_fields(reader, ok); !read) return read.failure();
  if (!(capabilities & CLIENT_SESSION_TRACK)) {
    ok.info = reader.read_rest();
    return ok;
  }
  if (auto read = read_ok_tracked_fields(reader, ok); !read) return read.failure();
  return ok;
}

void write_ok_packet(std::string& out, SequenceId& sequence, const OkPacket& ok, std::uint64_t capabilities) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(ok.header));
  append_lenenc_int(out, ok.affected_rows);
  append_lenenc_int(out, ok.last_insert_id);
  append_le16(out, ok.status_flags);
  append_le16(out, ok.warnings);
  if (!(capabilities & CLIENT_SESSION_TRACK)) {
    out.append(ok.info);
  } else if (ok.status_flags & SERVER_SESSION_STATE_CHANGED) {
    append_lenenc_string(out, ok.info);
    append_lenenc_string(out, ok.session_state_info);
  } else if (!ok.info.empty()) {
    append_lenenc_string(out, ok.info);
  }
  finish_packet(out, start, sequence);
}

// --- ERR_Packet ---

Expected<ErrPacket> read_err_packet(std::span<const std::uint8_t> payload) {
  PayloadReader reader(payload);
  if (reader.read_u8() != packet_header::ERR_Packet) return malformed("ERR_Packet", "header is not 0xFF");
  const auto code = reader.read_u16();
  if (!code) return malformed("ERR_Packet", "truncated error code");
  ErrPacket error;
  error.error_code = *code;
  const auto rest = payload.subspan(reader.offset());
  if (rest.size() > kSqlStateLength && rest[0] == kSqlStateMarker) {
    reader.skip(1);
    error.sql_state = *reader.read_string(kSqlStateLength);
  }
  error.error_message = reader.read_rest();
  return error;
}

void write_err_packet(std::string& out, SequenceId& sequence, const ErrPacket& error, bool with_sql_state) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::ERR_Packet));
  append_le16(out, error.error_code);
  if (with_sql_state) {
    out.push_back(kSqlStateMarker);
    out.append(error.sql_state.size() == kSqlStateLength ? std::string_view(error.sql_state) : kUnknownSqlState);
  }
  out.append(error.error_message);
  finish_packet(out, start, sequence);
}

// --- EOF_Packet ---

Expected<EofPacket> read_eof_packet(std::span<const std::uint8_t> payload) {
  if (payload.size() != kEofPacketLength || payload[0] != packet_header::EOF_Packet) {
    return malformed("EOF_Packet", "not 5 bytes starting 0xFE");
  }
  return EofPacket{load_le16(payload.data() + 1), load_le16(payload.data() + 3)};
}

void write_eof_packet(std::string& out, SequenceId& sequence, const EofPacket& eof) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::EOF_Packet));
  append_le16(out, eof.warnings);
  append_le16(out, eof.status_flags);
  finish_packet(out, start, sequence);
}

// --- COM_STMT_PREPARE_OK ---

Expected<StmtPrepareOk> read_stmt_prepare_ok(std::span<const std::uint8_t> payload) {
  if (payload.size() < kMinStmtPrepareOkLength || payload[0] != packet_header::OK_Packet) {
    return malformed("COM_STMT_PREPARE_OK", "shorter than 10 bytes or header is not 0x00");
  }
  StmtPrepareOk prepared;
  prepared.statement_id = load_le32(payload.data() + 1);
  prepared.num_columns = load_le16(payload.data() + 5);
  prepared.num_params = load_le16(payload.data() + 7);
  if (payload.size() >= kStmtPrepareOkLength) prepared.warning_count = load_le16(payload.data() + 10);
  return prepared;
}

void write_stmt_prepare_ok(std::string& out, SequenceId& sequence, const StmtPrepareOk& prepared) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::OK_Packet));
  append_le32(out, prepared.statement_id);
  append_le16(out, prepared.num_columns);
  append_le16(out, prepared.num_params);
  out.push_back('\0');  // reserved
  append_le16(out, prepared.warning_count);
  finish_packet(out, start, sequence);
}

// --- result set packets ---

void write_column_count(std::string& out, SequenceId& sequence, std::uint64_t count) {
  const std::size_t start = begin_packet(out);
  append_lenenc_int(out, count);
  finish_packet(out, start, sequence);
}

void write_column_definition(std::string& out, SequenceId& sequence, const ColumnDefinition& column) {
  const std::size_t start = begin_packet(out);
  append_lenenc_string(out, kCatalog);
  append_lenenc_string(out, "");           // schema
  append_lenenc_string(out, "");           // table
  append_lenenc_string(out, "");           // org_table
  append_lenenc_string(out, column.name);  // name
  append_lenenc_string(out, column.name);  // org_name
  out.push_back(static_cast<char>(kFixedFieldsLength));
  append_le16(out, column.character_set);
  append_le32(out, column.column_length);
  out.push_back(static_cast<char>(column.column_type));
  append_le16(out, 0);  // flags
  out.push_back('\0');  // decimals
  append_le16(out, 0);  // filler
  finish_packet(out, start, sequence);
}

void write_text_row(std::string& out, SequenceId& sequence, std::span<const std::optional<std::string_view>> values) {
  const std::size_t start = begin_packet(out);
  for (const auto& value : values) {
    if (value) {
      append_lenenc_string(out, *value);
    } else {
      out.push_back(static_cast<char>(lenenc::kNull));
    }
  }
  finish_packet(out, start, sequence);
}

void write_local_infile_request(std::string& out, SequenceId& sequence, std::string_view filename) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::LocalInfileRequest));
  out.append(filename);
  finish_packet(out, start, sequence);
}

// --- status flags from captured prefixes ---

std::optional<std::uint16_t> ok_packet_status(std::span<const std::uint8_t> payload_prefix) {
  PayloadReader reader(payload_prefix);
  const auto header = reader.read_u8();
  if (!header || !is_ok_header(*header)) return std::nullopt;
  if (!reader.read_lenenc_int() || !reader.read_lenenc_int()) return std::nullopt;
  return reader.read_u16();
}

std::optional<std::uint16_t> result_end_warnings(std::span<const std::uint8_t> payload_prefix) {
  if (payload_prefix.size() == kEofPacketLength && payload_prefix[0] == packet_header::EOF_Packet) {
    return load_le16(payload_prefix.data() + 1);
  }
  PayloadReader reader(payload_prefix);
  const auto header = reader.read_u8();
  if (!header || !is_ok_header(*header)) return std::nullopt;
  if (!reader.read_lenenc_int() || !reader.read_lenenc_int() || !reader.read_u16()) return std::nullopt;
  return reader.read_u16();
}

std::optional<std::uint16_t> eof_packet_status(std::span<const std::uint8_t> payload_prefix) {
  if (payload_prefix.size() < kEofPacketLength || payload_prefix[0] != packet_header::EOF_Packet) return std::nullopt;
  return load_le16(payload_prefix.data() + 3);
}

}  // namespace sluice::mysql
