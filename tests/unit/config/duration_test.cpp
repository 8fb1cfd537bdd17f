#include <catch2/catch.hpp>

#include "sluice/config/duration.hpp"

using namespace std::chrono_literals;
using sluice::config::Duration;
using sluice::config::format_byte_size;
using sluice::config::format_duration;
using sluice::config::parse_byte_size;
using sluice::config::parse_duration;

namespace {

std::optional<Duration> parse(std::string_view text) {
  std::string error;
  return parse_duration(text, error);
}

std::string duration_error(std::string_view text) {
  std::string error;
  auto parsed = parse_duration(text, error);
  REQUIRE_FALSE(parsed);
  return error;
}

}  // namespace

TEST_CASE("durations with a unit parse to milliseconds", "[config]") {
  CHECK(parse("250ms") == Duration{250});
  CHECK(parse("30s") == Duration{30s});
  CHECK(parse("5m") == Duration{5min});
  CHECK(parse("1h") == Duration{1h});
  CHECK(parse("0") == Duration{0});
  CHECK(parse("0s") == Duration{0});
  CHECK(parse("3600s") == Duration{1h});
  CHECK(parse("8760h") == Duration{8760h});
}

TEST_CASE("a bare number other than 0 is an error that says which unit to add", "[config]") {
  const std::string error = duration_error("30");
  CHECK_THAT(error, Catch::Contains("needs a unit"));
  CHECK_THAT(error, Catch::Contains("30s"));
  CHECK_THAT(error, Catch::Contains("30ms"));
}

TEST_CASE("durations with a bad unit or shape are rejected", "[config]") {
  CHECK_THAT(duration_error("5d"), Catch::Contains("unknown unit 'd'"));
  CHECK_THAT(duration_error("5 s"), Catch::Contains("unknown unit ' s'"));
  CHECK_THAT(duration_error("1.5s"), Catch::Contains("must be a whole number: use a smaller unit"));
  CHECK_THAT(duration_error("fast"), Catch::Contains("invalid duration 'fast'"));
  CHECK_THAT(duration_error(""), Catch::Contains("empty duration"));
  CHECK_THAT(duration_error("-5s"), Catch::Contains("must not be negative"));
  CHECK_THAT(duration_error("8761h"), Catch::Contains("too large"));
  CHECK_THAT(duration_error("99999999999999999999999s"), Catch::Contains("too large"));
}

TEST_CASE("durations format with the largest exact unit and round-trip", "[config]") {
  CHECK(format_duration(Duration{0}) == "0");
  CHECK(format_duration(Duration{250}) == "250ms");
  CHECK(format_duration(Duration{1500}) == "1500ms");
  CHECK(format_duration(30s) == "30s");
  CHECK(format_duration(5min) == "5m");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(2h) == "2h");
  for (Duration d : {Duration{1}, Duration{999}, Duration{61000}, Duration{3600000}, Duration{7}}) {
    CHECK(parse(format_duration(d)) == d);
  }
}

TEST_CASE("byte sizes accept bytes and kB/MB/GB suffixes", "[config]") {
  std::string error;
  CHECK(parse_byte_size("1024", error) == 1024U);
  CHECK(parse_byte_size("64kB", error) == 64U * 1024);
  CHECK(parse_byte_size("64KB", error) == 64U * 1024);
  CHECK(parse_byte_size("512MB", error) == 512ULL << 20);
  CHECK(parse_byte_size("1GB", error) == 1ULL << 30);
  CHECK(parse_byte_size("1GiB", error) == 1ULL << 30);
  CHECK(parse_byte_size("100B", error) == 100U);
  CHECK_FALSE(parse_byte_size("1TB", error));
  CHECK_THAT(error, Catch::Contains("unknown unit 'TB'"));
  CHECK_FALSE(parse_byte_size("big", error));
  CHECK_FALSE(parse_byte_size("99999999999999GB", error));
  CHECK_THAT(error, Catch::Contains("too large"));
  CHECK(format_byte_size(1ULL << 30) == "1GB");
  CHECK(format_byte_size(512ULL << 20) == "512MB");
  CHECK(format_byte_size(64U * 1024) == "64kB");
  CHECK(format_byte_size(100) == "100B");
}
