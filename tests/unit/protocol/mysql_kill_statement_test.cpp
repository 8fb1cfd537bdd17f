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
}

TEST_CASE("KILL forms that name no connection are recognised without an id", "[mysql][kill]") {
  CHECK(parse_kill_statement("KILL USER app") == KillStatement{KillScope::connection, std::nullopt});
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
}

TEST_CASE("starts_with_kill looks at the first word only", "[mysql][kill]") {
  CHECK(starts_with_kill("KILL 1"));
  CHECK(starts_with_kill("  kill query 1; select 2"));
  CHECK(starts_with_kill("KILL;"));
  CHECK_FALSE(starts_with_kill("KILLED"));
  CHECK_FALSE(starts_with_kill("SELECT 'KILL 1'"));
  CHECK_FALSE(starts_with_kill(""));
}

TEST_CASE("COM_PROCESS_KILL carries a 4-byte connection id", "[mysql][kill]") {
  const std::uint8_t id[] = {0x2a, 0x01, 0x00, 0x80};
  CHECK(parse_process_kill(id) == KillStatement{KillScope::connection, 0x8000012au});
  const std::uint8_t short_id[] = {1, 2, 3};
  CHECK_FALSE(parse_process_kill(short_id));
}
