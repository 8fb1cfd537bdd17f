// ServerPool's queue: who gets a backend next. Arrival order, with a bounded preference for
// clients on the backend's own I/O worker.
#include <algorithm>

#include "server_pool_waiter.hpp"

namespace sluice::pool {

// Read under the lock the first attempt takes anyway: a copy of settings() would take it again
// and copy strings, once per queued client.
std::pair<TimePoint, TimePoint> ServerPool::wait_limits_locked(TimePoint since) const {
  const TimePoint deadline =
      settings_.query_wait_timeout.count() > 0 ? since + settings_.query_wait_timeout : TimePoint::max();
  // reserve_pool_timeout 0 is "disabled", as every 0 duration (and PgBouncer's): no reserve.
  const bool has_reserve = settings_.reserve_pool_size > 0 && settings_.reserve_pool_timeout.count() > 0;
  return {deadline, has_reserve ? since + settings_.reserve_pool_timeout : TimePoint::max()};
}

// The queued client a released backend goes to: the longest-waiting one on the backend's own
// I/O worker, so the socket need not change threads (two epoll_ctl, and a cross-thread wake-up
// for every hand-off otherwise). Passing over clients of other workers is bounded: one passed
// over kMaxPassedOver times gets the next backend, whatever its worker, so the queue's order
// holds within a few places.
std::shared_ptr<ServerPool::Waiter> ServerPool::take_waiter_for_locked(ServerConnection& connection) {
  constexpr int kMaxPassedOver = 8;
  constexpr std::size_t kLookAhead = 16;
  const auto backend_worker = connection.socket().get_executor();
  auto chosen = waiters_.begin();
  const auto look_until = waiters_.begin() + static_cast<std::ptrdiff_t>(std::min(kLookAhead, waiters_.size()));
  for (auto it = waiters_.begin(); it != look_until; ++it) {
    if ((*it)->timer.get_executor() == backend_worker) {
      for (auto passed = waiters_.begin(); passed != it; ++passed) ++(*passed)->passed_over;
      chosen = it;
      break;
    }
    if ((*it)->passed_over >= kMaxPassedOver) break;  // its turn has come: the head goes first
  }
  auto waiter = std::move(*chosen);
  waiters_.erase(chosen);
  return waiter;
}

void ServerPool::wake_one_locked() {
  if (waiters_.empty()) return;
  auto waiter = waiters_.front();
  waiters_.pop_front();
  waiter->queued = false;
  waiter->wake();
}

}  // namespace sluice::pool
