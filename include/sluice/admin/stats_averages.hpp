#pragma once
// SHOW STATS' avg_* columns: rates and per-event averages over a recent window, per
// database. PgBouncer recomputes them every stats_period on a timer; Sluice keeps two
// samples per database and rolls them when SHOW STATS asks, so nothing runs while
// nobody looks. The window is between one and two periods long once warmed up; until a
// database has been seen once, its averages are zero (as PgBouncer's first period).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/core/asio.hpp"

namespace sluice::admin {

// Cumulative counters of one database (sum over its pools), in PoolStats' units.
struct StatsTotals {
  std::uint64_t server_assignments = 0;
  std::uint64_t transactions = 0;
  std::uint64_t queries = 0;
  std::uint64_t received = 0;  // bytes from clients
  std::uint64_t sent = 0;      // bytes to clients
  std::uint64_t transaction_time_us = 0;
  std::uint64_t query_time_us = 0;
  std::uint64_t wait_time_us = 0;
  std::uint64_t client_parses = 0;
  std::uint64_t server_parses = 0;
  std::uint64_t binds = 0;
  std::uint64_t client_connects = 0;

  StatsTotals& operator+=(const StatsTotals& other);
};

// Counts and bytes per second; times per event (transaction, query, assignment), in µs.
struct StatsRates {
  std::uint64_t server_assignments = 0;
  std::uint64_t transactions = 0;
  std::uint64_t queries = 0;
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  std::uint64_t transaction_time_us = 0;
  std::uint64_t query_time_us = 0;
  std::uint64_t wait_time_us = 0;
  std::uint64_t client_parses = 0;  // per second, as the counts above
  std::uint64_t server_parses = 0;
  std::uint64_t binds = 0;
  std::uint64_t client_connects = 0;
};

// The averages between two samples taken `elapsed` apart.
StatsRates average_between(const StatsTotals& older, const StatsTotals& newer, std::chrono::microseconds elapsed);

class StatsAverages {
 public:
  static constexpr std::chrono::seconds kDefaultPeriod{60};  // PgBouncer's stats_period default

  explicit StatsAverages(std::chrono::milliseconds period = kDefaultPeriod) : period_(period) {}

  // Averages of `database` up to `now`, given its current totals; rolls its window.
  StatsRates update(const std::string& database, const StatsTotals& current, TimePoint now);

  // The one instance every admin session shares.
  static StatsAverages& shared();

 private:
  struct Sample {
    StatsTotals totals;
    TimePoint at;
  };
  struct Window {
    Sample baseline;             // averages are measured from here
    std::optional<Sample> next;  // becomes the baseline once a period old
  };

  const std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

}  // namespace sluice::admin
