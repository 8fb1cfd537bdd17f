// The client-visible errors of the config contract that the other tests do not cover:
// query_wait_timeout (57014), client caps (53300), an unreachable backend (08001), a malformed
// message (08P01); and SIGHUP reload.
#include <catch2/catch.hpp>

#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("a client waiting past query_wait_timeout gets 57014", "[pg][errors][query_wait_timeout]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 1\nquery_wait_timeout: 500ms";
    SluiceProcess sluice(options);
    Connection holder = connect(sluice.conninfo("app", "app"));
    Connection waiter = connect(sluice.conninfo("app", "app"));
    exec_ok(holder, "begin");
    exec_ok(holder, "select 1");  // holds the only backend

    auto started = Clock::now();
    PgResult result = exec(waiter, "select 1", 10s);
    auto waited = Clock::now() - started;
    INFO(describe(result.get()));
    CHECK(sqlstate(result.get()) == "57014");
    CHECK_THAT(std::string(PQresultErrorMessage(result.get())), Catch::Contains("query_wait_timeout"));
    CHECK(waited >= 400ms);
    CHECK(waited < 5s);

    exec_ok(holder, "commit");
    Connection later = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(later, "select 'served'") == "served");
}

TEST_CASE("client caps refuse the extra client with 53300", "[pg][errors][caps]") {
    SECTION("global max_client_connections") {
        SluiceOptions options;
        options.top_level = "max_client_connections: 2";
        SluiceProcess sluice(options);
        Connection first = connect(sluice.conninfo("app", "app"));
        Connection second = connect(sluice.conninfo("alice", "alice"));
        Connection third = try_connect(sluice.conninfo("bob", "bob"));
        CHECK_FALSE(third.ok());
        CHECK_THAT(third.error_message(), Catch::Contains("too many connections"));
        // A slot frees up when a client leaves.
        first.close();
        bool admitted = false;
        for (int i = 0; i < 40 && !admitted; ++i) {
            admitted = try_connect(sluice.conninfo("bob", "bob")).ok();
            if (!admitted) std::this_thread::sleep_for(50ms);
        }
        CHECK(admitted);
    }
    SECTION("per-user max_client_connections") {
        SluiceOptions options;
        for (auto& user : options.users) {
            if (user.name == "alice") user.settings = "max_client_connections: 1";
        }
        SluiceProcess sluice(options);
        Connection first = connect(sluice.conninfo("alice", "alice"));
        Connection second = try_connect(sluice.conninfo("alice", "alice"));
        CHECK_FALSE(second.ok());
        CHECK_THAT(second.error_message(), Catch::Contains("too many connections"));
        Connection other_user = connect(sluice.conninfo("bob", "bob"));
        CHECK(query_value(other_user, "select 1") == "1");
    }
}

TEST_CASE("an unreachable backend gives 08001", "[pg][errors][unreachable]") {
    int closed_port = pick_free_port();  // nothing listens there
    SluiceOptions options;
    options.defaults = "server_connect_timeout: 1s\nquery_wait_timeout: 5s";
    options.extra_databases = "dead:\n  host: 127.0.0.1\n  port: " + std::to_string(closed_port) +
                              "\n  dbname: app";
    SluiceProcess sluice(options);

    auto started = Clock::now();
    Connection conn = try_connect(sluice.conninfo("app", "app", "dead"));
    if (!conn.ok()) {
        // Refused at login.
        CHECK_THAT(conn.error_message(), Catch::Contains("could not connect to server"));
    } else {
        // Or admitted, and the first query fails.
        PgResult result = exec(conn, "select 1", 10s);
        INFO(describe(result.get()));
        CHECK(sqlstate(result.get()) == "08001");
    }
    CHECK(Clock::now() - started < 8s);
    // The working database is unaffected.
    Connection good = connect(sluice.conninfo("app", "app", "app"));
    CHECK(query_value(good, "select 1") == "1");
}

TEST_CASE("a malformed message gets 08P01", "[pg][errors][protocol]") {
    SluiceOptions options;
    options.auth_type = "trust";
    SluiceProcess sluice(options);
    RawSocket socket(sluice.port(), 5s);
    socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
    std::optional<wire::Message> message;
    while ((message = wire::read_message(socket)) && message->type != 'Z') REQUIRE(message->type != 'E');
    REQUIRE(message);

    // A Query message whose length (2) is shorter than its own length field.
    socket.send_bytes(std::string(1, 'Q') + wire::int32(2));
    auto reply = wire::read_message(socket);
    REQUIRE(reply);
    REQUIRE(reply->type == 'E');
    auto fields = wire::error_fields(reply->body);
    CHECK(fields['C'] == "08P01");
    CHECK_THAT(fields['M'], Catch::StartsWith("protocol violation"));
    CHECK(sluice.running());

    // A message type no client may send, outside a transaction: answered, not swallowed by a
    // backend that dies of it.
    RawSocket unknown(sluice.port(), 5s);
    unknown.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
    while ((message = wire::read_message(unknown)) && message->type != 'Z') REQUIRE(message->type != 'E');
    REQUIRE(message);
    unknown.send_bytes(std::string(1, '\x01') + wire::int32(8) + wire::int32(0));
    reply = wire::read_message(unknown);
    REQUIRE(reply);
    REQUIRE(reply->type == 'E');
    fields = wire::error_fields(reply->body);
    CHECK(fields['C'] == "08P01");
    CHECK(fields['M'] == "protocol violation: invalid frontend message type 1");
    CHECK_THAT(sluice.log(), !Catch::Contains("reason=server_check_delay"));
}

TEST_CASE("SIGHUP reloads the config file", "[pg][reload]") {
    SluiceOptions before;
    before.databases = {"app"};
    SluiceProcess sluice(before);
    Connection refused = try_connect(sluice.conninfo("app", "app", "app2"));
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error_message(), Catch::Contains("no such database"));

    SluiceOptions after;  // app and app2
    sluice.write_config(sluice_config(sluice.port(), after));
    sluice.reload();
    bool admitted = false;
    for (int i = 0; i < 50 && !admitted; ++i) {
        admitted = try_connect(sluice.conninfo("app", "app", "app2")).ok();
        if (!admitted) std::this_thread::sleep_for(100ms);
    }
    CHECK(admitted);
    CHECK(sluice.running());

    // An invalid file is refused: the running config stays.
    sluice.write_config("listen: [this is not valid\n");
    sluice.reload();
    std::this_thread::sleep_for(300ms);
    CHECK(sluice.running());
    Connection still = connect(sluice.conninfo("app", "app", "app2"));
    CHECK(query_value(still, "select current_database()") == "app2");
}

TEST_CASE("a server row over max_packet_size: 08006 for its client, and the log says why", "[pg][errors]") {
    SluiceOptions options;
    options.top_level = "max_packet_size: 64kB";
    SluiceProcess sluice(options);
    Connection conn = connect(sluice.conninfo("app", "app"));
    PgResult result = exec(conn, "select repeat('x', 200000)");
    CHECK(PQresultStatus(result.get()) == PGRES_FATAL_ERROR);
    CHECK(eventually([&] { return sluice.log().find("larger than max_packet_size") != std::string::npos; }));
    // Rows under the limit still come through on a new connection.
    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(next, "select length(repeat('x', 1000))") == "1000");
}
