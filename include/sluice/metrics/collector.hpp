#pragma once
// The one prometheus::Collectable behind /metrics. At scrape time it reads what the pools,
// the client registry and EventMetrics hold (gather) and turns that into metric families
// (render). Nothing here keeps a count of its own: gauges are container sizes and
// counters are the pools' own, so the numbers cannot drift from SHOW POOLS.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "sluice/core/asio.hpp"
#include "sluice/metrics/event_metrics.hpp"

namespace sluice::pool {
class PoolRegistry;
}
namespace sluice::runtime {
class ClientRegistry;
class ConfigStore;
}  // namespace sluice::runtime

namespace sluice::metrics {

// One pool, as read at one scrape.
struct PoolView {
  std::string database, user;
  // Clients of the pool by state, from the client registry.
  int clients_active = 0, clients_waiting = 0, clients_idle = 0;
  double longest_wait_seconds = 0;
  // Backends by state, from the pool's lists.
  int servers_active = 0, servers_idle = 0, servers_login = 0;
  int pool_size = 0, min_pool_size = 0, reserve_pool_size = 0;
  bool paused = false;
  std::uint64_t transactions = 0, queries = 0, received_bytes = 0, sent_bytes = 0, servers_opened = 0;
  std::uint64_t query_time_us = 0;
  std::uint64_t client_parses = 0, server_parses = 0, binds = 0, client_logins = 0;
  std::vector<std::pair<std::string_view, std::uint64_t>> servers_closed;  // by CloseReason

  // Anything ever happened here? A pool made for a login that then failed is left out.
  bool in_use() const;
};

// A max_db_connections or max_user_connections cap, by database or user name.
struct CapView {
  std::string name;
  int used = 0;
  int limit = 0;
};

// Everything one scrape exports: plain values, no references into live objects.
struct ScrapeView {
  std::vector<PoolView> pools;
  std::vector<CapView> database_caps, user_caps;
  int clients_login = 0;
  std::map<std::string, int> clients_pinned;  // by reason (ClientSnapshot::pinned)
  int max_client_connections = 0;
  EventMetrics::Snapshot events;
};

// The metric families for one scrape, in the order of the family list; empty families left out.
std::vector<prometheus::MetricFamily> render(const ScrapeView& view);

class Collector : public prometheus::Collectable {
 public:
  Collector(const runtime::ConfigStore& config, const pool::PoolRegistry& pools,
            const runtime::ClientRegistry& clients, const EventMetrics& events)
      : config_(config), pools_(pools), clients_(clients), events_(events) {}

  // Reads the live state; safe from any thread (each source has its own lock).
  ScrapeView gather(TimePoint now) const;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const runtime::ConfigStore& config_;
  const pool::PoolRegistry& pools_;
  const runtime::ClientRegistry& clients_;
  const EventMetrics& events_;
};

}  // namespace sluice::metrics
