#pragma once
// The timestamps a session publishes for the janitor: lock-free, written on the session's
// worker, read by the janitor's sweep. One sweep checks every client's limits, so an idle
// client costs no timer and no CPU of its own.
#include <atomic>
#include <algorithm>
#include <chrono>
#include <limits>
#include <cstdint>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"

namespace sluice::session {

// idle_trim is not a limit: a client idle for kTrimAfter gives back what only a busy client
// needs (its coroutine frames, the front end's readers), so idle clients cost little memory.
enum class TimeoutKind { statement_timeout, cancel_grace, idle_transaction_timeout, client_idle_timeout, idle_trim };

class SessionClock {
 public:
  static constexpr std::int64_t kNever = 0;
  // Long enough that a client between two transactions of a burst is never trimmed (its
  // frames and readers would only be made again), short enough that a fleet of idle
  // connections shrinks soon after connecting.
  static constexpr std::int64_t kTrimAfterMs = 1000;

  // Limits, refreshed from the pool's settings at each lease (so a reload applies at the
  // client's next transaction).
  void set_limits(const config::PoolSettings& settings) {
    statement_timeout_ms_.store(limit_ms(settings.statement_timeout), std::memory_order_relaxed);
    idle_transaction_timeout_ms_.store(limit_ms(settings.idle_transaction_timeout), std::memory_order_relaxed);
    client_idle_timeout_ms_.store(limit_ms(settings.client_idle_timeout), std::memory_order_relaxed);
  }

  void statement_started(TimePoint at) { statement_since_.store(ticks(at), std::memory_order_relaxed); }
  void statement_finished() { statement_since_.store(kNever, std::memory_order_relaxed); }
  void cancel_sent(TimePoint at) { cancel_sent_.store(ticks(at), std::memory_order_relaxed); }
  void cancel_settled() { cancel_sent_.store(kNever, std::memory_order_relaxed); }
  void idle_in_transaction(TimePoint at) { idle_in_transaction_since_.store(ticks(at), std::memory_order_relaxed); }
  void not_idle_in_transaction() { idle_in_transaction_since_.store(kNever, std::memory_order_relaxed); }
  void client_idle(TimePoint at) {
    client_idle_since_.store(ticks(at), std::memory_order_relaxed);
    trimmed_.store(false, std::memory_order_relaxed);
  }
  void trimmed() { trimmed_.store(true, std::memory_order_relaxed); }
  void client_busy() { client_idle_since_.store(kNever, std::memory_order_relaxed); }

  // The first limit that has tripped at `now`, if any.
  std::optional<TimeoutKind> tripped(TimePoint now, std::chrono::milliseconds cancel_grace) const {
    const auto current = ticks(now);
    auto past = [&](const std::atomic<std::int64_t>& since, std::int64_t limit_ms) {
      const auto start = since.load(std::memory_order_relaxed);
      return start != kNever && limit_ms > 0 && current - start >= limit_ms * 1'000'000;
    };
    if (past(cancel_sent_, cancel_grace.count())) return TimeoutKind::cancel_grace;
    if (cancel_sent_.load(std::memory_order_relaxed) == kNever &&
        past(statement_since_, statement_timeout_ms_.load(std::memory_order_relaxed))) {
      return TimeoutKind::statement_timeout;
    }
    if (past(idle_in_transaction_since_, idle_transaction_timeout_ms_.load(std::memory_order_relaxed))) {
      return TimeoutKind::idle_transaction_timeout;
    }
    if (past(client_idle_since_, client_idle_timeout_ms_.load(std::memory_order_relaxed))) {
      return TimeoutKind::client_idle_timeout;
    }
    if (!trimmed_.load(std::memory_order_relaxed) && past(client_idle_since_, kTrimAfterMs)) {
      return TimeoutKind::idle_trim;
    }
    return std::nullopt;
  }

  // One timeout in flight at a time: the janitor does not post again until it is handled.
  bool claim_timeout() { return !timeout_posted_.exchange(true, std::memory_order_acq_rel); }
  void timeout_handled() { timeout_posted_.store(false, std::memory_order_release); }

 private:
  // Limits fit 32 bits (24 days) so every client's clock is 16 bytes smaller; a longer one is
  // as good as "never" for a timeout, and is held at the largest that fits.
  static std::int32_t limit_ms(std::chrono::milliseconds limit) {
    return static_cast<std::int32_t>(std::min<std::int64_t>(limit.count(), std::numeric_limits<std::int32_t>::max()));
  }
  static std::int64_t ticks(TimePoint at) {
    const auto value = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    return value == kNever ? 1 : value;
  }

  std::atomic<std::int64_t> statement_since_{kNever};
  std::atomic<std::int64_t> cancel_sent_{kNever};
  std::atomic<std::int64_t> idle_in_transaction_since_{kNever};
  std::atomic<std::int64_t> client_idle_since_{kNever};
  std::atomic<std::int32_t> statement_timeout_ms_{0};
  std::atomic<std::int32_t> idle_transaction_timeout_ms_{0};
  std::atomic<std::int32_t> client_idle_timeout_ms_{0};
  std::atomic<bool> timeout_posted_{false};
  std::atomic<bool> trimmed_{false};  // idle_trim done for the current idle period
};

}  // namespace sluice::session
