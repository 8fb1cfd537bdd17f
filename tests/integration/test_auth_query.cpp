// auth_query: users not listed in `users` are looked up in PostgreSQL as auth_query.user, with
// the user name bound as $1, on connections of Sluice's own. The lookup function used here
// records the search_path each lookup ran under, so the test can see that a client's startup
// options never reach the auth connection.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <thread>

#include "sluice/auth/scram_client.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// Security definer: pg_shadow is for superusers; the lookup role may only call this.
const std::vector<std::string> kLookupSetup = {
    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_auth') THEN "
    "CREATE ROLE sluice_auth LOGIN PASSWORD 'authpw'; END IF; END $$",
    "CREATE TABLE IF NOT EXISTS public.auth_lookups (usename text, search_path text)",
    "CREATE OR REPLACE FUNCTION public.sluice_lookup(wanted text, path text) "
    "RETURNS TABLE (usename name, passwd text) LANGUAGE sql SECURITY DEFINER AS $$ "
    "INSERT INTO public.auth_lookups VALUES (wanted, path); "
    "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = wanted $$",
    "REVOKE ALL ON FUNCTION public.sluice_lookup(text, text) FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION public.sluice_lookup(text, text) TO sluice_auth",
};

SluiceOptions auth_query_options(const std::string& cache_ttl) {
    SluiceOptions options;
    options.users.push_back({"sluice_auth", "authpw", ""});
    options.top_level = "auth_query:\n"
                        "  user: sluice_auth\n"
                        "  query: SELECT usename, passwd FROM public.sluice_lookup($1, current_setting('search_path'))\n"
                        "  database: app\n"
                        "  cache_ttl: " + cache_ttl + "\n";
    options.defaults = "server_login_retry: 100ms";
    return options;
}

// A role made for one test, dropped at its end.
struct TemporaryRole {
    std::string name;
    explicit TemporaryRole(const std::string& prefix) : name(prefix + "_" + std::to_string(getpid())) {
        postgres().execute("DROP ROLE IF EXISTS " + name);
        postgres().execute("CREATE ROLE " + name + " LOGIN PASSWORD 'secret-" + name + "'");
    }
    std::string password() const { return "secret-" + name; }
    ~TemporaryRole() {
        try {
            postgres().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = " + sql_literal(name));
            postgres().execute("DROP ROLE IF EXISTS " + name);
        } catch (...) {
        }
    }
};

// A SCRAM login on a raw socket (libpq hides a refused login's SQLSTATE): the ErrorResponse's
// fields, or empty if the login succeeded.
std::map<char, std::string> raw_scram_login_error(int port, const std::string& user, const std::string& password) {
    RawSocket socket(port, 10s);
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", "app"}}));
    sluice::auth::ScramClientExchange scram(password);
    while (auto message = wire::read_message(socket)) {
        if (message->type == 'E') return wire::error_fields(message->body);
        if (message->type == 'Z') return {};
        if (message->type != 'R' || message->body.size() < 4) continue;
        const int code = static_cast<unsigned char>(message->body[3]);
        const std::string data = message->body.substr(4);
        std::string out;
        if (code == 10) {
            sluice::pg::write_sasl_initial_response(out, "SCRAM-SHA-256", scram.client_first_message());
        } else if (code == 11) {
            auto final_message = scram.handle_server_first(data);
            if (!final_message) return {{'M', "bad server-first-message"}};
            sluice::pg::write_sasl_response(out, *final_message);
        }
        if (!out.empty()) socket.send_bytes(out);
    }
    return {{'M', "closed without an error"}};
}

void set_up_lookup() {
    for (const auto& sql : kLookupSetup) postgres().execute(sql, "app");
    postgres().execute("TRUNCATE public.auth_lookups", "app");
}

}  // namespace

TEST_CASE("auth_query: a user created after Sluice started logs in and runs a query", "[auth_query]") {
    set_up_lookup();
    SluiceProcess sluice(auth_query_options("60s"));
    TemporaryRole role("aq_new");
    Connection conn = connect(sluice.conninfo(role.name, role.password()));
    CHECK(query_value(conn, "select current_user") == role.name);
    // One lookup, for that name, through the auth connection.
    CHECK(postgres().query("select string_agg(usename, ',') from public.auth_lookups", "app") == role.name);

    auto wrong = raw_scram_login_error(sluice.port(), role.name, "wrong");
    CHECK(wrong['C'] == "28P01");
    CHECK(wrong['M'] == "password authentication failed for user \"" + role.name + "\"");
    // The failed login forgot the cached answer: the next login looks it up again.
    Connection again = connect(sluice.conninfo(role.name, role.password()));
    CHECK(query_value(again, "select 1") == "1");
    CHECK(postgres().query("select count(*) from public.auth_lookups", "app") == "2");
}

TEST_CASE("auth_query: a dropped user is refused once cache_ttl has passed", "[auth_query]") {
    set_up_lookup();
    SluiceProcess sluice(auth_query_options("1s"));
    auto role = std::make_unique<TemporaryRole>("aq_dropped");
    const std::string name = role->name;
    const std::string password = role->password();
    {
        Connection conn = connect(sluice.conninfo(name, password));
        CHECK(query_value(conn, "select current_user") == name);
    }
    role.reset();  // terminated and dropped
    std::this_thread::sleep_for(1500ms);
    auto refused = raw_scram_login_error(sluice.port(), name, password);
    CHECK(refused['C'] == "28P01");
}

TEST_CASE("auth_query: a client's startup options never reach the auth connection", "[auth_query]") {
    set_up_lookup();
    SluiceProcess sluice(auth_query_options("60s"));
    TemporaryRole role("aq_options");
    Connection conn = connect(sluice.conninfo(role.name, role.password(), "app", "options='-c search_path=evil'"));
    // The client's own backend does follow its options...
    CHECK(query_value(conn, "show search_path") == "evil");
    // ...the lookup ran with the server's default, and only for the name the client gave.
    CHECK(postgres().query("select string_agg(usename || '|' || search_path, ',') from public.auth_lookups", "app") ==
          role.name + "|\"$user\", public");
}

TEST_CASE("auth_query: a user name is data, never SQL", "[auth_query]") {
    set_up_lookup();
    SluiceProcess sluice(auth_query_options("60s"));
    const std::string hostile = "x' OR '1'='1";
    // conninfo quoting: the name reaches Sluice as written above.
    Connection conn = try_connect(sluice.conninfo(R"('x\' OR \'1\'=\'1')", "whatever"));
    CHECK_FALSE(conn.ok());
    CHECK(postgres().query("select string_agg(usename, ',') from public.auth_lookups", "app") == hostile);
}
