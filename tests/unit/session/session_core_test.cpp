// SessionCore: the protocol-neutral decisions of a session — release, stop requests, timeouts,
// settling a leaving client's backend — against a fake connector's pool. No sockets.
#include <catch2/catch.hpp>

#include "../support/fake_connector.hpp"
#include "sluice/session/session_core.hpp"

using namespace sluice;
using namespace sluice::session;
using config::PoolMode;

namespace {

constexpr WorkState kAtRest{};
constexpr WorkState kRunning{.statement_running = true};
constexpr WorkState kInTransaction{.in_transaction = true};
constexpr WorkState kPartial{.partial = true};

Failure shutdown() { return Failure{"shutdown", "", "sluice is shutting down"}; }

// A pool of one fake backend and a core holding (or not holding) a lease on it.
struct Fixture {
  asio::io_context io;
  std::shared_ptr<pool::ServerPool> pool;
  SessionCore core;

  explicit Fixture(PoolMode mode) : core(mode) {
    config::PoolSettings settings;
    settings.pool_size = 1;
    pool = std::make_shared<pool::ServerPool>(pool::PoolKey{"db", "user"}, std::make_shared<testing::FakeConnector>(),
                                              settings, std::make_shared<pool::ConnectionCap>(0),
                                              std::make_shared<pool::ConnectionCap>(0));
  }

  void lease() {
    auto take = [this]() -> awaitable<void> {
      auto lease = co_await pool->acquire(io.get_executor());
      if (lease) core.attach(std::move(*lease));
    };
    asio::co_spawn(io, take(), asio::detached);
    io.run();
    io.restart();
    REQUIRE(core.has_lease());
  }
};

}  // namespace

TEST_CASE("session core: a transaction-mode backend goes back only when at rest", "[session][core]") {
  const auto mode = GENERATE(PoolMode::transaction, PoolMode::statement);
  Fixture f(mode);
  CHECK_FALSE(f.core.may_release(kAtRest));  // nothing to release
  f.lease();
  CHECK(f.core.may_release(kAtRest));
  CHECK_FALSE(f.core.may_release(kRunning));
  CHECK_FALSE(f.core.may_release(kInTransaction));
  CHECK_FALSE(f.core.may_release(kPartial));
  f.core.set_writing(true);
  CHECK_FALSE(f.core.may_release(kAtRest));  // half our bytes may still be on their way
  f.core.set_writing(false);
  f.core.stop(shutdown());
  CHECK_FALSE(f.core.may_release(kAtRest));  // a stopping session settles instead
}

TEST_CASE("session core: session mode never releases while the client stays", "[session][core]") {
  Fixture f(PoolMode::session);
  f.lease();
  CHECK_FALSE(f.core.may_release(kAtRest));
  CHECK(f.core.reset_before_release());
}

TEST_CASE("session core: statement mode refuses a transaction block", "[session][core]") {
  CHECK_FALSE(Fixture(PoolMode::transaction).core.check_pool_mode(kInTransaction));
  const auto violation = Fixture(PoolMode::statement).core.check_pool_mode(kInTransaction);
  REQUIRE(violation);
  CHECK(violation->reason == "pool_mode");
  CHECK_FALSE(Fixture(PoolMode::statement).core.check_pool_mode(kAtRest));
}

TEST_CASE("session core: a stop request waits for the end of the transaction", "[session][core]") {
  Fixture f(PoolMode::transaction);
  SECTION("no backend: at once") {
    CHECK(f.core.request_stop(shutdown(), kAtRest));
    CHECK(f.core.stop_reason()->reason == "shutdown");
  }
  SECTION("mid-transaction: once the backend is clean") {
    f.lease();
    CHECK_FALSE(f.core.request_stop(shutdown(), kInTransaction));
    CHECK_FALSE(f.core.stopping());
    CHECK_FALSE(f.core.due_stop(kInTransaction));
    CHECK_FALSE(f.core.due_stop(kRunning));
    const auto due = f.core.due_stop(kAtRest);
    REQUIRE(due);
    CHECK(due->reason == "shutdown");
  }
  SECTION("the first reason wins") {
    f.core.stop(shutdown());
    f.core.stop(Failure{"admin_kill", "", "killed"});
    CHECK(f.core.stop_reason()->reason == "shutdown");
  }
}

TEST_CASE("session core: timeouts re-checked against the state now", "[session][core]") {
  using Kind = TimeoutAction::Kind;
  Fixture f(PoolMode::transaction);
  SECTION("without a backend only client_idle_timeout acts") {
    CHECK(f.core.on_timeout(TimeoutKind::statement_timeout, kRunning).kind == Kind::none);
    CHECK(f.core.on_timeout(TimeoutKind::idle_transaction_timeout, kInTransaction).kind == Kind::none);
    const auto idle = f.core.on_timeout(TimeoutKind::client_idle_timeout, kAtRest);
    REQUIRE(idle.kind == Kind::stop);
    CHECK(idle.failure->reason == "client_idle_timeout");
  }
  SECTION("with a backend") {
    f.lease();
    CHECK(f.core.on_timeout(TimeoutKind::statement_timeout, kRunning).kind == Kind::cancel_statement);
    CHECK(f.core.on_timeout(TimeoutKind::statement_timeout, kInTransaction).kind == Kind::none);  // it finished
    const auto grace = f.core.on_timeout(TimeoutKind::cancel_grace, kRunning);
    REQUIRE(grace.kind == Kind::stop);
    CHECK(grace.failure->reason == "statement_timeout");
    const auto idle_in_transaction = f.core.on_timeout(TimeoutKind::idle_transaction_timeout, kInTransaction);
    REQUIRE(idle_in_transaction.kind == Kind::stop);
    CHECK(idle_in_transaction.failure->reason == "idle_transaction_timeout");
    CHECK(f.core.on_timeout(TimeoutKind::idle_transaction_timeout, kRunning).kind == Kind::none);
    CHECK(f.core.on_timeout(TimeoutKind::client_idle_timeout, kInTransaction).kind == Kind::none);
  }
}

TEST_CASE("session core: a leaving client's backend is settled by its state", "[session][core]") {
  Fixture f(PoolMode::transaction);
  f.lease();
  CHECK(f.core.settle_plan(kAtRest) == SettlePlan::release);
  CHECK(f.core.settle_plan(kInTransaction) == SettlePlan::roll_back_then_release);
  CHECK(f.core.settle_plan(kRunning) == SettlePlan::cancel_then_discard);
  CHECK(f.core.settle_plan(kPartial) == SettlePlan::discard);
  CHECK(f.core.settle_plan(WorkState{.statement_running = true, .partial = true}) == SettlePlan::cancel_then_discard);
  f.core.stop(Failure{"server_lost", "08006", "server connection lost"});
  CHECK(f.core.settle_plan(kRunning) == SettlePlan::discard);  // nobody left to cancel
}

TEST_CASE("session core: releasing through the core gives the backend back to the pool", "[session][core]") {
  Fixture f(PoolMode::transaction);
  f.lease();
  CHECK(f.pool->counts().active == 1);
  f.core.lease().release();
  CHECK_FALSE(f.core.has_lease());
  CHECK(f.pool->counts().idle == 1);
}

TEST_CASE("session core: a pinned client keeps its backend and leaves it closed", "[session][core][session_state]") {
  using Kind = TimeoutAction::Kind;
  constexpr WorkState kPinned{.pinned = true};
  Fixture f(PoolMode::transaction);
  f.lease();
  CHECK(f.core.may_release(kAtRest));
  CHECK_FALSE(f.core.may_release(kPinned));
  // Idle between transactions on its own backend, as in session mode: client_idle_timeout and
  // a drain act at once.
  CHECK(f.core.on_timeout(TimeoutKind::client_idle_timeout, kPinned).kind == Kind::stop);
  CHECK(f.core.on_timeout(TimeoutKind::client_idle_timeout, kAtRest).kind == Kind::none);
  // What pins (LISTEN, a temporary table, a lock) must not reach the next client.
  CHECK(f.core.settle_plan(kPinned) == SettlePlan::discard);
  CHECK(f.core.settle_plan(WorkState{.statement_running = true, .pinned = true}) == SettlePlan::cancel_then_discard);
  CHECK(f.core.request_stop(shutdown(), kPinned));
}
