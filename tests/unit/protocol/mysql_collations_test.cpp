#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/collations.hpp"

using namespace sluice::mysql;

TEST_CASE("handshake collation ids become SET NAMES statements", "[mysql][collation]") {
  REQUIRE(collation_by_id(8));
  CHECK(set_names_statement(*collation_by_id(8)) == "SET NAMES 'latin1' COLLATE 'latin1_swedish_ci'");
  CHECK(set_names_statement(*collation_by_id(224)) == "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'");
  // MySQL 8's default (utf8mb4_0900_ai_ci) is utf8mb4 with the server's default collation.
  CHECK(set_names_statement(*collation_by_id(255)) == "SET NAMES 'utf8mb4'");
  CHECK(set_names_statement(*collation_by_id(63)) == "SET NAMES 'binary'");
  // Beyond the common ones: every id MariaDB knows (PHP's charset=cp1251 sends 51, latin2 9).
  CHECK(set_names_statement(*collation_by_id(51)) == "SET NAMES 'cp1251' COLLATE 'cp1251_general_ci'");
  CHECK(set_names_statement(*collation_by_id(9)) == "SET NAMES 'latin2' COLLATE 'latin2_general_ci'");
  CHECK(set_names_statement(*collation_by_id(246)) == "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_520_ci'");
  CHECK_FALSE(collation_by_id(0));
  CHECK_FALSE(collation_by_id(250));
}
