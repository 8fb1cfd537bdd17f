// SHOW STATS' averages: rates per second and times per event over a rolling window.
#include <catch2/catch.hpp>

#include "sluice/admin/stats_averages.hpp"

using namespace sluice;
using namespace std::chrono_literals;
using admin::StatsAverages;
using admin::StatsTotals;

namespace {
StatsTotals totals(std::uint64_t transactions, std::uint64_t transaction_time_us, std::uint64_t received = 0) {
  StatsTotals result;
  result.server_assignments = transactions;
  result.transactions = transactions;
  result.queries = transactions * 2;
  result.received = received;
  result.sent = received * 3;
  result.transaction_time_us = transaction_time_us;
  result.query_time_us = transaction_time_us / 2;
  result.wait_time_us = transactions * 10;
  return result;
}
}  // namespace

TEST_CASE("averages between two samples", "[admin]") {
  const auto rates = admin::average_between(totals(100, 5000, 1000), totals(300, 25000, 5000), 2s);
  CHECK(rates.transactions == 100);         // 200 in 2 s
  CHECK(rates.server_assignments == 100);
  CHECK(rates.queries == 200);
  CHECK(rates.received == 2000);            // 4000 bytes in 2 s
  CHECK(rates.sent == 6000);
  CHECK(rates.transaction_time_us == 100);  // 20000 µs over 200 transactions
  CHECK(rates.query_time_us == 25);         // 10000 µs over 400 queries
  CHECK(rates.wait_time_us == 10);
}

TEST_CASE("no time or no events: zero, never a division by zero", "[admin]") {
  CHECK(admin::average_between(totals(1, 1), totals(5, 9), 0us).transactions == 0);
  const auto idle = admin::average_between(totals(5, 50), totals(5, 50), 1s);
  CHECK(idle.transactions == 0);
  CHECK(idle.transaction_time_us == 0);
}

TEST_CASE("the first look at a database reports zeros, later looks average since then", "[admin]") {
  StatsAverages averages(60s);
  const TimePoint start{};
  CHECK(averages.update("app", totals(1000, 1000), start).transactions == 0);
  const auto after_ten = averages.update("app", totals(1100, 3000), start + 10s);
  CHECK(after_ten.transactions == 10);
  CHECK(after_ten.transaction_time_us == 20);
  // Another database has its own window.
  CHECK(averages.update("other", totals(7, 7), start + 10s).transactions == 0);
}

TEST_CASE("the window rolls so averages follow recent traffic", "[admin]") {
  StatsAverages averages(60s);
  const TimePoint start{};
  averages.update("app", totals(0, 0), start);
  // A busy first minute: 6000 transactions.
  CHECK(averages.update("app", totals(6000, 0), start + 60s).transactions == 100);
  // Then silence: by 120 s the baseline has moved to 60 s, and the rate falls to zero.
  averages.update("app", totals(6000, 0), start + 90s);
  CHECK(averages.update("app", totals(6000, 0), start + 121s).transactions == 0);
}

TEST_CASE("totals that shrink (a pool went away) restart the window", "[admin]") {
  StatsAverages averages(60s);
  const TimePoint start{};
  averages.update("app", totals(500, 500), start);
  CHECK(averages.update("app", totals(100, 100), start + 5s).transactions == 0);
  CHECK(averages.update("app", totals(150, 100), start + 10s).transactions == 10);
}
