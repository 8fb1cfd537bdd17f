// A MySQL login to Sluice with Sluice's own login machine (mysql::ServerLogin as a client of
// Sluice) over a raw socket, and the ERR packet a first statement gets. Connector/C reports an
// ERR carrying a client code such as 2003 (a failed backend login) as 2027 "Received malformed
// packet" and drops its message (docs/limits.md), so the tests that check that error read it
// off the wire. Include it before any header that includes <mysql.h>: Connector/C's macros
// have the names of Sluice's capability constants.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "net.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/server_login.hpp"

namespace sluice_it {

// Logs in to Sluice's MySQL listener on `socket` as `user` to database app.
inline void my_log_in_raw(RawSocket& socket, const std::string& user, const std::string& password) {
    sluice::mysql::ServerLoginIdentity identity;
    identity.user = user;
    identity.database = "app";
    identity.password = password;
    sluice::mysql::ServerLogin login(identity);
    for (;;) {
        const auto event = login.next();
        if (!login.output().empty()) socket.send_bytes(std::exchange(login.output(), {}));
        if (event == sluice::mysql::ServerLoginEvent::ready) return;
        if (event != sluice::mysql::ServerLoginEvent::need_input) FAIL(login.failure().message);
        const auto wanted = login.input();
        const auto bytes = socket.receive_exact(wanted.size());
        REQUIRE(bytes);
        std::memcpy(wanted.data(), bytes->data(), bytes->size());
        login.received(bytes->size());
    }
}

// The ERR packet Sluice on `mysql_port` answers `SELECT 1` with (nullopt: another answer).
inline std::optional<sluice::mysql::ErrPacket> my_statement_error(int mysql_port, const std::string& user,
                                                                  const std::string& password) {
    namespace mysql = sluice::mysql;
    RawSocket socket(mysql_port, std::chrono::seconds(10));
    my_log_in_raw(socket, user, password);
    std::string query;
    mysql::SequenceId sequence;
    mysql::write_packet(query, sequence, "\x03SELECT 1");
    socket.send_bytes(query);
    const auto header = socket.receive_exact(mysql::kPacketHeaderLength);
    REQUIRE(header);
    const auto payload = socket.receive_exact(mysql::load_le24(mysql::bytes_of(*header).data()));
    REQUIRE(payload);
    auto error = mysql::read_err_packet(mysql::bytes_of(*payload));
    if (!error) return std::nullopt;
    return *error;
}

}  // namespace sluice_it
