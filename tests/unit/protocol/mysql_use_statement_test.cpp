#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/use_statement.hpp"

using sluice::mysql::parse_use_statement;

TEST_CASE("USE statements are recognised", "[mysql][use]") {
  CHECK(parse_use_statement("USE app") == "app");
  CHECK(parse_use_statement("use app2;") == "app2");
  CHECK(parse_use_statement("  Use\t`my db`  ; ") == "my db");
  CHECK(parse_use_statement("USE shop_$1") == "shop_$1");
  // Comments, as SQL commenters and APM tools add them; an executable comment is code.
  CHECK(parse_use_statement("/* app:web */ USE other") == "other");
  CHECK(parse_use_statement("USE other -- c") == "other");
  CHECK(parse_use_statement("USE other # c") == "other");
  CHECK(parse_use_statement("/*!USE other*/") == "other");
  CHECK(parse_use_statement("USE /* c */ app") == "app");
}

TEST_CASE("anything else is not a USE statement", "[mysql][use]") {
  CHECK_FALSE(parse_use_statement(""));
  CHECK_FALSE(parse_use_statement("USE"));
  CHECK_FALSE(parse_use_statement("USE "));
  CHECK_FALSE(parse_use_statement("USEapp"));
  CHECK_FALSE(parse_use_statement("USE app; SELECT 1"));
  CHECK_FALSE(parse_use_statement("USE a b"));
  CHECK_FALSE(parse_use_statement("USE `a`b`"));
  CHECK_FALSE(parse_use_statement("USE ``"));
  CHECK_FALSE(parse_use_statement("/* c */ USE app; SELECT 1"));
  CHECK_FALSE(parse_use_statement("USE 'app'"));
  CHECK_FALSE(parse_use_statement("SELECT 1"));
  CHECK_FALSE(parse_use_statement("USER app"));
}
