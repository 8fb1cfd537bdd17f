// Writers round-trip through the scanner and the readers; readers reject bad layouts.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/reason_codes.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/sqlstate.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

// One framed message, with its full body (not the scanner's capped view).
struct Framed {
  char type;
  std::string body;
  std::span<const std::uint8_t> bytes() const { return bytes_of(body); }
};

// Frames `out`, which must hold exactly one complete message.
Framed only_message(const std::string& out) {
  MessageScanner scanner(std::uint64_t{1} << 30);
  std::vector<Framed> messages;
  std::size_t start = 0;
  const auto result = scanner.scan(bytes_of(out), [&](const MessageView& view) {
    REQUIRE(view.length == view.end - start - 1);
    messages.push_back({view.type, out.substr(start + kHeaderLength, view.length - 4)});
    start = view.end;
  });
  REQUIRE(result.error == ScanError::none);
  REQUIRE(scanner.at_boundary());
  REQUIRE(messages.size() == 1);
  return messages[0];
}

template <class Writer>
Framed written(Writer&& write) {
  std::string out = "prefix";  // writers append; they must not touch what is there
  write(out);
  REQUIRE(out.substr(0, 6) == "prefix");
  return only_message(out.substr(6));
}

}  // namespace

TEST_CASE("Authentication requests round-trip", "[pg][codec]") {
  auto ok = written([](std::string& out) { write_authentication_ok(out); });
  CHECK(ok.type == backend::Authentication);
  CHECK(read_authentication(ok.bytes())->code == auth_code::Ok);
  CHECK(read_authentication(ok.bytes())->data.empty());

  auto cleartext = written([](std::string& out) { write_authentication_cleartext_password(out); });
  CHECK(read_authentication(cleartext.bytes())->code == auth_code::CleartextPassword);

  const std::array<std::uint8_t, 4> salt = {0x01, 0x00, 0xfe, 0x7f};
  auto md5 = written([&](std::string& out) { write_authentication_md5_password(out, salt); });
  auto md5_request = read_authentication(md5.bytes());
  REQUIRE(md5_request);
  CHECK(md5_request->code == auth_code::MD5Password);
  CHECK(std::vector<std::uint8_t>(md5_request->data.begin(), md5_request->data.end()) ==
        std::vector<std::uint8_t>(salt.begin(), salt.end()));

  const std::array<std::string_view, 2> mechanisms = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  auto sasl = written([&](std::string& out) { write_authentication_sasl(out, mechanisms); });
  auto sasl_request = read_authentication(sasl.bytes());
  REQUIRE(sasl_request);
  CHECK(sasl_request->code == auth_code::SASL);
  CHECK(read_sasl_mechanisms(sasl_request->data) ==
        std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});

  auto sasl_continue = written([](std::string& out) { write_authentication_sasl_continue(out, "r=abc,s=xyz,i=4096"); });
  CHECK(read_authentication(sasl_continue.bytes())->code == auth_code::SASLContinue);
  CHECK(as_string_view(read_authentication(sasl_continue.bytes())->data) == "r=abc,s=xyz,i=4096");

  auto sasl_final = written([](std::string& out) { write_authentication_sasl_final(out, "v=signature"); });
  CHECK(read_authentication(sasl_final.bytes())->code == auth_code::SASLFinal);
  CHECK(as_string_view(read_authentication(sasl_final.bytes())->data) == "v=signature");
}

TEST_CASE("Authentication readers reject bad layouts", "[pg][codec]") {
  CHECK_FALSE(read_authentication(bytes_of("\0\0\0"s)));
  CHECK_FALSE(read_authentication(bytes_of("\0\0\0\0x"s)));          // Ok with data
  CHECK_FALSE(read_authentication(bytes_of("\0\0\0\x05" "abc"s)));   // md5 salt of 3
  CHECK_FALSE(read_authentication(bytes_of("\0\0\0\x05" "abcde"s))); // md5 salt of 5
  auto gss = read_authentication(bytes_of("\0\0\0\x07"s));
  REQUIRE(gss);  // the caller refuses codes it does not support
  CHECK(gss->code == auth_code::GSS);

  CHECK(read_sasl_mechanisms(bytes_of("SCRAM-SHA-256\0"s)).empty());            // no list end
  CHECK(read_sasl_mechanisms(bytes_of("SCRAM-SHA-256"s)).empty());              // no NUL
  CHECK(read_sasl_mechanisms(bytes_of("SCRAM-SHA-256\0\0junk"s)).empty());      // trailing bytes
  CHECK(read_sasl_mechanisms(bytes_of("\0"s)).empty());
  std::string many;
  for (std::size_t i = 0; i <= kMaxSaslMechanisms; ++i) many += "M\0"s;
  CHECK(read_sasl_mechanisms(bytes_of(many + '\0')).empty());
  many.resize(many.size() - 2);
  CHECK(read_sasl_mechanisms(bytes_of(many + '\0')).size() == kMaxSaslMechanisms);
}

TEST_CASE("ParameterStatus and BackendKeyData round-trip", "[pg][codec]") {
  auto status = written([](std::string& out) { write_parameter_status(out, "server_version", "16.2"); });
  CHECK(status.type == backend::ParameterStatus);
  auto parameter = read_parameter_status(status.bytes());
  REQUIRE(parameter);
  CHECK(parameter->name == "server_version");
  CHECK(parameter->value == "16.2");
  CHECK_FALSE(read_parameter_status(bytes_of("name\0value"s)));
  CHECK_FALSE(read_parameter_status(bytes_of("name\0value\0x"s)));
  CHECK_FALSE(read_parameter_status(bytes_of("name"s)));

  auto key = written([](std::string& out) { write_backend_key_data(out, 0x01020304, 0xfffffffe); });
  CHECK(key.type == backend::BackendKeyData);
  CHECK(key.body.size() == 8);
  auto key_data = read_backend_key_data(key.bytes());
  REQUIRE(key_data);
  CHECK(key_data->process_id == 0x01020304);
  CHECK(key_data->secret_key == 0xfffffffe);
  CHECK_FALSE(read_backend_key_data(bytes_of("1234567"s)));
  CHECK_FALSE(read_backend_key_data(bytes_of("123456789"s)));
}

TEST_CASE("ReadyForQuery round-trips each status and rejects others", "[pg][codec]") {
  for (char status : {transaction_status::Idle, transaction_status::InTransaction, transaction_status::Failed}) {
    auto message = written([&](std::string& out) { write_ready_for_query(out, status); });
    CHECK(message.type == backend::ReadyForQuery);
    CHECK(read_ready_for_query(message.bytes()) == status);
  }
  CHECK_FALSE(read_ready_for_query(bytes_of("X"s)));
  CHECK_FALSE(read_ready_for_query(bytes_of(""s)));
  CHECK_FALSE(read_ready_for_query(bytes_of("II"s)));
}

TEST_CASE("ErrorResponse and NoticeResponse round-trip", "[pg][codec]") {
  auto error = written([](std::string& out) {
    write_error_response(out, "FATAL", sqlstate::too_many_connections, "no more connections allowed",
                         "max_client_conn");
  });
  CHECK(error.type == backend::ErrorResponse);
  auto fields = read_error_fields(error.bytes());
  REQUIRE(fields);
  CHECK(fields->severity == "FATAL");
  CHECK(fields->sqlstate == "53300");
  CHECK(fields->message == "no more connections allowed");
  CHECK(fields->detail == "max_client_conn");

  auto no_detail = written([](std::string& out) { write_error_response(out, "ERROR", "08P01", "bad"); });
  CHECK(no_detail.body.find('D') == std::string::npos);
  CHECK(read_error_fields(no_detail.bytes())->detail.empty());

  auto notice = written([](std::string& out) { write_notice_response(out, "00000", "hello"); });
  CHECK(notice.type == backend::NoticeResponse);
  CHECK(read_error_fields(notice.bytes())->severity == "NOTICE");
  CHECK(read_error_fields(notice.bytes())->message == "hello");
}

TEST_CASE("read_error_fields: localized severity, unknown fields, bad layouts", "[pg][codec]") {
  // A server with lc_messages=de: S is localized, V is not; H (hint) is skipped.
  auto fields = read_error_fields(bytes_of("SFEHLER\0VERROR\0C42P01\0Mnope\0Hhint\0\0"s));
  REQUIRE(fields);
  CHECK(fields->severity == "ERROR");
  CHECK(fields->sqlstate == "42P01");
  CHECK(read_error_fields(bytes_of("SERROR\0\0"s))->severity == "ERROR");  // pre-9.6 servers
  CHECK(read_error_fields(bytes_of("\0"s)));
  CHECK_FALSE(read_error_fields(bytes_of(""s)));
  CHECK_FALSE(read_error_fields(bytes_of("SERROR\0"s)));         // no terminator
  CHECK_FALSE(read_error_fields(bytes_of("SERROR"s)));           // field without NUL
  CHECK_FALSE(read_error_fields(bytes_of("SERROR\0\0extra"s)));  // bytes after the end
}

TEST_CASE("frontend auth messages round-trip", "[pg][codec]") {
  auto password = written([](std::string& out) { write_password_message(out, "md5a1b2c3"); });
  CHECK(password.type == frontend::PasswordMessage);
  CHECK(read_password_message(password.bytes()) == "md5a1b2c3");
  CHECK_FALSE(read_password_message(bytes_of("secret"s)));
  CHECK_FALSE(read_password_message(bytes_of("secret\0x"s)));

  auto initial = written([](std::string& out) { write_sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=nonce"); });
  auto sasl = read_sasl_initial_response(initial.bytes());
  REQUIRE(sasl);
  CHECK(sasl->mechanism == "SCRAM-SHA-256");
  CHECK(sasl->data == "n,,n=,r=nonce");

  auto empty = written([](std::string& out) { write_sasl_initial_response(out, "SCRAM-SHA-256", ""); });
  CHECK(read_sasl_initial_response(empty.bytes())->data.empty());
  auto minus_one = read_sasl_initial_response(bytes_of("M\0\xff\xff\xff\xff"s));
  REQUIRE(minus_one);
  CHECK(minus_one->data.empty());

  auto response = written([](std::string& out) { write_sasl_response(out, "c=biws,r=nonce,p=proof"); });
  CHECK(read_sasl_response(response.bytes()) == "c=biws,r=nonce,p=proof");
}

TEST_CASE("read_sasl_initial_response never trusts the data length", "[pg][codec]") {
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\0\0\0\x05" "abcd"s)));     // claims 5, has 4
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\0\0\0\x03" "abcd"s)));     // claims 3, has 4
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\x7f\xff\xff\xff" "ab"s)));  // claims 2 GB
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\xff\xff\xff\xfe"s)));       // -2
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\xff\xff\xff\xff" "x"s)));  // -1 then data
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M\0\0\0"s)));                  // short length
  CHECK_FALSE(read_sasl_initial_response(bytes_of("M"s)));
}

TEST_CASE("Query, Sync, Terminate and simple backend messages", "[pg][codec]") {
  auto query = written([](std::string& out) { write_query(out, "SELECT 1"); });
  CHECK(query.type == frontend::Query);
  CHECK(read_query(query.bytes()) == "SELECT 1");
  CHECK_FALSE(read_query(bytes_of("SELECT 1"s)));
  CHECK_FALSE(read_query(bytes_of("SELECT 1\0;"s)));

  std::string out;
  write_sync(out);
  write_terminate(out);
  write_empty_query_response(out);
  CHECK(out == "S\0\0\0\x04X\0\0\0\x04I\0\0\0\x04"s);

  auto complete = written([](std::string& out) { write_command_complete(out, "SELECT 3"); });
  CHECK(complete.type == backend::CommandComplete);
  CHECK(complete.body == "SELECT 3\0"s);

  std::string refusal;
  write_ssl_refusal(refusal);
  CHECK(refusal == "N");
}

TEST_CASE("C string fields are cut at an embedded NUL", "[pg][codec]") {
  auto query = written([](std::string& out) { write_query(out, "SELECT 1\0; DROP TABLE t"s); });
  CHECK(read_query(query.bytes()) == "SELECT 1");
  auto error = written([](std::string& out) {
    write_error_response(out, "ERROR", "3D000", "database \"a\0b\" does not exist"s);
  });
  CHECK(read_error_fields(error.bytes())->message == "database \"a");
  const std::array<std::string_view, 3> mechanisms = {"", "\0x"sv, "SCRAM-SHA-256"};
  auto sasl = written([&](std::string& out) { write_authentication_sasl(out, mechanisms); });
  CHECK(read_sasl_mechanisms(read_authentication(sasl.bytes())->data) ==
        std::vector<std::string>{"SCRAM-SHA-256"});
}

TEST_CASE("RowDescription and DataRow", "[pg][codec]") {
  const std::array<ColumnDescription, 3> columns = {ColumnDescription{"database"},
                                                     ColumnDescription{"cl_active", kInt4TypeOid, 4},
                                                     ColumnDescription{"avg_recv", kNumericTypeOid, -1}};
  auto description = written([&](std::string& out) { write_row_description(out, columns); });
  CHECK(description.type == backend::RowDescription);
  WireReader reader(description.bytes());
  CHECK(reader.read_u16() == 3);
  const std::array<std::pair<std::uint32_t, std::uint16_t>, 3> types = {
      std::pair<std::uint32_t, std::uint16_t>{25u, 0xffffu}, {23u, 4u}, {1700u, 0xffffu}};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    CHECK(reader.read_cstring() == columns[i].name);
    CHECK(reader.read_u32() == 0u);                // table oid
    CHECK(reader.read_u16() == 0u);                // attribute number
    CHECK(reader.read_u32() == types[i].first);    // type oid
    CHECK(reader.read_u16() == types[i].second);   // typlen
    CHECK(reader.read_i32() == -1);                // typmod
    CHECK(reader.read_u16() == 0u);                // text format
  }
  CHECK(reader.at_end());

  const std::array<std::optional<std::string_view>, 3> values = {"shop", std::nullopt, ""};
  auto row = written([&](std::string& out) { write_data_row(out, values); });
  CHECK(row.type == backend::DataRow);
  CHECK(row.body == "\0\x03\0\0\0\x04shop\xff\xff\xff\xff\0\0\0\0"s);
}

TEST_CASE("NegotiateProtocolVersion", "[pg][codec]") {
  const std::array<std::string_view, 2> options = {"_pq_.a", "_pq_.b"};
  auto negotiate = written([&](std::string& out) { write_negotiate_protocol_version(out, 0, options); });
  CHECK(negotiate.type == backend::NegotiateProtocolVersion);
  CHECK(negotiate.body == "\0\0\0\0\0\0\0\x02_pq_.a\0_pq_.b\0"s);
}

TEST_CASE("startup-phase packets round-trip through parse_startup", "[pg][codec]") {
  const std::vector<std::pair<std::string, std::string>> parameters = {
      {"user", "app"}, {"database", "shop"}, {"", "skipped"}, {"client_encoding", "UTF8"}};
  std::string startup;
  write_startup_message(startup, parameters);
  auto parsed = parse_startup(bytes_of(startup));
  REQUIRE(parsed.status == ParseStatus::complete);
  CHECK(parsed.consumed == startup.size());
  CHECK(parsed.packet.protocol_version == kProtocolVersion3);
  CHECK(parsed.packet.parameters ==
        std::vector<std::pair<std::string, std::string>>{{"user", "app"}, {"database", "shop"}, {"client_encoding", "UTF8"}});

  std::string cancel;
  write_cancel_request(cancel, 1, 2);
  CHECK(cancel == "\0\0\0\x10\x04\xd2\x16\x2e\0\0\0\x01\0\0\0\x02"s);
}

TEST_CASE("string fields round-trip at length boundaries", "[pg][codec]") {
  for (std::size_t size : {0, 1, 127, 128, 255, 256, 1019, 1020, 1023, 1024, 1025, 65535, 65536, 1 << 20}) {
    INFO("size " << size);
    std::string text(size, 'q');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
    auto query = written([&](std::string& out) { write_query(out, text); });
    CHECK(query.body.size() == size + 1);
    CHECK(read_query(query.bytes()) == text);
    auto status = written([&](std::string& out) { write_parameter_status(out, "p", text); });
    CHECK(read_parameter_status(status.bytes())->value == text);
    auto sasl = written([&](std::string& out) { write_sasl_initial_response(out, "SCRAM-SHA-256", text); });
    CHECK(read_sasl_initial_response(sasl.bytes())->data == text);
  }
}

TEST_CASE("protocol-doc names of message types", "[pg][codec]") {
  CHECK(frontend_message_name('Q') == "Query");
  CHECK(frontend_message_name('p') == "PasswordMessage");
  CHECK(backend_message_name('Z') == "ReadyForQuery");
  CHECK(backend_message_name('D') == "DataRow");
  CHECK(frontend_message_name('D') == "Describe");
  CHECK(backend_message_name('\xff').empty());
  CHECK(frontend_message_name('Z').empty());
}

TEST_CASE("a Failure's SQLSTATE: its own, else by reason, else XX000", "[pg][errors]") {
  using sluice::Failure;
  CHECK(sluice::pg::sqlstate_for(Failure{"query_wait_timeout", "", "query_wait_timeout"}) == "57014");
  CHECK(sluice::pg::sqlstate_for(Failure{"database_removed", "", "no such database: app"}) == "3D000");
  CHECK(sluice::pg::sqlstate_for(Failure{"server_lost", "", "server connection lost"}) == "08006");
  CHECK(sluice::pg::sqlstate_for(Failure{"client_idle_timeout", "", "idle"}) == "57P05");
  CHECK(sluice::pg::sqlstate_for(Failure{"prepared_statement", "42P05", "exists"}) == "42P05");
  CHECK(sluice::pg::sqlstate_for(Failure{"something_new", "", "?"}) == "XX000");
}
