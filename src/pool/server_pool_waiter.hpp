#pragma once
// ServerPool's queue entry, private to src/pool/: the pool (server_pool.cpp) queues and hands
// over, the queue order (server_pool_queue.cpp) picks who is next.
#include <memory>

#include "sluice/pool/server_pool.hpp"

namespace sluice::pool {

// A client queued for a backend. Shared with the pool so a hand-off posted to the
// client's executor stays valid even if the client gave up in the meantime.
struct ServerPool::Waiter : std::enable_shared_from_this<Waiter> {
  explicit Waiter(WorkerExecutor executor) : timer(std::move(executor)) {}
  // Wakes the client on its own worker (cancels its timer there). From that worker's own thread
  // at once, when the client is suspended on its timer (the cancel only queues its completion).
  // Otherwise — another worker, or the client itself between queueing and its wait (its
  // acquire() frees cap slots, which may wake its own pool's queue) — a post that holds the
  // waiter, so a client that gave up meanwhile leaves nothing dangling.
  void wake() {
    if (timer.get_executor().running_in_this_thread() && timer.cancel() > 0) return;
    asio::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
  }

  // As new, for the next wait of the same client (ServerPool::waiter_for).
  void reuse() {
    granted = nullptr;
    abandoned = false;
    has_waited = false;
    may_use_reserve = false;
    passed_over = 0;
    since = Clock::now();
  }

  WorkerTimer timer;  // expires at the client's query_wait_timeout; cancelled to wake it
  ServerConnection* granted = nullptr;  // a backend handed over directly by give_back()
  bool queued = false;
  bool abandoned = false;  // WaitTicket::abandon: the client stops waiting
  bool has_waited = false;  // re-enters at the head of the queue: it keeps its place in line
  bool may_use_reserve = false;  // waited reserve_pool_timeout: may open beyond pool_size
  int passed_over = 0;  // times a released backend went to a client queued behind this one
  TimePoint since = Clock::now();
};

}  // namespace sluice::pool
