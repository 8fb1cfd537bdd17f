// ResponseTracker: when a command's response ends, for every response shape, fed byte-exact
// packet sequences (built with the codec's writers) through a PacketScanner whole and byte by
// byte; the status it reports; pipelining, LOCAL INFILE, 16 MiB rows; violations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"

using namespace sluice::mysql;
using namespace sluice::mysql::command;
using namespace sluice::mysql::server_status;
using namespace std::string_literals;
using Progress = ResponseProgress;

namespace {

constexpr std::uint64_t kClassic = capability::CLIENT_PROTOCOL_41 | capability::CLIENT_MULTI_RESULTS;
constexpr std::uint64_t kDeprecateEof = kClassic | capability::CLIENT_DEPRECATE_EOF;
constexpr std::uint16_t kAutocommit = SERVER_STATUS_AUTOCOMMIT;

// A client and a server talking through Sluice: bytes each way go through a PacketScanner,
// every packet to the tracker.
class Conversation {
 public:
  explicit Conversation(std::uint64_t capabilities, std::uint16_t status = kAutocommit)
      : tracker(capabilities, status) {}

  // A command (or file data) from the client; returns on_client_packet's answers.
  std::vector<bool> client(const std::string& bytes) {
    std::vector<bool> started;
    client_scanner_.scan(bytes_of(bytes),
                         [&](const PacketView& view) { started.push_back(tracker.on_client_packet(view)); });
    return started;
  }

  bool command(std::uint8_t code, std::string_view argument = {}) {
    std::string bytes;
    SequenceId sequence;
    write_packet(bytes, sequence, std::string(1, static_cast<char>(code)) + std::string(argument));
    const auto started = client(bytes);
    REQUIRE(started.size() == 1);
    return started[0];
  }

  // Server bytes fed `step` at a time; the progress after each packet.
  std::vector<Progress> server(const std::string& bytes, std::size_t step = SIZE_MAX) {
    std::vector<Progress> progress;
    for (std::size_t offset = 0; offset < bytes.size(); offset += std::min(step, bytes.size() - offset)) {
      const auto chunk = bytes_of(bytes).subspan(offset, std::min(step, bytes.size() - offset));
      const auto result = server_scanner_.scan(chunk, [&](const PacketView& view) {
        progress.push_back(tracker.on_server_packet(view));
      });
      REQUIRE(result.error == PacketScanError::none);
    }
    return progress;
  }

  ResponseTracker tracker;

 private:
  PacketScanner client_scanner_{kDefaultMaxPacketSize};
  PacketScanner server_scanner_{kDefaultMaxPacketSize};
};

// Server packets, written with the codec's writers; sequence ids continue from 1.
class Response {
 public:
  Response& ok(std::uint16_t status, std::uint8_t header = packet_header::OK_Packet, std::string info = {}) {
    OkPacket packet;
    packet.header = header;
    packet.status_flags = status;
    packet.info = std::move(info);
    write_ok_packet(bytes, sequence, packet, capability::CLIENT_SESSION_TRACK);
    return *this;
  }
  Response& err(std::uint16_t code = 1064) {
    write_err_packet(bytes, sequence, ErrPacket{code, "42000", "You have an error in your SQL syntax"});
    return *this;
  }
  Response& eof(std::uint16_t status) {
    write_eof_packet(bytes, sequence, EofPacket{0, status});
    return *this;
  }
  Response& columns(std::uint64_t count) {
    write_column_count(bytes, sequence, count);
    for (std::uint64_t i = 0; i < count; ++i) definition();
    return *this;
  }
  Response& definition() {
    write_column_definition(bytes, sequence, ColumnDefinition{"c"});
    return *this;
  }
  Response& row(std::initializer_list<std::optional<std::string_view>> values) {
    write_text_row(bytes, sequence, std::vector<std::optional<std::string_view>>(values));
    return *this;
  }
  Response& raw(std::string_view payload) {
    write_packet(bytes, sequence, payload);
    return *this;
  }

  std::string bytes;
  SequenceId sequence = [] {
    SequenceId id;
    id.reset(1);
    return id;
  }();
};

// All but the last packet say more; the last says complete. Checked fed whole and byte by byte.
void expect_one_response(std::uint64_t capabilities, std::uint8_t code, const std::string& response,
                         std::uint16_t status_before = kAutocommit) {
  for (const std::size_t step : {SIZE_MAX, std::size_t{1}}) {
    INFO("fed " << (step == 1 ? "byte by byte" : "whole"));
    Conversation conversation(capabilities, status_before);
    CHECK(conversation.command(code));
    CHECK_FALSE(conversation.tracker.response_complete());
    const auto progress = conversation.server(response, step);
    REQUIRE_FALSE(progress.empty());
    for (std::size_t i = 0; i + 1 < progress.size(); ++i) {
      INFO("packet " << i);
      CHECK(progress[i] == Progress::more);
    }
    CHECK(progress.back() == Progress::complete);
    CHECK(conversation.tracker.response_complete());
    CHECK(conversation.tracker.violation().empty());
  }
}

// The tracker after `response` to `code`, fed whole.
ResponseTracker after(std::uint64_t capabilities, std::uint8_t code, const std::string& response,
                      std::uint16_t status_before = kAutocommit) {
  Conversation conversation(capabilities, status_before);
  conversation.command(code);
  conversation.server(response);
  return conversation.tracker;
}

}  // namespace

TEST_CASE("mysql response shapes by command byte", "[mysql]") {
  CHECK(response_shape(COM_QUERY) == ResponseShape::query);
  CHECK(response_shape(COM_STMT_EXECUTE) == ResponseShape::execute);
  CHECK(response_shape(COM_STMT_BULK_EXECUTE) == ResponseShape::execute);
  CHECK(response_shape(COM_STMT_PREPARE) == ResponseShape::prepare);
  CHECK(response_shape(COM_STMT_FETCH) == ResponseShape::fetch);
  CHECK(response_shape(COM_STMT_CLOSE) == ResponseShape::none);
  CHECK(response_shape(COM_STMT_SEND_LONG_DATA) == ResponseShape::none);
  CHECK(response_shape(COM_QUIT) == ResponseShape::none);
  CHECK(response_shape(COM_STATISTICS) == ResponseShape::statistics);
  CHECK(response_shape(COM_FIELD_LIST) == ResponseShape::field_list);
  CHECK(response_shape(COM_CHANGE_USER) == ResponseShape::authentication);
  CHECK(response_shape(COM_BINLOG_DUMP) == ResponseShape::unsupported);
  for (const std::uint8_t one : {COM_PING, COM_INIT_DB, COM_STMT_RESET, COM_RESET_CONNECTION, COM_SET_OPTION,
                                 COM_SLEEP, std::uint8_t{0x77}}) {
    CHECK(response_shape(one) == ResponseShape::one_packet);
  }
  CHECK(command_name(COM_STMT_PREPARE) == "COM_STMT_PREPARE");
  CHECK(command_name(0x77).empty());
}

TEST_CASE("mysql tracker: OK and ERR alone", "[mysql]") {
  for (const std::uint8_t code : {COM_PING, COM_INIT_DB, COM_RESET_CONNECTION, COM_STMT_RESET, COM_QUERY}) {
    INFO(command_name(code));
    expect_one_response(kClassic, code, Response().ok(kAutocommit).bytes);
    expect_one_response(kClassic, code, Response().err().bytes);
  }
  // COM_SET_OPTION answers with an EOF (or, under CLIENT_DEPRECATE_EOF, an OK with 0xFE).
  expect_one_response(kClassic, COM_SET_OPTION, Response().eof(kAutocommit).bytes);
  expect_one_response(kDeprecateEof, COM_SET_OPTION, Response().ok(kAutocommit, packet_header::EOF_Packet).bytes);
}

TEST_CASE("mysql tracker: transaction status from OK, and after ERR", "[mysql]") {
  SECTION("BEGIN then COMMIT") {
    Conversation conversation(kClassic);
    conversation.command(COM_QUERY, "BEGIN");
    CHECK(conversation.server(Response().ok(kAutocommit | SERVER_STATUS_IN_TRANS).bytes) ==
          std::vector{Progress::complete});
    CHECK(conversation.tracker.in_transaction());
    CHECK_FALSE(conversation.tracker.at_rest());
    conversation.command(COM_QUERY, "COMMIT");
    conversation.server(Response().ok(kAutocommit).bytes);
    CHECK_FALSE(conversation.tracker.in_transaction());
    CHECK(conversation.tracker.at_rest());
    CHECK(conversation.tracker.status_flags() == kAutocommit);
  }
  SECTION("an ERR under autocommit leaves no transaction") {
    const auto tracker = after(kClassic, COM_QUERY, Response().err().bytes, kAutocommit);
    CHECK(tracker.at_rest());
  }
  SECTION("an ERR with autocommit off may have begun one") {
    auto tracker = after(kClassic, COM_QUERY, Response().err().bytes, 0);
    CHECK(tracker.in_transaction());
    CHECK_FALSE(tracker.at_rest());
    tracker.backend_at_rest(kAutocommit);
    CHECK(tracker.at_rest());
  }
  SECTION("an ERR inside a transaction keeps it") {
    const auto tracker = after(kClassic, COM_QUERY, Response().err().bytes, kAutocommit | SERVER_STATUS_IN_TRANS);
    CHECK(tracker.in_transaction());
  }
}

TEST_CASE("mysql tracker: text result set with EOF packets", "[mysql]") {
  // A row whose first column is the empty string starts 0x00, one with NULL starts 0xFB: rows.
  const auto response = Response().columns(2).eof(kAutocommit).row({"1", "one"}).row({"", std::nullopt})
                            .row({std::nullopt, ""}).eof(kAutocommit).bytes;
  expect_one_response(kClassic, COM_QUERY, response);
  expect_one_response(kClassic, COM_PROCESS_INFO, response);
  CHECK(after(kClassic, COM_QUERY, response).at_rest());
}

TEST_CASE("mysql tracker: text result set under CLIENT_DEPRECATE_EOF", "[mysql]") {
  // No EOF after the definitions; the end is an OK with header 0xFE, longer than 9 bytes here.
  const auto response = Response().columns(1).row({"a"}).row({"b"})
                            .ok(kAutocommit | SERVER_STATUS_IN_TRANS, packet_header::EOF_Packet, "some info text")
                            .bytes;
  expect_one_response(kDeprecateEof, COM_QUERY, response);
  const auto tracker = after(kDeprecateEof, COM_QUERY, response);
  CHECK(tracker.in_transaction());
  CHECK(tracker.status_flags() == (kAutocommit | SERVER_STATUS_IN_TRANS));
}

TEST_CASE("mysql tracker: multiple results until SERVER_MORE_RESULTS_EXISTS clears", "[mysql]") {
  const std::uint16_t more = kAutocommit | SERVER_MORE_RESULTS_EXISTS;
  SECTION("result set, OK, result set") {
    const auto response = Response().columns(1).eof(more).row({"1"}).eof(more).ok(more)
                              .columns(1).eof(kAutocommit).row({"2"}).eof(kAutocommit).bytes;
    expect_one_response(kClassic, COM_QUERY, response);
    expect_one_response(kClassic, COM_STMT_EXECUTE, response);  // CALL under CLIENT_PS_MULTI_RESULTS
  }
  SECTION("under CLIENT_DEPRECATE_EOF") {
    const auto response = Response().columns(1).row({"1"}).ok(more, packet_header::EOF_Packet).ok(more)
                              .columns(2).ok(kAutocommit, packet_header::EOF_Packet).bytes;
    expect_one_response(kDeprecateEof, COM_QUERY, response);
  }
  SECTION("an ERR ends them all") {
    expect_one_response(kClassic, COM_QUERY, Response().ok(more).ok(more).err().bytes);
    const auto tracker = after(kClassic, COM_QUERY, Response().ok(more).err().bytes);
    CHECK((tracker.status_flags() & SERVER_MORE_RESULTS_EXISTS) == 0);
    CHECK(tracker.at_rest());
  }
  SECTION("an ERR in the middle of the rows") {
    expect_one_response(kClassic, COM_QUERY, Response().columns(1).eof(kAutocommit).row({"1"}).err(1317).bytes);
    expect_one_response(kDeprecateEof, COM_QUERY, Response().columns(1).row({"1"}).err(1317).bytes);
  }
}

TEST_CASE("mysql tracker: binary result sets and cursors (COM_STMT_EXECUTE)", "[mysql]") {
  // Binary rows start with 0x00: not OK packets.
  const std::string binary_row = "\x00\x00\x01\x00\x00\x00"s;
  expect_one_response(kClassic, COM_STMT_EXECUTE,
                      Response().columns(1).eof(kAutocommit).raw(binary_row).raw(binary_row).eof(kAutocommit).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_EXECUTE,
                      Response().columns(1).raw(binary_row).ok(kAutocommit, packet_header::EOF_Packet).bytes);
  expect_one_response(kClassic, COM_STMT_EXECUTE, Response().ok(kAutocommit).bytes);  // an INSERT
  // A cursor: the definitions, then EOF with SERVER_STATUS_CURSOR_EXISTS, and nothing more.
  const std::uint16_t cursor = kAutocommit | SERVER_STATUS_CURSOR_EXISTS;
  expect_one_response(kClassic, COM_STMT_EXECUTE, Response().columns(2).eof(cursor).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_EXECUTE,
                      Response().columns(2).ok(cursor, packet_header::EOF_Packet).bytes);
  // Then COM_STMT_FETCH: rows and an EOF.
  expect_one_response(kClassic, COM_STMT_FETCH,
                      Response().raw(binary_row).eof(cursor | SERVER_STATUS_LAST_ROW_SENT).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_FETCH,
                      Response().raw(binary_row).ok(cursor, packet_header::EOF_Packet).bytes);
  expect_one_response(kClassic, COM_STMT_FETCH, Response().err(1421).bytes);
}

TEST_CASE("mysql tracker: COM_STMT_PREPARE and its definitions", "[mysql]") {
  const auto prepare_ok = [](std::uint16_t columns, std::uint16_t params) {
    Response response;
    write_stmt_prepare_ok(response.bytes, response.sequence, StmtPrepareOk{1, columns, params, 0});
    return response;
  };
  expect_one_response(kClassic, COM_STMT_PREPARE,
                      prepare_ok(1, 2).definition().definition().eof(kAutocommit).definition().eof(kAutocommit).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_PREPARE, prepare_ok(1, 2).definition().definition().definition().bytes);
  expect_one_response(kClassic, COM_STMT_PREPARE, prepare_ok(0, 0).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_PREPARE, prepare_ok(0, 0).bytes);
  expect_one_response(kClassic, COM_STMT_PREPARE, prepare_ok(0, 1).definition().eof(kAutocommit).bytes);
  expect_one_response(kClassic, COM_STMT_PREPARE, prepare_ok(2, 0).definition().definition().eof(kAutocommit).bytes);
  expect_one_response(kDeprecateEof, COM_STMT_PREPARE, prepare_ok(2, 0).definition().definition().bytes);
  expect_one_response(kClassic, COM_STMT_PREPARE, Response().err().bytes);
}

TEST_CASE("mysql tracker: commands without a response", "[mysql]") {
  Conversation conversation(kClassic);
  CHECK_FALSE(conversation.command(COM_STMT_CLOSE, "\x01\x00\x00\x00"));
  CHECK_FALSE(conversation.command(COM_STMT_SEND_LONG_DATA, "\x01\x00\x00\x00\x00\x00data"));
  CHECK(conversation.tracker.response_complete());
  CHECK(conversation.tracker.at_rest());
  // Anything from the server now is out of turn.
  CHECK(conversation.server(Response().ok(kAutocommit).bytes) == std::vector{Progress::violation});
  CHECK(conversation.tracker.violation().find("unsolicited") != std::string::npos);
  CHECK_FALSE(conversation.tracker.at_rest());
}

TEST_CASE("mysql tracker: LOCAL INFILE, as text or as a prepared statement", "[mysql]") {
  // COM_STMT_EXECUTE's argument here stands for a statement id and parameters: only the command
  // byte matters to the tracker.
  const std::uint8_t code = GENERATE(COM_QUERY, COM_STMT_EXECUTE);
  for (const std::size_t step : {SIZE_MAX, std::size_t{1}}) {
    INFO("command " << int{code});
    Conversation conversation(kClassic | capability::CLIENT_LOCAL_FILES);
    CHECK(conversation.command(code, "LOAD DATA LOCAL INFILE '/tmp/f' INTO TABLE t"));
    Response request;
    write_local_infile_request(request.bytes, request.sequence, "/tmp/f");
    CHECK(conversation.server(request.bytes, step) == std::vector{Progress::more});
    CHECK(conversation.tracker.awaiting_client_file());

    // The file: a full packet (its logical payload ends with an empty packet that is not the
    // end of the file), a short one, then the empty packet that ends the file.
    std::string file;
    SequenceId sequence;
    sequence.reset(2);
    write_packet(file, sequence, std::string(kMaxPacketPayload, '\x03'));  // 0x03: looks like COM_QUERY
    write_packet(file, sequence, "1,2\n");
    CHECK(conversation.client(file) == std::vector{false, false, false});
    CHECK(conversation.tracker.awaiting_client_file());
    std::string end;
    write_packet(end, sequence, "");
    CHECK(conversation.client(end) == std::vector{false});
    CHECK_FALSE(conversation.tracker.awaiting_client_file());

    Response result;
    result.sequence.reset(sequence.next());
    result.ok(kAutocommit);
    CHECK(conversation.server(result.bytes, step) == std::vector{Progress::complete});
    CHECK(conversation.tracker.at_rest());
  }
}

TEST_CASE("mysql tracker: LOCAL INFILE out of turn", "[mysql]") {
  Conversation conversation(kClassic);
  conversation.command(COM_QUERY, "LOAD DATA LOCAL INFILE 'f' INTO TABLE t");
  conversation.server(Response().raw("\xfb" "f").bytes);
  // The server may not speak while the client uploads.
  CHECK(conversation.server(Response().ok(kAutocommit).bytes) == std::vector{Progress::violation});
  // A file request answers no other command than a query or an execute.
  CHECK_FALSE(after(kClassic, COM_STMT_PREPARE, Response().raw("\xfb" "f").bytes).violation().empty());
}

TEST_CASE("mysql tracker: COM_STATISTICS, COM_FIELD_LIST, COM_CHANGE_USER", "[mysql]") {
  expect_one_response(kClassic, COM_STATISTICS, Response().raw("Uptime: 5  Threads: 1  Questions: 2").bytes);
  expect_one_response(kClassic, COM_FIELD_LIST, Response().definition().definition().eof(kAutocommit).bytes);
  expect_one_response(kDeprecateEof, COM_FIELD_LIST,
                      Response().definition().ok(kAutocommit, packet_header::EOF_Packet).bytes);
  expect_one_response(kClassic, COM_FIELD_LIST, Response().err(1146).bytes);

  // COM_CHANGE_USER: AuthSwitchRequest (a 0xFE packet longer than an EOF), AuthMoreData, OK.
  Conversation conversation(kDeprecateEof, kAutocommit | SERVER_STATUS_IN_TRANS);
  conversation.command(COM_CHANGE_USER, "bob\0"s);
  Response response;
  write_auth_switch_request(response.bytes, response.sequence,
                            AuthSwitchRequest{"caching_sha2_password", "abcdefghijklmnopqrst\0"s});
  CHECK(conversation.server(response.bytes) == std::vector{Progress::more});
  // The client's answer is auth data, not a command.
  std::string answer;
  SequenceId client_sequence;
  client_sequence.reset(2);
  write_packet(answer, client_sequence, std::string(32, '\x03'));
  CHECK(conversation.client(answer) == std::vector{false});
  CHECK(conversation.tracker.commands_in_flight() == 1);
  Response more;
  more.sequence.reset(3);
  write_auth_more_data(more.bytes, more.sequence, "\x03");
  more.ok(kAutocommit);
  CHECK(conversation.server(more.bytes) == std::vector{Progress::more, Progress::complete});
  CHECK(conversation.tracker.at_rest());
  expect_one_response(kClassic, COM_CHANGE_USER, Response().err(1045).bytes);
}

TEST_CASE("mysql tracker: pipelined commands are answered in order", "[mysql]") {
  Conversation conversation(kDeprecateEof);
  // MariaDB Connector/J sends COM_STMT_PREPARE and COM_STMT_EXECUTE without waiting.
  CHECK(conversation.command(COM_STMT_PREPARE, "SELECT ?"));
  CHECK_FALSE(conversation.command(COM_STMT_EXECUTE, "\xff\xff\xff\xff\x00\x01\x00\x00\x00"s));
  CHECK_FALSE(conversation.command(COM_STMT_CLOSE, "\x01\x00\x00\x00"));
  CHECK(conversation.tracker.commands_in_flight() == 2);
  Response response;
  write_stmt_prepare_ok(response.bytes, response.sequence, StmtPrepareOk{1, 1, 1, 0});
  response.definition().definition();
  auto progress = conversation.server(response.bytes);
  CHECK(progress.back() == Progress::more);
  CHECK(conversation.tracker.commands_in_flight() == 1);
  progress = conversation.server(Response().columns(1).row({"x"}).ok(kAutocommit, packet_header::EOF_Packet).bytes);
  CHECK(progress.back() == Progress::complete);
  CHECK(conversation.tracker.at_rest());
}

TEST_CASE("mysql tracker: a batch pipelined deeper than the inline ring (Connector/J executeBatch)", "[mysql]") {
  Conversation conversation(kDeprecateEof);
  constexpr std::size_t kCommands = 100;
  for (std::size_t i = 0; i < kCommands; ++i) {
    if (i % 2 == 0) {
      conversation.command(COM_QUERY, "SELECT 1");
    } else {
      conversation.command(COM_PING);
    }
  }
  CHECK(conversation.tracker.commands_in_flight() == kCommands);
  for (std::size_t i = 0; i < kCommands; ++i) {
    const auto answer = i % 2 == 0 ? Response().columns(1).row({"1"}).ok(kAutocommit, packet_header::EOF_Packet)
                                   : Response().ok(kAutocommit);
    const auto progress = conversation.server(answer.bytes);
    CHECK(progress.back() == (i + 1 == kCommands ? Progress::complete : Progress::more));
    CHECK(conversation.tracker.commands_in_flight() == kCommands - i - 1);
  }
  CHECK(conversation.tracker.violation().empty());
  CHECK(conversation.tracker.at_rest());
}

TEST_CASE("mysql tracker: MariaDB progress reports are not errors", "[mysql]") {
  // ERR header, code 0xFFFF, then stage, max stage, progress and a stage name.
  const std::string report = "\xff\xff\xff\x01\x01\x02\x10\x27\x00\x05stage"s;
  expect_one_response(kClassic | capability::MARIADB_CLIENT_PROGRESS, COM_QUERY,
                      Response().raw(report).raw(report).ok(kAutocommit).bytes);
  // Without the capability it is an ERR like any other, and the response is over.
  expect_one_response(kClassic, COM_QUERY, Response().raw(report).bytes);
}

TEST_CASE("mysql tracker: a row of 16 MiB and more", "[mysql]") {
  // The first column is 16 MiB long: the row starts 0xFE (an 8-byte length) and its first
  // packet is full; the continuation starts with a byte that looks like an ERR header.
  std::string value(std::size_t{kMaxPacketPayload} + 1, 'v');
  value[kMaxPacketPayload - 9] = '\xff';
  for (const std::uint64_t capabilities : {kClassic, kDeprecateEof}) {
    Response response;
    response.columns(1);
    if (!(capabilities & capability::CLIENT_DEPRECATE_EOF)) response.eof(kAutocommit);
    response.row({value}).row({"small"});
    if (capabilities & capability::CLIENT_DEPRECATE_EOF) {
      response.ok(kAutocommit, packet_header::EOF_Packet);
    } else {
      response.eof(kAutocommit);
    }
    Conversation conversation(capabilities);
    conversation.command(COM_QUERY, "SELECT big");
    const auto progress = conversation.server(response.bytes);
    REQUIRE_FALSE(progress.empty());
    CHECK(std::count(progress.begin(), progress.end(), Progress::more) == static_cast<long>(progress.size() - 1));
    CHECK(progress.back() == Progress::complete);
  }
}

TEST_CASE("mysql tracker: violations", "[mysql]") {
  CHECK(after(kClassic, COM_QUERY, Response().raw("\x01\x00"s).bytes).violation() == "malformed column count");
  CHECK(after(kClassic, COM_QUERY, Response().raw("\xfc\x00\x00"s).bytes).violation() == "column count 0");
  CHECK(after(kClassic, COM_QUERY, Response().columns(1).row({"no EOF"}).bytes).violation().find("expected EOF") !=
        std::string::npos);
  CHECK(after(kClassic, COM_QUERY, Response().raw("\x00\x00"s).bytes).violation() == "malformed OK packet");
  CHECK(after(kClassic, COM_STMT_PREPARE, Response().ok(kAutocommit).bytes).violation() ==
        "expected COM_STMT_PREPARE_OK");
  CHECK(after(kClassic, COM_CHANGE_USER, Response().raw("\x05").bytes).violation().find("COM_CHANGE_USER") !=
        std::string::npos);
  CHECK(after(kClassic, COM_QUERY, Response().raw("").bytes).violation().find("empty") != std::string::npos);

  SECTION("sticky") {
    Conversation conversation(kClassic);
    conversation.command(COM_QUERY);
    conversation.server(Response().raw("\x01\x00"s).bytes);
    CHECK(conversation.server(Response().ok(kAutocommit).bytes) == std::vector{Progress::violation});
    CHECK_FALSE(conversation.command(COM_PING));
    CHECK_FALSE(conversation.tracker.at_rest());
  }
  SECTION("too many pipelined commands") {
    Conversation conversation(kClassic);
    for (std::size_t i = 0; i < ResponseTracker::kMaxPipelined; ++i) conversation.command(COM_PING);
    CHECK(conversation.tracker.violation().empty());
    conversation.command(COM_PING);
    CHECK_FALSE(conversation.tracker.violation().empty());
  }
  SECTION("unsupported commands never end") {
    Conversation conversation(kClassic);
    conversation.command(COM_BINLOG_DUMP);
    CHECK(conversation.server(Response().raw("\x00event").raw("\x00event").bytes) ==
          std::vector{Progress::more, Progress::more});
  }
}

TEST_CASE("mysql tracker: where a result starts (an OK there may carry affected rows)", "[mysql]") {
  Conversation conversation(kClassic);
  CHECK_FALSE(conversation.tracker.awaiting_result_start());  // nothing asked
  conversation.command(COM_QUERY, "UPDATE t SET a = 1; SELECT 1");
  CHECK(conversation.tracker.awaiting_result_start());
  Response response;
  response.ok(kAutocommit | SERVER_MORE_RESULTS_EXISTS, packet_header::OK_Packet, "Rows matched: 1  Changed: 1  Warnings: 0");
  const std::size_t after_ok = response.bytes.size();
  response.columns(1);
  const std::size_t after_columns = response.bytes.size();
  response.eof(kAutocommit).row({"1"});
  const std::size_t after_row = response.bytes.size();
  response.eof(kAutocommit);
  conversation.server(response.bytes.substr(0, after_ok));
  CHECK(conversation.tracker.awaiting_result_start());  // the second statement's result
  conversation.server(response.bytes.substr(after_ok, after_columns - after_ok));
  CHECK_FALSE(conversation.tracker.awaiting_result_start());  // its column EOF comes next
  conversation.server(response.bytes.substr(after_columns, after_row - after_columns));
  CHECK_FALSE(conversation.tracker.awaiting_result_start());  // rows: a row may start with 0x00
  conversation.server(response.bytes.substr(after_row));
  CHECK(conversation.tracker.response_complete());
  CHECK_FALSE(conversation.tracker.awaiting_result_start());
}
