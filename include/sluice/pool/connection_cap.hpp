#pragma once
// A cap on backend connections shared by several pools: max_db_connections (one per
// database) and max_user_connections (one per user). Exact across threads.
//
// Fairness: a pool that has clients waiting only because of this cap registers as
// blocked. While other pools are blocked, a pool holding more than its share of the cap
// (the limit divided among itself and them, rounded up) closes the backends it releases
// instead of reusing them, and the freed slot goes to the blocked pools in turn (round
// robin), so one busy pool cannot keep the whole cap. Once every pool holds no more than its
// share, backends stay where they are: a hand-over between users costs a new login, and
// closing one per transaction would make every transaction pay it.
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace sluice::pool {

// What a cap needs from the pools under it.
class CapMember {
 public:
  virtual ~CapMember() = default;
  virtual void cap_slot_freed() = 0;  // a blocked pool's turn: wake its first waiter
  virtual bool close_one_idle() = 0;  // give an idle backend back to the cap, if any
};

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
  // More backends open than the limit allows: a reload lowered it below what was open.
  bool over_limit() const {
    const int limit = limit_.load(std::memory_order_relaxed);
    return limit > 0 && used_.load(std::memory_order_relaxed) > limit;
  }

  void add_member(std::weak_ptr<CapMember> member);
  // The pool has clients it cannot serve because of this cap (no-op if already queued).
  void block(const std::shared_ptr<CapMember>& member);
  // `member`, holding `held` backends under this cap, holds more than its share while other
  // pools are blocked: the backend it releases should go to them.
  bool over_fair_share(const CapMember* member, std::size_t held) const;
  // A slot was freed by `freed_by`: the next blocked pool (not `freed_by`) gets its turn.
  // Call without holding any pool's lock.
  void wake_next(const CapMember* freed_by);
  // A pool just blocked: ask another pool to close an idle backend for it.
  void reclaim_idle_for(const CapMember* blocked);

 private:
  std::atomic<int> limit_;
  std::atomic<int> used_{0};
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<CapMember>> members_;
  std::deque<std::weak_ptr<CapMember>> blocked_;  // in the order they blocked
};

}  // namespace sluice::pool
