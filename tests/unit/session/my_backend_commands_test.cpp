// run_backend_commands against a scripted server on loopback: pipelined commands, an ERR among
// them, a result set (server_check_query), status flags, and a reply that breaks the protocol.
#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/session/mysql/my_server.hpp"

using namespace sluice;
using namespace sluice::session;
namespace status = mysql::server_status;

namespace {

mysql::OkPacket ok(std::uint16_t flags) {
  mysql::OkPacket packet;
  packet.status_flags = flags;
  return packet;
}

// The replies a scripted server sends, each exchange numbered from 1 (the command took 0).
std::string ok_reply(std::uint16_t flags) {
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(1);
  mysql::write_ok_packet(out, sequence, ok(flags), kBackendCapabilities);
  return out;
}

std::string err_reply(std::uint16_t code, std::string message) {
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(1);
  mysql::write_err_packet(out, sequence, mysql::ErrPacket{code, "42000", std::move(message)});
  return out;
}

std::string one_row_reply(std::string_view value, std::uint16_t flags) {
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(1);
  mysql::write_column_count(out, sequence, 1);
  mysql::write_column_definition(out, sequence, mysql::ColumnDefinition{"v"});
  mysql::write_eof_packet(out, sequence, mysql::EofPacket{0, flags});
  const std::optional<std::string_view> row[] = {value};
  mysql::write_text_row(out, sequence, row);
  mysql::write_eof_packet(out, sequence, mysql::EofPacket{0, flags});
  return out;
}

struct Outcome {
  bool ok = false;
  std::vector<MyCommandResult> results;
  std::uint16_t final_flags = 0;
};

// Sends `commands` to a loopback server that reads them, answers `reply` in one write and
// closes its side.
Outcome run_against(const std::vector<std::string>& commands, const std::string& reply) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  MyServerConnection server(io.get_executor());
  server.capabilities = kBackendCapabilities;
  server.status_flags = status::SERVER_STATUS_AUTOCOMMIT;
  tcp::socket peer(io);
  Outcome outcome;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await acceptor.async_accept(peer, use_nothrow);
    std::array<char, 4096> sink;
    co_await peer.async_read_some(asio::buffer(sink), use_nothrow);
    co_await asio::async_write(peer, asio::buffer(reply), use_nothrow);
    error_code ignored;
    peer.shutdown(tcp::socket::shutdown_send, ignored);  // a short reply ends in EOF, not a wait
  }, asio::detached);
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await server.socket().async_connect(acceptor.local_endpoint(), use_nothrow);
    auto results = co_await run_backend_commands(server, commands);
    outcome.ok = results.ok();
    if (results) outcome.results = *results;
    outcome.final_flags = server.status_flags;
    error_code ignored;
    peer.close(ignored);
  }, asio::detached);
  io.run_for(std::chrono::seconds(5));
  return outcome;
}

}  // namespace

TEST_CASE("run_backend_commands reads pipelined answers, ERR included", "[mysql][backend-commands]") {
  const auto outcome = run_against({com_reset_connection(), com_init_db("gone"), com_query("SET NAMES 'latin1'")},
                                   ok_reply(status::SERVER_STATUS_AUTOCOMMIT) + err_reply(1049, "Unknown database 'gone'") +
                                       ok_reply(status::SERVER_STATUS_AUTOCOMMIT));
  REQUIRE(outcome.ok);
  REQUIRE(outcome.results.size() == 3);
  CHECK_FALSE(outcome.results[0].error);
  REQUIRE(outcome.results[1].error);
  CHECK(outcome.results[1].error->error_code == 1049);
  CHECK_FALSE(outcome.results[2].error);
}

TEST_CASE("run_backend_commands follows a result set and the status flags", "[mysql][backend-commands]") {
  const auto flags = status::SERVER_STATUS_AUTOCOMMIT | status::SERVER_STATUS_IN_TRANS;
  const auto outcome = run_against({com_query("SELECT 1")}, one_row_reply("1", flags));
  REQUIRE(outcome.ok);
  REQUIRE(outcome.results.size() == 1);
  CHECK_FALSE(outcome.results[0].error);
  CHECK(outcome.results[0].status_flags == flags);
  CHECK(outcome.final_flags == flags);
}

TEST_CASE("run_backend_commands treats extra or broken replies as a lost server", "[mysql][backend-commands]") {
  SECTION("more than was asked for") {
    const auto reply = ok_reply(status::SERVER_STATUS_AUTOCOMMIT);
    CHECK_FALSE(run_against({com_ping()}, reply + reply).ok);
  }
  SECTION("the server closes mid-answer") {
    CHECK_FALSE(run_against({com_query("SELECT 1")}, one_row_reply("1", 0).substr(0, 12)).ok);
  }
}
