#pragma once
// Counters that every I/O worker adds to on every lease (a pool's transactions, bytes, wait
// time; the latency histograms). One atomic shared by two workers makes each addition fetch
// the cache line from the other core; here each thread adds to a shard of its own, on its own
// cache line, and a reader (SHOW STATS, /metrics) sums the shards. No count is lost: every
// addition is an atomic add to some shard.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice {

inline constexpr std::size_t kCounterShards = 8;

// The shard of the calling thread: threads are numbered in the order they first count, so
// up to kCounterShards threads (the I/O workers, worker 0 first) each have their own.
std::size_t this_thread_shard();

class ShardedCounter {
 public:
  void fetch_add(std::uint64_t amount, std::memory_order order = std::memory_order_relaxed) {
    shards_[this_thread_shard()].value.fetch_add(amount, order);
  }
  std::uint64_t load(std::memory_order order = std::memory_order_relaxed) const {
    std::uint64_t total = 0;
    for (const auto& shard : shards_) total += shard.value.load(order);
    return total;
  }

 private:
  struct alignas(64) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Shard, kCounterShards> shards_{};
};

}  // namespace sluice
