#include "sluice/admin/stats_averages.hpp"

namespace sluice::admin {

namespace {

std::uint64_t per_second(std::uint64_t delta, std::chrono::microseconds elapsed) {
  if (elapsed.count() <= 0) return 0;
  return static_cast<std::uint64_t>(static_cast<long double>(delta) * 1'000'000 / elapsed.count());
}

std::uint64_t per_event(std::uint64_t total, std::uint64_t events) { return events == 0 ? 0 : total / events; }

// A pool that went away (database removed by a reload) makes a sum shrink: start over.
bool went_backwards(const StatsTotals& older, const StatsTotals& newer) {
  return newer.server_assignments < older.server_assignments || newer.transactions < older.transactions ||
         newer.queries < older.queries || newer.received < older.received || newer.sent < older.sent ||
         newer.transaction_time_us < older.transaction_time_us || newer.query_time_us < older.query_time_us ||
         newer.wait_time_us < older.wait_time_us || newer.client_parses < older.client_parses ||
         newer.server_parses < older.server_parses || newer.binds < older.binds ||
         newer.client_connects < older.client_connects;
}

}  // namespace

StatsTotals& StatsTotals::operator+=(const StatsTotals& other) {
  server_assignments += other.server_assignments;
  transactions += other.transactions;
  queries += other.queries;
  received += other.received;
  sent += other.sent;
  transaction_time_us += other.transaction_time_us;
  query_time_us += other.query_time_us;
  wait_time_us += other.wait_time_us;
  client_parses += other.client_parses;
  server_parses += other.server_parses;
  binds += other.binds;
  client_connects += other.client_connects;
  return *this;
}

StatsRates average_between(const StatsTotals& older, const StatsTotals& newer, std::chrono::microseconds elapsed) {
  if (went_backwards(older, newer)) return {};
  StatsRates rates;
  const auto assignments = newer.server_assignments - older.server_assignments;
  const auto transactions = newer.transactions - older.transactions;
  const auto queries = newer.queries - older.queries;
  rates.server_assignments = per_second(assignments, elapsed);
  rates.transactions = per_second(transactions, elapsed);
  rates.queries = per_second(queries, elapsed);
  rates.received = per_second(newer.received - older.received, elapsed);
  rates.sent = per_second(newer.sent - older.sent, elapsed);
  rates.transaction_time_us = per_event(newer.transaction_time_us - older.transaction_time_us, transactions);
  rates.query_time_us = per_event(newer.query_time_us - older.query_time_us, queries);
  rates.wait_time_us = per_event(newer.wait_time_us - older.wait_time_us, assignments);
  rates.client_parses = per_second(newer.client_parses - older.client_parses, elapsed);
  rates.server_parses = per_second(newer.server_parses - older.server_parses, elapsed);
  rates.binds = per_second(newer.binds - older.binds, elapsed);
  rates.client_connects = per_second(newer.client_connects - older.client_connects, elapsed);
  return rates;
}

StatsRates StatsAverages::update(const std::string& database, const StatsTotals& current, TimePoint now) {
  std::lock_guard lock(mutex_);
  auto [position, first_sight] = windows_.try_emplace(database, Window{Sample{current, now}, std::nullopt});
  auto& window = position->second;
  if (first_sight || went_backwards(window.baseline.totals, current)) {
    window = Window{Sample{current, now}, std::nullopt};
    return {};
  }
  // Roll: the pending sample becomes the baseline once it is a period old.
  if (window.next && now - window.next->at >= period_) {
    window.baseline = *window.next;
    window.next.reset();
  }
  if (!window.next && now - window.baseline.at >= period_) window.next = Sample{current, now};
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - window.baseline.at);
  return average_between(window.baseline.totals, current, elapsed);
}

StatsAverages& StatsAverages::shared() {
  static StatsAverages instance;
  return instance;
}

}  // namespace sluice::admin
