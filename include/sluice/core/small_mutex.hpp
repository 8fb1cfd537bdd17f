#pragma once
// A mutex of 4 bytes, for state that every idle client carries and that other threads read
// rarely: a client's snapshot fields (the janitor, SHOW CLIENTS, the exporter) and its cancel
// route (a CancelRequest). std::mutex is 40 bytes; at 15,000 idle clients with two of them each
// that is 1.2 MB of locks that are almost never contended.
//
// The classic three-state futex lock (Drepper, "Futexes Are Tricky"): 0 free, 1 held, 2 held
// with waiters. Uncontended lock and unlock are one atomic instruction each, and unlock only
// wakes (a futex call, through std::atomic::notify_one) when someone waits.
#include <atomic>
#include <cstdint>

namespace sluice::core {

class SmallMutex {
 public:
  SmallMutex() = default;
  SmallMutex(const SmallMutex&) = delete;
  SmallMutex& operator=(const SmallMutex&) = delete;

  void lock() {
    std::uint32_t seen = kFree;
    if (state_.compare_exchange_strong(seen, kHeld, std::memory_order_acquire, std::memory_order_relaxed)) return;
    // Contended: announce a waiter (2) and sleep until the holder lets go.
    if (seen != kContended) seen = state_.exchange(kContended, std::memory_order_acquire);
    while (seen != kFree) {
      state_.wait(kContended, std::memory_order_relaxed);
      seen = state_.exchange(kContended, std::memory_order_acquire);
    }
  }

  bool try_lock() {
    std::uint32_t seen = kFree;
    return state_.compare_exchange_strong(seen, kHeld, std::memory_order_acquire, std::memory_order_relaxed);
  }

  void unlock() {
    if (state_.exchange(kFree, std::memory_order_release) == kContended) state_.notify_one();
  }

 private:
  static constexpr std::uint32_t kFree = 0;
  static constexpr std::uint32_t kHeld = 1;
  static constexpr std::uint32_t kContended = 2;
  std::atomic<std::uint32_t> state_{kFree};
};

}  // namespace sluice::core
