// Commands Sluice answers itself on the MySQL side, read off the wire: each answer must have
// the shape MariaDB's would, since some drivers (mysqlnd) check it byte by byte.
#include <catch2/catch.hpp>

#include "support/my_raw_login.hpp"  // before <mysql.h>, whose macros name the capability flags
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// Sends one command packet on a logged-in socket and returns the first reply's payload.
std::string first_reply(RawSocket& socket, std::string_view command) {
    namespace mysql = sluice::mysql;
    std::string packet;
    mysql::SequenceId sequence;
    mysql::write_packet(packet, sequence, command);
    socket.send_bytes(packet);
    const auto header = socket.receive_exact(mysql::kPacketHeaderLength);
    REQUIRE(header);
    CHECK(static_cast<std::uint8_t>((*header)[3]) == 1);  // the reply's sequence id follows the command's
    const auto payload = socket.receive_exact(mysql::load_le24(mysql::bytes_of(*header).data()));
    REQUIRE(payload);
    return *payload;
}

}  // namespace

TEST_CASE("mysql: COM_SET_OPTION answered without a backend gets an EOF packet, as from MariaDB",
          "[mysql][mysql_session_state]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\npool_mode: transaction\n"});
    for (const int option : {1, 0}) {  // MYSQL_OPTION_MULTI_STATEMENTS_OFF, then ON
        INFO("option " << option);
        RawSocket socket(sluice.mysql_port(), std::chrono::seconds(10));
        my_log_in_raw(socket, "app", "app");
        const std::string reply = first_reply(socket, std::string("\x1b", 1) + static_cast<char>(option) + '\0');
        // 0xFE, warnings (2 bytes), status flags (2 bytes): MariaDB's my_eof() without DEPRECATE_EOF.
        REQUIRE(reply.size() == 5);
        CHECK(static_cast<std::uint8_t>(reply[0]) == 0xFE);
        CHECK(reply[1] == 0);
        CHECK(reply[2] == 0);
        // The option took: a two-statement query is refused when off and runs when on.
        const std::string answer = first_reply(socket, "\x03SELECT 1; SELECT 2");
        CHECK((static_cast<std::uint8_t>(answer[0]) == 0xFF) == (option == 1));
    }
}
