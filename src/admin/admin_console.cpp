// The admin console: one table maps each verb to its handler, its argument rule and who
// may run it; SHOW has its own table of views (show_views.cpp).
#include "sluice/admin/admin_console.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace sluice::admin {

namespace {

enum class Argument { none, optional, required };

std::string upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

ResultSet command_done(std::string tag) {
  ResultSet result;
  result.command_tag = std::move(tag);
  return result;
}

Failure no_such_database(const std::string& name) {
  return Failure{"unknown_database", "3D000", "no such database: " + name};
}

struct ShowEntry {
  std::string_view subject;
  ResultSet (*view)(const AdminSnapshot&);
};

constexpr std::array<ShowEntry, 16> kShowViews{{
    {"pools", show_pools},
    {"clients", show_clients},
    {"servers", show_servers},
    {"stats", show_stats},
    {"stats_totals", show_stats_totals},
    {"stats_averages", show_stats_averages},
    {"totals", show_totals},
    {"dns_hosts", show_dns_hosts},
    {"dns_zones", show_dns_zones},
    {"databases", show_databases},
    {"users", show_users},
    {"config", show_config},
    {"lists", show_lists},
    {"version", show_version},
    {"state", show_state},
    {"help", show_help},
}};

// PgBouncer views of its own internals that have no counterpart here: a script asking gets told
// why instead of "invalid command".
struct UnsupportedView {
  std::string_view subject;
  std::string_view why;
};

constexpr std::array<UnsupportedView, 4> kUnsupportedViews{{
    {"fds", "Sluice has no online restart (no file descriptors to hand over); use SIGTERM to drain"},
    {"mem", "Sluice has no slab caches to list; its memory is the process's RSS"},
    {"sockets", "Sluice's buffers are per message, not per socket; see SHOW CLIENTS and SHOW SERVERS"},
    {"active_sockets", "Sluice's buffers are per message, not per socket; see SHOW CLIENTS and SHOW SERVERS"},
}};

// Client parameters drivers like to SET on connect; the console accepts and ignores them.
constexpr std::array<std::string_view, 7> kIgnoredParameters{
    "application_name", "client_encoding",    "datestyle", "default_transaction_isolation",
    "extra_float_digits", "standard_conforming_strings", "timezone"};

// One pool's counts, settings, backends and counters, copied now.
PoolView view_of(pool::ServerPool& pool) {
  PoolView view;
  view.key = pool.key();
  view.counts = pool.counts();
  view.settings = pool.settings();
  view.paused = pool.paused();
  view.servers = pool.servers();
  const auto& stats = pool.stats();
  view.totals = StatsTotals{stats.acquisitions.load(),        stats.transactions.load(),
                            stats.queries.load(),             stats.bytes_from_clients.load(),
                            stats.bytes_to_clients.load(),    stats.transaction_time_us.load(),
                            stats.query_time_us.load(),       stats.wait_time_us.load(),
                            stats.client_parses.load(),       stats.server_parses.load(),
                            stats.binds.load(),               stats.client_logins.load()};
  view.servers_opened = stats.servers_opened.load();
  view.server_connect_failures = stats.server_connect_failures.load();
  for (const auto& closed : stats.servers_closed) view.servers_closed += closed.load();
  view.database_connections = pool.database_cap().used();
  view.user_connections = pool.user_cap().used();
  return view;
}

}  // namespace

struct AdminConsole::Entry {
  std::string_view verb;
  Argument argument;
  bool admin_only;  // stats_users get 42501
  Handler run;
};

AdminConsole::AdminConsole(runtime::ProxyContext& context, AdminRole role, std::string user,
                           StatsAverages& averages, PauseWait pause_wait)
    : context_(context), role_(role), user_(std::move(user)), averages_(averages), pause_wait_(pause_wait) {}

const AdminConsole::Entry* AdminConsole::find_entry(std::string_view verb) {
  static const std::array<Entry, 12> entries{{
      {"show", Argument::required, false, &AdminConsole::run_show},
      {"set", Argument::required, false, &AdminConsole::run_set},
      {"pause", Argument::optional, true, &AdminConsole::run_pause},
      {"resume", Argument::optional, true, &AdminConsole::run_resume},
      {"reconnect", Argument::optional, true, &AdminConsole::run_reconnect},
      {"kill", Argument::required, true, &AdminConsole::run_kill},
      {"disable", Argument::required, true, &AdminConsole::run_disable},
      {"enable", Argument::required, true, &AdminConsole::run_enable},
      {"wait_close", Argument::optional, true, &AdminConsole::run_wait_close},
      {"suspend", Argument::none, true, &AdminConsole::run_suspend},
      {"reload", Argument::none, true, &AdminConsole::run_reload},
      {"shutdown", Argument::none, true, &AdminConsole::run_shutdown},
  }};
  for (const auto& entry : entries) {
    if (entry.verb == verb) return &entry;
  }
  return nullptr;
}

awaitable<Expected<ResultSet>> AdminConsole::execute(std::string_view query, std::function<bool()> interrupted) {
  auto command = parse_admin_command(query);
  if (!command) co_return command.failure();
  if (command->empty()) co_return ResultSet{};
  const Entry* entry = find_entry(command->verb);
  if (!entry) co_return invalid_command(query);
  if (entry->admin_only && role_ != AdminRole::admin) {
    co_return Failure{"stats_users", "42501",
                      "permission denied: " + upper(entry->verb) + " needs admin_users; stats_users may only SHOW"};
  }
  const bool has_argument = command->argument.has_value();
  if ((entry->argument == Argument::none && has_argument) || (entry->argument == Argument::required && !has_argument)) {
    co_return invalid_command(query);
  }
  interrupted_ = std::move(interrupted);
  co_return co_await (this->*entry->run)(*command);
}

AdminSnapshot AdminConsole::take_snapshot() const {
  AdminSnapshot snapshot;
  snapshot.config = context_.config.current()->config;
  snapshot.averages = &averages_;
  snapshot.disabled = context_.pools.disabled_databases();
  snapshot.paused = context_.pools.paused(std::nullopt);
  for (const auto& [name, database] : snapshot.config->databases) {
    if (context_.pools.paused(name)) snapshot.paused_databases.insert(name);
  }
  for (const auto& pool : context_.pools.pools()) snapshot.pools.push_back(view_of(*pool));
  context_.registry.for_each([&](runtime::ClientHandle& client) { snapshot.clients.push_back(client.snapshot()); });
  std::sort(snapshot.clients.begin(), snapshot.clients.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  snapshot.now = Clock::now();
  snapshot.wall_now = std::chrono::system_clock::now();
  return snapshot;
}

// ---- SHOW, SET -------------------------------------------------------------------------

awaitable<Expected<ResultSet>> AdminConsole::run_show(const AdminCommand& command) {
  for (const auto& [subject, view] : kShowViews) {
    if (subject == *command.argument) co_return view(take_snapshot());
  }
  for (const auto& [subject, why] : kUnsupportedViews) {
    if (subject == *command.argument) {
      co_return Failure{"admin_show", "0A000", "SHOW " + upper(subject) + " is not supported: " + std::string(why)};
    }
  }
  co_return invalid_command("SHOW " + *command.argument);
}

awaitable<Expected<ResultSet>> AdminConsole::run_set(const AdminCommand& command) {
  const auto& name = *command.argument;
  if (std::find(kIgnoredParameters.begin(), kIgnoredParameters.end(), name) == kIgnoredParameters.end()) {
    co_return Failure{"admin_set", "0A000", "SET " + name + " is not supported: edit the config file, then RELOAD"};
  }
  auto result = command_done("SET");
  result.notices.push_back("SET ignored");
  co_return result;
}

// ---- PAUSE, RESUME, RECONNECT, KILL ----------------------------------------------------

bool AdminConsole::database_known(const std::string& database) const {
  if (context_.config.current()->config->find_database(database)) return true;
  const auto pools = context_.pools.pools();
  return std::any_of(pools.begin(), pools.end(), [&](const auto& pool) { return pool->key().database == database; });
}

Expected<AdminConsole::Pools> AdminConsole::pools_named(const std::optional<std::string>& database) const {
  auto pools = context_.pools.pools();
  if (!database) return pools;
  if (!database_known(*database)) return no_such_database(*database);
  std::erase_if(pools, [&](const auto& pool) { return pool->key().database != *database; });
  return pools;
}

// PAUSE: new transactions queue at once, also in pools created later; the answer waits until
// the transactions running now have given their backends back (or pause_wait_.limit passes).
awaitable<Expected<ResultSet>> AdminConsole::run_pause(const AdminCommand& command) {
  auto pools = pools_named(command.argument);
  if (!pools) co_return pools.failure();
  // As PgBouncer: pausing what is paused is an error (a script that thinks otherwise is told).
  if (context_.pools.paused(command.argument)) {
    co_return Failure{"admin_pause", "55000", command.argument ? "already paused" : "already suspended/paused"};
  }
  context_.pools.pause(command.argument);
  spdlog::info("admin: PAUSE {} by user={}", command.argument.value_or("(all)"), user_);

  asio::steady_timer poll(co_await asio::this_coro::executor);
  const auto deadline = Clock::now() + pause_wait_.limit;
  for (;;) {
    int busy = 0;
    bool still_paused = true;
    for (const auto& pool : *pools) {
      const auto counts = pool->counts();
      busy += counts.active + counts.connecting;
      still_paused = still_paused && pool->paused();
    }
    if (busy == 0) {
      for (const auto& pool : *pools) pool->close_while_paused();
      co_return command_done("PAUSE");
    }
    if (!still_paused) co_return Failure{"admin_pause", "57014", "PAUSE canceled by RESUME"};
    if (interrupted_ && interrupted_()) co_return Failure{"admin_pause", "57014", "PAUSE interrupted"};
    if (Clock::now() >= deadline) {
      co_return Failure{"admin_pause", "57014",
                        "PAUSE: " + std::to_string(busy) + " backends still in use after " +
                            std::to_string(pause_wait_.limit.count()) + "ms; the pools stay paused"};
    }
    poll.expires_after(pause_wait_.poll);
    co_await poll.async_wait(use_nothrow);
  }
}

awaitable<Expected<ResultSet>> AdminConsole::run_resume(const AdminCommand& command) {
  if (auto known = pools_named(command.argument); !known) co_return known.failure();
  if (!context_.pools.paused(command.argument)) {
    co_return Failure{"admin_resume", "55000",
                      command.argument ? "database " + *command.argument + " is not paused"
                                       : std::string("pooler is not paused/suspended")};
  }
  context_.pools.resume(command.argument);
  spdlog::info("admin: RESUME {} by user={}", command.argument.value_or("(all)"), user_);
  co_return command_done("RESUME");
}

awaitable<Expected<ResultSet>> AdminConsole::run_reconnect(const AdminCommand& command) {
  auto pools = pools_named(command.argument);
  if (!pools) co_return pools.failure();
  for (const auto& pool : *pools) pool->reconnect();
  spdlog::info("admin: RECONNECT {} by user={}", command.argument.value_or("(all)"), user_);
  co_return command_done("RECONNECT");
}

// KILL db: its clients are disconnected now, its idle backends closed now, and the
// backends those clients held closed when they come back (a killed client may roll its
// transaction back and return a clean backend: it is still not reused). As in PgBouncer, the
// database is then paused: new clients may log in, and their queries wait until RESUME.
awaitable<Expected<ResultSet>> AdminConsole::run_kill(const AdminCommand& command) {
  const auto& database = *command.argument;
  auto pools = pools_named(database);
  if (!pools) co_return pools.failure();
  if (!context_.pools.paused(database)) context_.pools.pause(database);
  int killed = 0;
  for (const auto& client : context_.registry.clients()) {
    if (client->snapshot().database != database) continue;
    client->kill(Failure{"admin_kill", "", "killed by admin"});
    ++killed;
  }
  for (const auto& pool : *pools) pool->reconnect();
  spdlog::info("admin: KILL {} by user={}: {} clients disconnected; paused until RESUME", database, user_, killed);
  co_return command_done("KILL");
}

// DISABLE db / ENABLE db: new clients of the database are refused at login (57P03 / MySQL
// 1105) until ENABLE; clients already connected go on. Not kept across a restart.
awaitable<Expected<ResultSet>> AdminConsole::run_disable(const AdminCommand& command) {
  if (!database_known(*command.argument)) co_return no_such_database(*command.argument);
  context_.pools.set_disabled(*command.argument, true);
  spdlog::info("admin: DISABLE {} by user={}", *command.argument, user_);
  co_return command_done("DISABLE");
}

awaitable<Expected<ResultSet>> AdminConsole::run_enable(const AdminCommand& command) {
  if (!database_known(*command.argument)) co_return no_such_database(*command.argument);
  context_.pools.set_disabled(*command.argument, false);
  spdlog::info("admin: ENABLE {} by user={}", *command.argument, user_);
  co_return command_done("ENABLE");
}

// WAIT_CLOSE [db]: answers once the backends RECONNECT, a reload's new target or
// server_lifetime marked to close are gone (bounded like PAUSE's wait).
awaitable<Expected<ResultSet>> AdminConsole::run_wait_close(const AdminCommand& command) {
  auto pools = pools_named(command.argument);
  if (!pools) co_return pools.failure();
  asio::steady_timer poll(co_await asio::this_coro::executor);
  const auto deadline = Clock::now() + pause_wait_.limit;
  for (;;) {
    int closing = 0;
    for (const auto& pool : *pools) {
      for (const auto& server : pool->servers()) closing += server.close_needed;
    }
    if (closing == 0) co_return command_done("WAIT_CLOSE");
    if (interrupted_ && interrupted_()) co_return Failure{"admin_wait_close", "57014", "WAIT_CLOSE interrupted"};
    if (Clock::now() >= deadline) {
      co_return Failure{"admin_wait_close", "57014",
                        "WAIT_CLOSE: " + std::to_string(closing) + " backends still to close after " +
                            std::to_string(pause_wait_.limit.count()) + "ms"};
    }
    poll.expires_after(pause_wait_.poll);
    co_await poll.async_wait(use_nothrow);
  }
}

// SUSPEND exists in PgBouncer for its online restart (handing sockets to a new process), which
// Sluice does not do: a restart is SIGTERM's drain. Said plainly rather than "invalid command".
awaitable<Expected<ResultSet>> AdminConsole::run_suspend(const AdminCommand&) {
  co_return Failure{"admin_suspend", "0A000",
                    "SUSPEND is not supported: Sluice has no online restart; use PAUSE, or SIGTERM to drain"};
}

// ---- RELOAD, SHUTDOWN ------------------------------------------------------------------

awaitable<Expected<ResultSet>> AdminConsole::run_reload(const AdminCommand&) {
  spdlog::info("admin: RELOAD by user={}", user_);
  const auto result = context_.control.reload();
  if (!result.applied()) {
    // The first error names the file and line; the rest are in the log.
    std::string message = "RELOAD failed: " + result.errors.front();
    if (result.errors.size() > 1) {
      message += " (and " + std::to_string(result.errors.size() - 1) + " more in the log)";
    }
    co_return Failure{"reload", "58000", message + "; the running configuration stays"};
  }
  co_return command_done("RELOAD");
}

awaitable<Expected<ResultSet>> AdminConsole::run_shutdown(const AdminCommand&) {
  spdlog::info("admin: SHUTDOWN by user={}", user_);
  auto result = command_done("SHUTDOWN");
  result.after_sent = [&control = context_.control] { control.shutdown(); };
  co_return result;
}

}  // namespace sluice::admin
