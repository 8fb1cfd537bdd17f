// The collector: what it reads from pools and clients (gather) and what it writes (render).
#include <catch2/catch.hpp>

#include "../support/fake_connector.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "sluice/metrics/collector.hpp"
#include "sluice/metrics/metric_list.hpp"
#include "sluice/pool/pool_registry.hpp"
#include "sluice/runtime/client_registry.hpp"
#include "sluice/runtime/proxy_context.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

std::string serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

// The value of the exposition line that starts with `series` followed by a space.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

metrics::PoolView busy_pool() {
  metrics::PoolView pool;
  pool.database = "app";
  pool.user = "alice";
  pool.clients_active = 2;
  pool.clients_waiting = 4;
  pool.longest_wait_seconds = 1.5;
  pool.servers_active = 2;
  pool.pool_size = 2;
  pool.transactions = 123456789;
  pool.queries = 300;
  pool.query_time_us = 1'500'250;
  pool.received_bytes = 9007199254740991;  // 2^53 - 1: still exact in a double
  pool.servers_closed = {{"server_lifetime", 3}, {"login_failed", 1}};
  return pool;
}

using testing::FakeConnector;

class FakeClient : public runtime::ClientHandle {
 public:
  explicit FakeClient(runtime::ClientSnapshot snapshot) : snapshot_(std::move(snapshot)) {}
  runtime::ClientSnapshot snapshot() const override { return snapshot_; }
  void check_timeouts(TimePoint) override {}
  void request_stop(Failure) override {}
  void kill(Failure) override {}
  std::shared_ptr<runtime::ClientHandle> shared_handle() override { return nullptr; }

 private:
  runtime::ClientSnapshot snapshot_;
};

std::shared_ptr<FakeClient> client(std::string database, std::string user, runtime::ClientState state,
                                   TimePoint since = Clock::now()) {
  runtime::ClientSnapshot snapshot;
  snapshot.database = std::move(database);
  snapshot.user = std::move(user);
  snapshot.state = state;
  snapshot.state_since = since;
  snapshot.address = "10.1.2.3";
  return std::make_shared<FakeClient>(std::move(snapshot));
}

}  // namespace

TEST_CASE("render writes pool gauges and counters with database and user labels", "[metrics]") {
  metrics::ScrapeView view;
  view.pools.push_back(busy_pool());
  view.max_client_connections = 100;
  const auto text = serialize(metrics::render(view));
  CHECK(sample(text, R"(sluice_client_connections{database="app",user="alice",state="waiting"})") == 4);
  CHECK(sample(text, R"(sluice_client_connections{database="app",user="alice",state="active"})") == 2);
  CHECK(sample(text, R"(sluice_client_connections{database="app",user="alice",state="idle"})") == 0);
  CHECK(sample(text, R"(sluice_server_connections{database="app",user="alice",state="active"})") == 2);
  CHECK(sample(text, R"(sluice_server_connections{database="app",user="alice",state="tested"})") == 0);
  CHECK(sample(text, R"(sluice_pool_size{database="app",user="alice"})") == 2);
  CHECK(sample(text, R"(sluice_client_wait_longest_seconds{database="app",user="alice"})") == 1.5);
  CHECK(sample(text, R"(sluice_server_connections_closed_total{database="app",user="alice",)"
                     R"(reason="server_lifetime"})") == 3);
  CHECK(sample(text, "sluice_client_connections_max") == 100);
  CHECK(sample(text, R"(sluice_build_info{version=")" SLUICE_VERSION R"("})") == 1);
  // Large counters survive the text format exactly.
  CHECK(sample(text, R"(sluice_transactions_total{database="app",user="alice"})") == 123456789);
  CHECK(sample(text, R"(sluice_client_received_bytes_total{database="app",user="alice"})") == 9007199254740991.0);
  CHECK(sample(text, R"(sluice_queries_total{database="app",user="alice"})") == 300);
  // Query time in the base unit: µs counted, seconds exported.
  CHECK(sample(text, R"(sluice_query_duration_seconds_total{database="app",user="alice"})") == Approx(1.50025));
  CHECK(text.find("# TYPE sluice_query_duration_seconds_total counter") != std::string::npos);
  CHECK(text.find("# TYPE sluice_transactions_total counter") != std::string::npos);
  CHECK(text.find("# TYPE sluice_client_connections gauge") != std::string::npos);
}

TEST_CASE("render writes histograms with cumulative buckets and +Inf", "[metrics]") {
  metrics::EventMetrics events;
  events.observe_wait("app", "alice", 0.0005);
  events.observe_wait("app", "alice", 0.3);
  events.observe_wait("app", "alice", 500);
  metrics::ScrapeView view;
  view.events = events.snapshot();
  const auto text = serialize(metrics::render(view));
  INFO(text);
  CHECK(text.find("# TYPE sluice_client_wait_seconds histogram") != std::string::npos);
  CHECK(sample(text, R"(sluice_client_wait_seconds_bucket{database="app",user="alice",le="0.001"})") == 1);
  CHECK(sample(text, R"(sluice_client_wait_seconds_bucket{database="app",user="alice",le="0.25"})") == 1);
  CHECK(sample(text, R"(sluice_client_wait_seconds_bucket{database="app",user="alice",le="0.5"})") == 2);
  CHECK(sample(text, R"(sluice_client_wait_seconds_bucket{database="app",user="alice",le="120"})") == 2);
  CHECK(sample(text, R"(sluice_client_wait_seconds_bucket{database="app",user="alice",le="+Inf"})") == 3);
  CHECK(sample(text, R"(sluice_client_wait_seconds_count{database="app",user="alice"})") == 3);
  CHECK(sample(text, R"(sluice_client_wait_seconds_sum{database="app",user="alice"})") == Approx(500.3005));
  CHECK(sample(text, R"(sluice_transaction_duration_seconds_count{database="app",user="alice"})") == 0);
}

TEST_CASE("render leaves out families with nothing to say and keeps the list's order", "[metrics]") {
  const auto families = metrics::render(metrics::ScrapeView{});
  std::size_t position = 0;
  for (const auto& family : families) {
    INFO(family.name);
    CHECK_FALSE(family.metric.empty());
    CHECK(family.name != "sluice_client_connections");  // no pool, no pool series
    const auto it = std::find_if(metrics::kFamilies.begin() + static_cast<std::ptrdiff_t>(position),
                                 metrics::kFamilies.end(), [&](const auto& spec) { return spec.name == family.name; });
    REQUIRE(it != metrics::kFamilies.end());
    position = static_cast<std::size_t>(it - metrics::kFamilies.begin());
  }
}

TEST_CASE("gather counts clients into their pools and leaves out pools never used or gone with their histograms", "[metrics]") {
  auto proxy_config = std::make_shared<config::ProxyConfig>();
  proxy_config->max_client_connections = 50;
  config::DatabaseConfig app;
  app.name = "app";
  proxy_config->databases["app"] = app;
  runtime::ConfigStore config_store(runtime::make_runtime_config(proxy_config));
  pool::PoolRegistry pools([](const config::DatabaseConfig&, const config::UserConfig*, const std::string&,
                              const config::PoolSettings&) { return std::make_shared<FakeConnector>(); });
  auto& alice_stats = pools.find_or_create(*proxy_config, proxy_config->databases["app"], "alice")->stats();
  alice_stats.add(alice_stats.queries, 3);
  alice_stats.add(alice_stats.query_time_us, 2'000'000);
  pools.find_or_create(*proxy_config, proxy_config->databases["app"], "mallory");  // a login that failed

  const auto now = Clock::now();
  std::vector<std::shared_ptr<FakeClient>> clients{
      client("app", "alice", runtime::ClientState::waiting, now - 3s),
      client("app", "alice", runtime::ClientState::waiting, now - 1s),
      client("app", "alice", runtime::ClientState::active),
      client("app", "alice", runtime::ClientState::idle),
      client("app", "eve", runtime::ClientState::login),        // still authenticating
      client("sluice", "admin", runtime::ClientState::idle),    // the admin console
  };
  runtime::ClientRegistry registry;
  for (const auto& c : clients) registry.add(c.get());

  metrics::EventMetrics events;
  events.observe_wait("app", "alice", 0.02);
  events.observe_wait("gone", "alice", 0.02);  // a pool dropped since (its database removed)
  const metrics::Collector collector(config_store, pools, registry, events);
  const auto view = collector.gather(now);
  REQUIRE(view.pools.size() == 1);
  const auto& alice = view.pools.front();
  CHECK(alice.user == "alice");
  CHECK(alice.clients_waiting == 2);
  CHECK(alice.clients_active == 1);
  CHECK(alice.clients_idle == 1);
  CHECK(alice.longest_wait_seconds == Approx(3.0));
  CHECK(alice.pool_size == 20);
  CHECK(alice.queries == 3);
  CHECK(alice.query_time_us == 2'000'000);
  CHECK(view.clients_login == 1);
  CHECK(view.max_client_connections == 50);
  REQUIRE(view.user_caps.size() == 1);
  CHECK(view.user_caps.front().name == "alice");
  REQUIRE(view.database_caps.size() == 1);
  CHECK(view.database_caps.front().name == "app");

  const auto text = serialize(collector.Collect());
  CHECK(text.find("mallory") == std::string::npos);
  CHECK(text.find("eve") == std::string::npos);
  CHECK(text.find("10.1.2.3") == std::string::npos);  // never a per-address label
  CHECK(sample(text, R"(sluice_client_wait_seconds_count{database="app",user="alice"})") == 1);
  CHECK(text.find("database=\"gone\"") == std::string::npos);
}
