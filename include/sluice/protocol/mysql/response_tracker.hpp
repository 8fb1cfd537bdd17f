#pragma once
// Where a backend stands in the command phase, read from packet boundaries and a few header
// bytes only: the MySQL analogue of pg::UnitOfWork. Sans-I/O: the session feeds it every packet
// it relays, both ways (PacketScanner views, server packets before they go to the client), and
// asks whether the backend may go to another client.
//
// A command's response ends (MySQL docs: "Text Protocol", "Prepared Statements"):
//   - OK_Packet or ERR_Packet alone (COM_PING, COM_INIT_DB, COM_RESET_CONNECTION, ...);
//   - a result set: column count, column definitions, [EOF], rows, then EOF (or an OK_Packet
//     with header 0xFE under CLIENT_DEPRECATE_EOF) or ERR; binary rows for COM_STMT_EXECUTE,
//     whose open cursor ends it after the definitions;
//   - one after another while OK/EOF say SERVER_MORE_RESULTS_EXISTS (multi-statements, CALL);
//   - COM_STMT_PREPARE_OK, then num_params and num_columns definitions, each group [+ EOF];
//   - a LOCAL INFILE request (0xFB), the client's file (packets up to an empty one), then OK/ERR;
//   - COM_STATISTICS: one packet of text; COM_CHANGE_USER: an authentication exchange up to OK/ERR;
//   - nothing at all for COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA and COM_QUIT.
// An ERR_Packet carries no status flags: after one, a transaction is assumed open unless the
// last status said autocommit was on (a failed statement under autocommit=0 may have begun one).
//
// Capabilities in force must exclude capability::kUnsupported (optional and cached result set
// metadata change the packet sequence in ways this tracker does not follow).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"

namespace sluice::mysql {

// What the server sends back for a command, by the command's first byte.
enum class ResponseShape : std::uint8_t {
  none,            // COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA: nothing
  one_packet,      // OK, ERR or EOF (and ERR for commands the server does not know)
  statistics,      // COM_STATISTICS: one packet of plain text
  query,           // COM_QUERY, COM_PROCESS_INFO: OK | ERR | LOCAL INFILE | text result set, repeated
  execute,         // COM_STMT_EXECUTE, COM_STMT_BULK_EXECUTE: OK | ERR | binary result set, repeated
  prepare,         // COM_STMT_PREPARE: COM_STMT_PREPARE_OK and definitions | ERR
  fetch,           // COM_STMT_FETCH: rows, then EOF | ERR
  field_list,      // COM_FIELD_LIST: column definitions, then EOF | ERR
  authentication,  // COM_CHANGE_USER: AuthSwitchRequest/AuthMoreData until OK | ERR
  unsupported,     // replication streams, COM_CLONE, COM_MULTI: a session must not relay them
};

ResponseShape response_shape(std::uint8_t command);

enum class ResponseProgress {
  more,       // the response goes on, or another pipelined command awaits its own
  complete,   // every command sent has been answered in full
  violation,  // the server broke the protocol (violation() says how): do not reuse the backend
};

class ResponseTracker {
 public:
  // Payload bytes read from each packet (PacketView::payload must hold this many, or the whole
  // payload when shorter): an OK packet's header, two int<lenenc> and its status flags.
  static constexpr std::size_t kCaptureNeeded = 1 + 9 + 9 + 2 + 2;  // ... and its warning count
  // Commands a client may send before the first is answered (MariaDB connectors pipeline
  // COM_STMT_PREPARE and COM_STMT_EXECUTE; Connector/J sends a whole executeBatch(), 100 by
  // default, before reading any answer); more is treated as a violation.
  static constexpr std::size_t kMaxPipelined = 65536;
  // Held inline; a client pipelining more borrows a vector for the rest while it does.
  static constexpr std::size_t kInlinePipelined = 16;

  // capabilities: in force between client and backend (CLIENT_DEPRECATE_EOF and
  // MARIADB_CLIENT_PROGRESS matter); status_flags: from the backend's login.
  explicit ResponseTracker(std::uint64_t capabilities,
                           std::uint16_t status_flags = server_status::SERVER_STATUS_AUTOCOMMIT);

  // Every packet the client sends in the command phase: commands, the file after a LOCAL
  // INFILE request, and its auth answers during COM_CHANGE_USER. True when it starts a round
  // trip while none was in flight (the statement clock starts here).
  bool on_client_packet(const PacketView& packet);
  // Every packet the server sends, before the client sees it.
  ResponseProgress on_server_packet(const PacketView& packet);

  // A backend fresh from login, or reset by Sluice: nothing in flight, these status flags.
  void backend_at_rest(std::uint16_t status_flags);

  bool response_complete() const { return in_flight_ == 0; }
  std::size_t commands_in_flight() const { return in_flight_; }
  // LOCAL INFILE: the client owes the file; its packets are data, not commands.
  bool awaiting_client_file() const { return state_ == State::local_infile_upload; }
  // The next server packet answers a COM_STMT_PREPARE: COM_STMT_PREPARE_OK or ERR.
  bool awaiting_prepare_ok() const { return state_ == State::prepare_ok; }
  // The next server packet starts a result (OK, ERR, LOCAL INFILE request or column count) or
  // answers an uploaded file: where an OK packet carries a statement's affected rows.
  bool awaiting_result_start() const {
    return state_ == State::first_packet || state_ == State::local_infile_result;
  }
  // From the last OK or EOF packet.
  std::uint16_t status_flags() const { return status_flags_; }
  // A response since the last call carried warnings or was an error: the server's diagnostics
  // area (SHOW WARNINGS, SHOW ERRORS) may hold this client's messages. MariaDB keeps them until a
  // statement that uses a table clears them, which Sluice cannot tell, so it is sticky until
  // taken.
  bool take_diagnostics() { return std::exchange(diagnostics_, false); }
  // The last non-zero last_insert_id an OK packet carried (LAST_INSERT_ID() for this session).
  std::uint64_t last_insert_id() const { return last_insert_id_; }
  // COM_RESET_CONNECTION and COM_CHANGE_USER start the session over: LAST_INSERT_ID() is 0 again.
  void forget_insert_id() { last_insert_id_ = 0; }
  bool in_transaction() const;
  // Nothing in flight, no transaction, no violation: another client may have the backend.
  bool at_rest() const;
  const std::string& violation() const { return violation_; }

 private:
  enum class State : std::uint8_t {
    idle,                 // nothing in flight
    first_packet,         // a result's first packet: OK, ERR, LOCAL INFILE or a column count
    column_definitions,   // remaining_ column definitions
    columns_eof,          // the EOF after them (without CLIENT_DEPRECATE_EOF)
    rows,                 // rows until EOF (or OK with 0xFE) or ERR
    prepare_ok,           // COM_STMT_PREPARE_OK or ERR
    prepare_params,       // remaining_ parameter definitions
    prepare_params_eof,
    prepare_columns,      // remaining_ column definitions
    prepare_columns_eof,
    local_infile_upload,  // the client sends its file
    local_infile_result,  // OK or ERR for the file
    one_packet,           // any packet ends the response
    authentication,       // COM_CHANGE_USER: until OK or ERR
    streaming,            // an unsupported command: never ends
  };
  enum class Step { more, finished, violation };

  Step dispatch(const PacketView& packet);
  Step on_first_packet(const PacketView& packet);
  Step on_column_count(const PacketView& packet);
  Step on_column_definition(const PacketView& packet);
  Step on_columns_eof(const PacketView& packet);
  Step on_row(const PacketView& packet);
  Step on_prepare_ok(const PacketView& packet);
  Step on_prepare_definition(const PacketView& packet);
  Step on_prepare_eof(const PacketView& packet);
  Step on_local_infile_result(const PacketView& packet);
  Step on_one_packet(const PacketView& packet);
  Step on_authentication(const PacketView& packet);
  Step on_error();
  void note_insert_id(const PacketView& packet);
  void note_warnings(const PacketView& packet);
  Step end_of_result(std::uint16_t status_flags);
  Step next_prepare_group();
  Step fail(std::string why);
  void set_status(std::uint16_t status_flags);

  void on_file_packet(const PacketView& packet);
  bool queue_command(std::uint8_t command);
  void start_head();
  ResponseProgress finish_head();
  bool is_terminator(const PacketView& packet) const;
  bool is_progress_report(const PacketView& packet) const;
  ResponseShape head() const { return queue_[head_]; }

  bool deprecate_eof_;
  bool progress_reports_;
  State state_ = State::idle;
  std::uint32_t remaining_ = 0;        // definitions left in the current group
  std::uint16_t prepare_columns_ = 0;  // COM_STMT_PREPARE_OK's num_columns, for after the parameters
  std::uint16_t status_flags_;
  bool diagnostics_ = false;
  std::uint64_t last_insert_id_ = 0;
  bool transaction_unknown_ = false;  // an ERR came while autocommit was off
  bool finish_pending_ = false;       // the last packet of the response continues in the next one
  std::array<ResponseShape, kInlinePipelined> queue_{};  // a ring, from head_
  std::vector<ResponseShape> overflow_;  // after the ring's commands (only while the ring is full)
  std::size_t overflow_head_ = 0;        // overflow_'s first command not yet moved into the ring
  std::size_t head_ = 0;       // the command being answered
  std::size_t in_flight_ = 0;  // commands sent and not yet answered in full
  std::string violation_;
};

static_assert(kPacketCaptureLimit >= ResponseTracker::kCaptureNeeded);

}  // namespace sluice::mysql
