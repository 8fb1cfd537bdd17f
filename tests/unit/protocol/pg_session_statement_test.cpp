// Statement splitting and classification: what follows the client, what pins, what clears.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/session_statement.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace sluice::pg {
std::ostream& operator<<(std::ostream& out, const SettingChange& change) {
  return out << "{action " << static_cast<int>(change.action) << " syntax " << static_cast<int>(change.syntax) << " "
             << change.name << " = [" << change.value << "]}";
}
std::ostream& operator<<(std::ostream& out, const SessionStateChange& change) {
  return out << "{state " << static_cast<int>(change.state) << " change " << static_cast<int>(change.change) << " "
             << change.name << "}";
}
}  // namespace sluice::pg

namespace {

constexpr LexOptions kEscapes{ClientEncoding::server_safe, false};

// The effects of a text holding exactly one statement.
StatementEffects effects_of(std::string_view text, LexOptions options = {}) {
  const auto statements = scan_statements(text, options);
  REQUIRE(statements.size() == 1);
  return statements[0].effects;
}

SettingChange set(std::string name, std::string value, SettingSyntax syntax = SettingSyntax::generic) {
  return SettingChange{SettingAction::set, syntax, std::move(name), std::move(value)};
}
SettingChange reset(std::string name) { return SettingChange{SettingAction::reset, SettingSyntax::generic, std::move(name), {}}; }
SettingChange reset_all() { return SettingChange{SettingAction::reset_all, SettingSyntax::generic, {}, {}}; }

std::vector<SettingChange> settings_of(std::string_view text, LexOptions options = {}) {
  return effects_of(text, options).settings;
}

std::vector<SessionStateChange> state_of(std::string_view text, LexOptions options = {}) {
  const auto effects = effects_of(text, options);
  CHECK(effects.settings.empty());
  return effects.state;
}

SessionStateChange added(SessionState state, std::string name = {}) { return {state, StateChange::add, std::move(name)}; }
SessionStateChange removed(SessionState state, std::string name) { return {state, StateChange::remove, std::move(name)}; }
SessionStateChange cleared(SessionState state) { return {state, StateChange::clear, {}}; }
SessionStateChange unknown(std::string what) { return added(SessionState::unknown, std::move(what)); }

using Settings = std::vector<SettingChange>;
using States = std::vector<SessionStateChange>;

}  // namespace

TEST_CASE("statements are split at semicolons outside quotes and cover the text", "[sql]") {
  const std::string text = "SET a = 'x;y'; /* ; */ SELECT $$;$$;; -- ;\n LISTEN \"c;\"";
  const auto statements = scan_statements(text);
  REQUIRE(statements.size() == 4);
  CHECK(statements[0].begin == 0);
  CHECK(text.substr(statements[0].begin, statements[0].end - statements[0].begin) == "SET a = 'x;y';");
  CHECK(text.substr(statements[1].begin, statements[1].end - statements[1].begin) == " /* ; */ SELECT $$;$$;");
  CHECK(text.substr(statements[2].begin, statements[2].end - statements[2].begin) == ";");
  CHECK(statements[2].empty);  // no response from the server for it
  CHECK(text.substr(statements[3].begin) == " -- ;\n LISTEN \"c;\"");
  CHECK(statements[3].end == text.size());
  CHECK(statements[0].effects.settings == Settings{set("a", "'x;y'")});
  CHECK(statements[1].effects.empty());
  CHECK(statements[3].effects.state == States{added(SessionState::listen, "c;")});

  CHECK(scan_statements("").empty());
  const auto spaces = scan_statements("  ");
  REQUIRE(spaces.size() == 1);
  CHECK(spaces[0].empty);
  CHECK(scan_statements("SELECT 1;").size() == 1);
}

TEST_CASE("SET in all its spellings follows the client", "[sql]") {
  CHECK(settings_of("SET search_path TO \"$user\", public") == Settings{set("search_path", "\"$user\", public")});
  CHECK(settings_of("set SESSION Search_Path = myschema") == Settings{set("search_path", "myschema")});
  CHECK(settings_of("SET \"Search_Path\" = a,b") == Settings{set("Search_Path", "a,b")});
  CHECK(settings_of("SET myapp.user_id = 42") == Settings{set("myapp.user_id", "42")});
  CHECK(settings_of("SET statement_timeout TO DEFAULT") == Settings{set("statement_timeout", "default")});
  CHECK(settings_of("SET work_mem = '64MB' /* c */ ;") == Settings{set("work_mem", "'64MB'")});
  CHECK(settings_of("SET x = -1") == Settings{set("x", "-1")});
  CHECK(settings_of("SET search_path = a /* c */ , b") == Settings{set("search_path", "a , b")});
  CHECK(settings_of("SET TIME ZONE 'Europe/Paris'") ==
        Settings{set("timezone", "'Europe/Paris'", SettingSyntax::time_zone)});
  CHECK(settings_of("SET TIME ZONE LOCAL") == Settings{set("timezone", "local", SettingSyntax::time_zone)});
  CHECK(settings_of("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE") ==
        Settings{set("timezone", "interval '+02:00' hour to minute", SettingSyntax::time_zone)});
  CHECK(settings_of("SET timezone = 'UTC'") == Settings{set("timezone", "'UTC'")});
  CHECK(settings_of("SET NAMES 'LATIN1'") == Settings{set("client_encoding", "'LATIN1'")});
  CHECK(settings_of("SET NAMES") == Settings{set("client_encoding", "default")});
  CHECK(settings_of("SET SCHEMA 'app'") == Settings{set("search_path", "'app'")});
  CHECK(settings_of("SET XML OPTION DOCUMENT") == Settings{set("xmloption", "document")});
  CHECK(settings_of("SET ROLE admin") == Settings{set("role", "admin", SettingSyntax::role)});
  CHECK(settings_of("SET ROLE NONE") == Settings{set("role", "none", SettingSyntax::role)});
  CHECK(settings_of("SET SESSION ROLE 'x'") == Settings{set("role", "'x'", SettingSyntax::role)});
  CHECK(settings_of("SET role = admin") == Settings{set("role", "admin")});
  CHECK(settings_of("SET SESSION AUTHORIZATION bob") ==
        Settings{set("session_authorization", "bob", SettingSyntax::session_authorization)});
  CHECK(settings_of("SET SESSION AUTHORIZATION DEFAULT") ==
        Settings{set("session_authorization", "default", SettingSyntax::session_authorization)});
  CHECK(settings_of("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") ==
        Settings{set("default_transaction_isolation", "'repeatable read'"), set("default_transaction_read_only", "on")});
  CHECK(settings_of("SET SESSION CHARACTERISTICS AS TRANSACTION NOT DEFERRABLE READ WRITE") ==
        Settings{set("default_transaction_deferrable", "off"), set("default_transaction_read_only", "off")});
}

TEST_CASE("transaction-scoped SETs are not settings", "[sql]") {
  for (const auto text : {"SET LOCAL search_path = x"sv, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"sv,
                          "SET TRANSACTION SNAPSHOT '0001'"sv, "SET CONSTRAINTS ALL DEFERRED"sv,
                          "SET transaction_isolation = 'serializable'"sv, "SET work_mem FROM CURRENT"sv,
                          "SET LOCAL ROLE admin"sv, "RESET transaction_read_only"sv,
                          "RESET TRANSACTION ISOLATION LEVEL"sv, "SET CATALOG 'x'"sv}) {
    INFO(text);
    CHECK(effects_of(text).empty());
  }
}

TEST_CASE("SET Sluice cannot read pins", "[sql]") {
  CHECK(state_of("SET") == States{unknown("SET")});
  CHECK(state_of("SET search_path") == States{unknown("SET")});
  CHECK(state_of("SET a.b. = 1") == States{unknown("SET")});
  CHECK(state_of("SET ROLE") == States{unknown("SET")});
  CHECK(state_of("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SOMETIMES") ==
        States{unknown("SET SESSION CHARACTERISTICS")});
  CHECK(state_of("SET x = N'text'") == States{unknown("SET")});
  const std::string huge = "SET search_path = " + std::string(9000, 'a');
  CHECK(state_of(huge) == States{unknown("SET")});
  std::string many = "SET search_path = a";
  for (int i = 0; i < 300; ++i) many += ", a";
  CHECK(state_of(many) == States{unknown("SET")});
}

TEST_CASE("RESET", "[sql]") {
  CHECK(settings_of("RESET search_path") == Settings{reset("search_path")});
  CHECK(settings_of("RESET \"Work_Mem\"") == Settings{reset("Work_Mem")});
  CHECK(settings_of("RESET ALL") == Settings{reset_all()});
  CHECK(settings_of("reset time zone") == Settings{reset("timezone")});
  CHECK(settings_of("RESET ROLE") == Settings{reset("role")});
  CHECK(settings_of("RESET SESSION AUTHORIZATION") == Settings{reset("session_authorization")});
  CHECK(state_of("RESET") == States{unknown("RESET")});
  CHECK(state_of("RESET ALL x") == States{unknown("RESET")});
}

TEST_CASE("values read as the server read them, written to mean the same wherever replayed", "[sql]") {
  // standard_conforming_strings on: a backslash is a character; replayed as E'' with it doubled.
  CHECK(settings_of(R"(SET search_path = 'a\b')") == Settings{set("search_path", R"(E'a\\b')")});
  // off: the server read escapes; replayed as E'' unchanged.
  CHECK(settings_of(R"(SET search_path = 'a\'b')", kEscapes) == Settings{set("search_path", R"(E'a\'b')")});
  // Without a backslash it means the same either way: kept as written.
  CHECK(settings_of("SET application_name = 'plain'", kEscapes) == Settings{set("application_name", "'plain'")});
  CHECK(settings_of("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ", kEscapes) ==
        Settings{set("default_transaction_isolation", "'repeatable read'")});
  CHECK(settings_of(R"(SET application_name = E'x\ty')") == Settings{set("application_name", R"(E'x\ty')")});
  CHECK(settings_of("SET application_name = $$it's$$") == Settings{set("application_name", "$$it's$$")});
  // SJIS: the 0x5C of 0x83 0x5C is part of the character and is not doubled.
  CHECK(settings_of("SET application_name = '\x83\x5C\\'", {ClientEncoding::sjis, true}) ==
        Settings{set("application_name", "E'\x83\x5C\\\\'")});
  // A continued string keeps its parts; one space where comments were between tokens.
  CHECK(settings_of("SET application_name = 'a'\n'b'") == Settings{set("application_name", "'a'\n'b'")});
}

TEST_CASE("set_config with literals is a setting, otherwise it pins", "[sql]") {
  CHECK(settings_of("SELECT set_config('search_path', '\"$user\", public', false)") ==
        Settings{set("search_path", "'\"$user\", public'", SettingSyntax::set_config)});
  CHECK(settings_of("select pg_catalog.set_config('MyApp.Tenant', $$42$$, FALSE)") ==
        Settings{set("myapp.tenant", "$$42$$", SettingSyntax::set_config)});
  CHECK(settings_of("SELECT set_config(E'a.b', 'v', false), set_config('c.d', NULL, false)") ==
        Settings{set("a.b", "'v'", SettingSyntax::set_config), set("c.d", "null", SettingSyntax::set_config)});
  CHECK(settings_of("SELECT \"set_config\"('x.y', 'v', false)") == Settings{set("x.y", "'v'", SettingSyntax::set_config)});
  CHECK(effects_of("SELECT set_config('search_path', 'x', true)").empty());  // local to the transaction
  CHECK(effects_of("SELECT myschema.set_config('a', 'b', false)").empty());  // someone else's function
  CHECK(state_of("SELECT set_config($1, $2, false)") == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a.b', current_user, false)") == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a.b', lower('X'), false)") == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a.b', 'x', is_local)") == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a.b', 'x')") == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a\\b', 'x', false)", kEscapes) == States{unknown("set_config()")});
  CHECK(state_of("SELECT set_config('a.b', 'x', false") == States{unknown("set_config()")});  // never closed
  // A SET's value runs nothing (found by the pg_sql_lexer fuzz target).
  CHECK(settings_of("SET a TO set_config('_','',false)") == Settings{set("a", "set_config('_','',false)")});
  CHECK(settings_of("SET a = pg_advisory_lock(1)") == Settings{set("a", "pg_advisory_lock(1)")});
}

TEST_CASE("LISTEN pins until UNLISTEN", "[sql]") {
  CHECK(state_of("LISTEN Channel") == States{added(SessionState::listen, "channel")});
  CHECK(state_of("LISTEN \"Channel\"") == States{added(SessionState::listen, "Channel")});
  CHECK(state_of("UNLISTEN channel") == States{removed(SessionState::listen, "channel")});
  CHECK(state_of("UNLISTEN *") == States{cleared(SessionState::listen)});
  CHECK(state_of("LISTEN") == States{unknown("LISTEN")});
  CHECK(state_of("UNLISTEN").empty());  // removes nothing Sluice can name
}

TEST_CASE("temporary objects pin until dropped by name or DISCARD TEMP", "[sql]") {
  const auto temp = [](std::string name = {}) { return States{added(SessionState::temporary_objects, std::move(name))}; };
  for (const auto& [text, name] : std::vector<std::pair<std::string_view, std::string>>{
           {"CREATE TEMP TABLE t (id int)", "t"},
           {"CREATE TEMPORARY TABLE IF NOT EXISTS t AS SELECT 1", "t"},
           {"create local temp table T ()", "t"},
           {"CREATE GLOBAL TEMPORARY TABLE \"T\" (x int)", "T"},
           {"CREATE TEMP VIEW v AS SELECT 1", "v"},
           {"CREATE OR REPLACE TEMP VIEW v AS SELECT 1", "v"},
           {"CREATE TEMP RECURSIVE VIEW v (n) AS SELECT 1", "v"},
           {"CREATE TEMP SEQUENCE s", "s"},
           {"CREATE TEMP TABLE t (x int) ON COMMIT DELETE ROWS", "t"},
           {"CREATE TEMP TABLE pg_temp.t (x int)", "t"},
           {"CREATE TABLE pg_temp.t (x int)", "t"},
           {"CREATE TABLE pg_temp_3.t (x int)", "t"},
           {"CREATE FUNCTION pg_temp.f() RETURNS int AS 'select 1' LANGUAGE sql", "f()"},
           {"CREATE OR REPLACE FUNCTION pg_temp.testfunc(OUT response \"public\".\"users\", OUT e text) RETURNS "
            "RECORD AS $func_1$ BEGIN END $func_1$ LANGUAGE plpgsql",
            "testfunc()"},
           {"CREATE FUNCTION pg_temp.f(IN a int, OUT b int, n numeric(10, 2) DEFAULT 1.5, VARIADIC v int[]) "
            "LANGUAGE sql AS 'select 1'",
            "f(a int, n numeric ( 10 , 2 ), variadic v int [ ])"},
           {"CREATE PROCEDURE pg_temp.p() LANGUAGE sql AS 'select 1'", "p()"},
           {"CREATE FUNCTION pg_temp.f RETURNS int AS 'select 1' LANGUAGE sql", ""},  // no arguments: unreadable
           // Not droppable by a name Sluice knows: pinned until DISCARD.
           {"CREATE INDEX ON pg_temp.t (x)", ""},
           {"CREATE TABLE copy AS SELECT * FROM pg_temp.t", ""},
           {"CREATE TYPE pg_temp.kind AS ENUM ('a')", ""},
           {"SELECT * INTO TEMP t FROM x", ""},
           {"SELECT * INTO LOCAL TEMPORARY TABLE t FROM x", ""},
           {"SELECT * INTO pg_temp.t FROM x", ""},
           {"WITH a AS (SELECT 1) SELECT * INTO TEMP t FROM a", ""},
           {"EXPLAIN ANALYZE CREATE TABLE pg_temp.t AS SELECT 1", ""}}) {
    INFO(text);
    CHECK(state_of(text) == temp(name));
  }
  CHECK(state_of("EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1") == temp("t"));
  CHECK(effects_of("CREATE TEMP TABLE t (x int) ON COMMIT DROP").empty());
  CHECK(effects_of("CREATE TABLE t (x int)").empty());
  CHECK(effects_of("INSERT INTO temp VALUES (1)").empty());
  CHECK(effects_of("INSERT INTO pg_temp.t VALUES (1)").empty());
  // Using a temporary object creates nothing (Sequelize calls its pg_temp function this way).
  CHECK(effects_of("SELECT (testfunc.response).*, testfunc.sequelize_caught_exception FROM pg_temp.testfunc()").empty());
  CHECK(effects_of("SELECT * FROM pg_temp.t").empty());
  CHECK(state_of("DISCARD TEMP") == States{cleared(SessionState::temporary_objects)});
  CHECK(state_of("DISCARD TEMPORARY") == States{cleared(SessionState::temporary_objects)});
  // pg_temp first in search_path makes later CREATE TABLEs temporary.
  const auto effects = effects_of("SET search_path = pg_temp, public");
  CHECK(effects.settings == Settings{set("search_path", "pg_temp, public")});
  CHECK(effects.state == temp());
}

TEST_CASE("DROP removes temporary relations by name, routines only in pg_temp", "[sql]") {
  const auto gone = [](std::string name) { return removed(SessionState::temporary_objects, std::move(name)); };
  CHECK(state_of("DROP TABLE t") == States{gone("t")});
  CHECK(state_of("drop table if exists T, pg_temp.u, public.v, \"W\" cascade") ==
        States{gone("t"), gone("u"), gone("W")});
  CHECK(state_of("DROP VIEW v") == States{gone("v")});
  CHECK(state_of("DROP SEQUENCE IF EXISTS s RESTRICT") == States{gone("s")});
  CHECK(state_of("DROP TABLE pg_temp_3.t") == States{gone("t")});
  CHECK(state_of("DROP FUNCTION IF EXISTS pg_temp.testfunc()") == States{gone("testfunc()")});
  // A routine's arguments are part of its key, as written: f(int) is not f() (a DROP IF EXISTS
  // of f() leaves f(int) there), and differently written types never match.
  CHECK(state_of("DROP FUNCTION pg_temp.f(int, numeric(10, 2)), pg_temp.g(x text)") ==
        States{gone("f(int, numeric ( 10 , 2 ))"), gone("g(x text)")});
  CHECK(state_of("DROP FUNCTION pg_temp.f(in a int, out b int)") == States{gone("f(a int)")});
  CHECK(state_of("DROP PROCEDURE pg_temp.p()") == States{gone("p()")});
  CHECK(effects_of("DROP FUNCTION pg_temp.g").empty());  // which overload is unknown: nothing removed
  CHECK(state_of("DROP FUNCTION f(), pg_temp.g()") == States{gone("g()")});
  // A routine is looked up in pg_temp only when it is named; other schemas' objects are not temporary.
  CHECK(effects_of("DROP FUNCTION f()").empty());
  CHECK(effects_of("DROP TABLE public.t").empty());
  CHECK(effects_of("DROP TABLE db.pg_temp.t").empty());
  CHECK(effects_of("DROP INDEX i").empty());
  CHECK(effects_of("DROP FUNCTION pg_temp.f(int").empty());  // unterminated arguments: nothing named
  // A rename of what may be temporary pins until DISCARD: a DROP of the old name must not unpin.
  const States unnamed{added(SessionState::temporary_objects)};
  CHECK(state_of("ALTER TABLE t RENAME TO u") == unnamed);
  CHECK(state_of("ALTER TABLE IF EXISTS pg_temp.t RENAME TO u") == unnamed);
  CHECK(state_of("ALTER FUNCTION pg_temp.f(int) RENAME TO g") == unnamed);
  CHECK(effects_of("ALTER TABLE public.t RENAME TO u").empty());
  CHECK(effects_of("ALTER TABLE t RENAME a TO b").empty());  // a column
  CHECK(effects_of("ALTER TABLE t ADD COLUMN x int").empty());
  CHECK(effects_of("ALTER ROLE app RENAME TO other").empty());
}

TEST_CASE("session advisory locks pin until pg_advisory_unlock_all", "[sql]") {
  const States lock{added(SessionState::advisory_lock)};
  CHECK(state_of("SELECT pg_advisory_lock(42)") == lock);
  CHECK(state_of("SELECT pg_catalog.pg_advisory_lock_shared(1, 2)") == lock);
  CHECK(state_of("SELECT pg_try_advisory_lock(hashtext('job'))") == lock);
  CHECK(state_of("SELECT x FROM t WHERE PG_TRY_ADVISORY_LOCK_SHARED(id)") == lock);
  CHECK(state_of("UPDATE jobs SET owner = 1 WHERE pg_advisory_lock(id) IS NOT NULL") == lock);
  CHECK(effects_of("SELECT pg_advisory_xact_lock(42)").empty());
  CHECK(effects_of("SELECT pg_try_advisory_xact_lock_shared(42)").empty());
  CHECK(effects_of("SELECT pg_advisory_unlock(42)").empty());  // locks stack: one unlock proves nothing
  CHECK(effects_of("SELECT 'pg_advisory_lock(1)'").empty());   // inside a string
  CHECK(effects_of("SELECT pg_advisory_lock").empty());        // a column, not a call
  CHECK(state_of("SELECT pg_advisory_unlock_all()") == States{cleared(SessionState::advisory_lock)});
  // Both in one statement: assume it ends holding one.
  CHECK(state_of("SELECT pg_advisory_lock(1), pg_advisory_unlock_all()") ==
        States{cleared(SessionState::advisory_lock), added(SessionState::advisory_lock)});
  // A routine's body runs later.
  CHECK(effects_of("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT pg_advisory_lock(1) $$").empty());
  CHECK(effects_of("CREATE OR REPLACE PROCEDURE p(x int DEFAULT pg_advisory_lock(1)) LANGUAGE sql AS ''").empty());
}

TEST_CASE("WITH HOLD cursors pin until CLOSE", "[sql]") {
  CHECK(state_of("DECLARE c CURSOR WITH HOLD FOR SELECT 1") == States{added(SessionState::hold_cursor, "c")});
  CHECK(state_of("DECLARE \"C\" BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT 1") ==
        States{added(SessionState::hold_cursor, "C")});
  CHECK(effects_of("DECLARE c CURSOR FOR SELECT 1").empty());
  CHECK(effects_of("DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1").empty());
  CHECK(effects_of("DECLARE c CURSOR FOR WITH hold AS (SELECT 1) SELECT * FROM hold").empty());
  CHECK(state_of("CLOSE c") == States{removed(SessionState::hold_cursor, "c")});
  CHECK(state_of("CLOSE ALL") == States{cleared(SessionState::hold_cursor)});
}

TEST_CASE("SQL-level PREPARE pins until DEALLOCATE", "[sql]") {
  CHECK(state_of("PREPARE q(int) AS SELECT $1") == States{added(SessionState::sql_prepared_statement, "q")});
  CHECK(effects_of("PREPARE TRANSACTION 'gid-1'").empty());  // two-phase commit
  CHECK(state_of("DEALLOCATE q") == States{removed(SessionState::sql_prepared_statement, "q")});
  CHECK(state_of("DEALLOCATE PREPARE \"Q\"") == States{removed(SessionState::sql_prepared_statement, "Q")});
  const auto all = effects_of("DEALLOCATE ALL");
  CHECK(all.state == States{cleared(SessionState::sql_prepared_statement)});
  CHECK(all.deallocate_all);
  CHECK_FALSE(all.discard_all);
  CHECK(effects_of("DEALLOCATE PREPARE ALL").deallocate_all);
  CHECK(state_of("PREPARE") == States{unknown("PREPARE")});
}

TEST_CASE("DISCARD ALL resets everything but unknown state", "[sql]") {
  const auto discard = effects_of("DISCARD ALL");
  CHECK(discard.discard_all);
  CHECK(discard.deallocate_all);
  CHECK(discard.settings == Settings{reset("session_authorization"), reset("role"), reset_all()});
  CHECK(discard.state == States{cleared(SessionState::listen), cleared(SessionState::temporary_objects),
                                cleared(SessionState::advisory_lock), cleared(SessionState::hold_cursor),
                                cleared(SessionState::sql_prepared_statement)});
  CHECK_FALSE(discard.pins());
  CHECK(effects_of("DISCARD PLANS").empty());
  CHECK(effects_of("DISCARD SEQUENCES").empty());
}

TEST_CASE("what Sluice cannot follow pins as unknown", "[sql]") {
  // Sluice does not look inside a DO block's body: the block itself pins.
  CHECK(state_of("DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$") == States{unknown("DO")});
  CHECK(state_of("LOAD 'auto_explain'") == States{unknown("LOAD")});
  CHECK(state_of("SELECT dblink_connect('c', 'dbname=x')") == States{unknown("dblink_connect()")});
  CHECK(state_of("SELECT 'open") == States{unknown("unterminated text")});
  const auto statements = scan_statements("SELECT 1; SELECT $x$ never closed");
  REQUIRE(statements.size() == 2);
  CHECK(statements[1].unterminated);
  CHECK(statements[1].effects.pins());
}

TEST_CASE("ordinary statements do nothing to the session", "[sql]") {
  for (const auto text : {"SELECT 1"sv, "INSERT INTO t VALUES ('SET x = 1; LISTEN y')"sv, "BEGIN"sv, "COMMIT"sv,
                          "UPDATE t SET search_path = 1"sv, "-- LISTEN x"sv, "/* SET a = 1 */ SELECT 2"sv,
                          "CREATE TABLE temp_things (x int)"sv, "COPY t FROM STDIN"sv, "EXPLAIN SELECT 1"sv,
                          "WITH x AS (SELECT 1) SELECT * FROM x"sv, "VALUES (1)"sv, "CALL p()"sv}) {
    INFO(text);
    CHECK(effects_of(text).empty());
  }
}

TEST_CASE("settings are replayed with the syntax they were made with", "[sql]") {
  const auto replay = [](const SettingChange& change) { return setting_statement(change, ClientEncoding::server_safe); };
  CHECK(replay(set("search_path", "\"$user\", public")) == "SET \"search_path\" TO \"$user\", public");
  CHECK(replay(set("a\"b", "1")) == "SET \"a\"\"b\" TO 1");
  CHECK(replay(set("timezone", "local", SettingSyntax::time_zone)) == "SET TIME ZONE local");
  CHECK(replay(set("role", "none", SettingSyntax::role)) == "SET ROLE none");
  CHECK(replay(set("session_authorization", "bob", SettingSyntax::session_authorization)) ==
        "SET SESSION AUTHORIZATION bob");
  CHECK(replay(set("search_path", "'a, b'", SettingSyntax::set_config)) ==
        "SELECT pg_catalog.set_config(E'search_path', 'a, b', false)");
  CHECK(replay(reset("Work_Mem")) == "RESET \"Work_Mem\"");
  CHECK(replay(reset_all()) == "RESET ALL");
  CHECK_FALSE(replay(set("", "1")));
  CHECK_FALSE(replay(set("x", "")));
  CHECK_FALSE(replay(set("x", "1\0"s)));
  // A set_config name is quoted as a literal: non-ASCII only when the encoding is known.
  CHECK_FALSE(setting_statement(set("\xE9t\xE9", "'v'", SettingSyntax::set_config), ClientEncoding::unknown));
  CHECK(setting_statement(set("\xE9t\xE9", "'v'", SettingSyntax::set_config), ClientEncoding::server_safe));
}

TEST_CASE("statements and effects are the same however the text is cut", "[sql]") {
  const std::string text =
      "SET search_path = 'a', \"b\"; LISTEN ch; SELECT set_config('x.y', $$v;$$, false), pg_advisory_lock(1);"
      " CREATE TEMP TABLE t (x int) ON COMMIT DELETE ROWS; DECLARE c CURSOR WITH HOLD FOR SELECT 1;"
      " SET TIME ZONE INTERVAL '+01:00' HOUR TO MINUTE; DISCARD ALL; SELECT 'tail";
  const auto whole = scan_statements(text);
  REQUIRE(whole.size() == 8);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    StatementScanner scanner;
    std::vector<Statement> pieces;
    for (const auto& statement : scanner.feed(std::string_view(text).substr(0, cut))) pieces.push_back(statement);
    for (const auto& statement : scanner.feed(std::string_view(text).substr(cut))) pieces.push_back(statement);
    for (const auto& statement : scanner.finish()) pieces.push_back(statement);
    REQUIRE(pieces == whole);
  }
  // Each statement, read on its own, says the same.
  for (const auto& statement : whole) {
    const auto alone = scan_statements(std::string_view(text).substr(statement.begin, statement.end - statement.begin));
    REQUIRE(alone.size() == 1);
    CHECK(alone[0].effects == statement.effects);
  }
}

TEST_CASE("a scanner is reused across texts", "[sql]") {
  StatementScanner scanner;
  CHECK(scanner.feed("LISTEN a; SELECT 'x").size() == 1);
  CHECK(scanner.finish().size() == 1);
  scanner.reset(kEscapes);
  const auto statements = scanner.feed("SET a = 'x\\'; LISTEN b'; LISTEN c;");
  REQUIRE(statements.size() == 2);
  CHECK(statements[0].begin == 0);
  CHECK(statements[0].effects.settings == Settings{set("a", "E'x\\'; LISTEN b'")});
  CHECK(statements[1].effects.state == States{added(SessionState::listen, "c")});
}

TEST_CASE("garbage: spans cover the text exactly once, and re-reading a statement agrees", "[sql]") {
  std::mt19937 random(7);
  static constexpr std::string_view kWords[] = {
      "SET ", "RESET ", "LISTEN ", "CREATE ", "TEMP ", "TABLE ", "SELECT ", "set_config(", "pg_advisory_lock(",
      "'", "\"", "$$", "$a$", ";", "--", "/*", "*/", "\n", ",", ")", "TO ", "= ", "E'", "\\", "DISCARD ", "ALL ",
      "DECLARE ", "WITH ", "HOLD ", "FOR ", "x ", "false", "INTO ", "pg_temp.", "\x83", "\x5C"};
  for (int run = 0; run < 2000; ++run) {
    std::string text;
    const int parts = static_cast<int>(random() % 24);
    for (int i = 0; i < parts; ++i) {
      if (random() % 5 == 0) {
        text.push_back(static_cast<char>(random()));
      } else {
        text += kWords[random() % std::size(kWords)];
      }
    }
    const LexOptions options{static_cast<ClientEncoding>(random() % 8), random() % 2 == 0};
    INFO("run " << run << " text " << text);
    const auto statements = scan_statements(text, options);
    std::size_t covered = 0;
    for (const auto& statement : statements) {
      REQUIRE(statement.begin == covered);
      REQUIRE(statement.end > statement.begin);
      covered = statement.end;
      const auto alone =
          scan_statements(std::string_view(text).substr(statement.begin, statement.end - statement.begin), options);
      REQUIRE(alone.size() == 1);
      REQUIRE(alone[0].effects == statement.effects);
    }
    REQUIRE(covered == text.size());
  }
}

TEST_CASE("a replayed setting reads back as the same setting", "[sql]") {
  const std::pair<std::string_view, LexOptions> cases[] = {
      {"SET search_path TO \"$user\", public", {}},
      {"SET \"My.Var\" = 'x''y'", {}},
      {"SET application_name = 'a\\b'", {}},
      {"SET application_name = 'a\\'b'", kEscapes},
      {"SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE", {}},
      {"SET ROLE NONE", {}},
      {"SET SESSION AUTHORIZATION 'bob'", {}},
      {"SET NAMES", {}},
      {"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY, ISOLATION LEVEL SERIALIZABLE", {}},
      {"SELECT set_config('search_path', 'a, \"B\"', false)", {}},
      {"SELECT set_config(E'odd\\\\name''s', $v$x$v$, false)", {}},
      {"SELECT set_config('x.y', 'v', false)", kEscapes},
      {"RESET \"Work_Mem\"", {}},
      {"RESET ALL", {}},
      {"SET application_name = '\x83\x5C\\'", {ClientEncoding::sjis, true}},
      {"SET T=EE''", {ClientEncoding::gbk, false}},  // found by the pg_sql_lexer fuzz target
      {"SELECT set_config('\xA4\\', ' ', false)", {ClientEncoding::big5, true}},  // fuzz finding
      {"SET \xC1\"S=S", {ClientEncoding::gbk, false}},  // fuzz finding: 0xC1 0x22 is one GBK character
      {"SELECT set_config(E'\x83\\\\\\', 'v', false)", {ClientEncoding::sjis, true}},
  };
  for (const auto& [text, options] : cases) {
    INFO(text);
    const auto settings = settings_of(text, options);
    REQUIRE_FALSE(settings.empty());
    for (const auto& setting : settings) {
      const auto replay = setting_statement(setting, options.encoding);
      REQUIRE(replay);
      INFO("replay: " << *replay);
      CHECK(settings_of(*replay, options) == Settings{setting});
    }
  }
  CHECK(settings_of("SELECT set_config(E'odd\\\\name''s', 'v', false)") ==
        Settings{set("odd\\name's", "'v'", SettingSyntax::set_config)});
}
