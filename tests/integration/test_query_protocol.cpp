// Query traffic through Sluice: simple and extended query, COPY both ways, notices, errors and
// recovery, the empty query, LISTEN/NOTIFY.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

SluiceOptions with_defaults(const std::string& defaults) {
    SluiceOptions options;
    options.defaults = defaults;
    return options;
}

// Sends `lines` as COPY data and ends the COPY; returns the command's final result.
PgResult copy_in(PGconn* conn, const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        REQUIRE(PQputCopyData(conn, line.data(), static_cast<int>(line.size())) == 1);
    }
    REQUIRE(PQputCopyEnd(conn, nullptr) == 1);
    return wait_for_result(conn);
}

// Reads COPY OUT data rows until the end (bounded); returns them.
std::vector<std::string> copy_out(PGconn* conn) {
    std::vector<std::string> rows;
    auto deadline = Clock::now() + 15s;
    for (;;) {
        char* buffer = nullptr;
        int n = PQgetCopyData(conn, &buffer, 1);
        if (n > 0) {
            rows.emplace_back(buffer, static_cast<std::size_t>(n));
            PQfreemem(buffer);
        } else if (n == 0) {
            if (!wait_readable(conn, deadline)) throw PgTimeout("COPY OUT timed out");
            PQconsumeInput(conn);
        } else {
            return rows;  // -1: done (or -2: error, reported by the following result)
        }
    }
}

void collect_notice(void* arg, const PGresult* result) {
    auto* notices = static_cast<std::vector<std::pair<std::string, std::string>>*>(arg);
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    notices->emplace_back(state ? state : "", message ? message : "");
}

}  // namespace

TEST_CASE("simple query protocol", "[pg][query]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));

    SECTION("rows and columns come back intact") {
        PgResult result = exec(conn, "select g, 'row ' || g, g * 1.5 from generate_series(1, 100) g");
        REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
        CHECK(PQntuples(result.get()) == 100);
        CHECK(PQnfields(result.get()) == 3);
        CHECK(std::string(PQgetvalue(result.get(), 99, 1)) == "row 100");
        CHECK(std::string(PQgetvalue(result.get(), 1, 2)) == "3.0");
    }
    SECTION("several statements in one Query message") {
        PgResult result = exec(conn, "select 1; select 2; select 3");
        REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
        CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == "3");
    }
    SECTION("a NULL and a long value") {
        CHECK_FALSE(query_optional(conn, "select null::text").has_value());
        CHECK(query_value(conn, "select length(repeat('y', 100000))") == "100000");
        CHECK(query_value(conn, "select repeat('y', 100000)").size() == 100000);
    }
    SECTION("commands report their tags") {
        exec_ok(conn, "create table if not exists simple_t(x int)");
        PgResult result = exec(conn, "insert into simple_t select generate_series(1, 7)");
        REQUIRE(PQresultStatus(result.get()) == PGRES_COMMAND_OK);
        CHECK(std::string(PQcmdTuples(result.get())) == "7");
    }
}

TEST_CASE("extended query protocol", "[pg][query][extended]") {
    SECTION("unnamed statements with parameters (transaction mode)") {
        SluiceProcess sluice;
        Connection conn = connect(sluice.conninfo("app", "app"));
        for (int i = 0; i < 20; ++i) {
            PgResult result = exec_params(conn, "select $1::int * 2, $2::text", {std::to_string(i), std::nullopt});
            REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
            CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == std::to_string(i * 2));
            CHECK(PQgetisnull(result.get(), 0, 1) == 1);
        }
    }
    SECTION("binary result format") {
        SluiceProcess sluice;
        Connection conn = connect(sluice.conninfo("app", "app"));
        PgResult result = exec_params(conn, "select $1::int4 + 1", {"41"}, 1);
        REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
        REQUIRE(PQgetlength(result.get(), 0, 0) == 4);
        std::uint32_t value = 0;
        std::memcpy(&value, PQgetvalue(result.get(), 0, 0), 4);
        CHECK(ntohl(value) == 42);
    }
    SECTION("named prepared statements (session mode)") {
        SluiceProcess sluice(with_defaults("pool_mode: session"));
        Connection conn = connect(sluice.conninfo("app", "app"));
        PgResult prepared = prepare(conn, "double_it", "select $1::int * 2", 1);
        REQUIRE(PQresultStatus(prepared.get()) == PGRES_COMMAND_OK);
        for (int i = 0; i < 10; ++i) {
            PgResult result = exec_prepared(conn, "double_it", {std::to_string(i)});
            REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
            CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == std::to_string(i * 2));
        }
        PgResult described = run_async(conn, [&] { return PQsendDescribePrepared(conn, "double_it"); });
        REQUIRE(PQresultStatus(described.get()) == PGRES_COMMAND_OK);
        CHECK(PQnparams(described.get()) == 1);
        CHECK(PQparamtype(described.get(), 0) == 23);  // int4
    }
    SECTION("an error in extended query, then recovery") {
        SluiceProcess sluice;
        Connection conn = connect(sluice.conninfo("app", "app"));
        PgResult failed = exec_params(conn, "select 1 / $1::int", {"0"});
        CHECK(sqlstate(failed.get()) == "22012");
        PgResult result = exec_params(conn, "select $1::int + 1", {"1"});
        REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
        CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == "2");
    }
}

TEST_CASE("COPY FROM STDIN and COPY TO STDOUT", "[pg][query][copy]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));
    exec_ok(conn, "create table if not exists copy_t(id int, name text)");
    exec_ok(conn, "truncate copy_t");

    std::vector<std::string> lines;
    for (int i = 1; i <= 1000; ++i) lines.push_back(std::to_string(i) + "\tname-" + std::to_string(i) + "\n");

    SECTION("rows copied in can be copied out") {
        PgResult start = exec(conn, "copy copy_t from stdin");
        REQUIRE(PQresultStatus(start.get()) == PGRES_COPY_IN);
        PgResult done = copy_in(conn, lines);
        REQUIRE(PQresultStatus(done.get()) == PGRES_COMMAND_OK);
        CHECK(std::string(PQcmdTuples(done.get())) == "1000");
        CHECK(query_value(conn, "select count(*) from copy_t") == "1000");

        PgResult out = exec(conn, "copy (select * from copy_t order by id) to stdout");
        REQUIRE(PQresultStatus(out.get()) == PGRES_COPY_OUT);
        std::vector<std::string> rows = copy_out(conn);
        PgResult finished = wait_for_result(conn);
        CHECK(PQresultStatus(finished.get()) == PGRES_COMMAND_OK);
        CHECK(rows == lines);
        // The connection is back to normal.
        CHECK(query_value(conn, "select 5") == "5");
    }
    SECTION("a COPY the client aborts fails cleanly and the connection recovers") {
        PgResult start = exec(conn, "copy copy_t from stdin");
        REQUIRE(PQresultStatus(start.get()) == PGRES_COPY_IN);
        REQUIRE(PQputCopyData(conn, lines[0].data(), static_cast<int>(lines[0].size())) == 1);
        REQUIRE(PQputCopyEnd(conn, "client gave up") == 1);
        PgResult done = wait_for_result(conn);
        CHECK(PQresultStatus(done.get()) == PGRES_FATAL_ERROR);
        CHECK(sqlstate(done.get()) == "57014");
        CHECK(query_value(conn, "select count(*) from copy_t") == "0");
    }
    SECTION("bad COPY data is an error and the connection recovers") {
        PgResult start = exec(conn, "copy copy_t from stdin");
        REQUIRE(PQresultStatus(start.get()) == PGRES_COPY_IN);
        PgResult done = copy_in(conn, {"1\tok\n", "not-a-number\tbad\n"});
        CHECK(sqlstate(done.get()) == "22P02");
        CHECK(query_value(conn, "select count(*) from copy_t") == "0");
    }
}

TEST_CASE("notices reach the client", "[pg][query][notice]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));
    std::vector<std::pair<std::string, std::string>> notices;
    PQsetNoticeReceiver(conn, collect_notice, &notices);

    exec_ok(conn, "do $$ begin raise notice 'hello %', 42; raise warning 'careful'; end $$");
    REQUIRE(notices.size() == 2);
    CHECK(notices[0].first == "00000");
    CHECK(notices[0].second == "hello 42");
    CHECK(notices[1].first == "01000");
    CHECK(notices[1].second == "careful");
    CHECK(query_value(conn, "select 1") == "1");
}

TEST_CASE("an error, then recovery on the same connection", "[pg][query][errors]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));

    SECTION("outside a transaction") {
        PgResult failed = exec(conn, "select 1/0");
        CHECK(PQresultStatus(failed.get()) == PGRES_FATAL_ERROR);
        CHECK(sqlstate(failed.get()) == "22012");
        PgResult syntax = exec(conn, "selec 1");
        CHECK(sqlstate(syntax.get()) == "42601");
        CHECK(query_value(conn, "select 'still here'") == "still here");
        CHECK(PQtransactionStatus(conn) == PQTRANS_IDLE);
    }
    SECTION("inside a transaction: aborted until ROLLBACK") {
        exec_ok(conn, "begin");
        PgResult failed = exec(conn, "select 1/0");
        CHECK(sqlstate(failed.get()) == "22012");
        CHECK(PQtransactionStatus(conn) == PQTRANS_INERROR);
        PgResult refused = exec(conn, "select 1");
        CHECK(sqlstate(refused.get()) == "25P02");
        exec_ok(conn, "rollback");
        CHECK(PQtransactionStatus(conn) == PQTRANS_IDLE);
        CHECK(query_value(conn, "select 2") == "2");
    }
}

TEST_CASE("the empty query", "[pg][query]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));
    PgResult simple = exec(conn, "");
    CHECK(PQresultStatus(simple.get()) == PGRES_EMPTY_QUERY);
    PgResult spaces = exec(conn, "  ;  ");
    CHECK(PQresultStatus(spaces.get()) == PGRES_EMPTY_QUERY);
    PgResult extended = exec_params(conn, "", {});
    CHECK(PQresultStatus(extended.get()) == PGRES_EMPTY_QUERY);
    CHECK(query_value(conn, "select 3") == "3");
}

TEST_CASE("LISTEN/NOTIFY in session mode", "[pg][query][notify][session]") {
    SluiceProcess sluice(with_defaults("pool_mode: session"));
    Connection listener = connect(sluice.conninfo("app", "app"));
    Connection notifier = connect(sluice.conninfo("app", "app"));
    exec_ok(listener, "listen it_channel");

    exec_ok(notifier, "notify it_channel, 'first'");
    auto notifications = wait_for_notifications(listener, 5s);
    REQUIRE(notifications.size() == 1);
    CHECK(notifications[0].channel == "it_channel");
    CHECK(notifications[0].payload == "first");
    CHECK(notifications[0].sender_pid == std::stoi(query_value(notifier, "select pg_backend_pid()")));

    // A notification sent while the listener is busy arrives with its next result.
    exec_ok(notifier, "select pg_notify('it_channel', 'second')");
    std::this_thread::sleep_for(100ms);
    CHECK(query_value(listener, "select 1") == "1");
    PGnotify* pending = PQnotifies(listener);
    if (pending == nullptr) {
        auto later = wait_for_notifications(listener, 5s);
        REQUIRE(later.size() == 1);
        CHECK(later[0].payload == "second");
    } else {
        CHECK(std::string(pending->extra) == "second");
        PQfreemem(pending);
    }
}
