// Client login: auth methods (scram-sha-256, md5, trust), the errors a refused client sees,
// SSLRequest/GSSENCRequest answered 'N', and what a client gets after AuthenticationOk.
#include <catch2/catch.hpp>

#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr std::uint32_t kAuthenticationOk = 0;
constexpr std::uint32_t kAuthenticationMD5Password = 5;

std::uint32_t read_uint32(const std::string& bytes, std::size_t offset) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + 3]));
}

std::string to_hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : bytes) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

// md5 hex digest of text || salt, computed by the test PostgreSQL.
std::string md5_hex(const std::string& text, const std::string& salt = "") {
    Connection direct = connect(postgres().superuser_conninfo());
    PgResult result = exec_params(direct, "select md5(convert_to($1, 'UTF8') || decode($2, 'hex'))",
                                  {text, to_hex(salt)});
    REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
    return PQgetvalue(result.get(), 0, 0);
}

// PasswordMessage for md5 auth: "md5" + md5(md5(password || user) || salt).
std::string md5_password_message(const std::string& user, const std::string& password,
                                 const std::string& salt) {
    std::string inner = md5_hex(password + user);
    std::string body = "md5" + md5_hex(inner, salt) + '\0';
    return std::string(1, 'p') + wire::int32(static_cast<std::uint32_t>(body.size() + 4)) + body;
}

// Reads messages until one of type `type` (or the connection ends); returns it.
std::optional<wire::Message> read_until(RawSocket& socket, char type) {
    for (int i = 0; i < 100; ++i) {
        auto message = wire::read_message(socket);
        if (!message || message->type == type || message->type == 'E') return message;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("scram-sha-256 client login", "[pg][login]") {
    SluiceProcess sluice;

    SECTION("the right password logs in and reaches the right database") {
        Connection conn = connect(sluice.conninfo("app", "app", "app"));
        CHECK(query_value(conn, "select current_user") == "app");
        CHECK(query_value(conn, "select current_database()") == "app");
        Connection other = connect(sluice.conninfo("alice", "alice", "app2"));
        CHECK(query_value(other, "select current_user || '@' || current_database()") == "alice@app2");
    }
    SECTION("a wrong password is refused with 28P01") {
        Connection conn = try_connect(sluice.conninfo("app", "wrong", "app"));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("password authentication failed"));
    }
    SECTION("an unknown user is refused like a wrong password") {
        Connection conn = try_connect(sluice.conninfo("mallory", "mallory", "app"));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("password authentication failed"));
    }
    SECTION("an unknown database is refused with 3D000") {
        Connection conn = try_connect(sluice.conninfo("app", "app", "nosuchdb"));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("no such database"));
    }
    SECTION("refused logins do not break the listener") {
        for (int i = 0; i < 3; ++i) CHECK_FALSE(try_connect(sluice.conninfo("app", "bad", "app")).ok());
        Connection conn = connect(sluice.conninfo("app", "app", "app"));
        CHECK(query_value(conn, "select 1") == "1");
    }
}

TEST_CASE("md5 client login", "[pg][login]") {
    SluiceOptions options;
    options.auth_type = "md5";
    // md5user's password is configured as PostgreSQL stores it: "md5" + md5(password || user).
    std::string md5user_hash = postgres().query("select rolpassword from pg_authid where rolname = 'md5user'");
    REQUIRE(md5user_hash.rfind("md5", 0) == 0);
    for (auto& user : options.users) {
        if (user.name == "md5user") user.password = md5user_hash;
    }
    SluiceProcess sluice(options);

    SECTION("plain configured password, scram backend") {
        Connection conn = connect(sluice.conninfo("app", "app", "app"));
        CHECK(query_value(conn, "select current_user") == "app");
    }
    SECTION("md5 hash configured, md5 backend") {
        Connection conn = connect(sluice.conninfo("md5user", "md5pass", "app"));
        CHECK(query_value(conn, "select current_user") == "md5user");
    }
    SECTION("a wrong password is refused") {
        Connection conn = try_connect(sluice.conninfo("app", "wrong", "app"));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("password authentication failed"));
    }
    SECTION("raw protocol: AuthenticationMD5Password, then 28P01 for a wrong password") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
        auto request = wire::read_message(socket);
        REQUIRE(request);
        REQUIRE(request->type == 'R');
        REQUIRE(request->body.size() == 8);
        CHECK(read_uint32(request->body, 0) == kAuthenticationMD5Password);
        socket.send_bytes(md5_password_message("app", "wrong", request->body.substr(4, 4)));
        auto reply = wire::read_message(socket);
        REQUIRE(reply);
        REQUIRE(reply->type == 'E');
        auto fields = wire::error_fields(reply->body);
        CHECK(fields['C'] == "28P01");
        CHECK_THAT(fields['M'], Catch::StartsWith("password authentication failed"));
    }
    SECTION("raw protocol: the right md5 answer gets AuthenticationOk ... ReadyForQuery") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
        auto request = wire::read_message(socket);
        REQUIRE(request);
        REQUIRE(request->type == 'R');
        REQUIRE(request->body.size() == 8);
        socket.send_bytes(md5_password_message("app", "app", request->body.substr(4, 4)));
        auto ok = wire::read_message(socket);
        REQUIRE(ok);
        REQUIRE(ok->type == 'R');
        CHECK(read_uint32(ok->body, 0) == kAuthenticationOk);
        // ParameterStatus* and BackendKeyData come before ReadyForQuery.
        bool saw_parameter_status = false;
        bool saw_backend_key_data = false;
        std::optional<wire::Message> message;
        while ((message = wire::read_message(socket)) && message->type != 'Z') {
            saw_parameter_status = saw_parameter_status || message->type == 'S';
            saw_backend_key_data = saw_backend_key_data || message->type == 'K';
            REQUIRE(message->type != 'E');
        }
        REQUIRE(message);
        CHECK(message->body == "I");
        CHECK(saw_parameter_status);
        CHECK(saw_backend_key_data);
    }
}

TEST_CASE("a user whose password is a mysql_native_password hash cannot log in over PostgreSQL", "[pg][login]") {
    // The hash checks MySQL clients only (design/config.md): neither the hash itself nor the
    // password behind it is accepted, and the user is not looked up instead.
    const std::string hash_of_secret = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";
    for (const std::string auth_type : {"md5", "scram-sha-256"}) {
        DYNAMIC_SECTION(auth_type) {
            SluiceOptions options;
            options.auth_type = auth_type;
            options.users.push_back(SluiceUser{"native", hash_of_secret, ""});
            SluiceProcess sluice(options);
            for (const std::string& password : {std::string("secret"), hash_of_secret}) {
                Connection conn = try_connect(sluice.conninfo("native", password, "app"));
                CHECK_FALSE(conn.ok());
                CHECK_THAT(conn.error_message(), Catch::Contains("password authentication failed"));
            }
            Connection app = connect(sluice.conninfo("app", "app", "app"));
            CHECK(query_value(app, "select 1") == "1");
        }
    }
}

TEST_CASE("trust client login", "[pg][login]") {
    SluiceOptions options;
    options.auth_type = "trust";
    SluiceProcess sluice(options);

    SECTION("no password needed") {
        Connection conn = connect(sluice.conninfo("app", "", "app"));
        CHECK(query_value(conn, "select current_user") == "app");
    }
    SECTION("a name in neither users nor auth_query is refused, as by PgBouncer") {
        Connection refused = try_connect(sluice.conninfo("nobody_listed", "", "app"));
        CHECK_FALSE(refused.ok());
        CHECK_THAT(std::string(PQerrorMessage(refused)), Catch::Contains("password authentication failed"));
    }
    SECTION("raw protocol: an unknown database gets ErrorResponse 3D000") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "nosuchdb"}}));
        auto reply = read_until(socket, 'E');
        REQUIRE(reply);
        REQUIRE(reply->type == 'E');
        auto fields = wire::error_fields(reply->body);
        CHECK(fields['C'] == "3D000");
        CHECK_THAT(fields['M'], Catch::StartsWith("no such database"));
    }
}

TEST_CASE("SSLRequest and GSSENCRequest are answered 'N'", "[pg][login][ssl]") {
    SluiceProcess sluice;

    SECTION("raw SSLRequest gets 'N' and the same socket then logs in") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::ssl_request());
        auto answer = socket.receive_exact(1);
        REQUIRE(answer);
        CHECK(*answer == "N");
        socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
        auto request = wire::read_message(socket);
        REQUIRE(request);
        CHECK(request->type == 'R');  // an authentication request (SASL for scram)
    }
    SECTION("raw GSSENCRequest gets 'N'") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::gssenc_request());
        auto answer = socket.receive_exact(1);
        REQUIRE(answer);
        CHECK(*answer == "N");
    }
    SECTION("libpq with sslmode=prefer falls back to plain text") {
        std::string conninfo = "host=127.0.0.1 port=" + std::to_string(sluice.port()) +
                               " user=app password=app dbname=app sslmode=prefer";
        Connection conn = connect(conninfo);
        CHECK(PQsslInUse(conn) == 0);
        CHECK(query_value(conn, "select 1") == "1");
    }
    SECTION("libpq with sslmode=require is refused, not hung") {
        std::string conninfo = "host=127.0.0.1 port=" + std::to_string(sluice.port()) +
                               " user=app password=app dbname=app sslmode=require";
        Connection conn = try_connect(conninfo);
        CHECK_FALSE(conn.ok());
    }
}

TEST_CASE("after login the client has parameters, a backend key and an idle session", "[pg][login]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app", "app"));

    const char* server_version = PQparameterStatus(conn, "server_version");
    REQUIRE(server_version != nullptr);
    CHECK_THAT(std::string(server_version), Catch::StartsWith("15"));
    const char* encoding = PQparameterStatus(conn, "client_encoding");
    REQUIRE(encoding != nullptr);
    CHECK(std::string(encoding) == "UTF8");
    const char* conforming = PQparameterStatus(conn, "standard_conforming_strings");
    REQUIRE(conforming != nullptr);
    CHECK(std::string(conforming) == "on");
    CHECK(PQparameterStatus(conn, "DateStyle") != nullptr);
    CHECK(PQparameterStatus(conn, "integer_datetimes") != nullptr);
    CHECK(PQbackendPID(conn) != 0);  // BackendKeyData was sent
    CHECK(PQtransactionStatus(conn) == PQTRANS_IDLE);
    CHECK(PQprotocolVersion(conn) == 3);
}

TEST_CASE("application_name reaches the backend in transaction mode", "[pg][login][transaction]") {
    SluiceProcess sluice;  // transaction mode by default
    const std::string name = "it-visible-app";
    Connection conn = connect(sluice.conninfo("app", "app", "app", "application_name=" + name));
    REQUIRE(PQsendQuery(conn, "select pg_sleep(2)") == 1);

    // Seen directly in pg_stat_activity while the query runs.
    Connection direct = connect(postgres().superuser_conninfo());
    bool seen = false;
    auto deadline = Clock::now() + 1900ms;
    while (!seen && Clock::now() < deadline) {
        seen = query_value(direct, "select count(*) from pg_stat_activity where application_name = " +
                                       sql_literal(name) + " and usename = 'app' and state = 'active'") == "1";
        if (!seen) std::this_thread::sleep_for(50ms);
    }
    CHECK(seen);
    PgResult result = wait_for_result(conn);
    CHECK(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
}

namespace {
// The SCRAM exchange up to the server-first-message: its salt ("s=..."), or "" if the server
// answered otherwise; then a client-final with a wrong proof, whose answer is returned.
std::pair<std::string, std::map<char, std::string>> scram_until_proof(int port, const std::string& user) {
    RawSocket socket(port, std::chrono::seconds(5));
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", "app"}}));
    auto sasl = wire::read_message(socket);  // AuthenticationSASL
    REQUIRE(sasl);
    REQUIRE(sasl->type == 'R');
    const std::string first = "n,,n=,r=abcdefghijklmnopqrstuvwx";
    std::string initial = std::string("SCRAM-SHA-256") + '\0' + wire::int32(static_cast<std::uint32_t>(first.size())) + first;
    socket.send_bytes("p" + wire::int32(static_cast<std::uint32_t>(initial.size() + 4)) + initial);
    auto reply = wire::read_message(socket);
    REQUIRE(reply);
    if (reply->type != 'R') return {"", wire::error_fields(reply->body)};
    const std::string server_first = reply->body.substr(4);  // after the Int32 11
    const auto salt_at = server_first.find(",s=");
    const auto salt_end = server_first.find(',', salt_at + 1);
    const auto nonce_end = server_first.find(',');
    const std::string salt = server_first.substr(salt_at + 3, salt_end - salt_at - 3);
    const std::string final = "c=biws," + server_first.substr(0, nonce_end) + ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    socket.send_bytes("p" + wire::int32(static_cast<std::uint32_t>(final.size() + 4)) + final);
    auto refused = wire::read_message(socket);
    REQUIRE(refused);
    CHECK(refused->type == 'E');
    return {salt, wire::error_fields(refused->body)};
}
}  // namespace

TEST_CASE("an unknown user's SCRAM exchange fails where a wrong password fails, with a salt of its own",
          "[pg][login]") {
    SluiceProcess sluice;  // scram-sha-256
    const auto [known_salt, known_error] = scram_until_proof(sluice.port(), "app");
    const auto [unknown_salt, unknown_error] = scram_until_proof(sluice.port(), "nobody_listed");
    const auto [again_salt, again_error] = scram_until_proof(sluice.port(), "nobody_listed");
    CHECK_FALSE(known_salt.empty());
    CHECK_FALSE(unknown_salt.empty());  // a server-first-message, not an early refusal
    CHECK(unknown_salt == again_salt);  // the same on every attempt, as a real user's
    CHECK(unknown_salt != known_salt);
    CHECK(known_error.at('C') == "28P01");
    CHECK(unknown_error.at('C') == "28P01");
    CHECK(known_error.at('M') == "password authentication failed for user \"app\"");
    CHECK(unknown_error.at('M') == "password authentication failed for user \"nobody_listed\"");
}

TEST_CASE("md5 with a stored SCRAM verifier runs SCRAM, as PostgreSQL does", "[pg][login]") {
    SluiceOptions options;
    options.auth_type = "md5";
    // The verifier of the password "verified" (salt "sluice-it-salt16", 4096 iterations).
    options.users.push_back(SluiceUser{
        "verified",
        "SCRAM-SHA-256$4096:c2x1aWNlLWl0LXNhbHQxNg==$g2rq4YdDyDpdF12AIZsxmq9q2MK9ndNcMlRTOJS2KS0=:"
        "DWhhLzOTt2yrXAvNWLgwx/yJx95GwH7k1ZrNXD9OILE=",
        ""});
    SluiceProcess sluice(options);
    Connection wrong = try_connect(sluice.conninfo("verified", "not-it", "app"));
    CHECK_FALSE(wrong.ok());
    CHECK_THAT(std::string(PQerrorMessage(wrong)), Catch::Contains("password authentication failed"));
    // PostgreSQL has no role "verified": the client's proof was accepted if what fails is
    // Sluice's own login to the backend (08001), not the client's (28P01).
    Connection right = try_connect(sluice.conninfo("verified", "verified", "app"));
    const std::string message = right.ok() ? "" : PQerrorMessage(right);
    CHECK_THAT(message, !Catch::Contains("password authentication failed for user \"verified\"\n") &&
                            Catch::Contains("server login failed"));
}
