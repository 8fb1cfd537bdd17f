// SessionClock: the janitor's view of one client. What trips when, and that idle_trim comes
// once per idle period and never before a real limit.
#include <catch2/catch.hpp>

#include "sluice/session/session_clock.hpp"

using namespace sluice;
using session::SessionClock;
using session::TimeoutKind;
using std::chrono::milliseconds;

namespace {
const milliseconds kGrace{2000};

config::PoolSettings limits(milliseconds client_idle_timeout) {
  config::PoolSettings settings;
  settings.client_idle_timeout = client_idle_timeout;
  return settings;
}
}  // namespace

TEST_CASE("an idle client is trimmed once per idle period, after kTrimAfterMs", "[session_clock]") {
  SessionClock clock;
  const auto start = Clock::now();
  clock.client_idle(start);
  const milliseconds trim_after{SessionClock::kTrimAfterMs};

  CHECK(clock.tripped(start + trim_after - milliseconds(1), kGrace) == std::nullopt);
  CHECK(clock.tripped(start + trim_after, kGrace) == TimeoutKind::idle_trim);
  clock.trimmed();
  CHECK(clock.tripped(start + trim_after * 10, kGrace) == std::nullopt);

  // Busy, then idle again: a new idle period, trimmed again.
  clock.client_busy();
  const auto later = start + trim_after * 20;
  clock.client_idle(later);
  CHECK(clock.tripped(later + trim_after / 2, kGrace) == std::nullopt);
  CHECK(clock.tripped(later + trim_after, kGrace) == TimeoutKind::idle_trim);
}

TEST_CASE("a busy client is never trimmed", "[session_clock]") {
  SessionClock clock;
  const auto start = Clock::now();
  clock.client_idle(start);
  clock.client_busy();
  CHECK(clock.tripped(start + milliseconds(SessionClock::kTrimAfterMs * 5), kGrace) == std::nullopt);
}

TEST_CASE("client_idle_timeout wins over idle_trim when both are due", "[session_clock]") {
  SessionClock clock;
  clock.set_limits(limits(milliseconds(500)));
  const auto start = Clock::now();
  clock.client_idle(start);
  CHECK(clock.tripped(start + milliseconds(600), kGrace) == TimeoutKind::client_idle_timeout);
  CHECK(clock.tripped(start + milliseconds(SessionClock::kTrimAfterMs + 1), kGrace) ==
        TimeoutKind::client_idle_timeout);
}
