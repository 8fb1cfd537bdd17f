#include "sluice/metrics/collector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <numeric>

#include "sluice/metrics/metric_list.hpp"
#include "sluice/pool/pool_registry.hpp"
#include "sluice/runtime/client_registry.hpp"
#include "sluice/runtime/proxy_context.hpp"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

namespace sluice::metrics {

bool PoolView::in_use() const {
  const auto closed = [](std::uint64_t total, const auto& entry) { return total + entry.second; };
  return clients_active + clients_waiting + clients_idle + servers_active + servers_idle + servers_login > 0 ||
         transactions > 0 || servers_opened > 0 ||
         std::accumulate(servers_closed.begin(), servers_closed.end(), std::uint64_t{0}, closed) > 0;
}

namespace {

// Builds one family; label values are given in the order the family list names them.
class FamilyBuilder {
 public:
  explicit FamilyBuilder(Family id) : labels_(label_names(spec(id))) {
    family_.name = std::string(spec(id).name);
    family_.help = std::string(spec(id).help);
    family_.type = spec(id).type;
  }

  void add(std::initializer_list<std::string_view> values, double value) {
    auto& sample = add_sample(values);
    if (family_.type == prometheus::MetricType::Counter) {
      sample.counter.value = value;
    } else {
      sample.gauge.value = value;
    }
  }

  void add_histogram(std::initializer_list<std::string_view> values, const HistogramSnapshot& histogram) {
    auto& sample = add_sample(values);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
      cumulative += histogram.counts[i];
      const double bound =
          i < histogram.bounds.size() ? histogram.bounds[i] : std::numeric_limits<double>::infinity();
      sample.histogram.bucket.push_back({cumulative, bound});
    }
    sample.histogram.sample_count = cumulative;
    sample.histogram.sample_sum = histogram.sum_seconds;
  }

  void move_into(std::vector<prometheus::MetricFamily>& families) {
    if (!family_.metric.empty()) families.push_back(std::move(family_));
  }

 private:
  prometheus::ClientMetric& add_sample(std::initializer_list<std::string_view> values) {
    assert(values.size() == labels_.size());
    auto& sample = family_.metric.emplace_back();
    auto name = labels_.begin();
    for (const auto value : values) sample.label.push_back({std::string(*name++), std::string(value)});
    return sample;
  }

  std::vector<std::string_view> labels_;
  prometheus::MetricFamily family_;
};

// One builder per family of the list, so families come out in the list's order.
class Families {
 public:
  Families() {
    builders_.reserve(kFamilies.size());
    for (const auto& family : kFamilies) builders_.emplace_back(family.id);
  }
  FamilyBuilder& operator[](Family id) { return builders_[static_cast<std::size_t>(id)]; }
  std::vector<prometheus::MetricFamily> take() {
    std::vector<prometheus::MetricFamily> families;
    for (auto& builder : builders_) builder.move_into(families);
    return families;
  }

 private:
  std::vector<FamilyBuilder> builders_;
};

void render_pool(Families& out, const PoolView& pool) {
  const std::string_view d = pool.database, u = pool.user;
  out[Family::client_connections].add({d, u, "active"}, pool.clients_active);
  out[Family::client_connections].add({d, u, "waiting"}, pool.clients_waiting);
  out[Family::client_connections].add({d, u, "idle"}, pool.clients_idle);
  out[Family::client_wait_longest_seconds].add({d, u}, pool.longest_wait_seconds);
  out[Family::server_connections].add({d, u, "active"}, pool.servers_active);
  out[Family::server_connections].add({d, u, "idle"}, pool.servers_idle);
  out[Family::server_connections].add({d, u, "login"}, pool.servers_login);
  // PgBouncer's used/tested states: Sluice checks and resets a backend while it is leased.
  out[Family::server_connections].add({d, u, "used"}, 0);
  out[Family::server_connections].add({d, u, "tested"}, 0);
  out[Family::pool_size].add({d, u}, pool.pool_size);
  out[Family::pool_min_size].add({d, u}, pool.min_pool_size);
  out[Family::pool_reserve_size].add({d, u}, pool.reserve_pool_size);
  out[Family::pool_paused].add({d, u}, pool.paused ? 1 : 0);
  out[Family::transactions_total].add({d, u}, static_cast<double>(pool.transactions));
  out[Family::queries_total].add({d, u}, static_cast<double>(pool.queries));
  out[Family::query_duration_seconds_total].add({d, u}, static_cast<double>(pool.query_time_us) / 1e6);
  out[Family::client_received_bytes_total].add({d, u}, static_cast<double>(pool.received_bytes));
  out[Family::client_sent_bytes_total].add({d, u}, static_cast<double>(pool.sent_bytes));
  out[Family::server_connections_opened_total].add({d, u}, static_cast<double>(pool.servers_opened));
  out[Family::client_parses_total].add({d, u}, static_cast<double>(pool.client_parses));
  out[Family::server_parses_total].add({d, u}, static_cast<double>(pool.server_parses));
  out[Family::binds_total].add({d, u}, static_cast<double>(pool.binds));
  out[Family::client_logins_total].add({d, u}, static_cast<double>(pool.client_logins));
  for (const auto& [reason, count] : pool.servers_closed) {
    out[Family::server_connections_closed_total].add({d, u, reason}, static_cast<double>(count));
  }
}

void render_events(Families& out, const EventMetrics::Snapshot& events) {
  for (const auto& pool : events.pools) {
    out[Family::client_wait_seconds].add_histogram({pool.database, pool.user}, pool.wait);
    out[Family::transaction_duration_seconds].add_histogram({pool.database, pool.user}, pool.transaction);
  }
  for (const auto& [reason, count] : events.disconnects) {
    out[Family::client_disconnects_total].add({reason}, static_cast<double>(count));
  }
  for (const auto& [kind, count] : events.timeouts) {
    out[Family::timeouts_total].add({kind}, static_cast<double>(count));
  }
  for (const auto& [kind, count] : events.refusals) {
    out[Family::refusals_total].add({kind}, static_cast<double>(count));
  }
  out[Family::config_reloads_total].add({"success"}, static_cast<double>(events.reloads_succeeded));
  out[Family::config_reloads_total].add({"failure"}, static_cast<double>(events.reloads_failed));
  out[Family::config_last_reload_successful].add({}, events.last_reload_successful ? 1 : 0);
}

// Copies what one pool holds now into a PoolView (clients are added by the caller).
PoolView view_of(pool::ServerPool& pool) {
  PoolView view;
  view.database = pool.key().database;
  view.user = pool.key().user;
  const auto counts = pool.counts();
  view.servers_active = counts.active;
  view.servers_idle = counts.idle;
  view.servers_login = counts.connecting;
  const auto settings = pool.settings();
  view.pool_size = settings.pool_size;
  view.min_pool_size = settings.min_pool_size;
  view.reserve_pool_size = settings.reserve_pool_size;
  view.paused = pool.paused();
  auto& stats = pool.stats();
  view.transactions = stats.transactions.load(std::memory_order_relaxed);
  view.queries = stats.queries.load(std::memory_order_relaxed);
  view.query_time_us = stats.query_time_us.load(std::memory_order_relaxed);
  view.received_bytes = stats.bytes_from_clients.load(std::memory_order_relaxed);
  view.sent_bytes = stats.bytes_to_clients.load(std::memory_order_relaxed);
  view.servers_opened = stats.servers_opened.load(std::memory_order_relaxed);
  view.client_parses = stats.client_parses.load(std::memory_order_relaxed);
  view.server_parses = stats.server_parses.load(std::memory_order_relaxed);
  view.binds = stats.binds.load(std::memory_order_relaxed);
  view.client_logins = stats.client_logins.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < stats.servers_closed.size(); ++i) {
    view.servers_closed.emplace_back(pool::to_string(static_cast<pool::CloseReason>(i)),
                                     stats.servers_closed[i].load(std::memory_order_relaxed));
  }
  return view;
}

// Adds each logged-in client to its pool's counts; clients still logging in are counted apart.
void add_clients(ScrapeView& view, const runtime::ClientRegistry& registry, TimePoint now) {
  std::map<std::pair<std::string_view, std::string_view>, PoolView*> by_key;
  for (auto& pool : view.pools) by_key[{pool.database, pool.user}] = &pool;
  registry.for_each([&](const runtime::ClientHandle& client) {
    const auto snapshot = client.snapshot();
    if (snapshot.state == runtime::ClientState::login) {
      ++view.clients_login;
      return;
    }
    if (!snapshot.pinned.empty()) ++view.clients_pinned[snapshot.pinned];
    const auto found = by_key.find({snapshot.database, snapshot.user});
    if (found == by_key.end()) return;  // the admin console, or a pool gone since
    auto& pool = *found->second;
    switch (snapshot.state) {
      case runtime::ClientState::active: ++pool.clients_active; break;
      case runtime::ClientState::idle: ++pool.clients_idle; break;
      case runtime::ClientState::waiting: {
        ++pool.clients_waiting;
        const std::chrono::duration<double> waited = now - snapshot.state_since;
        pool.longest_wait_seconds = std::max(pool.longest_wait_seconds, waited.count());
        break;
      }
      case runtime::ClientState::login: break;
    }
  });
}

// The caps of the exported pools, one entry per database and per user.
void add_caps(ScrapeView& view, const std::vector<std::shared_ptr<pool::ServerPool>>& pools) {
  std::map<std::string, CapView> databases, users;
  for (const auto& pool : pools) {
    const auto& key = pool->key();
    const bool exported = std::any_of(view.pools.begin(), view.pools.end(), [&](const PoolView& p) {
      return p.database == key.database && p.user == key.user;
    });
    if (!exported) continue;
    databases[key.database] = {key.database, pool->database_cap().used(), pool->database_cap().limit()};
    users[key.user] = {key.user, pool->user_cap().used(), pool->user_cap().limit()};
  }
  for (auto& [name, cap] : databases) view.database_caps.push_back(std::move(cap));
  for (auto& [name, cap] : users) view.user_caps.push_back(std::move(cap));
}

}  // namespace

std::vector<prometheus::MetricFamily> render(const ScrapeView& view) {
  Families out;
  out[Family::client_connections_login].add({}, view.clients_login);
  out[Family::client_connections_max].add({}, view.max_client_connections);
  for (const auto& [reason, count] : view.clients_pinned) out[Family::clients_pinned].add({reason}, count);
  for (const auto& pool : view.pools) render_pool(out, pool);
  for (const auto& cap : view.database_caps) {
    out[Family::database_server_connections].add({cap.name}, cap.used);
    out[Family::database_server_connections_max].add({cap.name}, cap.limit);
  }
  for (const auto& cap : view.user_caps) {
    out[Family::user_server_connections].add({cap.name}, cap.used);
    out[Family::user_server_connections_max].add({cap.name}, cap.limit);
  }
  render_events(out, view.events);
  out[Family::build_info].add({SLUICE_VERSION}, 1);
  return out.take();
}

ScrapeView Collector::gather(TimePoint now) const {
  ScrapeView view;
  view.max_client_connections = config_.current()->config->max_client_connections;
  const auto pools = pools_.pools();
  for (const auto& pool : pools) view.pools.push_back(view_of(*pool));
  add_clients(view, clients_, now);
  std::erase_if(view.pools, [](const PoolView& pool) { return !pool.in_use(); });
  add_caps(view, pools);
  view.events = events_.snapshot();
  // A pool's histograms go with its other series: those of a pool dropped since (its database
  // removed by a reload) leave /metrics with them instead of staying frozen there.
  std::erase_if(view.events.pools, [&](const EventMetrics::Snapshot::Pool& histograms) {
    return std::none_of(view.pools.begin(), view.pools.end(), [&](const PoolView& pool) {
      return pool.database == histograms.database && pool.user == histograms.user;
    });
  });
  return view;
}

std::vector<prometheus::MetricFamily> Collector::Collect() const {
  // Runs on the exposer's HTTP thread: a failure here must not take the daemon down.
  try {
    return render(gather(Clock::now()));
  } catch (const std::exception& error) {
    spdlog::error("metrics scrape failed: {}", error.what());
    return {};
  }
}

}  // namespace sluice::metrics
