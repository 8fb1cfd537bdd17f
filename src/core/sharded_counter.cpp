#include "sluice/core/sharded_counter.hpp"

namespace sluice {

std::size_t this_thread_shard() {
  // Numbers threads, not data: the one process-wide value a thread needs to find its shard.
  static std::atomic<std::size_t> threads_seen{0};
  thread_local const std::size_t shard = threads_seen.fetch_add(1, std::memory_order_relaxed) % kCounterShards;
  return shard;
}

}  // namespace sluice
