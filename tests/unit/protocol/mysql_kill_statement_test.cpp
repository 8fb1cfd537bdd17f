#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/kill_statement.hpp"

using namespace sluice::mysql;

TEST_CASE("KILL statements name a scope and a connection id", "[mysql][kill]") {
  CHECK(parse_kill_statement("KILL 42") == KillStatement{KillScope::connection, 42});
  CHECK(parse_kill_statement("kill connection 42") == KillStatement{KillScope::connection, 42});
  CHECK(parse_kill_statement("  KILL QUERY 7 ; ") == KillStatement{KillScope::query, 7});
  CHECK(parse_kill_statement("KILL QUERY 7;") == KillStatement{KillScope::query, 7});
  CHECK(parse_kill_statement("KILL HARD QUERY 9") == KillStatement{KillScope::query, 9});
  CHECK(parse_kill_statement("KILL SOFT CONNECTION 9") == KillStatement{KillScope::connection, 9});
  CHECK(parse_kill_statement("KILL\tQUERY\n4294967295") == KillStatement{KillScope::query, 4294967295u});
  // Comments anywhere, as sqlcommenter and pt-kill write them.
  CHECK(parse_kill_statement("/* app:web */ KILL QUERY 142") == KillStatement{KillScope::query, 142});
  CHECK(parse_kill_statement("KILL QUERY 142 /*traceparent='00-ab'*/") == KillStatement{KillScope::query, 142});
  CHECK(parse_kill_statement("KILL 7 -- note") == KillStatement{KillScope::connection, 7});
  CHECK(parse_kill_statement("KILL QUERY 7;;") == KillStatement{KillScope::query, 7});
}

TEST_CASE("KILL forms that name no connection are recognised without an id", "[mysql][kill]") {
  CHECK(parse_kill_statement("KILL USER app") == KillStatement{KillScope::connection, std::nullopt});
  CHECK(parse_kill_statement("KILL USER 'app'@'%'") == KillStatement{KillScope::connection, std::nullopt});
  CHECK(parse_kill_statement("KILL QUERY ID 12") == KillStatement{KillScope::query, std::nullopt});
}

TEST_CASE("Anything else is not a KILL statement", "[mysql][kill]") {
  CHECK_FALSE(parse_kill_statement("KILL"));
  CHECK_FALSE(parse_kill_statement("KILL QUERY"));
  CHECK_FALSE(parse_kill_statement("KILL 1 2"));
  CHECK_FALSE(parse_kill_statement("KILL -1"));
  CHECK_FALSE(parse_kill_statement("KILL 0x10"));
  CHECK_FALSE(parse_kill_statement("KILL 99999999999999999999999"));
  CHECK_FALSE(parse_kill_statement("KILLQUERY 1"));
  CHECK_FALSE(parse_kill_statement("SELECT 1"));
  CHECK_FALSE(parse_kill_statement("KILL 1; SELECT 1"));
  CHECK_FALSE(parse_kill_statement("SELECT 1; KILL 1"));
}

TEST_CASE("contains_kill finds a KILL wherever a statement starts, past comments", "[mysql][kill]") {
  CHECK(contains_kill("KILL 1"));
  CHECK(contains_kill("  kill query 1; select 2"));
  CHECK(contains_kill("KILL;"));
  CHECK(contains_kill("/* app:web */ KILL QUERY 142"));
  CHECK(contains_kill("-- note\nKILL 5"));
  CHECK(contains_kill("# note\nKILL 5"));
  CHECK(contains_kill("/*!KILL 5*/"));
  CHECK(contains_kill("SELECT 1; KILL 5"));
  CHECK(contains_kill("PREPARE s FROM 'KILL QUERY 5'"));
  CHECK(contains_kill("EXECUTE IMMEDIATE '/* x */ kill 5'"));
  CHECK_FALSE(contains_kill("KILLED"));
  CHECK_FALSE(contains_kill("SELECT 'KILL 1'"));
  CHECK_FALSE(contains_kill("SELECT skill FROM t"));
  CHECK_FALSE(contains_kill("SELECT 1 /* KILL 5 */"));
  CHECK_FALSE(contains_kill(""));
}

TEST_CASE("COM_PROCESS_KILL carries a 4-byte connection id", "[mysql][kill]") {
  const std::uint8_t id[] = {0x2a, 0x01, 0x00, 0x80};
  CHECK(parse_process_kill(id) == KillStatement{KillScope::connection, 0x8000012au});
  const std::uint8_t short_id[] = {1, 2, 3};
  CHECK_FALSE(parse_process_kill(short_id));
}
