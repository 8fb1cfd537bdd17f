#pragma once
// Metrics of events, as opposed to state: how long clients waited, how long transactions
// held a backend, why clients left, which timeouts fired, which caps refused, how reloads
// went. Sessions and the app record them from any thread; the collector reads a snapshot
// at scrape time. Recording is a few relaxed atomic adds (plus a shared lock to find a
// pool's histograms), once per transaction or per event, never per message.
//
// Every label value comes from a fixed list here or names a pool (database, user), so the
// label sets stay bounded whatever clients send.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/sharded_counter.hpp"

namespace sluice::metrics {

// Bucket upper bounds, in seconds (the +Inf bucket is implied).
inline constexpr std::array<double, 14> kWaitBuckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,     2.5,  5,     10,   30,  120};
inline constexpr std::array<double, 15> kTransactionBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,   0.5,   1,      2.5,   5,    10,    60};

// What a histogram held at one instant: per-bucket (not cumulative) counts, the +Inf
// bucket last, and the sum of the observations.
struct HistogramSnapshot {
  std::span<const double> bounds;
  std::vector<std::uint64_t> counts;  // bounds.size() + 1 entries
  double sum_seconds = 0;
  std::uint64_t count() const;
};

// A histogram with fixed buckets of relaxed atomics. Concurrent observers never block;
// a snapshot taken while they run may be off by the observations in flight.
class AtomicHistogram {
 public:
  explicit AtomicHistogram(std::span<const double> bounds);
  void observe(double seconds);
  HistogramSnapshot snapshot() const;  // the shards added up

 private:
  // Observed on every lease by every worker: one shard per thread (as ShardedCounter), each
  // on cache lines of its own.
  struct alignas(64) Shard {
    std::vector<std::atomic<std::uint64_t>> counts;
    std::atomic<std::uint64_t> sum_nanoseconds{0};
  };
  std::span<const double> bounds_;
  std::array<Shard, kCounterShards> shards_;
};

// The fixed label values. A reason or kind outside these lists is counted as "other".
inline constexpr std::array<std::string_view, 24> kDisconnectReasons{
    "terminate",           "client_close",           "client_login_timeout",
    "client_idle_timeout", "idle_transaction_timeout", "query_wait_timeout",
    "statement_timeout",   "max_client_connections", "users.max_client_connections",
    "databases.max_client_connections",
    "auth_failed",         "unknown_database",       "database_removed",
    "admin_access",        "admin_kill",             "server_connect_failed",
    "server_login_failed", "server_lost",            "server_reset_query",
    "protocol_violation",  "pool_mode",              "shutdown",
    "internal_error",      "other"};
inline constexpr std::array<std::string_view, 5> kTimeoutKinds{
    "query_wait_timeout", "statement_timeout", "idle_transaction_timeout", "client_idle_timeout",
    "client_login_timeout"};
inline constexpr std::array<std::string_view, 3> kRefusalKinds{
    "max_client_connections", "users.max_client_connections", "databases.max_client_connections"};

// A disconnect reason as a bounded label value: the reason itself if it is in the list,
// "users.max_client_connections" for a per-user cap ("max_client_connections (user x)"),
// "databases.max_client_connections" for a per-database one, otherwise "other".
std::string_view disconnect_reason_label(std::string_view reason);

class EventMetrics {
 public:
  struct PoolHistograms {
    AtomicHistogram wait{kWaitBuckets};
    AtomicHistogram transaction{kTransactionBuckets};
  };

  struct Snapshot {
    struct Pool {
      std::string database, user;
      HistogramSnapshot wait, transaction;
    };
    std::vector<Pool> pools;
    std::vector<std::pair<std::string_view, std::uint64_t>> disconnects;  // kDisconnectReasons order
    std::vector<std::pair<std::string_view, std::uint64_t>> timeouts;     // kTimeoutKinds order
    std::vector<std::pair<std::string_view, std::uint64_t>> refusals;     // kRefusalKinds order
    std::uint64_t reloads_succeeded = 0;
    std::uint64_t reloads_failed = 0;
    bool last_reload_successful = true;
  };

  // A client got a backend after waiting `seconds` (pool labels: its database and user).
  // The histograms of one pool; stable for the process's life, so sessions keep the reference
  // and the per-transaction path does no lookup.
  PoolHistograms& histograms_for(const std::string& database, const std::string& user);
  void observe_wait(const std::string& database, const std::string& user, double seconds);
  // A client gave a backend back after holding it `seconds`.
  void observe_transaction(const std::string& database, const std::string& user, double seconds);
  // A client connection ended for `reason` (a Failure reason, or "terminate"). Timeouts and
  // cap refusals among them are counted in their families too, except statement_timeout,
  // which count_timeout() counts when the cancel is sent.
  void count_disconnect(std::string_view reason);
  // A timeout fired that does not necessarily end the client (statement_timeout).
  void count_timeout(std::string_view kind);
  void count_reload(bool succeeded);

  Snapshot snapshot() const;

  // A sink for code paths given no EventMetrics of their own (see ProxyContext).
  static EventMetrics& unexported();

 private:
  static void bump(std::span<std::atomic<std::uint64_t>> counters, std::span<const std::string_view> names,
                   std::string_view name);

  mutable std::shared_mutex pools_mutex_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<PoolHistograms>> pools_;
  std::array<std::atomic<std::uint64_t>, kDisconnectReasons.size()> disconnects_{};
  std::array<std::atomic<std::uint64_t>, kTimeoutKinds.size()> timeouts_{};
  std::array<std::atomic<std::uint64_t>, kRefusalKinds.size()> refusals_{};
  std::atomic<std::uint64_t> reloads_succeeded_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  std::atomic<bool> last_reload_successful_{true};
};

}  // namespace sluice::metrics
