// PoolRegistry::apply reaching live pools: a reload retargets each pool's connector; a moved
// backend recycles the open ones (idle at once, leased when released), a changed timeout alone
// recycles nothing. The connector is a fake whose target is an address and a timeout.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sluice/pool/pool_registry.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct FakeTarget {
  std::string address;                         // identifies the backend: a change recycles
  std::chrono::milliseconds connect_timeout{};  // only how to open one: a change recycles nothing
};

class FakeConnection : public pool::ServerConnection {
 public:
  using pool::ServerConnection::ServerConnection;
  bool looks_alive() override { return true; }
  std::string address;  // where open() sent it
};

class TargetConnector : public pool::ServerConnector {
 public:
  explicit TargetConnector(FakeTarget target) : target(std::move(target)) {}

  std::unique_ptr<pool::ServerConnection> create(WorkerExecutor executor) override {
    return std::make_unique<FakeConnection>(std::move(executor));
  }
  awaitable<Status> open(pool::ServerConnection& connection) override {
    static_cast<FakeConnection&>(connection).address = target.address;  // read once, at the start
    ++opened;
    if (open_delay.count() > 0) {
      asio::steady_timer delay(co_await asio::this_coro::executor, open_delay);
      co_await delay.async_wait(use_awaitable);
    }
    co_return ok_status();
  }
  awaitable<bool> check(pool::ServerConnection&) override { co_return true; }
  pool::TargetChange retarget(const pool::ServerConnector& fresh) override {
    const auto& next = static_cast<const TargetConnector&>(fresh).target;
    pool::TargetChange change;
    change.backend = next.address != target.address;
    change.settings = next.connect_timeout != target.connect_timeout;
    change.summary = target.address + " -> " + next.address;
    target = next;
    return change;
  }

  FakeTarget target;
  int opened = 0;
  std::chrono::milliseconds open_delay{0};
};

std::shared_ptr<pool::ServerConnector> make_connector(const config::DatabaseConfig& database,
                                                      const config::UserConfig*, const std::string&,
                                                      const config::PoolSettings& settings) {
  return std::make_shared<TargetConnector>(
      FakeTarget{database.host + ":" + std::to_string(database.port), settings.server_connect_timeout});
}

config::ProxyConfig one_database() {
  config::ProxyConfig config;
  config::DatabaseConfig database;
  database.name = "app";
  database.port = 5432;
  config.databases["app"] = database;
  config.defaults.server_connect_timeout = 1000ms;
  return config;
}

const std::string& address_of(const pool::Lease& lease) {
  return static_cast<const FakeConnection&>(lease.connection()).address;
}

std::uint64_t closed(pool::ServerPool& pool, pool::CloseReason reason) {
  return pool.stats().servers_closed[static_cast<std::size_t>(reason)].load();
}

struct Fixture {
  asio::io_context io;
  config::ProxyConfig config = one_database();
  pool::PoolRegistry registry{make_connector};
  std::shared_ptr<pool::ServerPool> pool = registry.find_or_create(config, config.databases.at("app"), "alice");
  TargetConnector& connector = static_cast<TargetConnector&>(*pool->connector());

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

TEST_CASE("a reload that moves a database recycles its pools' backends: idle now, leased when released",
          "[pool][reload]") {
  Fixture f;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto held = co_await f.pool->acquire(executor);  // a client inside a transaction
    auto spare = co_await f.pool->acquire(executor);
    REQUIRE(held.ok());
    REQUIRE(spare.ok());
    spare->release();
    REQUIRE(f.pool->counts().idle == 1);

    auto moved = f.config;
    moved.databases["app"].port = 5433;
    f.registry.apply(moved);

    CHECK(f.connector.target.address == "127.0.0.1:5433");
    CHECK(f.pool->counts().idle == 0);  // closed at once
    REQUIRE(f.pool->counts().active == 1);
    CHECK(address_of(*held) == "127.0.0.1:5432");  // the client keeps its backend...
    const auto servers = f.pool->servers();
    REQUIRE(servers.size() == 1);
    CHECK(servers[0].close_needed);  // ...and SHOW SERVERS says it will go
    held->release();
    CHECK(f.pool->counts().idle == 0);  // closed when it came back, not reused
    CHECK(f.pool->counts().active == 0);
    CHECK(closed(*f.pool, pool::CloseReason::target_changed) == 2);
    CHECK(closed(*f.pool, pool::CloseReason::reconnect) == 0);

    auto fresh = co_await f.pool->acquire(executor);
    REQUIRE(fresh.ok());
    CHECK(address_of(*fresh) == "127.0.0.1:5433");
    fresh->release();
    CHECK(f.pool->counts().idle == 1);  // the new generation is reused
  });
  CHECK(f.connector.opened == 3);
}

TEST_CASE("a reload that changes only server_connect_timeout reaches the connector and recycles nothing",
          "[pool][reload]") {
  Fixture f;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto held = co_await f.pool->acquire(executor);
    auto spare = co_await f.pool->acquire(executor);
    REQUIRE(held.ok());
    REQUIRE(spare.ok());
    spare->release();

    auto slower = f.config;
    slower.defaults.server_connect_timeout = 2500ms;
    f.registry.apply(slower);

    CHECK(f.connector.target.connect_timeout == 2500ms);
    CHECK(f.connector.target.address == "127.0.0.1:5432");
    CHECK(f.pool->counts().idle == 1);
    for (const auto& server : f.pool->servers()) CHECK_FALSE(server.close_needed);
    held->release();
    CHECK(f.pool->counts().idle == 2);
    for (int i = 0; i < 2; ++i) {
      auto again = co_await f.pool->acquire(executor);
      REQUIRE(again.ok());
      again->release();
    }
  });
  CHECK(f.connector.opened == 2);  // both reused, none reopened
  for (std::size_t i = 0; i < static_cast<std::size_t>(pool::CloseReason::count_); ++i) {
    CHECK(f.pool->stats().servers_closed[i].load() == 0);
  }
}

TEST_CASE("a reload with the same target leaves the pool's backends alone", "[pool][reload]") {
  Fixture f;
  f.run([&]() -> awaitable<void> {
    auto lease = co_await f.pool->acquire(co_await asio::this_coro::executor);
    REQUIRE(lease.ok());
    lease->release();
    auto other_limits = f.config;
    other_limits.defaults.pool_size = 7;  // a limit changes, the target does not
    f.registry.apply(other_limits);
    CHECK(f.pool->settings().pool_size == 7);
    CHECK(f.pool->counts().idle == 1);
    CHECK_FALSE(f.pool->servers().at(0).close_needed);
  });
  CHECK(f.connector.opened == 1);
}

TEST_CASE("a backend still logging in to the old target when a reload moves it is not reused",
          "[pool][reload]") {
  Fixture f;
  f.connector.open_delay = 50ms;
  std::optional<pool::Lease> opened;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, [&]() -> awaitable<void> {
      auto lease = co_await f.pool->acquire(executor);
      REQUIRE(lease.ok());
      opened = std::move(*lease);
    }, asio::detached);
    asio::steady_timer pause(executor, 10ms);
    co_await pause.async_wait(use_awaitable);
    REQUIRE(f.pool->counts().connecting == 1);
    auto moved = f.config;
    moved.databases["app"].host = "10.0.0.2";
    f.registry.apply(moved);
  });
  REQUIRE(opened);
  CHECK(address_of(*opened) == "127.0.0.1:5432");  // it finished its login where it started
  opened->release();
  CHECK(f.pool->counts().idle == 0);
  CHECK(closed(*f.pool, pool::CloseReason::target_changed) == 1);
}

TEST_CASE("a database removed and added back while a client holds its backend keeps its pool, whatever the sweep does",
          "[pool][reload]") {
  Fixture f;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto held = co_await f.pool->acquire(executor);
    REQUIRE(held.ok());

    config::ProxyConfig without = f.config;
    without.databases.clear();
    f.registry.apply(without);
    CHECK(f.registry.pools().size() == 1);  // retired, still listed: its backend is open

    f.registry.apply(f.config);  // back before the client is done
    held->release();
    f.registry.sweep(Clock::now(), executor);  // an empty pool that was still retired would go here
    CHECK(f.pool->counts().idle == 1);          // its backend came back rather than closing
    CHECK(closed(*f.pool, pool::CloseReason::pool_closed) == 0);
    CHECK(f.registry.find_or_create(f.config, f.config.databases.at("app"), "alice") == f.pool);
    auto again = co_await f.pool->acquire(executor);
    REQUIRE(again.ok());
    again->release();
  });
  CHECK(f.connector.opened == 1);
}
