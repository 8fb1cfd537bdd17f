// The SHOW commands (the statistics views are in show_stats.cpp). Column lists come first, each next to the command that fills it:
// PgBouncer's columns in its order, then Sluice's own after a comment saying so.
#include "sluice/admin/show_views.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include "sluice/config/duration.hpp"
#include "result_building.hpp"

namespace sluice::admin {

namespace {

std::int64_t micros(std::chrono::steady_clock::duration duration) {
  return std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

// A steady-clock moment on the wall clock, as of the snapshot.
std::chrono::system_clock::time_point wall_time(const AdminSnapshot& snapshot, TimePoint moment) {
  return snapshot.wall_now -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(snapshot.now - moment);
}

// Opaque, unique labels standing in for PgBouncer's ptr/link pointers.
std::string client_label(std::uint64_t id) { return "c" + std::to_string(id); }

std::string server_label(const pool::PoolKey& key, std::uint64_t id) {
  return "s" + std::to_string(id) + ":" + key.database + "/" + key.user;
}

const char* server_state_name(pool::ServerState state) {
  switch (state) {
    case pool::ServerState::connecting: return "new";  // PgBouncer's name for a backend logging in
    case pool::ServerState::idle: return "idle";
    case pool::ServerState::active: return "active";
  }
  return "unknown";
}

// Clients counted per pool, as SHOW POOLS reports them.
struct PoolClients {
  int active = 0;   // PgBouncer's cl_active: logged in and not waiting (idle or holding a backend)
  int waiting = 0;
  TimePoint oldest_wait = TimePoint::max();
};

std::map<pool::PoolKey, PoolClients> clients_per_pool(const AdminSnapshot& snapshot) {
  std::map<pool::PoolKey, PoolClients> per_pool;
  for (const auto& client : snapshot.clients) {
    if (client.state == runtime::ClientState::login) continue;
    auto& counts = per_pool[pool::PoolKey{client.database, client.user}];
    if (client.state == runtime::ClientState::waiting) {
      ++counts.waiting;
      counts.oldest_wait = std::min(counts.oldest_wait, client.state_since);
    } else {
      ++counts.active;
    }
  }
  return per_pool;
}

}  // namespace

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[32];
  const auto length = std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &parts);
  return std::string(buffer, length);
}

// ---- SHOW POOLS ------------------------------------------------------------------------

ResultSet show_pools(const AdminSnapshot& snapshot) {
  auto result = with_columns({"database", "user"});
  add_columns(result, ColumnType::int4,
              {"cl_active", "cl_waiting", "cl_active_cancel_req", "cl_waiting_cancel_req", "sv_active",
               "sv_active_cancel", "sv_being_canceled", "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait",
               "maxwait_us"});
  add_columns(result, ColumnType::text, {"pool_mode", "load_balance_hosts"});
  // Sluice's own:
  add_columns(result, ColumnType::int4, {"paused", "pool_size"});
  add_columns(result, ColumnType::text, {"protocol"});
  const auto clients = clients_per_pool(snapshot);
  for (const auto& pool : snapshot.pools) {
    const auto* database = snapshot.config->find_database(pool.key.database);
    const auto found = clients.find(pool.key);
    const PoolClients counts = found == clients.end() ? PoolClients{} : found->second;
    const auto oldest = std::min(counts.oldest_wait, pool.counts.oldest_wait_since);
    const auto max_wait = oldest == TimePoint::max() ? 0 : micros(snapshot.now - oldest);
    result.rows.push_back({text(pool.key.database), text(pool.key.user), number(counts.active),
                           number(counts.waiting), number(0), number(0), number(pool.counts.active), number(0),
                           number(0), number(pool.counts.idle), number(0), number(0),
                           number(pool.counts.connecting), number(max_wait / 1'000'000),
                           number(max_wait % 1'000'000), text(config::to_string(pool.settings.pool_mode)),
                           std::nullopt, flag(pool.paused), number(pool.settings.pool_size),
                           text(config::to_string(database ? database->protocol : config::Protocol::postgres))});
  }
  return result;
}

// ---- SHOW CLIENTS / SHOW SERVERS -------------------------------------------------------

namespace {

// PgBouncer's socket columns, shared by SHOW CLIENTS and SHOW SERVERS.
ResultSet with_socket_columns() {
  auto result = with_columns({"type", "user", "database", "replication", "state", "addr"});
  add_columns(result, ColumnType::int4, {"port"});
  add_columns(result, ColumnType::text, {"local_addr"});
  add_columns(result, ColumnType::int4, {"local_port"});
  add_columns(result, ColumnType::text, {"connect_time", "request_time"});
  add_columns(result, ColumnType::int4, {"wait", "wait_us", "close_needed"});
  add_columns(result, ColumnType::text, {"ptr", "link"});
  add_columns(result, ColumnType::int4, {"remote_pid"});
  add_columns(result, ColumnType::text, {"tls", "application_name"});
  add_columns(result, ColumnType::int4, {"prepared_statements"});
  add_columns(result, ColumnType::int8, {"id"});
  return result;
}

Row client_row(const AdminSnapshot& snapshot, const runtime::ClientSnapshot& client) {
  const auto wait = client.state == runtime::ClientState::waiting ? micros(snapshot.now - client.state_since) : 0;
  const bool in_transaction = client.transaction_since != TimePoint{};
  std::optional<std::string> link = std::string();
  if (client.server_id != 0) link = server_label({client.database, client.user}, client.server_id);
  return {text("C"), text(client.user.empty() ? "(nouser)" : client.user),
          text(client.database.empty() ? "(nodb)" : client.database), text("none"),
          text(runtime::to_string(client.state)), text(client.address), number(client.port), std::nullopt,
          std::nullopt, text(format_timestamp(client.connected_at)),
          text(format_timestamp(wall_time(snapshot, client.state_since))), number(wait / 1'000'000),
          number(wait % 1'000'000), number(0), text(client_label(client.id)), link, number(0), text(client.tls),
          text(client.application_name), number(client.prepared_statements), number(client.id),
          // Sluice's own: protocol, how long its transaction has been open, the backend's pid.
          text(client.protocol),
          in_transaction ? number(micros(snapshot.now - client.transaction_since)) : std::nullopt,
          client.server_id != 0 ? number(client.server_process_id) : std::nullopt, text(client.pinned)};
}

}  // namespace

ResultSet show_clients(const AdminSnapshot& snapshot) {
  auto result = with_socket_columns();
  add_columns(result, ColumnType::text, {"protocol"});
  add_columns(result, ColumnType::int8, {"xact_age_us"});
  add_columns(result, ColumnType::int4, {"server_pid"});
  add_columns(result, ColumnType::text, {"pinned"});
  for (const auto& client : snapshot.clients) result.rows.push_back(client_row(snapshot, client));
  return result;
}

namespace {

struct ServerContext {
  const AdminSnapshot& snapshot;
  const PoolView& pool;
  const config::DatabaseConfig* database;  // null once a reload removed it
  const runtime::ClientSnapshot* holder;   // the client holding this backend, if any
};

Row server_row(const ServerContext& context, const pool::ServerInfo& server) {
  const auto& key = context.pool.key;
  const auto* database = context.database;
  const std::string login_user = database && database->user ? *database->user : key.user;
  std::optional<std::string> link = std::string();
  if (context.holder) link = client_label(context.holder->id);
  // Where the backend really is: after a reload moved the pool, the config names the new server.
  std::optional<std::string> address, port;
  if (server.remote_endpoint.port() != 0) {
    address = text(server.remote_endpoint.address().to_string());
    port = number(server.remote_endpoint.port());
  } else if (database) {
    address = text(database->host);
    port = number(database->port);
  }
  return {text("S"), text(login_user), text(key.database), text("none"), text(server_state_name(server.state)),
          std::move(address), std::move(port),
          std::nullopt, std::nullopt, text(format_timestamp(wall_time(context.snapshot, server.created_at))),
          text(format_timestamp(wall_time(context.snapshot, server.last_used_at))), number(0), number(0),
          flag(server.close_needed), text(server_label(key, server.id)), link, number(server.remote_process_id),
          text(server.tls), text(context.holder ? context.holder->application_name : ""), number(server.prepared_statements),
          number(server.id),
          // Sluice's own:
          text(config::to_string(database ? database->protocol : config::Protocol::postgres))};
}

}  // namespace

ResultSet show_servers(const AdminSnapshot& snapshot) {
  auto result = with_socket_columns();
  add_columns(result, ColumnType::text, {"protocol"});
  // Which client holds which backend: (database, user, server id) -> client.
  std::map<std::pair<pool::PoolKey, std::uint64_t>, const runtime::ClientSnapshot*> holders;
  for (const auto& client : snapshot.clients) {
    if (client.server_id != 0) holders[{{client.database, client.user}, client.server_id}] = &client;
  }
  for (const auto& pool : snapshot.pools) {
    const auto* database = snapshot.config->find_database(pool.key.database);
    for (const auto& server : pool.servers) {
      const auto holder = holders.find({pool.key, server.id});
      const ServerContext context{snapshot, pool, database, holder == holders.end() ? nullptr : holder->second};
      result.rows.push_back(server_row(context, server));
    }
  }
  return result;
}

// ---- SHOW DATABASES / SHOW USERS -------------------------------------------------------

namespace {

struct DatabaseUse {
  int backends = 0;
  int clients = 0;
  bool paused = false;
};

std::map<std::string, DatabaseUse> use_per_database(const AdminSnapshot& snapshot) {
  std::map<std::string, DatabaseUse> use;
  for (const auto& pool : snapshot.pools) {
    auto& entry = use[pool.key.database];
    entry.backends = std::max(entry.backends, pool.database_connections);
    entry.paused = entry.paused || pool.paused;
  }
  // A paused database whose first client has not come yet has no pool, and is paused all the same.
  for (const auto& database : snapshot.paused_databases) use[database].paused = true;
  for (const auto& client : snapshot.clients) {
    if (!client.database.empty() && client.state != runtime::ClientState::login) ++use[client.database].clients;
  }
  return use;
}

Row database_row(const config::ProxyConfig& config, const config::DatabaseConfig& database, const DatabaseUse& use,
                 bool disabled) {
  const auto settings = config.resolve(database, nullptr);
  const auto& overridden_mode = database.overrides.pool_mode;
  return {text(database.name), text(database.host), number(database.port),
          text(database.dbname.empty() ? database.name : database.dbname),
          database.user ? text(*database.user) : std::nullopt, number(settings.pool_size),
          number(settings.min_pool_size), number(settings.reserve_pool_size),
          number(std::chrono::duration_cast<std::chrono::seconds>(settings.server_lifetime).count()),
          overridden_mode ? text(config::to_string(*overridden_mode)) : std::nullopt, std::nullopt,
          number(settings.max_db_connections), number(use.backends), number(database.max_client_connections),
          number(use.clients),
          flag(use.paused), flag(disabled),
          // Sluice's own:
          text(config::to_string(database.protocol)), number(settings.reserve_pool_size)};
}

}  // namespace

ResultSet show_databases(const AdminSnapshot& snapshot) {
  auto result = with_columns({"name", "host"});
  add_columns(result, ColumnType::int4, {"port"});
  add_columns(result, ColumnType::text, {"database", "force_user"});
  add_columns(result, ColumnType::int4, {"pool_size", "min_pool_size", "reserve_pool_size", "server_lifetime"});
  add_columns(result, ColumnType::text, {"pool_mode", "load_balance_hosts"});
  add_columns(result, ColumnType::int4,
              {"max_connections", "current_connections", "max_client_connections", "current_client_connections",
               "paused", "disabled"});
  // Sluice's own. reserve_pool is reserve_pool_size under its name before PgBouncer 1.24, kept
  // for tools that read it by name (Debian's prometheus-pgbouncer-exporter); here, not in its
  // old place, so 1.24's column order stays intact.
  add_columns(result, ColumnType::text, {"protocol"});
  add_columns(result, ColumnType::int4, {"reserve_pool"});
  const auto use = use_per_database(snapshot);
  for (const auto& [name, database] : snapshot.config->databases) {
    const auto found = use.find(name);
    result.rows.push_back(database_row(*snapshot.config, database, found == use.end() ? DatabaseUse{} : found->second,
                                       snapshot.disabled.contains(name)));
  }
  return result;
}

ResultSet show_users(const AdminSnapshot& snapshot) {
  auto result = with_columns({"name"});
  add_columns(result, ColumnType::int4, {"pool_size", "reserve_pool_size"});
  add_columns(result, ColumnType::text, {"pool_mode"});
  add_columns(result, ColumnType::int4,
              {"max_user_connections", "current_connections", "max_user_client_connections",
               "current_client_connections"});
  std::map<std::string, int> backends, clients;
  for (const auto& pool : snapshot.pools) {
    backends[pool.key.user] = std::max(backends[pool.key.user], pool.user_connections);
  }
  for (const auto& client : snapshot.clients) {
    if (client.state != runtime::ClientState::login && !is_admin_database(client.database)) ++clients[client.user];
  }
  for (const auto& [name, user] : snapshot.config->users) {
    const auto& overrides = user.overrides;
    result.rows.push_back(
        {text(name), overrides.pool_size ? number(*overrides.pool_size) : std::nullopt,
         overrides.reserve_pool_size ? number(*overrides.reserve_pool_size) : std::nullopt,
         overrides.pool_mode ? text(config::to_string(*overrides.pool_mode)) : std::nullopt,
         number(user.max_user_connections), number(backends[name]), number(user.max_client_connections),
         number(clients[name])});
  }
  return result;
}

ResultSet show_lists(const AdminSnapshot& snapshot) {
  auto result = with_columns({"list"});
  add_columns(result, ColumnType::int4, {"items"});
  std::size_t login_clients = 0;
  std::size_t servers = 0;
  for (const auto& client : snapshot.clients) login_clients += client.state == runtime::ClientState::login;
  for (const auto& pool : snapshot.pools) servers += pool.servers.size();
  const std::pair<const char*, std::size_t> lists[] = {
      {"databases", snapshot.config->databases.size()}, {"users", snapshot.config->users.size()},
      {"peers", 0}, {"pools", snapshot.pools.size()}, {"peer_pools", 0}, {"free_clients", 0},
      {"used_clients", snapshot.clients.size()}, {"login_clients", login_clients}, {"free_servers", 0},
      {"used_servers", servers}, {"dns_names", 0}, {"dns_zones", 0}, {"dns_queries", 0}, {"dns_pending", 0}};
  for (const auto& [name, items] : lists) result.rows.push_back({text(name), number(items)});
  return result;
}

ResultSet show_version(const AdminSnapshot&) {
  auto result = with_columns({"version"});
  result.rows.push_back({text("Sluice " SLUICE_VERSION)});
  return result;
}

// PgBouncer 1.21's SHOW STATE. Sluice has no SUSPEND (no online restart), so never suspended.
ResultSet show_state(const AdminSnapshot& snapshot) {
  auto result = with_columns({"key", "value"});
  const auto yes_no = [](bool flag) { return text(flag ? "yes" : "no"); };
  result.rows.push_back({text("active"), yes_no(!snapshot.paused)});
  result.rows.push_back({text("paused"), yes_no(snapshot.paused)});
  result.rows.push_back({text("suspended"), yes_no(false)});
  return result;
}

ResultSet show_help(const AdminSnapshot&) {
  ResultSet result;
  result.command_tag = "SHOW";
  result.notices.push_back(
      "Console usage\n"
      "\tSHOW HELP|CONFIG|DATABASES|POOLS|CLIENTS|SERVERS|USERS|VERSION\n"
      "\tSHOW STATS|STATS_TOTALS|STATS_AVERAGES|TOTALS|LISTS|DNS_HOSTS|DNS_ZONES|STATE\n"
      "\tSET key = arg (accepted and ignored for client parameters)\n"
      "\tRELOAD\n"
      "\tPAUSE [<db>]\n"
      "\tRESUME [<db>]\n"
      "\tDISABLE <db>\n"
      "\tENABLE <db>\n"
      "\tRECONNECT [<db>]\n"
      "\tKILL <db>\n"
      "\tWAIT_CLOSE [<db>]\n"
      "\tSHUTDOWN");
  return result;
}

}  // namespace sluice::admin
