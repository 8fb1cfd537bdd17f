#include "sluice/protocol/mysql/response_tracker.hpp"

#include <array>
#include <initializer_list>
#include <utility>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/payload.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace sluice::mysql {

namespace {

using server_status::SERVER_MORE_RESULTS_EXISTS;
using server_status::SERVER_STATUS_AUTOCOMMIT;
using server_status::SERVER_STATUS_CURSOR_EXISTS;
using server_status::SERVER_STATUS_IN_TRANS;

constexpr std::uint64_t kMaxColumns = 0xFFFF;  // COM_STMT_PREPARE_OK counts them in 16 bits
constexpr std::size_t kMinPrepareOkLength = 9;  // header, statement id, num_columns, num_params

using ShapeTable = std::array<ResponseShape, 256>;

// Unknown command bytes get an ERR from the server: one packet.
constexpr ShapeTable make_shapes(std::initializer_list<std::pair<std::uint8_t, ResponseShape>> entries) {
  ShapeTable table{};
  table.fill(ResponseShape::one_packet);
  for (const auto& [code, shape] : entries) table[code] = shape;
  return table;
}

constexpr ShapeTable kShapes = make_shapes({
    {command::COM_QUIT, ResponseShape::none},
    {command::COM_QUERY, ResponseShape::query},
    {command::COM_FIELD_LIST, ResponseShape::field_list},
    {command::COM_STATISTICS, ResponseShape::statistics},
    {command::COM_PROCESS_INFO, ResponseShape::query},
    {command::COM_CHANGE_USER, ResponseShape::authentication},
    {command::COM_BINLOG_DUMP, ResponseShape::unsupported},
    {command::COM_TABLE_DUMP, ResponseShape::unsupported},
    {command::COM_STMT_PREPARE, ResponseShape::prepare},
    {command::COM_STMT_EXECUTE, ResponseShape::execute},
    {command::COM_STMT_SEND_LONG_DATA, ResponseShape::none},
    {command::COM_STMT_CLOSE, ResponseShape::none},
    {command::COM_STMT_FETCH, ResponseShape::fetch},
    {command::COM_BINLOG_DUMP_GTID, ResponseShape::unsupported},
    {command::COM_CLONE, ResponseShape::unsupported},
    {command::COM_SUBSCRIBE_GROUP_REPLICATION_STREAM, ResponseShape::unsupported},
    {command::COM_STMT_BULK_EXECUTE, ResponseShape::execute},
    {command::COM_MULTI, ResponseShape::unsupported},
});

std::optional<std::uint8_t> first_byte(const PacketView& packet) {
  if (packet.length == 0 || packet.payload.empty()) return std::nullopt;
  return packet.payload[0];
}

bool is_err(const PacketView& packet) { return first_byte(packet) == packet_header::ERR_Packet; }

// OK_Packet (0x00, at least 7 bytes): its status flags.
std::optional<std::uint16_t> ok_status(const PacketView& packet) {
  if (packet.length < kMinOkPacketLength) return std::nullopt;
  return ok_packet_status(packet.payload);
}

// The 0xFE packet that ends a result: a 5-byte EOF_Packet, or an OK_Packet under
// CLIENT_DEPRECATE_EOF. Both keep the status at bytes 3-4 when the OK's integers are small.
std::optional<std::uint16_t> terminator_status(const PacketView& packet) {
  if (packet.length == kEofPacketLength) return eof_packet_status(packet.payload);
  return ok_packet_status(packet.payload);
}

}  // namespace

ResponseShape response_shape(std::uint8_t command) { return kShapes[command]; }

ResponseTracker::ResponseTracker(std::uint64_t capabilities, std::uint16_t status_flags)
    : deprecate_eof_(capabilities & capability::CLIENT_DEPRECATE_EOF),
      progress_reports_(capabilities & capability::MARIADB_CLIENT_PROGRESS),
      status_flags_(status_flags) {}

void ResponseTracker::backend_at_rest(std::uint16_t status_flags) {
  state_ = State::idle;
  in_flight_ = 0;
  head_ = 0;
  overflow_ = {};
  overflow_head_ = 0;
  remaining_ = 0;
  finish_pending_ = false;
  transaction_unknown_ = false;
  status_flags_ = status_flags;
  violation_.clear();
}

bool ResponseTracker::in_transaction() const {
  return (status_flags_ & SERVER_STATUS_IN_TRANS) || transaction_unknown_;
}

bool ResponseTracker::at_rest() const {
  return in_flight_ == 0 && !finish_pending_ && !in_transaction() && violation_.empty();
}

// --- client packets ---

bool ResponseTracker::on_client_packet(const PacketView& packet) {
  if (!violation_.empty()) return false;
  if (awaiting_client_file()) {
    on_file_packet(packet);
    return false;
  }
  // COM_CHANGE_USER's exchange: the client's packets answer the server's auth requests.
  if (state_ == State::authentication) return false;
  if (!packet.starts_payload()) return false;  // the rest of a command of 16 MiB or more
  // An empty packet reads as COM_SLEEP, which the server refuses with an ERR.
  const std::uint8_t command = packet.length == 0 ? command::COM_SLEEP : packet.payload[0];
  return queue_command(command);
}

// The file ends with an empty packet that starts a payload (one after a full packet only ends it).
void ResponseTracker::on_file_packet(const PacketView& packet) {
  if (packet.length == 0 && packet.starts_payload()) state_ = State::local_infile_result;
}

bool ResponseTracker::queue_command(std::uint8_t command) {
  const ResponseShape shape = response_shape(command);
  if (shape == ResponseShape::none) return false;
  if (in_flight_ == kMaxPipelined) {
    fail("more than " + std::to_string(kMaxPipelined) + " commands in flight");
    return false;
  }
  if (in_flight_ < kInlinePipelined) {
    queue_[(head_ + in_flight_) % kInlinePipelined] = shape;
  } else {
    overflow_.push_back(shape);
  }
  if (++in_flight_ > 1) return false;
  start_head();
  return true;
}

void ResponseTracker::start_head() {
  switch (head()) {
    case ResponseShape::query:
    case ResponseShape::execute: state_ = State::first_packet; break;
    case ResponseShape::prepare: state_ = State::prepare_ok; break;
    case ResponseShape::fetch:
    case ResponseShape::field_list: state_ = State::rows; break;
    case ResponseShape::authentication: state_ = State::authentication; break;
    case ResponseShape::unsupported: state_ = State::streaming; break;
    case ResponseShape::none:
    case ResponseShape::one_packet:
    case ResponseShape::statistics: state_ = State::one_packet; break;
  }
}

// The head command is answered: the next pipelined one, if any, is answered next.
ResponseProgress ResponseTracker::finish_head() {
  head_ = (head_ + 1) % kInlinePipelined;
  --in_flight_;
  remaining_ = 0;
  if (overflow_head_ < overflow_.size()) {  // the ring's freed last slot takes the next one
    queue_[(head_ + kInlinePipelined - 1) % kInlinePipelined] = overflow_[overflow_head_++];
    if (overflow_head_ == overflow_.size()) {
      overflow_ = {};
      overflow_head_ = 0;
    }
  }
  if (in_flight_ == 0) {
    state_ = State::idle;
    return ResponseProgress::complete;
  }
  start_head();
  return ResponseProgress::more;
}

// --- server packets ---

ResponseProgress ResponseTracker::on_server_packet(const PacketView& packet) {
  if (!violation_.empty()) return ResponseProgress::violation;
  if (!packet.starts_payload()) {
    // The rest of a payload already judged by its first packet.
    if (finish_pending_ && !packet.continued()) {
      finish_pending_ = false;
      return finish_head();
    }
    return ResponseProgress::more;
  }
  if (state_ == State::idle) {
    fail("unsolicited packet from the server (first byte " +
         std::to_string(first_byte(packet).value_or(0)) + ")");
    return ResponseProgress::violation;
  }
  switch (dispatch(packet)) {
    case Step::more: return ResponseProgress::more;
    case Step::violation: return ResponseProgress::violation;
    case Step::finished: break;
  }
  if (packet.continued()) {
    finish_pending_ = true;
    return ResponseProgress::more;
  }
  return finish_head();
}

// One handler per state.
ResponseTracker::Step ResponseTracker::dispatch(const PacketView& packet) {
  if (is_progress_report(packet)) return Step::more;
  switch (state_) {
    case State::first_packet: return on_first_packet(packet);
    case State::column_definitions: return on_column_definition(packet);
    case State::columns_eof: return on_columns_eof(packet);
    case State::rows: return on_row(packet);
    case State::prepare_ok: return on_prepare_ok(packet);
    case State::prepare_params:
    case State::prepare_columns: return on_prepare_definition(packet);
    case State::prepare_params_eof:
    case State::prepare_columns_eof: return on_prepare_eof(packet);
    case State::local_infile_result: return on_local_infile_result(packet);
    case State::one_packet: return on_one_packet(packet);
    case State::authentication: return on_authentication(packet);
    case State::streaming: return Step::more;
    case State::local_infile_upload: return fail("server packet during a LOCAL INFILE upload");
    case State::idle: break;
  }
  return fail("server packet with no command in flight");
}

// MariaDB's progress report: an ERR header with code 0xFFFF, sent only to clients that asked.
bool ResponseTracker::is_progress_report(const PacketView& packet) const {
  return progress_reports_ && is_err(packet) && packet.payload.size() >= 3 &&
         load_le16(packet.payload.data() + 1) == kProgressReportCode;
}

// The 0xFE packet that ends rows: shorter than 9 bytes, or under CLIENT_DEPRECATE_EOF any
// OK packet (a row starting 0xFE holds a string of 16 MiB or more, so its packet is full).
bool ResponseTracker::is_terminator(const PacketView& packet) const {
  if (first_byte(packet) != packet_header::EOF_Packet) return false;
  return deprecate_eof_ ? packet.length < kMaxPacketPayload : packet.length < kEofPacketLengthLimit;
}

ResponseTracker::Step ResponseTracker::on_first_packet(const PacketView& packet) {
  const auto header = first_byte(packet);
  if (!header) return fail("empty packet where a result begins");
  if (*header == packet_header::ERR_Packet) return on_error();
  if (*header == packet_header::OK_Packet) {
    const auto status = ok_status(packet);
    if (status) note_insert_id(packet);
    note_warnings(packet);
    return status ? end_of_result(*status) : fail("malformed OK packet");
  }
  // LOAD DATA LOCAL asks the client for its file, run as text (COM_QUERY) or as a prepared
  // statement (COM_STMT_EXECUTE: MariaDB answers that too, DBD::MariaDB's server-side prepare).
  if (*header == packet_header::LocalInfileRequest) {
    state_ = State::local_infile_upload;
    return Step::more;
  }
  if (is_terminator(packet)) {
    const auto status = terminator_status(packet);
    note_warnings(packet);
    return status ? end_of_result(*status) : fail("malformed EOF packet");
  }
  return on_column_count(packet);
}

// A result set's first packet holds int<lenenc> column_count and nothing else.
ResponseTracker::Step ResponseTracker::on_column_count(const PacketView& packet) {
  PayloadReader reader(packet.payload);
  const auto count = reader.read_lenenc_int();
  if (!count || reader.offset() != packet.length) return fail("malformed column count");
  if (*count == 0 || *count > kMaxColumns) return fail("column count " + std::to_string(*count));
  remaining_ = static_cast<std::uint32_t>(*count);
  state_ = State::column_definitions;
  return Step::more;
}

ResponseTracker::Step ResponseTracker::on_column_definition(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  if (--remaining_ == 0) state_ = deprecate_eof_ ? State::rows : State::columns_eof;
  return Step::more;
}

// Without CLIENT_DEPRECATE_EOF the definitions end with an EOF; a COM_STMT_EXECUTE that opened
// a cursor ends there (SERVER_STATUS_CURSOR_EXISTS): rows come with COM_STMT_FETCH.
ResponseTracker::Step ResponseTracker::on_columns_eof(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  const auto status = is_terminator(packet) ? eof_packet_status(packet.payload) : std::nullopt;
  if (!status) return fail("expected EOF after the column definitions");
  if (head() == ResponseShape::execute && (*status & SERVER_STATUS_CURSOR_EXISTS)) return end_of_result(*status);
  set_status(*status);
  state_ = State::rows;
  return Step::more;
}

ResponseTracker::Step ResponseTracker::on_row(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  if (!is_terminator(packet)) {
    if (packet.length == 0) return fail("empty row");
    return Step::more;
  }
  const auto status = terminator_status(packet);
  if (!status) return fail("malformed EOF or OK packet after the rows");
  note_warnings(packet);
  return end_of_result(*status);
}

ResponseTracker::Step ResponseTracker::on_prepare_ok(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  if (first_byte(packet) != packet_header::OK_Packet || packet.length < kMinPrepareOkLength ||
      packet.payload.size() < kMinPrepareOkLength) {
    return fail("expected COM_STMT_PREPARE_OK");
  }
  prepare_columns_ = load_le16(packet.payload.data() + 5);
  remaining_ = load_le16(packet.payload.data() + 7);
  if (remaining_ > 0) {
    state_ = State::prepare_params;
    return Step::more;
  }
  state_ = State::prepare_params_eof;  // no parameters: go straight to the columns
  return next_prepare_group();
}

ResponseTracker::Step ResponseTracker::on_prepare_definition(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  if (--remaining_ > 0) return Step::more;
  state_ = state_ == State::prepare_params ? State::prepare_params_eof : State::prepare_columns_eof;
  // Under CLIENT_DEPRECATE_EOF no EOF closes the group.
  return deprecate_eof_ ? next_prepare_group() : Step::more;
}

ResponseTracker::Step ResponseTracker::on_prepare_eof(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  const auto status = is_terminator(packet) ? eof_packet_status(packet.payload) : std::nullopt;
  if (!status) return fail("expected EOF after the prepared statement's definitions");
  set_status(*status);
  return next_prepare_group();
}

// After the parameter group (state prepare_params_eof): the columns, if any; after the columns:
// the end.
ResponseTracker::Step ResponseTracker::next_prepare_group() {
  if (state_ == State::prepare_params_eof && prepare_columns_ > 0) {
    remaining_ = prepare_columns_;
    state_ = State::prepare_columns;
    return Step::more;
  }
  return Step::finished;
}

// A packet ending a result with warnings leaves them in the server's diagnostics area.
void ResponseTracker::note_warnings(const PacketView& packet) {
  const auto warnings = result_end_warnings(packet.payload);
  if (warnings && *warnings > 0) diagnostics_ = true;
}

// An OK packet's last_insert_id, when the statement set one (0: it generated none).
void ResponseTracker::note_insert_id(const PacketView& packet) {
  PayloadReader reader(packet.payload);
  if (!reader.skip(1) || !reader.read_lenenc_int()) return;
  const auto insert_id = reader.read_lenenc_int();
  if (insert_id && *insert_id != 0) last_insert_id_ = *insert_id;
}

ResponseTracker::Step ResponseTracker::on_local_infile_result(const PacketView& packet) {
  if (is_err(packet)) return on_error();
  const auto status = first_byte(packet) == packet_header::OK_Packet ? ok_status(packet) : std::nullopt;
  note_warnings(packet);
  return status ? end_of_result(*status) : fail("expected OK or ERR after the LOCAL INFILE data");
}

// OK, EOF, ERR or (COM_STATISTICS) text: whatever it is, it is the whole response.
ResponseTracker::Step ResponseTracker::on_one_packet(const PacketView& packet) {
  if (head() == ResponseShape::statistics) return Step::finished;
  if (is_err(packet)) return on_error();
  std::optional<std::uint16_t> status;
  if (first_byte(packet) == packet_header::OK_Packet) status = ok_status(packet);
  if (is_terminator(packet)) status = terminator_status(packet);
  if (status) set_status(static_cast<std::uint16_t>(*status & ~SERVER_MORE_RESULTS_EXISTS));
  if (status) note_warnings(packet);
  return Step::finished;
}

// COM_CHANGE_USER: AuthSwitchRequest (0xFE) and AuthMoreData (0x01) ask the client for more.
ResponseTracker::Step ResponseTracker::on_authentication(const PacketView& packet) {
  const auto header = first_byte(packet);
  if (header == packet_header::ERR_Packet) return on_error();
  if (header == packet_header::AuthSwitchRequest || header == packet_header::AuthMoreData) return Step::more;
  const auto status = header == packet_header::OK_Packet ? ok_status(packet) : std::nullopt;
  if (!status) return fail("expected OK, ERR, AuthSwitchRequest or AuthMoreData after COM_CHANGE_USER");
  set_status(*status);
  return Step::finished;
}

// ERR ends the whole response, further results included; it carries no status flags.
ResponseTracker::Step ResponseTracker::on_error() {
  diagnostics_ = true;
  status_flags_ &= static_cast<std::uint16_t>(~SERVER_MORE_RESULTS_EXISTS);
  if (!(status_flags_ & SERVER_STATUS_AUTOCOMMIT)) transaction_unknown_ = true;
  return Step::finished;
}

// A result ended with these status flags: another result follows if they say so.
ResponseTracker::Step ResponseTracker::end_of_result(std::uint16_t status_flags) {
  set_status(status_flags);
  const bool repeats = head() == ResponseShape::query || head() == ResponseShape::execute;
  if (repeats && (status_flags & SERVER_MORE_RESULTS_EXISTS)) {
    state_ = State::first_packet;
    return Step::more;
  }
  status_flags_ &= static_cast<std::uint16_t>(~SERVER_MORE_RESULTS_EXISTS);
  return Step::finished;
}

void ResponseTracker::set_status(std::uint16_t status_flags) {
  status_flags_ = status_flags;
  transaction_unknown_ = false;
}

ResponseTracker::Step ResponseTracker::fail(std::string why) {
  if (violation_.empty()) violation_ = std::move(why);
  return Step::violation;
}

}  // namespace sluice::mysql
