// The console's command language: case, whitespace, semicolons, quoting, and garbage.
#include <catch2/catch.hpp>

#include <random>

#include "sluice/admin/admin_command.hpp"

using namespace sluice;
using admin::parse_admin_command;

TEST_CASE("commands parse case-insensitively with an optional trailing semicolon", "[admin]") {
  for (const char* text : {"SHOW POOLS", "show pools", "Show Pools;", "  show\tpools ; ", "\nSHOW POOLS;\n"}) {
    INFO(text);
    auto command = parse_admin_command(text);
    REQUIRE(command.ok());
    CHECK(command->verb == "show");
    REQUIRE(command->argument);
    CHECK(*command->argument == "pools");
    CHECK_FALSE(command->value);
  }
}

TEST_CASE("a database argument keeps its spelling, quoted names may hold anything", "[admin]") {
  auto plain = parse_admin_command("pause MyDb");
  REQUIRE(plain.ok());
  CHECK(plain->verb == "pause");
  CHECK(*plain->argument == "MyDb");

  auto quoted = parse_admin_command("KILL \"odd \"\"name\"\";\"");
  REQUIRE(quoted.ok());
  CHECK(quoted->verb == "kill");
  CHECK(*quoted->argument == "odd \"name\";");

  auto dashed = parse_admin_command("RECONNECT app-2.primary;");
  REQUIRE(dashed.ok());
  CHECK(*dashed->argument == "app-2.primary");
}

TEST_CASE("commands without an argument", "[admin]") {
  for (const char* text : {"RELOAD", "reload;", "PAUSE", "shutdown ;"}) {
    INFO(text);
    auto command = parse_admin_command(text);
    REQUIRE(command.ok());
    CHECK_FALSE(command->argument);
  }
}

TEST_CASE("an empty query is no command at all", "[admin]") {
  for (const char* text : {"", "   ", ";", " ; \n"}) {
    INFO("'" << text << "'");
    auto command = parse_admin_command(text);
    REQUIRE(command.ok());
    CHECK(command->empty());
  }
}

TEST_CASE("SET name = value and SET name TO value", "[admin]") {
  auto equals = parse_admin_command("SET Application_Name = 'psql tool';");
  REQUIRE(equals.ok());
  CHECK(equals->verb == "set");
  CHECK(*equals->argument == "application_name");
  CHECK(*equals->value == "psql tool");

  auto to = parse_admin_command("set extra_float_digits to 3");
  REQUIRE(to.ok());
  CHECK(*to->argument == "extra_float_digits");
  CHECK(*to->value == "3");

  for (const char* bad : {"SET", "SET x", "SET x =", "SET x = 1 2", "SET = 1", "SET x == 1"}) {
    INFO(bad);
    CHECK_FALSE(parse_admin_command(bad).ok());
  }
}

TEST_CASE("malformed commands are syntax errors (42601)", "[admin]") {
  for (const char* text : {"SHOW POOLS; SHOW STATS", "SHOW POOLS extra", "; SHOW POOLS", "SHOW 'pools'",
                           "\"show\" pools", "SHOW \"unterminated", "SELECT * FROM x", "SHOW POOLS;;",
                           "KILL app = 1", "PAUSE (app)"}) {
    INFO(text);
    auto command = parse_admin_command(text);
    REQUIRE_FALSE(command.ok());
    CHECK(command.failure().sqlstate == "42601");
    CHECK(command.failure().message.find("invalid command") == 0);
  }
}

TEST_CASE("an overlong query is refused without being scanned", "[admin]") {
  const std::string query = "SHOW " + std::string(admin::kMaxCommandLength, 'x');
  auto command = parse_admin_command(query);
  REQUIRE_FALSE(command.ok());
  CHECK(command.failure().sqlstate == "42601");
  CHECK(command.failure().message.size() < 300);  // the error quotes only the start
}

TEST_CASE("random bytes never crash the parser", "[admin]") {
  std::mt19937 random(7);
  const std::string alphabet = "SHOWPAUSEKILshowpause ;=\"'\t\n\x01\xff_-.0";
  for (int run = 0; run < 5000; ++run) {
    std::string text(random() % 40, ' ');
    for (auto& c : text) c = alphabet[random() % alphabet.size()];
    auto command = parse_admin_command(text);
    if (!command.ok()) CHECK(command.failure().sqlstate == "42601");
  }
}
