// ServerPool logic against a connector that opens nothing: no sockets, no server.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "../support/fake_connector.hpp"
#include "sluice/pool/server_pool.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

using testing::FakeConnector;

config::PoolSettings small_pool(int size, std::chrono::milliseconds wait = 200ms) {
  config::PoolSettings settings;
  settings.pool_size = size;
  settings.query_wait_timeout = wait;
  settings.server_login_retry = 1000ms;
  return settings;
}

struct Fixture {
  asio::io_context io;
  std::shared_ptr<FakeConnector> connector = std::make_shared<FakeConnector>();
  std::shared_ptr<pool::ConnectionCap> database_cap = std::make_shared<pool::ConnectionCap>(0);
  std::shared_ptr<pool::ConnectionCap> user_cap = std::make_shared<pool::ConnectionCap>(0);

  std::shared_ptr<pool::ServerPool> make_pool(config::PoolSettings settings) {
    return std::make_shared<pool::ServerPool>(pool::PoolKey{"db", "user"}, connector, settings, database_cap,
                                              user_cap);
  }

  // Runs `body` as a coroutine to completion.
  template <class Body>
  void run(Body body) {
    asio::co_spawn(io, body(), [](std::exception_ptr error) {
      if (error) std::rethrow_exception(error);
    });
    io.run();
    io.restart();
  }
};

}  // namespace

TEST_CASE("pool opens backends on demand up to pool_size", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(2));
  f.run([&]() -> awaitable<void> {
    auto first = co_await pool->acquire(f.io.get_executor());
    auto second = co_await pool->acquire(f.io.get_executor());
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(pool->counts().active == 2);
    auto third = co_await pool->acquire(f.io.get_executor());  // full: waits, then times out
    REQUIRE_FALSE(third.ok());
    CHECK(third.failure().reason == "query_wait_timeout");
    CHECK(third.failure().sqlstate.empty());  // a reason, not a wire code: front ends map it
  });
  CHECK(f.connector->opened == 2);
}

TEST_CASE("a lease says whether its client waited for it", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(1));
  f.run([&]() -> awaitable<void> {
    auto opened = co_await pool->acquire(f.io.get_executor());
    REQUIRE(opened.ok());
    CHECK(opened->waited());  // a new backend's login: the client may have left meanwhile
    opened->release();
    auto idle = co_await pool->acquire(f.io.get_executor());
    REQUIRE(idle.ok());
    CHECK_FALSE(idle->waited());  // handed out at once: no need to look at the client again
    auto moved = std::move(*idle);
    CHECK_FALSE(moved.waited());
  });
}

TEST_CASE("a released backend is reused, not reopened", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(1));
  f.run([&]() -> awaitable<void> {
    for (int i = 0; i < 5; ++i) {
      auto lease = co_await pool->acquire(f.io.get_executor());
      REQUIRE(lease.ok());
      lease->release();
    }
    auto counts = pool->counts();
    CHECK(counts.idle == 1);
    CHECK(counts.active == 0);
  });
  CHECK(f.connector->opened == 1);
}

TEST_CASE("waiting clients get released backends in arrival order", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(1, 5000ms));
  std::vector<int> served;
  f.run([&]() -> awaitable<void> {
    auto holder = co_await pool->acquire(f.io.get_executor());
    REQUIRE(holder.ok());
    auto executor = co_await asio::this_coro::executor;
    for (int id = 0; id < 4; ++id) {
      asio::co_spawn(executor, [&, id]() -> awaitable<void> {
        auto lease = co_await pool->acquire(f.io.get_executor());
        REQUIRE(lease.ok());
        served.push_back(id);
        lease->release();
      }, asio::detached);
    }
    asio::steady_timer pause(executor, 20ms);
    co_await pause.async_wait(use_awaitable);
    CHECK(pool->counts().waiting == 4);
    holder->release();
  });
  CHECK(served == std::vector<int>{0, 1, 2, 3});
  CHECK(f.connector->opened == 1);
}

TEST_CASE("a discarded backend frees its slot for a waiting client", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(1, 5000ms));
  bool waiter_served = false;
  f.run([&]() -> awaitable<void> {
    auto holder = co_await pool->acquire(f.io.get_executor());
    REQUIRE(holder.ok());
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, [&]() -> awaitable<void> {
      auto lease = co_await pool->acquire(f.io.get_executor());
      waiter_served = lease.ok();
    }, asio::detached);
    asio::steady_timer pause(executor, 20ms);
    co_await pause.async_wait(use_awaitable);
    holder->discard();
  });
  CHECK(waiter_served);
  CHECK(f.connector->opened == 2);
}

TEST_CASE("a failed login makes the pool fail fast for server_login_retry", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(2));
  f.connector->fail_next = true;
  f.run([&]() -> awaitable<void> {
    auto first = co_await pool->acquire(f.io.get_executor());
    REQUIRE_FALSE(first.ok());
    CHECK(first.failure().sqlstate == "08001");
    const auto before = Clock::now();
    auto second = co_await pool->acquire(f.io.get_executor());
    REQUIRE_FALSE(second.ok());
    CHECK(second.failure().sqlstate == "08001");
    CHECK(Clock::now() - before < 100ms);  // refused at once, not after query_wait_timeout
  });
  CHECK(f.connector->opened == 1);
  CHECK(pool->counts().connecting == 0);
}

TEST_CASE("a failed login with backends up: clients wait for those instead of failing fast", "[pool]") {
  // The server refused one more login (max_connections, max_user_connections) while the pool
  // already had a backend: the next client waits for it, as with PgBouncer's fast-fail.
  Fixture f;
  auto pool = f.make_pool(small_pool(2, 5000ms));
  bool waiter_served = false;
  f.run([&]() -> awaitable<void> {
    auto holder = co_await pool->acquire(f.io.get_executor());
    REQUIRE(holder.ok());
    f.connector->fail_next = true;
    auto refused = co_await pool->acquire(f.io.get_executor());  // its own login failed: it learns why
    REQUIRE_FALSE(refused.ok());
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, [&]() -> awaitable<void> {
      auto lease = co_await pool->acquire(f.io.get_executor());
      waiter_served = lease.ok();
      if (lease) lease->release();
    }, asio::detached);
    asio::steady_timer pause(executor, 20ms);
    co_await pause.async_wait(use_awaitable);
    CHECK(pool->counts().waiting == 1);  // queued, not refused
    holder->release();
  });
  CHECK(waiter_served);
  CHECK(f.connector->opened == 2);  // no new login inside server_login_retry
}

TEST_CASE("a reload or RECONNECT ends server_login_retry's fail-fast: the next client tries again", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(2));
  f.run([&]() -> awaitable<void> {
    f.connector->fail_next = true;
    CHECK_FALSE((co_await pool->acquire(f.io.get_executor())).ok());
    pool->update_settings(small_pool(2));  // the operator fixed the password and reloaded
    auto after_reload = co_await pool->acquire(f.io.get_executor());
    CHECK(after_reload.ok());
    if (after_reload) after_reload->release();
    f.connector->fail_next = true;
    pool->reconnect();
    CHECK_FALSE((co_await pool->acquire(f.io.get_executor())).ok());
    pool->reconnect();
    auto after_reconnect = co_await pool->acquire(f.io.get_executor());
    CHECK(after_reconnect.ok());
    if (after_reconnect) after_reconnect->release();
  });
  CHECK(f.connector->opened == 4);
}

TEST_CASE("a shared database cap bounds backends across pools", "[pool]") {
  Fixture f;
  f.database_cap->set_limit(1);
  auto pool_a = f.make_pool(small_pool(5, 50ms));
  auto pool_b = std::make_shared<pool::ServerPool>(pool::PoolKey{"db", "other"}, f.connector, small_pool(5, 50ms),
                                                   f.database_cap, std::make_shared<pool::ConnectionCap>(0));
  f.run([&]() -> awaitable<void> {
    auto a = co_await pool_a->acquire(f.io.get_executor());
    REQUIRE(a.ok());
    auto b = co_await pool_b->acquire(f.io.get_executor());
    CHECK_FALSE(b.ok());
    a->discard();
    auto b_again = co_await pool_b->acquire(f.io.get_executor());
    CHECK(b_again.ok());
    CHECK(f.database_cap->used() == 1);
  });
  CHECK(f.database_cap->used() == 0);  // dropped leases close their backends
}

TEST_CASE("a shared cap lowered by a reload below the open backends is kept: idle ones close", "[pool]") {
  Fixture f;
  auto pool_a = f.make_pool(small_pool(5, 50ms));
  auto pool_b = std::make_shared<pool::ServerPool>(pool::PoolKey{"db", "other"}, f.connector, small_pool(5, 50ms),
                                                   f.database_cap, std::make_shared<pool::ConnectionCap>(0));
  f.run([&]() -> awaitable<void> {
    auto a = co_await pool_a->acquire(f.io.get_executor());
    auto b = co_await pool_b->acquire(f.io.get_executor());
    REQUIRE((a.ok() && b.ok()));
    b->release();  // pool_b keeps an idle backend
    CHECK(f.database_cap->used() == 2);
    f.database_cap->set_limit(1);  // the reload
    // pool_a's backend is busy and pool_b's idle one is over the cap: pool_b waits, its idle
    // backend closes.
    auto b_again = co_await pool_b->acquire(f.io.get_executor());
    CHECK_FALSE(b_again.ok());
    CHECK(f.database_cap->used() == 1);
    CHECK(pool_b->counts().idle == 0);
    a->release();
  });
  CHECK(f.database_cap->used() == 1);
}

TEST_CASE("a server_lifetime lowered by a reload recycles backends already open", "[pool]") {
  Fixture f;
  auto settings = small_pool(2);
  settings.server_lifetime = 3600s;
  auto pool = f.make_pool(settings);
  f.run([&]() -> awaitable<void> {
    auto a = co_await pool->acquire(f.io.get_executor());
    REQUIRE(a.ok());
    settings.server_lifetime = 1ms;
    pool->update_settings(settings);
    co_await asio::steady_timer(f.io, 5ms).async_wait(use_awaitable);
    a->release();  // older than the new lifetime: closed, not kept
  });
  CHECK(pool->counts().idle == 0);
}

TEST_CASE("sweep closes backends idle past server_idle_timeout above min_pool_size", "[pool]") {
  Fixture f;
  auto settings = small_pool(3);
  settings.server_idle_timeout = 10ms;
  settings.min_pool_size = 1;
  auto pool = f.make_pool(settings);
  f.run([&]() -> awaitable<void> {
    auto a = co_await pool->acquire(f.io.get_executor());
    auto b = co_await pool->acquire(f.io.get_executor());
    auto c = co_await pool->acquire(f.io.get_executor());
    a->release();
    b->release();
    c->release();
  });
  CHECK(pool->counts().idle == 3);
  pool->sweep(Clock::now());
  CHECK(pool->counts().idle == 3);  // not idle long enough yet
  pool->sweep(Clock::now() + 50ms);
  CHECK(pool->counts().idle == 1);  // min_pool_size stays
}

TEST_CASE("a lowered pool_size shrinks the pool as backends come back", "[pool]") {
  Fixture f;
  auto pool = f.make_pool(small_pool(3));
  f.run([&]() -> awaitable<void> {
    auto a = co_await pool->acquire(f.io.get_executor());
    auto b = co_await pool->acquire(f.io.get_executor());
    auto c = co_await pool->acquire(f.io.get_executor());
    pool->update_settings(small_pool(1));
    a->release();
    b->release();
    c->release();
  });
  CHECK(pool->counts().idle == 1);
}

TEST_CASE("a backend idle past server_check_delay is checked, and replaced if dead", "[pool]") {
  Fixture f;
  auto settings = small_pool(2);
  settings.server_check_delay = 1ms;
  auto pool = f.make_pool(settings);
  f.run([&]() -> awaitable<void> {
    auto first = co_await pool->acquire(f.io.get_executor());
    REQUIRE(first.ok());
    first->release();
    asio::steady_timer pause(co_await asio::this_coro::executor, 5ms);
    co_await pause.async_wait(use_awaitable);
    f.connector->check_passes = false;
    auto second = co_await pool->acquire(f.io.get_executor());
    REQUIRE(second.ok());  // the dead one was closed and a new one opened
  });
  CHECK(f.connector->checked == 1);
  CHECK(f.connector->opened == 2);
}

TEST_CASE("reserve_pool_size opens extra backends only after reserve_pool_timeout", "[pool]") {
  Fixture f;
  auto settings = small_pool(1, 1000ms);
  settings.reserve_pool_size = 1;
  settings.reserve_pool_timeout = 50ms;
  auto pool = f.make_pool(settings);
  f.run([&]() -> awaitable<void> {
    auto holder = co_await pool->acquire(f.io.get_executor());
    REQUIRE(holder.ok());
    const auto before = Clock::now();
    auto extra = co_await pool->acquire(f.io.get_executor());
    REQUIRE(extra.ok());
    CHECK(Clock::now() - before >= 50ms);
    CHECK(Clock::now() - before < 900ms);
    CHECK(pool->counts().active == 2);
  });
  CHECK(f.connector->opened == 2);
}

TEST_CASE("reserve_pool_timeout 0 disables the reserve: the waiter gets query_wait_timeout", "[pool]") {
  Fixture f;
  auto settings = small_pool(1, 100ms);
  settings.reserve_pool_size = 1;
  settings.reserve_pool_timeout = 0ms;
  auto pool = f.make_pool(settings);
  f.run([&]() -> awaitable<void> {
    auto holder = co_await pool->acquire(f.io.get_executor());
    REQUIRE(holder.ok());
    auto refused = co_await pool->acquire(f.io.get_executor());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.failure().reason == "query_wait_timeout");
    CHECK(pool->counts().active == 1);
  });
  CHECK(f.connector->opened == 1);
}

TEST_CASE("pools sharing a cap take turns: a busy pool cannot starve another", "[pool]") {
  Fixture f;
  f.database_cap->set_limit(2);
  auto busy = f.make_pool(small_pool(10, 2000ms));
  auto quiet = std::make_shared<pool::ServerPool>(pool::PoolKey{"db", "quiet"}, f.connector, small_pool(10, 2000ms),
                                                  f.database_cap, std::make_shared<pool::ConnectionCap>(0));
  f.database_cap->add_member(busy);
  f.database_cap->add_member(quiet);
  bool quiet_served = false;
  int busy_served = 0;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    // 20 busy clients, each holding a backend for 5 ms, keep the cap full.
    for (int i = 0; i < 20; ++i) {
      asio::co_spawn(executor, [&]() -> awaitable<void> {
        auto lease = co_await busy->acquire(f.io.get_executor());
        REQUIRE(lease.ok());
        asio::steady_timer hold(co_await asio::this_coro::executor, 5ms);
        co_await hold.async_wait(use_awaitable);
        ++busy_served;
        lease->release();
      }, asio::detached);
    }
    asio::steady_timer pause(executor, 2ms);
    co_await pause.async_wait(use_awaitable);
    auto lease = co_await quiet->acquire(f.io.get_executor());
    quiet_served = lease.ok();
    CHECK(busy_served < 20);  // served before the busy pool's queue drained
  });
  CHECK(quiet_served);
  CHECK(busy_served == 20);
}

namespace {

// Two I/O workers driven from the test's thread: each round runs whatever is ready on either.
struct TwoWorkers {
  asio::io_context a;
  asio::io_context b;
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      const auto ran = a.poll() + b.poll();
      a.restart();
      b.restart();
      if (ran == 0) return;
    }
  }
};

// Queues one client per entry of `workers` ('a' or 'b', in that order) behind a held backend
// opened on worker a, releases it, and returns the order in which the clients were served
// (each releases at once, handing the backend on).
std::string serve_order(const std::string& workers) {
  TwoWorkers io;
  Fixture f;
  auto pool = f.make_pool(small_pool(1, 5000ms));
  std::optional<pool::Lease> holder;
  asio::co_spawn(io.a, [&]() -> awaitable<void> {
    auto lease = co_await pool->acquire(io.a.get_executor());
    REQUIRE(lease.ok());
    holder.emplace(std::move(*lease));
  }, asio::detached);
  io.settle();
  REQUIRE(holder);
  std::string served;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    auto& worker = workers[i] == 'a' ? io.a : io.b;
    asio::co_spawn(worker, [&, i, executor = worker.get_executor()]() -> awaitable<void> {
      auto lease = co_await pool->acquire(executor);
      REQUIRE(lease.ok());
      served += std::to_string(i);
      lease->release();
    }, asio::detached);
    io.settle();  // queued before the next one arrives
  }
  CHECK(pool->counts().waiting == static_cast<int>(workers.size()));
  holder->release();
  io.settle();
  CHECK(f.connector->opened == 1);
  return served;
}

}  // namespace

TEST_CASE("a released backend goes to the longest-waiting client on its own worker", "[pool]") {
  // The backend lives on worker a: a's clients 1 and 3 go first, then b's in arrival order.
  CHECK(serve_order("baba") == "1302");
}

TEST_CASE("a client of another worker is passed over at most 8 times", "[pool]") {
  // Client 0 (worker b) heads the queue; eight of a's clients may go before it, not nine.
  CHECK(serve_order("baaaaaaaaaa") == "12345678" "0" "910");
}

namespace {
// One backend held, then a login the server refuses: server_login_retry starts with a backend up.
awaitable<Expected<pool::Lease>> hold_one_then_fail_a_login(Fixture& f, pool::ServerPool& pool) {
  auto holder = co_await pool.acquire(f.io.get_executor());
  REQUIRE(holder.ok());
  f.connector->fail_next = true;
  auto failed = co_await pool.acquire(f.io.get_executor());
  CHECK_FALSE(failed.ok());
  co_return holder;
}
}  // namespace

TEST_CASE("clients queued behind the last backend up fail fast together when it dies inside server_login_retry",
          "[pool]") {
  // The server was killed: one login failed while a backend was still held, so clients queued
  // for it; then that backend was lost too. All of them get the login's error, none waits for
  // query_wait_timeout.
  Fixture f;
  auto pool = f.make_pool(small_pool(2, 5000ms));
  int refused = 0;
  f.run([&]() -> awaitable<void> {
    auto holder = co_await hold_one_then_fail_a_login(f, *pool);
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(executor, [&]() -> awaitable<void> {
        auto lease = co_await pool->acquire(f.io.get_executor());
        if (!lease && lease.failure().reason != "query_wait_timeout") ++refused;
      }, asio::detached);
    }
    asio::steady_timer pause(executor, 20ms);
    co_await pause.async_wait(use_awaitable);
    CHECK(pool->counts().waiting == 3);
    const auto lost_at = std::chrono::steady_clock::now();
    holder->discard();  // the server connection was lost
    pause.expires_after(50ms);
    co_await pause.async_wait(use_awaitable);
    CHECK(refused == 3);
    CHECK(std::chrono::steady_clock::now() - lost_at < 1000ms);  // well before server_login_retry
  });
}

TEST_CASE("a client queued inside server_login_retry tries a login when it ends", "[pool]") {
  // Queued behind a busy backend after a failed login; the backend stays busy, the retry window
  // ends, and the client gets a new backend of its own instead of waiting out query_wait_timeout.
  Fixture f;
  auto settings = small_pool(2, 5000ms);
  settings.server_login_retry = 100ms;
  auto pool = f.make_pool(settings);
  bool served = false;
  f.run([&]() -> awaitable<void> {
    auto holder = co_await hold_one_then_fail_a_login(f, *pool);
    const auto start = std::chrono::steady_clock::now();
    auto lease = co_await pool->acquire(f.io.get_executor());
    served = lease.ok();
    CHECK(std::chrono::steady_clock::now() - start < 2000ms);
    if (lease) lease->release();
    holder->release();
  });
  CHECK(served);
  CHECK(f.connector->opened == 3);
}
