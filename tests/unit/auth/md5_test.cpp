#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "sluice/auth/credential.hpp"
#include "sluice/auth/md5.hpp"

using namespace sluice::auth;

namespace {
constexpr std::array<std::uint8_t, 4> salt{1, 2, 3, 4};
}  // namespace

TEST_CASE("md5_hex matches known digests", "[auth]") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  // Reference value from Python's hashlib.md5(b"penciluser").
  CHECK(md5_hex("penciluser") == "20c46e3762c864548e296b33c3406aa9");
}

TEST_CASE("pg_md5_password is md5 of password then user", "[auth]") {
  CHECK(pg_md5_password("pencil", "user") == "md5" + md5_hex("penciluser"));
  CHECK(pg_md5_password("pencil", "user") == "md520c46e3762c864548e296b33c3406aa9");
  CHECK(is_md5_hash(pg_md5_password("pencil", "user")));
}

TEST_CASE("pg_md5_salted_response salts the stored hash without its prefix", "[auth]") {
  const std::string stored = pg_md5_password("pencil", "user");
  // Reference: md5(md5hex("penciluser") + b"\x01\x02\x03\x04").
  CHECK(pg_md5_salted_response(stored, salt) == "md54376eb6913b38f9aaff38dc7cf19ca76");
  CHECK(pg_md5_salted_response(stored.substr(3), salt) == pg_md5_salted_response(stored, salt));
}

TEST_CASE("is_md5_hash follows PostgreSQL's rule", "[auth]") {
  CHECK(is_md5_hash("md520c46e3762c864548e296b33c3406aa9"));
  CHECK_FALSE(is_md5_hash("md520C46E3762C864548E296B33C3406AA9"));  // uppercase is plain text
  CHECK_FALSE(is_md5_hash("md520c46e3762c864548e296b33c3406aa"));   // too short
  CHECK_FALSE(is_md5_hash("md520c46e3762c864548e296b33c3406aa9f"));
  CHECK_FALSE(is_md5_hash("md520c46e3762c864548e296b33c3406aaz"));
}

TEST_CASE("verify_md5_response accepts plain and md5 credentials only", "[auth]") {
  const std::string good = pg_md5_salted_response(pg_md5_password("pencil", "user"), salt);
  const auto plain = make_credential("pencil", "user");
  const auto hashed = make_credential(pg_md5_password("pencil", "user"), "user");
  const auto scram = make_credential(format_scram_verifier(make_scram_secret("pencil", "salt", 16)), "user");
  REQUIRE(plain);
  REQUIRE(hashed);
  REQUIRE(scram);
  CHECK(verify_md5_response(*plain, "user", salt, good));
  CHECK(verify_md5_response(*hashed, "user", salt, good));
  CHECK_FALSE(verify_md5_response(*scram, "user", salt, good));

  CHECK_FALSE(verify_md5_response(*plain, "other", salt, good));
  constexpr std::array<std::uint8_t, 4> other_salt{4, 3, 2, 1};
  CHECK_FALSE(verify_md5_response(*plain, "user", other_salt, good));
  CHECK_FALSE(verify_md5_response(*hashed, "user", salt, good.substr(0, 34)));
  CHECK_FALSE(verify_md5_response(*hashed, "user", salt, "md5"));
  CHECK_FALSE(verify_md5_response(*hashed, "user", salt, ""));
}
