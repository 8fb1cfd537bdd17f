// The session-state tracker: what a client's SQL does to its session, counted only once the
// server confirms it, with transaction semantics; and the SQL that brings a backend to it.
#include <catch2/catch.hpp>

#include <random>

#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/client_text_reader.hpp"
#include "sluice/protocol/postgres/session_settings.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

std::string message(char type, std::string_view body) {
  std::string out(1, type);
  const auto length = static_cast<std::uint32_t>(body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xFF));
  out += body;
  return out;
}
std::string query(std::string_view text) { return message('Q', std::string(text) + '\0'); }
std::string parse(std::string_view name, std::string_view text) {
  return message('P', std::string(name) + '\0' + std::string(text) + '\0' + "\0\0"s);
}
std::string sync_message() { return message('S', ""); }
std::string bind(std::string_view statement) {
  return message('B', "\0"s + std::string(statement) + '\0' + "\0\0\0\0\0\0"s);  // no formats, values, result formats
}
std::string close_statement(std::string_view statement) { return message('C', "S" + std::string(statement) + '\0'); }

// A client and its backend: bytes in, replies in, the tracker's view out.
struct Session {
  ClientTextReader reader{1 << 20};
  SessionSettings settings;
  BackendSettings backend;

  Session() {
    settings.set_reported("client_encoding", "UTF8");
    settings.attach(&backend);
  }
  // Feeds the bytes split at `split` (0: whole).
  void send(const std::string& bytes, std::size_t split = 0) {
    auto feed = [&](std::string_view part) {
      const auto span = std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size());
      for (const auto& event : reader.feed(span, settings.lex_options(), settings.client_encoding())) {
        settings.on_client_event(event);
      }
    };
    if (split == 0 || split >= bytes.size()) return feed(bytes);
    feed(std::string_view(bytes).substr(0, split));
    feed(std::string_view(bytes).substr(split));
  }
  // A simple Query that succeeds: one CommandComplete per tag, then ReadyForQuery.
  void run(std::string_view text, std::vector<std::string_view> tags, char status = 'I') {
    send(query(text));
    for (auto tag : tags) settings.on_command_complete(tag);
    settings.on_ready_for_query(status);
  }
  std::string value(std::string_view name) const {
    for (const auto& setting : settings.settings()) {
      if (setting.change.name == name) return setting.change.value;
    }
    return "<none>";
  }
};

}  // namespace

TEST_CASE("a session SET follows the client once the server confirms it", "[session_state]") {
  Session s;
  s.send(query("SET search_path TO app, public"));
  CHECK(s.value("search_path") == "<none>");  // sent, not yet answered
  s.settings.on_command_complete("SET");
  CHECK(s.value("search_path") == "<none>");  // answered, its transaction not yet over
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "app, public");
  CHECK(s.backend.settings.size() == 1);
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("a SET split across reads at every byte is read the same", "[session_state]") {
  const auto bytes = query("SET statement_timeout = '5s'; SET myapp.tenant TO 'acme'");
  for (std::size_t split = 1; split < bytes.size(); ++split) {
    Session s;
    s.send(bytes, split);
    s.settings.on_command_complete("SET");
    s.settings.on_command_complete("SET");
    s.settings.on_ready_for_query('I');
    CHECK(s.value("statement_timeout") == "'5s'");
    CHECK(s.value("myapp.tenant") == "'acme'");
  }
}

TEST_CASE("settings roll back with their transaction and savepoint", "[session_state]") {
  Session s;
  s.run("BEGIN; SET search_path TO a", {"BEGIN", "SET"}, 'T');
  s.run("ROLLBACK", {"ROLLBACK"});
  CHECK(s.value("search_path") == "<none>");

  s.run("BEGIN; SET search_path TO b; SAVEPOINT p; SET search_path TO c; ROLLBACK TO SAVEPOINT p",
        {"BEGIN", "SET", "SAVEPOINT", "SET", "ROLLBACK"}, 'T');
  s.run("COMMIT", {"COMMIT"});
  CHECK(s.value("search_path") == "b");

  // A failed transaction's COMMIT is answered ROLLBACK.
  s.run("BEGIN; SET search_path TO d", {"BEGIN", "SET"}, 'T');
  s.send(query("SELECT 1/0"));
  s.settings.on_error_response();
  s.settings.on_ready_for_query('E');
  s.run("COMMIT", {"ROLLBACK"});
  CHECK(s.value("search_path") == "b");
}

TEST_CASE("an error rolls back the implicit transaction of a multi-statement Query", "[session_state]") {
  Session s;
  s.send(query("SET search_path TO x; SELECT 1/0"));
  s.settings.on_command_complete("SET");
  s.settings.on_error_response();
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "<none>");
}

TEST_CASE("a Parse alone removes no state: the Bind that runs it does", "[session_state]") {
  Session s;
  s.run("SELECT pg_advisory_lock(1)", {"SELECT 1"});
  REQUIRE(s.settings.pinned() == SessionState::advisory_lock);
  // psycopg and asyncpg: Parse + Describe + Sync first. Nothing ran: the lock is still held.
  s.send(parse("u1", "SELECT pg_advisory_unlock_all()") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.settings.pinned() == SessionState::advisory_lock);
  // Then Bind + Execute + Sync: now it ran.
  s.send(bind("u1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK_FALSE(s.settings.pinned());
  // The same for UNLISTEN through the unnamed statement, in one round trip.
  s.run("LISTEN ch", {"LISTEN"});
  REQUIRE(s.settings.pinned() == SessionState::listen);
  s.send(parse("", "UNLISTEN *") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.settings.pinned() == SessionState::listen);
  s.send(parse("", "UNLISTEN *") + bind("") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("LISTEN pins after commit, UNLISTEN * releases", "[session_state]") {
  Session s;
  s.run("BEGIN; LISTEN ch", {"BEGIN", "LISTEN"}, 'T');
  CHECK_FALSE(s.settings.pinned());  // rolls back with its transaction
  s.run("COMMIT", {"COMMIT"});
  REQUIRE(s.settings.pinned() == SessionState::listen);
  CHECK(to_string(*s.settings.pinned()) == "listen");
  CHECK(s.settings.holds(SessionState::listen, "ch"));
  s.run("UNLISTEN *", {"UNLISTEN"});
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("advisory locks pin even if their transaction rolls back", "[session_state]") {
  Session s;
  s.run("BEGIN; SELECT pg_advisory_lock(1)", {"BEGIN", "SELECT 1"}, 'T');
  CHECK(s.settings.pinned() == SessionState::advisory_lock);
  s.run("ROLLBACK", {"ROLLBACK"});
  CHECK(s.settings.pinned() == SessionState::advisory_lock);
  s.run("SELECT pg_advisory_unlock_all()", {"SELECT 1"});
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("temporary tables, cursors WITH HOLD and PREPARE pin until gone", "[session_state]") {
  Session s;
  s.run("CREATE TEMP TABLE t (a int)", {"CREATE TABLE"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  s.run("DISCARD TEMP", {"DISCARD TEMP"});
  CHECK_FALSE(s.settings.pinned());

  s.run("PREPARE q AS SELECT 1", {"PREPARE"});
  CHECK(s.settings.pinned() == SessionState::sql_prepared_statement);
  s.run("DEALLOCATE q", {"DEALLOCATE"});
  CHECK_FALSE(s.settings.pinned());

  s.run("BEGIN; DECLARE c CURSOR WITH HOLD FOR SELECT 1; COMMIT", {"BEGIN", "DECLARE CURSOR", "COMMIT"});
  CHECK(s.settings.pinned() == SessionState::hold_cursor);
  s.run("CLOSE c", {"CLOSE CURSOR"});
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("temporary objects unpin once every one created is dropped", "[session_state]") {
  Session s;
  // Sequelize's findOrCreate: a pg_temp function created, called and dropped in one query.
  s.run("CREATE OR REPLACE FUNCTION pg_temp.testfunc() RETURNS int AS $f$ BEGIN RETURN 1; END $f$ LANGUAGE plpgsql; "
        "SELECT * FROM pg_temp.testfunc(); DROP FUNCTION IF EXISTS pg_temp.testfunc()",
        {"CREATE FUNCTION", "SELECT 1", "DROP FUNCTION"});
  CHECK_FALSE(s.settings.pinned());

  // Two overloads are two objects: one DROP leaves the other.
  s.run("CREATE FUNCTION pg_temp.f(int) RETURNS int AS 'select 1' LANGUAGE sql", {"CREATE FUNCTION"});
  s.run("CREATE FUNCTION pg_temp.f(text) RETURNS int AS 'select 2' LANGUAGE sql", {"CREATE FUNCTION"});
  s.run("CREATE TEMP TABLE t (a int)", {"CREATE TABLE"});
  s.run("DROP FUNCTION pg_temp.f(int)", {"DROP FUNCTION"});
  s.run("DROP TABLE t", {"DROP TABLE"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  // A DROP IF EXISTS of another signature succeeds without dropping anything.
  s.run("DROP FUNCTION IF EXISTS pg_temp.f()", {"DROP FUNCTION"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  s.run("DROP FUNCTION pg_temp.f(text)", {"DROP FUNCTION"});
  CHECK_FALSE(s.settings.pinned());

  // A DROP that rolls back drops nothing; dropping a table never created as temporary removes nothing.
  s.run("CREATE TEMP TABLE t (a int)", {"CREATE TABLE"});
  s.run("BEGIN; DROP TABLE t", {"BEGIN", "DROP TABLE"}, 'T');
  s.run("ROLLBACK", {"ROLLBACK"});
  s.run("DROP TABLE other", {"DROP TABLE"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  s.run("DROP TABLE t", {"DROP TABLE"});
  CHECK_FALSE(s.settings.pinned());

  // A renamed temporary table is not unpinned by a DROP IF EXISTS of its old name.
  s.run("CREATE TEMP TABLE t (a int)", {"CREATE TABLE"});
  s.run("ALTER TABLE t RENAME TO renamed", {"ALTER TABLE"});
  s.run("DROP TABLE IF EXISTS t", {"DROP TABLE"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  s.run("DISCARD TEMP", {"DISCARD TEMP"});
  CHECK_FALSE(s.settings.pinned());

  // What has no name stays until DISCARD TEMP.
  s.run("SELECT 1 INTO TEMP u", {"SELECT 1"});
  s.run("DROP TABLE u", {"DROP TABLE"});
  CHECK(s.settings.pinned() == SessionState::temporary_objects);
  s.run("DISCARD TEMP", {"DISCARD TEMP"});
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("a failed statement changes nothing", "[session_state]") {
  Session s;
  s.send(query("LISTEN ch"));
  s.settings.on_error_response();
  s.settings.on_ready_for_query('I');
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("DISCARD ALL clears settings (role too) and state, not unknown state", "[session_state]") {
  Session s;
  s.run("SET ROLE app; SET search_path TO x; LISTEN ch", {"SET", "SET", "LISTEN"});
  CHECK(s.value("role") == "app");
  s.run("RESET ALL", {"RESET"});
  CHECK(s.value("role") == "app");  // RESET ALL leaves role alone
  CHECK(s.value("search_path") == "<none>");
  s.run("DISCARD ALL", {"DISCARD ALL"});
  CHECK(s.settings.settings().empty());
  CHECK(s.backend.settings.empty());
  CHECK_FALSE(s.settings.pinned());
  s.run("LOAD 'x'", {"LOAD"});
  s.run("DISCARD ALL", {"DISCARD ALL"});
  CHECK(s.settings.pinned() == SessionState::unknown);
}

TEST_CASE("an extended-protocol SET counts when its Sync comes back clean", "[session_state]") {
  Session s;
  s.send(parse("", "SET search_path TO ext") + message('B', "\0\0\0\0\0\0\0"s) + message('E', "\0\0\0\0\0"s) + sync_message());
  s.settings.on_command_complete("SET");
  CHECK(s.value("search_path") == "<none>");
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "ext");

  s.send(parse("", "SET search_path TO bad") + sync_message());
  s.settings.on_error_response();
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "ext");

  s.send(parse("s1", "LISTEN x") + sync_message());
  s.settings.on_error_response();  // a failed batch still pins what it may have made
  s.settings.on_ready_for_query('I');
  CHECK(s.settings.pinned() == SessionState::listen);
}

TEST_CASE("pipelined queries are confirmed in order", "[session_state]") {
  Session s;
  s.send(query("SET search_path TO one") + query("SELECT 1/0") + query("SET search_path TO two"));
  s.settings.on_command_complete("SET");
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "one");
  s.settings.on_error_response();
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "one");
  s.settings.on_command_complete("SET");
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "two");
}

TEST_CASE("reported parameters come from ParameterStatus, not from SET", "[session_state]") {
  Session s;
  s.run("SET TimeZone TO 'UTC'; SET application_name = 'x'", {"SET", "SET"});
  CHECK(s.settings.settings().empty());
  s.settings.set_reported("TimeZone", "UTC");
  CHECK(*s.settings.find_reported("timezone") == "UTC");
}

TEST_CASE("a backend is brought to the client's settings: RESET what it lacks, SET what it has",
          "[session_state]") {
  Session first;
  first.run("SET ROLE app; SET statement_timeout TO '5s'; SET myapp.tenant TO 'a''b'", {"SET", "SET", "SET"});
  REQUIRE(first.backend.settings.size() == 3);

  SessionSettings second;
  second.set_reported("client_encoding", "UTF8");
  second.set_reported("TimeZone", "UTC");
  ClientTextReader reader(1 << 20);
  BackendSettings other;
  second.attach(&other);
  const auto bytes = query("SET search_path TO \"$user\", public");
  for (const auto& event : reader.feed(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                                       second.lex_options(), second.client_encoding())) {
    second.on_client_event(event);
  }
  second.on_command_complete("SET");
  second.on_ready_for_query('I');

  const Parameters backend_reported{{"client_encoding", "UTF8"}, {"TimeZone", "Europe/Paris"}};
  const auto queries = second.sync_queries(backend_reported, first.backend);
  REQUIRE(queries);
  REQUIRE(queries->size() == 1);
  CHECK((*queries)[0] ==
        "RESET ROLE;RESET \"statement_timeout\";RESET \"myapp.tenant\";SET TimeZone TO E'UTC';"
        "SET \"search_path\" TO \"$user\", public");
  second.synced(first.backend);
  CHECK(first.backend.settings == second.settings());
  CHECK(second.sync_queries({{"client_encoding", "UTF8"}, {"TimeZone", "UTC"}}, first.backend)->empty());
}

TEST_CASE("values are replayed in the client_encoding they were written in", "[session_state]") {
  Session s;
  s.settings.set_reported("client_encoding", "SJIS");
  // 0x95 0x5C is one SJIS character whose second byte looks like a backslash.
  s.run("SET myapp.name TO '\x95\x5C'", {"SET"});
  s.settings.set_reported("client_encoding", "UTF8");
  const auto queries = s.settings.sync_queries({{"client_encoding", "UTF8"}}, BackendSettings{});
  REQUIRE(queries);
  REQUIRE(queries->size() == 3);
  CHECK((*queries)[0] == "SET client_encoding TO E'SJIS'");
  CHECK((*queries)[1] == "SET \"myapp.name\" TO E'\x95\x5C'");  // the lexer writes it E'', still one SJIS character
  CHECK((*queries)[2] == "SET client_encoding TO E'UTF8'");
}

TEST_CASE("reported parameters are quoted for the client's encoding", "[session_state]") {
  SessionSettings s;
  s.set_reported("client_encoding", "SJIS");
  s.set_reported("application_name", "\x95\x5C'");
  const auto queries = s.sync_queries({{"client_encoding", "SJIS"}}, BackendSettings{});
  REQUIRE(queries);
  REQUIRE(queries->size() == 1);
  CHECK((*queries)[0] == "SET application_name TO E'\x95\x5C'''");
}

TEST_CASE("settings beyond the cap pin the client", "[session_state]") {
  Session s;
  for (std::size_t i = 0; i < kMaxClientSettings; ++i) s.run("SET myapp.v" + std::to_string(i) + " TO 1", {"SET"});
  CHECK_FALSE(s.settings.pinned());
  s.run("SET myapp.one_too_many TO 1", {"SET"});
  CHECK(s.settings.pinned() == SessionState::unknown);
}

TEST_CASE("server_reset_query clears a backend's record", "[session_state]") {
  BackendSettings backend;
  backend.settings.push_back({SettingChange{SettingAction::set, SettingSyntax::role, "role", "app"}, "UTF8"});
  backend.settings.push_back({SettingChange{SettingAction::set, SettingSyntax::generic, "search_path", "x"}, "UTF8"});
  SessionSettings::apply_to_backend("RESET ALL", backend);
  CHECK(backend.settings.size() == 1);
  SessionSettings::apply_to_backend("DISCARD ALL", backend);
  CHECK(backend.settings.empty());
}

TEST_CASE("garbage client bytes never crash the reader", "[session_state]") {
  std::mt19937 random(12);
  for (int run = 0; run < 2000; ++run) {
    Session s;
    std::string bytes = query("SET a.b TO 1; LISTEN x");
    for (auto& byte : bytes) {
      if (random() % 8 == 0) byte = static_cast<char>(random());
    }
    s.send(bytes, random() % bytes.size());
    s.settings.on_command_complete("SET");
    s.settings.on_error_response();
    s.settings.on_ready_for_query('I');
  }
}

TEST_CASE("startup options are read as PostgreSQL reads them", "[session_state]") {
  CHECK(read_startup_options("-c search_path=a,b  --extra-float-digits=3 -cstatement_timeout=5s -d 2") ==
        Parameters{{"search_path", "a,b"}, {"extra_float_digits", "3"}, {"statement_timeout", "5s"}});
  CHECK(read_startup_options(R"(-c myapp.name=two\ words -c)") == Parameters{{"myapp.name", "two words"}});
  CHECK(read_startup_options("").empty());
}

TEST_CASE("a startup setting is the client's from the start and what RESET goes back to", "[session_state]") {
  Session s;
  REQUIRE(s.settings.set_startup("search_path", "a, b"));
  CHECK(SessionSettings::is_startup_setting("extra_float_digits"));
  CHECK_FALSE(SessionSettings::is_startup_setting("options"));
  CHECK_FALSE(SessionSettings::is_startup_setting("_pq_.x"));
  auto queries = s.settings.sync_queries({{"client_encoding", "UTF8"}}, BackendSettings{});
  REQUIRE(queries);
  CHECK(*queries == std::vector<std::string>{"SELECT pg_catalog.set_config(E'search_path', E'a, b', false)"});
  s.run("SET search_path TO c", {"SET"});
  CHECK(s.value("search_path") == "c");
  s.run("RESET search_path", {"RESET"});
  CHECK(s.value("search_path") == "E'a, b'");
  CHECK(s.backend.settings.empty());  // the backend went back to its own default
  s.run("SET search_path TO c; RESET ALL", {"SET", "RESET"});
  CHECK(s.value("search_path") == "E'a, b'");
}

TEST_CASE("a prepared SET run again by Bind alone counts again, once per run", "[session_state]") {
  Session s;
  // Parse + Bind + Sync: the Parse's event stands for this first run.
  s.send(parse("s1", "SET search_path TO a") + bind("s1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "a");
  s.run("RESET search_path", {"RESET"});
  CHECK(s.value("search_path") == "<none>");
  // Bind + Sync of the same statement: it runs again.
  s.send(bind("s1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "a");
  // Closed: a Bind of that name no longer runs it.
  s.run("RESET search_path", {"RESET"});
  s.send(close_statement("s1") + bind("s1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.value("search_path") == "<none>");
  // An advisory lock prepared once and taken again pins again.
  s.send(parse("l1", "SELECT pg_advisory_lock(1)") + bind("l1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.settings.pinned());
  s.run("SELECT pg_advisory_unlock_all()", {"SELECT 1"});
  CHECK_FALSE(s.settings.pinned());
  s.send(bind("l1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK(s.settings.pinned());
  // DISCARD ALL forgets every prepared statement.
  s.run("DISCARD ALL", {"DISCARD ALL"});
  s.send(bind("l1") + sync_message());
  s.settings.on_ready_for_query('I');
  CHECK_FALSE(s.settings.pinned());
}

TEST_CASE("SET SESSION AUTHORIZATION ends the client's SET ROLE, as on the server", "[session_state]") {
  for (const char* authorization : {"SET SESSION AUTHORIZATION app", "SET SESSION AUTHORIZATION DEFAULT",
                                    "RESET SESSION AUTHORIZATION"}) {
    Session s;
    s.run("SET ROLE other", {"SET"});
    CHECK(s.value("role") != "<none>");
    s.run(authorization, {"SET"});
    CHECK(s.value("role") == "<none>");
    // Nothing replays the role it gave up on the next backend.
    const auto queries = s.settings.sync_queries({{"client_encoding", "UTF8"}}, BackendSettings{});
    REQUIRE(queries);
    for (const auto& sql : *queries) CHECK(sql.find("ROLE") == std::string::npos);
  }
}

TEST_CASE("settings are replayed in the order the client made them, around its role", "[session_state]") {
  Session s;
  s.run("SET session_replication_role = replica; SET ROLE other", {"SET", "SET"});
  auto queries = s.settings.sync_queries({{"client_encoding", "UTF8"}}, BackendSettings{});
  REQUIRE(queries);
  REQUIRE(queries->size() == 1);
  const auto& sql = queries->front();
  CHECK(sql.find("session_replication_role") < sql.find("ROLE other"));

  // A backend that has the client's role already, but not the setting made before it: the role
  // goes and comes back after the setting.
  BackendSettings backend;
  backend.settings.push_back({SettingChange{SettingAction::set, SettingSyntax::role, "role", "other"}, "UTF8"});
  queries = s.settings.sync_queries({{"client_encoding", "UTF8"}}, backend);
  REQUIRE(queries);
  REQUIRE(queries->size() == 1);
  const auto& again = queries->front();
  CHECK(again.starts_with("RESET ROLE"));
  CHECK(again.find("session_replication_role") < again.rfind("ROLE other"));

  // A role first and a setting after it: the role first.
  Session t;
  t.run("SET ROLE admin; SET log_min_duration_statement = 0", {"SET", "SET"});
  queries = t.settings.sync_queries({{"client_encoding", "UTF8"}}, BackendSettings{});
  REQUIRE(queries);
  CHECK(queries->front().find("ROLE admin") < queries->front().find("log_min_duration_statement"));
}

TEST_CASE("a backend last brought to these very reported values, with no change since, needs no sync",
          "[session_state]") {
  sluice::core::StringInterner strings;
  auto client_with = [&](std::string_view application_name) {
    SessionSettings settings;
    settings.set_reported("client_encoding", "UTF8");
    settings.set_reported("TimeZone", "UTC");
    if (!application_name.empty()) settings.set_reported("application_name", application_name);
    settings.share_reported(strings);
    return settings;
  };
  SessionSettings first = client_with("app");
  SessionSettings second = client_with("app");  // the same values: the same shared copy
  BackendSettings backend;
  CHECK_FALSE(first.in_sync_with(backend));  // never synced
  first.synced(backend);
  CHECK(first.in_sync_with(backend));
  CHECK(second.in_sync_with(backend));

  SECTION("the backend reported a change since") {
    backend.reported_change();
    CHECK_FALSE(second.in_sync_with(backend));
  }
  SECTION("other reported values") { CHECK_FALSE(client_with("other").in_sync_with(backend)); }
  SECTION("a value the last client did not know, even an empty one") {
    SessionSettings knows_more = client_with("app");
    knows_more.set_reported("IntervalStyle", "");  // known now, and empty as when unknown
    knows_more.share_reported(strings);
    CHECK_FALSE(knows_more.in_sync_with(backend));
  }
  SECTION("a setting of the client's the backend does not have") {
    Session with_setting;
    with_setting.run("SET search_path TO a", {"SET"});
    with_setting.settings.share_reported(strings);
    BackendSettings plain;
    with_setting.settings.synced(plain);
    CHECK(with_setting.settings.in_sync_with(plain));
    plain.settings.clear();  // as if another client's lease had RESET it
    CHECK_FALSE(with_setting.settings.in_sync_with(plain));
  }
}
