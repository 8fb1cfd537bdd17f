#include "sluice/metrics/event_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

namespace sluice::metrics {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;

// Where `name` sits in `names`, or the last entry ("other") when it is not there.
std::size_t index_or_last(std::span<const std::string_view> names, std::string_view name) {
  const auto found = std::find(names.begin(), names.end(), name);
  return found == names.end() ? names.size() - 1 : static_cast<std::size_t>(found - names.begin());
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::pair<std::string_view, std::uint64_t>> read_counters(
    std::span<const std::atomic<std::uint64_t>> counters, std::span<const std::string_view> names) {
  std::vector<std::pair<std::string_view, std::uint64_t>> values;
  values.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) values.emplace_back(names[i], counters[i].load(relaxed));
  return values;
}
}  // namespace

// ---- AtomicHistogram -------------------------------------------------------------------

std::uint64_t HistogramSnapshot::count() const {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

AtomicHistogram::AtomicHistogram(std::span<const double> bounds) : bounds_(bounds) {
  // Each shard's buckets are an allocation of their own, apart from the other threads'.
  for (auto& shard : shards_) shard.counts = std::vector<std::atomic<std::uint64_t>>(bounds.size() + 1);
}

void AtomicHistogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;  // a clock step or NaN is not a negative duration
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  auto& shard = shards_[this_thread_shard()];
  shard.counts[static_cast<std::size_t>(bucket)].fetch_add(1, relaxed);
  shard.sum_nanoseconds.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)), relaxed);
}

HistogramSnapshot AtomicHistogram::snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.bounds = bounds_;
  snapshot.counts.assign(bounds_.size() + 1, 0);
  std::uint64_t sum_nanoseconds = 0;
  for (const auto& shard : shards_) {
    for (std::size_t bucket = 0; bucket < shard.counts.size(); ++bucket) snapshot.counts[bucket] += shard.counts[bucket].load(relaxed);
    sum_nanoseconds += shard.sum_nanoseconds.load(relaxed);
  }
  snapshot.sum_seconds = static_cast<double>(sum_nanoseconds) / 1e9;
  return snapshot;
}

// ---- labels ----------------------------------------------------------------------------

std::string_view disconnect_reason_label(std::string_view reason) {
  // ClientLimits says "max_client_connections (user NAME)" for a user's own cap and
  // "(database NAME)" for a database's: the name must not become a label value here.
  constexpr std::string_view per_user = "max_client_connections (user ";
  constexpr std::string_view per_database = "max_client_connections (database ";
  if (reason.starts_with(per_user)) return "users.max_client_connections";
  if (reason.starts_with(per_database)) return "databases.max_client_connections";
  return kDisconnectReasons[index_or_last(kDisconnectReasons, reason)];
}

// ---- EventMetrics ----------------------------------------------------------------------

EventMetrics::PoolHistograms& EventMetrics::histograms_for(const std::string& database, const std::string& user) {
  {
    std::shared_lock lock(pools_mutex_);
    if (auto found = pools_.find({database, user}); found != pools_.end()) return *found->second;
  }
  std::unique_lock lock(pools_mutex_);
  auto& slot = pools_[{database, user}];
  if (!slot) slot = std::make_unique<PoolHistograms>();
  return *slot;
}

void EventMetrics::observe_wait(const std::string& database, const std::string& user, double seconds) {
  histograms_for(database, user).wait.observe(seconds);
}

void EventMetrics::observe_transaction(const std::string& database, const std::string& user, double seconds) {
  histograms_for(database, user).transaction.observe(seconds);
}

void EventMetrics::bump(std::span<std::atomic<std::uint64_t>> counters, std::span<const std::string_view> names,
                        std::string_view name) {
  counters[index_or_last(names, name)].fetch_add(1, relaxed);
}

void EventMetrics::count_disconnect(std::string_view reason) {
  const auto label = disconnect_reason_label(reason);
  bump(disconnects_, kDisconnectReasons, label);
  // statement_timeout ends a client only when the cancel did not work; the timeout itself
  // was counted when the cancel went out.
  if (label != "statement_timeout" && contains(kTimeoutKinds, label)) bump(timeouts_, kTimeoutKinds, label);
  if (contains(kRefusalKinds, label)) bump(refusals_, kRefusalKinds, label);
}

void EventMetrics::count_timeout(std::string_view kind) {
  if (contains(kTimeoutKinds, kind)) bump(timeouts_, kTimeoutKinds, kind);
}

void EventMetrics::count_reload(bool succeeded) {
  (succeeded ? reloads_succeeded_ : reloads_failed_).fetch_add(1, relaxed);
  last_reload_successful_.store(succeeded, relaxed);
}

EventMetrics& EventMetrics::unexported() {
  static EventMetrics sink;
  return sink;
}

EventMetrics::Snapshot EventMetrics::snapshot() const {
  Snapshot snapshot;
  {
    std::shared_lock lock(pools_mutex_);
    for (const auto& [key, histograms] : pools_) {
      snapshot.pools.push_back(
          {key.first, key.second, histograms->wait.snapshot(), histograms->transaction.snapshot()});
    }
  }
  snapshot.disconnects = read_counters(disconnects_, kDisconnectReasons);
  snapshot.timeouts = read_counters(timeouts_, kTimeoutKinds);
  snapshot.refusals = read_counters(refusals_, kRefusalKinds);
  snapshot.reloads_succeeded = reloads_succeeded_.load(relaxed);
  snapshot.reloads_failed = reloads_failed_.load(relaxed);
  snapshot.last_reload_successful = last_reload_successful_.load(relaxed);
  return snapshot;
}

}  // namespace sluice::metrics
