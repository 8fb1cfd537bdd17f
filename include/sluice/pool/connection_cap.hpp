#pragma once
// A cap on backend connections shared by several pools: max_db_connections (one per
// database) and max_user_connections (one per user). Exact across threads.
#include <atomic>

namespace sluice::pool {

class ConnectionCap {
 public:
  explicit ConnectionCap(int limit = 0) : limit_(limit) {}

  // Takes one unit if below the limit (0 = unlimited).
  bool try_take() {
    int used = used_.load(std::memory_order_relaxed);
    for (;;) {
      const int limit = limit_.load(std::memory_order_relaxed);
      if (limit > 0 && used >= limit) return false;
      if (used_.compare_exchange_weak(used, used + 1, std::memory_order_acq_rel)) return true;
    }
  }
  void give_back() { used_.fetch_sub(1, std::memory_order_acq_rel); }
  void set_limit(int limit) { limit_.store(limit, std::memory_order_relaxed); }
  int limit() const { return limit_.load(std::memory_order_relaxed); }
  int used() const { return used_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> limit_;
  std::atomic<int> used_{0};
};

}  // namespace sluice::pool
