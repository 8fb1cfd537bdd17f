// Generic response packets byte for byte (OK with and without session tracking, ERR, EOF,
// COM_STMT_PREPARE_OK, result set packets), and the Failure -> ERR table.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/responses.hpp"

using namespace sluice;
using namespace sluice::mysql;
using namespace std::string_literals;

namespace {

using server_status::SERVER_MORE_RESULTS_EXISTS;
using server_status::SERVER_SESSION_STATE_CHANGED;
using server_status::SERVER_STATUS_AUTOCOMMIT;
using server_status::SERVER_STATUS_IN_TRANS;

std::string payload_of(const std::string& bytes, std::uint8_t sequence_id) {
  REQUIRE(bytes.size() >= kPacketHeaderLength);
  REQUIRE(load_le24(bytes_of(bytes).data()) == bytes.size() - kPacketHeaderLength);
  REQUIRE(static_cast<std::uint8_t>(bytes[3]) == sequence_id);
  return bytes.substr(kPacketHeaderLength);
}

template <class Write>
std::string written(Write write) {
  std::string out;
  SequenceId sequence;
  sequence.reset(1);
  write(out, sequence);
  return payload_of(out, 1);
}

}  // namespace

TEST_CASE("mysql OK_Packet without session tracking", "[mysql]") {
  OkPacket ok;
  ok.affected_rows = 251;
  ok.last_insert_id = 7;
  ok.status_flags = SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS;
  ok.warnings = 2;
  ok.info = "Rows matched: 1";
  const std::string payload = written([&](auto& out, auto& sequence) { write_ok_packet(out, sequence, ok, 0); });
  CHECK(payload == "\x00\xfc\xfb\x00\x07\x03\x00\x02\x00Rows matched: 1"s);
  auto parsed = read_ok_packet(bytes_of(payload), 0);
  REQUIRE(parsed);
  CHECK(*parsed == ok);
  CHECK(ok_packet_status(bytes_of(payload)) == ok.status_flags);
  CHECK(read_ok_packet(bytes_of("\x00\x00\x00\x02\x00\x00\x00"s), 0)->status_flags == SERVER_STATUS_AUTOCOMMIT);
}

TEST_CASE("mysql OK_Packet with CLIENT_SESSION_TRACK", "[mysql]") {
  const std::uint64_t tracking = capability::CLIENT_SESSION_TRACK;
  SECTION("no info: the servers leave it out") {
    auto parsed = read_ok_packet(bytes_of("\x00\x00\x00\x02\x00\x00\x00"s), tracking);
    REQUIRE(parsed);
    CHECK(parsed->info.empty());
    const std::string payload =
        written([&](auto& out, auto& sequence) { write_ok_packet(out, sequence, *parsed, tracking); });
    CHECK(payload == "\x00\x00\x00\x02\x00\x00\x00"s);
  }
  SECTION("info and session state changes") {
    OkPacket ok;
    ok.header = packet_header::EOF_Packet;  // ends a result set under CLIENT_DEPRECATE_EOF
    ok.status_flags = SERVER_STATUS_AUTOCOMMIT | SERVER_SESSION_STATE_CHANGED;
    ok.info = "info";
    ok.session_state_info = "\x01\x05\x04shop"s;  // SESSION_TRACK_SCHEMA "shop"
    const std::string payload =
        written([&](auto& out, auto& sequence) { write_ok_packet(out, sequence, ok, tracking); });
    CHECK(payload == "\xfe\x00\x00\x02\x40\x00\x00\x04info\x07\x01\x05\x04shop"s);
    auto parsed = read_ok_packet(bytes_of(payload), tracking);
    REQUIRE(parsed);
    CHECK(*parsed == ok);
    CHECK(ok_packet_status(bytes_of(payload)) == ok.status_flags);
  }
  SECTION("truncated info or state") {
    CHECK_FALSE(read_ok_packet(bytes_of("\x00\x00\x00\x02\x00\x00\x00\x05inf"s), tracking));
    CHECK_FALSE(read_ok_packet(bytes_of("\x00\x00\x00\x02\x40\x00\x00\x00\x07\x01"s), tracking));
  }
}

TEST_CASE("mysql OK_Packet reader refuses garbage", "[mysql]") {
  CHECK_FALSE(read_ok_packet({}, 0));
  CHECK_FALSE(read_ok_packet(bytes_of("\x01\x00\x00\x02\x00\x00\x00"s), 0));
  CHECK_FALSE(read_ok_packet(bytes_of("\x00\x00\x00\x02\x00\x00"s), 0));  // 6 bytes
  CHECK_FALSE(read_ok_packet(bytes_of("\x00\xfe\x01\x02"s), 0));         // int<8> cut short
  CHECK_FALSE(read_ok_packet(bytes_of("\x00\xfb\x00\x02\x00\x00\x00"s), 0));  // NULL is no integer
  const std::string full = "\x00\xfd\x01\x02\x03\xfc\x01\x02\x02\x00\x01\x00"s;
  for (std::size_t length = 0; length < full.size(); ++length) {
    INFO("truncated to " << length);
    CHECK_FALSE(read_ok_packet(bytes_of(full).first(length), 0));
    CHECK(ok_packet_status(bytes_of(full).first(length)).has_value() == (length >= 10));
  }
}

TEST_CASE("mysql ERR_Packet", "[mysql]") {
  const ErrPacket error{1045, "28000", "Access denied for user 'u'@'h' (using password: YES)"};
  const std::string payload = written([&](auto& out, auto& sequence) { write_err_packet(out, sequence, error); });
  CHECK(payload == "\xff\x15\x04#28000Access denied for user 'u'@'h' (using password: YES)"s);
  auto parsed = read_err_packet(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == error);

  // Before the client's capabilities are known: no marker, no SQLSTATE.
  const ErrPacket early{1040, "", "Too many connections"};
  const std::string bare = written([&](auto& out, auto& sequence) { write_err_packet(out, sequence, early, false); });
  CHECK(bare == "\xff\x10\x04Too many connections"s);
  CHECK(*read_err_packet(bytes_of(bare)) == early);
  // A SQLSTATE that is not 5 characters goes out as HY000.
  const std::string fixed =
      written([&](auto& out, auto& sequence) { write_err_packet(out, sequence, ErrPacket{1105, "bad", "x"}); });
  CHECK(fixed == "\xff\x51\x04#HY000x"s);

  CHECK_FALSE(read_err_packet({}));
  CHECK_FALSE(read_err_packet(bytes_of("\xff\x15"s)));
  CHECK_FALSE(read_err_packet(bytes_of("\x00\x15\x04"s)));
  auto marker_only = read_err_packet(bytes_of("\xff\x15\x04#2800"s));  // too short for a SQLSTATE
  REQUIRE(marker_only);
  CHECK(marker_only->sql_state.empty());
  CHECK(marker_only->error_message == "#2800");
}

TEST_CASE("mysql EOF_Packet and COM_STMT_PREPARE_OK", "[mysql]") {
  const std::string eof = written([](auto& out, auto& sequence) {
    write_eof_packet(out, sequence, EofPacket{1, SERVER_STATUS_AUTOCOMMIT | SERVER_MORE_RESULTS_EXISTS});
  });
  CHECK(eof == "\xfe\x01\x00\x0a\x00"s);
  CHECK(*read_eof_packet(bytes_of(eof)) == EofPacket{1, SERVER_STATUS_AUTOCOMMIT | SERVER_MORE_RESULTS_EXISTS});
  CHECK(eof_packet_status(bytes_of(eof)) == (SERVER_STATUS_AUTOCOMMIT | SERVER_MORE_RESULTS_EXISTS));
  CHECK_FALSE(read_eof_packet(bytes_of("\xfe\x01\x00\x0a"s)));
  CHECK_FALSE(read_eof_packet(bytes_of("\xfe\x01\x00\x0a\x00\x00"s)));
  CHECK_FALSE(eof_packet_status(bytes_of("\xfe\x01\x00\x0a"s)));

  const StmtPrepareOk prepared{0x01020304, 2, 3, 1};
  const std::string payload =
      written([&](auto& out, auto& sequence) { write_stmt_prepare_ok(out, sequence, prepared); });
  CHECK(payload == "\x00\x04\x03\x02\x01\x02\x00\x03\x00\x00\x01\x00"s);
  CHECK(*read_stmt_prepare_ok(bytes_of(payload)) == prepared);
  CHECK_FALSE(read_stmt_prepare_ok(bytes_of(payload.substr(0, 9))));
  CHECK_FALSE(read_stmt_prepare_ok(bytes_of("\xff\x04\x03\x02\x01\x02\x00\x03\x00\x00"s)));
}

TEST_CASE("mysql result set packets Sluice writes", "[mysql]") {
  CHECK(written([](auto& out, auto& sequence) { write_column_count(out, sequence, 2); }) == "\x02");
  const std::string column = written(
      [](auto& out, auto& sequence) { write_column_definition(out, sequence, ColumnDefinition{"name"}); });
  CHECK(column == "\x03" "def\x00\x00\x00\x04name\x04name\x0c\x2d\x00\x00\x04\x00\x00\xfd\x00\x00\x00\x00\x00"s);
  const std::optional<std::string_view> values[] = {"1", std::nullopt, ""};
  CHECK(written([&](auto& out, auto& sequence) { write_text_row(out, sequence, values); }) == "\x01" "1\xfb\x00"s);
  CHECK(written([](auto& out, auto& sequence) { write_local_infile_request(out, sequence, "/tmp/f"); }) ==
        "\xfb/tmp/f");
}

TEST_CASE("mysql errors: Sluice's reasons as MySQL clients see them", "[mysql]") {
  struct Case {
    Failure failure;
    std::uint16_t code;
    std::string sql_state;
    std::string message;
  };
  const ErrorContext context{"alice", "10.0.0.5", "shop", true};
  const Case cases[] = {
      {{"auth_failed", "28P01", "password authentication failed for user \"alice\""}, 1045, "28000",
       "Access denied for user 'alice'@'10.0.0.5' (using password: YES)"},
      {{"unknown_database", "3D000", "no such database: shop"}, 1049, "42000", "Unknown database 'shop'"},
      {{"max_client_connections", "53300", "too many connections"}, 1040, "08004",
       "Too many connections: max_client_connections reached"},
      {{"max_client_connections (user alice)", "53300", "too many connections"}, 1040, "08004",
       "Too many connections: max_client_connections (user alice) reached"},
      {{"query_wait_timeout", "57014", "query_wait_timeout"}, 9001, "HY000", "query_wait_timeout"},
      {{"statement_timeout", "57014", "canceling statement due to statement timeout"}, 3024, "HY000",
       "Query execution was interrupted, maximum statement execution time exceeded"},
      {{"idle_transaction_timeout", "25P03", "idle transaction timeout"}, 4031, "HY000", "idle transaction timeout"},
      {{"server_lost", "08006", "server connection lost"}, 2013, "HY000", "Lost connection to server during query"},
      {{"server_connect_failed", "08001", "could not connect to server: refused"}, 2003, "HY000",
       "Can't connect to server (could not connect to server: refused)"},
      {{"server_login_failed", "08001", "server login failed: bad password"}, 2003, "HY000",
       "Can't connect to server (server login failed: bad password)"},
      {{"shutdown", "57P01", "sluice is shutting down"}, 1053, "08S01", "Server shutdown in progress"},
      {mysql::protocol_violation("malformed HandshakeResponse41: truncated"), 1047, "08S01",
       "protocol violation: malformed HandshakeResponse41: truncated"},
      {{"session_state", "0A000", "not supported in transaction pool mode: GET_LOCK"}, 1235, "42000",
       "not supported in transaction pool mode: GET_LOCK"},
      // No entry for the reason: by SQLSTATE, then 1105.
      {{"server_reset_query", "08006", "server connection reset failed: x"}, 2013, "HY000",
       "server connection reset failed: x"},
      {{"admin_kill", "", "killed by admin"}, 1927, "70100", "Connection was killed (killed by admin)"},
      {{"something_new", "XX000", "internal"}, 1105, "HY000", "internal"},
  };
  for (const auto& [failure, code, sql_state, message] : cases) {
    INFO(failure.reason);
    const ErrPacket error = error_for(failure, context);
    CHECK(error.error_code == code);
    CHECK(error.sql_state == sql_state);
    CHECK(error.error_message == message);
  }
  // Without a database in the context, the name comes from the core's message.
  CHECK(error_for(Failure{"unknown_database", "3D000", "no such database: other"}).error_message ==
        "Unknown database 'other'");
  // No database at all (and no default_database): what would work is said.
  const ErrPacket none = error_for(Failure{"unknown_database", "3D000", "no such database: "});
  CHECK(none.error_code == 1049);
  CHECK_THAT(none.error_message, Catch::StartsWith("Unknown database '': connect with a database name") &&
                                     Catch::Contains("default_database"));
  CHECK(error_for(Failure{"auth_failed", "28P01", ""}, ErrorContext{"bob", "h", "", false}).error_message ==
        "Access denied for user 'bob'@'h' (using password: NO)");
}

TEST_CASE("mysql errors: a client whose library refuses client codes gets 1105 with the same message", "[mysql]") {
  ErrorContext connector_c{"alice", "10.0.0.5", "shop", true, true};
  const Failure unreachable{"server_connect_failed", "08001", "could not connect to server: refused"};
  const ErrPacket error = error_for(unreachable, connector_c);
  CHECK(error.error_code == 1105);
  CHECK(error.sql_state == "HY000");
  CHECK(error.error_message == "Can't connect to server (could not connect to server: refused)");
  // Codes a server may send are left as they are.
  CHECK(error_for(Failure{"query_wait_timeout", "57014", "query_wait_timeout"}, connector_c).error_code == 9001);
  CHECK(error_for(Failure{"shutdown", "57P01", "x"}, connector_c).error_code == 1053);
  // Which libraries: MariaDB Connector/C, by the name it gives itself at login.
  HandshakeResponse41 response;
  CHECK_FALSE(rejects_client_error_codes(response));
  response.connect_attributes.emplace();
  response.connect_attributes->emplace_back("_client_name", "libmysql");
  CHECK_FALSE(rejects_client_error_codes(response));
  response.connect_attributes->front().second = "libmariadb";
  CHECK(rejects_client_error_codes(response));
  CHECK(connect_attribute(response, "_client_name") == "libmariadb");
  CHECK(connect_attribute(response, "program_name").empty());
}
