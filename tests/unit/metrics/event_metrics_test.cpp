// EventMetrics: fixed buckets, bounded reasons, exact counts under concurrent recording.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "sluice/metrics/event_metrics.hpp"

using namespace sluice::metrics;

namespace {
std::uint64_t value_of(const std::vector<std::pair<std::string_view, std::uint64_t>>& counters,
                       std::string_view name) {
  for (const auto& [label, value] : counters) {
    if (label == name) return value;
  }
  FAIL("no counter " << name);
  return 0;
}
}  // namespace

TEST_CASE("a histogram bucket's upper bound is inclusive", "[metrics]") {
  static constexpr std::array<double, 3> bounds{0.1, 1, 10};
  AtomicHistogram histogram(bounds);
  for (double seconds : {0.0, 0.1, 0.5, 1.0, 9.99, 10.0, 11.0, 1e9}) histogram.observe(seconds);
  const auto snapshot = histogram.snapshot();
  REQUIRE(snapshot.counts.size() == 4);  // three bounds and +Inf
  CHECK(snapshot.counts == std::vector<std::uint64_t>{2, 2, 2, 2});
  CHECK(snapshot.count() == 8);
  CHECK(snapshot.sum_seconds == Approx(0.1 + 0.5 + 1 + 9.99 + 10 + 11 + 1e9));
}

TEST_CASE("a negative or NaN duration counts as zero", "[metrics]") {
  AtomicHistogram histogram(kWaitBuckets);
  histogram.observe(-3);
  histogram.observe(std::numeric_limits<double>::quiet_NaN());
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.counts.front() == 2);
  CHECK(snapshot.sum_seconds == 0);
}

TEST_CASE("disconnect reasons become bounded label values", "[metrics]") {
  CHECK(disconnect_reason_label("query_wait_timeout") == "query_wait_timeout");
  CHECK(disconnect_reason_label("client_close") == "client_close");
  // The per-user cap's reason carries the user name; the label must not.
  CHECK(disconnect_reason_label("max_client_connections (user mallory)") == "users.max_client_connections");
  CHECK(disconnect_reason_label("max_client_connections") == "max_client_connections");
  CHECK(disconnect_reason_label("something a client made up") == "other");
  CHECK(disconnect_reason_label("") == "other");
}

TEST_CASE("disconnects feed the timeout and refusal families", "[metrics]") {
  EventMetrics events;
  events.count_disconnect("query_wait_timeout");
  events.count_disconnect("max_client_connections (user bob)");
  events.count_disconnect("max_client_connections");
  events.count_disconnect("auth_failed");
  events.count_disconnect("terminate");
  events.count_disconnect("no such reason");
  const auto snapshot = events.snapshot();
  CHECK(value_of(snapshot.disconnects, "query_wait_timeout") == 1);
  CHECK(value_of(snapshot.disconnects, "users.max_client_connections") == 1);
  CHECK(value_of(snapshot.disconnects, "max_client_connections") == 1);
  CHECK(value_of(snapshot.disconnects, "auth_failed") == 1);
  CHECK(value_of(snapshot.disconnects, "terminate") == 1);
  CHECK(value_of(snapshot.disconnects, "other") == 1);
  CHECK(value_of(snapshot.timeouts, "query_wait_timeout") == 1);
  CHECK(value_of(snapshot.timeouts, "idle_transaction_timeout") == 0);
  CHECK(value_of(snapshot.refusals, "max_client_connections") == 1);
  CHECK(value_of(snapshot.refusals, "users.max_client_connections") == 1);
  CHECK(snapshot.disconnects.size() == kDisconnectReasons.size());
}

TEST_CASE("a statement timeout is counted once when the cancel goes out", "[metrics]") {
  EventMetrics events;
  events.count_timeout("statement_timeout");
  // The cancel did not work and the client is disconnected for the same timeout.
  events.count_disconnect("statement_timeout");
  events.count_timeout("not a timeout");
  const auto snapshot = events.snapshot();
  CHECK(value_of(snapshot.timeouts, "statement_timeout") == 1);
  CHECK(value_of(snapshot.disconnects, "statement_timeout") == 1);
  std::uint64_t timeouts = 0;
  for (const auto& [kind, count] : snapshot.timeouts) timeouts += count;
  CHECK(timeouts == 1);
}

TEST_CASE("reloads are counted by result and the last one is remembered", "[metrics]") {
  EventMetrics events;
  CHECK(events.snapshot().last_reload_successful);
  events.count_reload(false);
  CHECK_FALSE(events.snapshot().last_reload_successful);
  events.count_reload(true);
  events.count_reload(true);
  const auto snapshot = events.snapshot();
  CHECK(snapshot.last_reload_successful);
  CHECK(snapshot.reloads_succeeded == 2);
  CHECK(snapshot.reloads_failed == 1);
}

TEST_CASE("histograms are kept per pool and count exactly across threads", "[metrics]") {
  EventMetrics events;
  constexpr int kThreads = 4;
  constexpr int kObservations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&events, t] {
      const std::string user = t % 2 == 0 ? "alice" : "bob";
      for (int i = 0; i < kObservations; ++i) {
        events.observe_wait("app", user, 0.002);
        events.observe_transaction("app", user, 0.02);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto snapshot = events.snapshot();
  REQUIRE(snapshot.pools.size() == 2);
  for (const auto& pool : snapshot.pools) {
    INFO(pool.user);
    CHECK(pool.database == "app");
    CHECK(pool.wait.count() == 2 * kObservations);
    CHECK(pool.transaction.count() == 2 * kObservations);
    CHECK(pool.wait.sum_seconds == Approx(2 * kObservations * 0.002));
  }
}
