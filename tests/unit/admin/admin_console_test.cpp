// AdminConsole against a real PoolRegistry with a connector that opens nothing, a fake
// client registry and a fake daemon control: permissions, errors and every action.
#include <catch2/catch.hpp>

#include "../support/fake_connector.hpp"

#include <optional>

#include "sluice/admin/admin_console.hpp"

using namespace sluice;
using namespace std::chrono_literals;
using admin::AdminConsole;
using admin::AdminRole;

namespace {

using testing::FakeConnector;

class FakeControl : public runtime::ProxyControl {
 public:
  runtime::ReloadResult reload() override {
    ++reloads;
    return reload_errors;
  }
  void shutdown() override { ++shutdowns; }
  runtime::ReloadResult reload_errors;  // none: the reload applies
  int reloads = 0;
  int shutdowns = 0;
};

class FakeClient : public runtime::ClientHandle, public std::enable_shared_from_this<FakeClient> {
 public:
  explicit FakeClient(runtime::ClientSnapshot snapshot) : snapshot_(std::move(snapshot)) {}
  runtime::ClientSnapshot snapshot() const override { return snapshot_; }
  void check_timeouts(TimePoint) override {}
  void request_stop(Failure reason) override { stopped = std::move(reason); }
  void kill(Failure reason) override { killed = std::move(reason); }
  std::shared_ptr<ClientHandle> shared_handle() override { return shared_from_this(); }
  std::optional<Failure> stopped, killed;

 private:
  runtime::ClientSnapshot snapshot_;
};

std::shared_ptr<config::ProxyConfig> console_config() {
  auto config = std::make_shared<config::ProxyConfig>();
  config->auth_type = config::AuthType::trust;
  config->admin_users = {"admin"};
  config->stats_users = {"monitor"};
  for (const char* name : {"app", "other"}) {
    config::DatabaseConfig database;
    database.name = name;
    config->databases[name] = database;
  }
  config->users["alice"] = config::UserConfig{"alice", std::nullopt, 0, 0, {}};
  return config;
}

struct Fixture {
  asio::io_context io;
  std::shared_ptr<config::ProxyConfig> config = console_config();
  runtime::ConfigStore store{runtime::make_runtime_config(config)};
  pool::PoolRegistry pools{[](const config::DatabaseConfig&, const config::UserConfig*, const std::string&,
                              const config::PoolSettings&) { return std::make_shared<FakeConnector>(); }};
  runtime::CancelRegistry cancels;
  runtime::ClientLimits limits;
  runtime::ClientRegistry registry;
  FakeControl control;
  metrics::EventMetrics events;
  runtime::ProxyContext context{store, pools, cancels, limits, registry, control, events};
  admin::StatsAverages averages;
  std::vector<std::shared_ptr<FakeClient>> clients;  // owns what the registry points to

  AdminConsole console(AdminRole role, admin::PauseWait wait = {5ms, 2000ms}) {
    return AdminConsole(context, role, "tester", averages, wait);
  }

  std::shared_ptr<pool::ServerPool> pool(const std::string& database, const std::string& user = "alice") {
    return pools.find_or_create(*config, config->databases.at(database), user);
  }

  FakeClient& add_client(const std::string& database) {
    runtime::ClientSnapshot snapshot;
    snapshot.user = "alice";
    snapshot.database = database;
    snapshot.state = runtime::ClientState::idle;
    clients.push_back(std::make_shared<FakeClient>(snapshot));
    registry.add(clients.back().get());
    return *clients.back();
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

  // Runs one command to completion.
  Expected<admin::ResultSet> execute(AdminConsole& console, std::string query) {
    std::optional<Expected<admin::ResultSet>> outcome;
    run([&]() -> awaitable<void> { outcome.emplace(co_await console.execute(query)); });
    REQUIRE(outcome);
    return std::move(*outcome);
  }
};

awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_nothrow);
}

}  // namespace

TEST_CASE("stats_users may SHOW but get 42501 for anything that acts", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::stats);
  for (const char* query : {"SHOW POOLS", "show stats;", "SHOW VERSION", "SET application_name = 'x'"}) {
    INFO(query);
    CHECK(f.execute(console, query).ok());
  }
  f.pool("app");
  for (const char* query : {"PAUSE", "PAUSE app", "RESUME", "RELOAD", "KILL app", "RECONNECT", "SHUTDOWN"}) {
    INFO(query);
    auto outcome = f.execute(console, query);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().sqlstate == "42501");
  }
  CHECK_FALSE(f.pool("app")->paused());
  CHECK(f.control.reloads == 0);
}

TEST_CASE("unknown commands and subjects are 42601, a bad argument count too", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  for (const char* query : {"SELECT 1", "SHOW", "SHOW nonsense", "KILL", "RELOAD now", "SHUTDOWN app", "FLY"}) {
    INFO(query);
    auto outcome = f.execute(console, query);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().sqlstate == "42601");
  }
  auto set = f.execute(console, "SET pool_size = 5");
  REQUIRE_FALSE(set.ok());
  CHECK(set.failure().sqlstate == "0A000");
}

TEST_CASE("an empty query answers an empty result", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto outcome = f.execute(console, " ; ");
  REQUIRE(outcome.ok());
  CHECK(outcome->command_tag.empty());
  CHECK(outcome->columns.empty());
}

TEST_CASE("SHOW reads the live pools and clients", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  f.pool("app");
  f.add_client("app");
  auto pools = f.execute(console, "SHOW POOLS");
  REQUIRE(pools.ok());
  REQUIRE(pools->rows.size() == 1);
  CHECK(*pools->rows[0][0] == "app");
  CHECK(*pools->rows[0][static_cast<std::size_t>(pools->column_index("cl_active"))] == "1");
  auto clients = f.execute(console, "SHOW CLIENTS");
  REQUIRE(clients.ok());
  CHECK(clients->rows.size() == 1);
  for (const char* subject : {"SERVERS", "STATS", "STATS_TOTALS", "STATS_AVERAGES", "DATABASES", "USERS",
                              "CONFIG", "LISTS", "VERSION", "HELP"}) {
    INFO(subject);
    auto outcome = f.execute(console, std::string("SHOW ") + subject);
    REQUIRE(outcome.ok());
    CHECK(outcome->command_tag == "SHOW");
  }
}

TEST_CASE("PAUSE queues new transactions and answers once running ones are done, RESUME lets them go",
          "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto pool = f.pool("app");
  auto other = f.pool("other");
  std::optional<Expected<admin::ResultSet>> paused;
  bool second_leased = false;
  f.run([&]() -> awaitable<void> {
    auto executor = co_await asio::this_coro::executor;
    auto running = co_await pool->acquire(executor);  // a transaction in progress
    REQUIRE(running.ok());
    asio::co_spawn(executor, [&]() -> awaitable<void> { paused.emplace(co_await console.execute("PAUSE app")); },
                   asio::detached);
    co_await sleep_for(30ms);
    CHECK_FALSE(paused);  // still waiting for the running transaction
    CHECK(pool->paused());
    CHECK_FALSE(other->paused());
    asio::co_spawn(executor, [&]() -> awaitable<void> {
      auto lease = co_await pool->acquire(executor);  // a new transaction: must wait
      REQUIRE(lease.ok());
      second_leased = true;
      lease->release();
    }, asio::detached);
    co_await sleep_for(30ms);
    CHECK_FALSE(second_leased);
    running->release();
    co_await sleep_for(30ms);
    REQUIRE(paused);
    REQUIRE(paused->ok());
    CHECK((*paused)->command_tag == "PAUSE");
    CHECK_FALSE(second_leased);
    auto resumed = co_await console.execute("RESUME app");
    REQUIRE(resumed.ok());
    co_await sleep_for(30ms);
    CHECK(second_leased);
    CHECK_FALSE(pool->paused());
  });
}

TEST_CASE("PAUSE covers pools created after it, RESUME releases them", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  REQUIRE(f.execute(console, "PAUSE app").ok());
  auto later = f.pool("app", "bob");  // the first client of another user, after the PAUSE
  auto elsewhere = f.pool("other", "bob");
  CHECK(later->paused());
  CHECK_FALSE(elsewhere->paused());
  REQUIRE(f.execute(console, "RESUME app").ok());
  CHECK_FALSE(later->paused());
  CHECK_FALSE(f.pool("app", "carol")->paused());

  REQUIRE(f.execute(console, "PAUSE").ok());
  CHECK(f.pool("other", "dave")->paused());
  CHECK(later->paused());
  REQUIRE(f.execute(console, "RESUME other").ok());  // one database back while the rest stay paused
  CHECK_FALSE(f.pool("other", "erin")->paused());
  CHECK(f.pool("app", "erin")->paused());
  REQUIRE(f.execute(console, "RESUME").ok());
  CHECK_FALSE(f.pool("app", "frank")->paused());
  CHECK_FALSE(later->paused());
}

TEST_CASE("PAUSE gives up after its limit with 57014 and leaves the pool paused", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin, {5ms, 50ms});
  auto pool = f.pool("app");
  f.run([&]() -> awaitable<void> {
    auto running = co_await pool->acquire(co_await asio::this_coro::executor);
    REQUIRE(running.ok());
    auto outcome = co_await console.execute("PAUSE");
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().sqlstate == "57014");
    CHECK(pool->paused());
    running->release();
  });
}

TEST_CASE("PAUSE stops waiting when its session is interrupted", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto pool = f.pool("app");
  bool interrupted = false;
  f.run([&]() -> awaitable<void> {
    auto running = co_await pool->acquire(co_await asio::this_coro::executor);
    asio::co_spawn(co_await asio::this_coro::executor, [&]() -> awaitable<void> {
      co_await sleep_for(20ms);
      interrupted = true;
    }, asio::detached);
    auto outcome = co_await console.execute("PAUSE app", [&] { return interrupted; });
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().message == "PAUSE interrupted");
    running->release();
  });
}

TEST_CASE("PAUSE, RESUME, RECONNECT and KILL of an unknown database are 3D000", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  for (const char* query : {"PAUSE nowhere", "RESUME nowhere", "RECONNECT nowhere", "KILL nowhere",
                            "KILL pgbouncer"}) {
    INFO(query);
    auto outcome = f.execute(console, query);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.failure().sqlstate == "3D000");
  }
}

TEST_CASE("KILL disconnects the database's clients only and closes its idle backends", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto pool = f.pool("app");
  f.run([&]() -> awaitable<void> {
    auto lease = co_await pool->acquire(co_await asio::this_coro::executor);
    lease->release();  // one idle backend
  });
  REQUIRE(pool->counts().idle == 1);
  auto& victim = f.add_client("app");
  auto& bystander = f.add_client("other");
  auto& console_client = f.add_client("pgbouncer");
  auto outcome = f.execute(console, "KILL app");
  REQUIRE(outcome.ok());
  CHECK(outcome->command_tag == "KILL");
  REQUIRE(victim.killed);
  CHECK(victim.killed->reason == "admin_kill");
  CHECK(victim.killed->sqlstate.empty());  // each front end maps the reason to its own code
  CHECK_FALSE(bystander.killed);
  CHECK_FALSE(console_client.killed);
  CHECK(pool->counts().idle == 0);
}

TEST_CASE("RECONNECT marks backends to close, SHOW SERVERS says so", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto pool = f.pool("app");
  f.run([&]() -> awaitable<void> {
    auto held = co_await pool->acquire(co_await asio::this_coro::executor);
    auto result = co_await console.execute("RECONNECT app");
    REQUIRE(result.ok());
    CHECK(result->command_tag == "RECONNECT");
    auto servers = co_await console.execute("SHOW SERVERS");
    REQUIRE(servers.ok());
    REQUIRE(servers->rows.size() == 1);
    CHECK(*servers->rows[0][static_cast<std::size_t>(servers->column_index("close_needed"))] == "1");
    held->release();  // closed, not reused
    CHECK(pool->counts().idle == 0);
  });
}

TEST_CASE("RELOAD reports an invalid file as 58000, naming the file and line", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto good = f.execute(console, "RELOAD");
  REQUIRE(good.ok());
  CHECK(good->command_tag == "RELOAD");
  f.control.reload_errors.errors = {"/etc/sluice.yaml:3:5: unknown key 'pool_sise'"};
  auto bad = f.execute(console, "reload;");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().sqlstate == "58000");
  CHECK(bad.failure().message ==
        "RELOAD failed: /etc/sluice.yaml:3:5: unknown key 'pool_sise'; the running configuration stays");
  f.control.reload_errors.errors.push_back("/etc/sluice.yaml:9:1: another");
  auto two = f.execute(console, "RELOAD");
  REQUIRE_FALSE(two.ok());
  CHECK(two.failure().message.find("(and 1 more in the log)") != std::string::npos);
  CHECK(f.control.reloads == 3);
}

TEST_CASE("SHUTDOWN starts the drain only once its answer is out", "[admin]") {
  Fixture f;
  auto console = f.console(AdminRole::admin);
  auto outcome = f.execute(console, "SHUTDOWN");
  REQUIRE(outcome.ok());
  CHECK(outcome->command_tag == "SHUTDOWN");
  CHECK(f.control.shutdowns == 0);
  REQUIRE(outcome->after_sent);
  outcome->after_sent();
  CHECK(f.control.shutdowns == 1);
}
