#pragma once
// The admin console's logic, independent of the wire protocol that carries it: takes a
// command's text, checks who may run it, and answers with a ResultSet or a Failure.
// PgFrontend serves it over the PostgreSQL protocol (session/postgres/pg_admin_console.cpp).
//
// Commands (PgBouncer's semantics unless noted):
//   SHOW POOLS|CLIENTS|SERVERS|STATS|STATS_TOTALS|STATS_AVERAGES|DATABASES|USERS|CONFIG|LISTS|VERSION|HELP
//   PAUSE [db]      new transactions wait; answers once the paused pools hold no backend
//   RESUME [db]     lets them go
//   RECONNECT [db]  backends close when next released instead of being reused
//   KILL db         disconnects the database's clients now; their backends are closed, not reused
//   RELOAD          re-reads the config file (58000 if it is invalid: the running config stays)
//   SHUTDOWN        drains and exits, as SIGTERM
// stats_users may only SHOW (and SET); anything else gets 42501.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "sluice/admin/admin_command.hpp"
#include "sluice/admin/result_set.hpp"
#include "sluice/admin/show_views.hpp"
#include "sluice/admin/stats_averages.hpp"
#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/runtime/proxy_context.hpp"

namespace sluice::admin {

enum class AdminRole {
  admin,  // admin_users: every command
  stats,  // stats_users: SHOW only
};

// How PAUSE waits for the paused pools' backends to come back.
struct PauseWait {
  std::chrono::milliseconds poll{50};
  std::chrono::milliseconds limit{60000};  // then PAUSE fails with 57014; the pools stay paused
};

class AdminConsole {
 public:
  // `user` is who runs the commands, for the log lines of the ones that change something.
  AdminConsole(runtime::ProxyContext& context, AdminRole role, std::string user,
               StatsAverages& averages = StatsAverages::shared(), PauseWait pause_wait = {});

  // Runs one query. `interrupted` is polled while a command waits (PAUSE): true ends the
  // wait early (the session is going away). An empty query answers an empty ResultSet
  // with an empty command tag.
  awaitable<Expected<ResultSet>> execute(std::string_view query, std::function<bool()> interrupted = {});

  // Everything SHOW reads, taken now.
  AdminSnapshot take_snapshot() const;

 private:
  using Handler = awaitable<Expected<ResultSet>> (AdminConsole::*)(const AdminCommand&);
  struct Entry;
  static const Entry* find_entry(std::string_view verb);

  awaitable<Expected<ResultSet>> run_show(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_set(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_pause(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_resume(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_reconnect(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_kill(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_disable(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_enable(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_wait_close(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_suspend(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_reload(const AdminCommand& command);
  awaitable<Expected<ResultSet>> run_shutdown(const AdminCommand& command);

  // The pools a [db] argument names: all of them without one; 3D000 for an unknown database.
  using Pools = std::vector<std::shared_ptr<pool::ServerPool>>;
  Expected<Pools> pools_named(const std::optional<std::string>& database) const;
  bool database_known(const std::string& database) const;

  runtime::ProxyContext& context_;
  const AdminRole role_;
  const std::string user_;
  StatsAverages& averages_;
  const PauseWait pause_wait_;
  std::function<bool()> interrupted_;  // of the command running now
};

}  // namespace sluice::admin
