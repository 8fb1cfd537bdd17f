// The rules of sluice.yaml that span sections, run once the walk has read every section.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config_draft.hpp"

namespace sluice::config::draft {

using namespace yaml_reading;

namespace {

bool check_pool_sizes(const PoolSettings& settings, const PoolLayer& layer, const std::string& context,
                      Diagnostics& diag) {
  if (settings.min_pool_size <= settings.pool_size) return true;
  diag.report(layer.mark_of("min_pool_size", "pool_size"),
              context + ": min_pool_size (" + std::to_string(settings.min_pool_size) + ") is larger than pool_size (" +
                  std::to_string(settings.pool_size) + ")");
  return false;
}

bool sets_pool_size(const PoolLayer& layer) { return layer.sets("pool_size") || layer.sets("min_pool_size"); }

// Each layer is checked on its own; a (database, user) pair is checked only when both layers
// touch the sizes, since otherwise it resolves like one of the single-layer checks.
void check_all_pool_sizes(Draft& draft, Diagnostics& diag) {
  const PoolSettings& defaults = draft.config.defaults;
  check_pool_sizes(defaults, draft.defaults, "defaults", diag);
  std::vector<const DatabaseDraft*> databases;
  std::vector<const UserDraft*> users;
  // A layer that sets neither size resolves like the defaults: their error, said once, covers it.
  for (const DatabaseDraft& db : draft.databases) {
    if (sets_pool_size(db.layer) &&
        check_pool_sizes(draft.config.resolve(db.config, nullptr), db.layer, db.layer.where, diag))
      databases.push_back(&db);
  }
  for (const UserDraft& user : draft.users) {
    PoolSettings settings = defaults;
    apply_overrides(settings, user.config.overrides);
    if (sets_pool_size(user.layer) && check_pool_sizes(settings, user.layer, user.layer.where, diag))
      users.push_back(&user);
  }
  for (const DatabaseDraft* db : databases) {
    for (const UserDraft* user : users) {
      const std::string context = user->layer.where + " with " + db->layer.where;
      check_pool_sizes(draft.config.resolve(db->config, &user->config), user->layer, context, diag);
    }
  }
}

void check_database_passwords(const Draft& draft, Diagnostics& diag) {
  for (const DatabaseDraft& db : draft.databases) {
    if (db.config.password && !db.config.user) {
      diag.report(*db.password_mark, db.layer.where +
                                         ".password: set without user; the password is only used to log in "
                                         "as the forced backend user");
    }
  }
}

// A default_database no database is named by would only surface as refused logins.
void check_default_databases(const Draft& draft, Diagnostics& diag) {
  for (const UserDraft& user : draft.users) {
    const auto& name = user.config.default_database;
    if (!name) continue;
    const bool known = std::any_of(draft.databases.begin(), draft.databases.end(),
                                   [&](const DatabaseDraft& db) { return db.config.name == *name; });
    if (known) continue;
    diag.report(user.default_database_mark.value_or(user.layer.mark),
                user.layer.where + ".default_database: no database '" + *name + "' under databases");
  }
}

void add_default_listener(Draft& draft) {
  if (draft.listen_postgres_set) return;
  ListenAddress fallback{"127.0.0.1", 6432};
  draft.config.listen_postgres.push_back(fallback);
  draft.addresses.insert(draft.addresses.begin(), {fallback, "listen.postgres (default)", draft.listen_mark});
}

// Two listen addresses on one port that cannot both be bound: the same address, or one the
// wildcard of the other's family (0.0.0.0 takes every IPv4 address; [::] every IPv6 address,
// IPv4 not, as listeners are IPv6-only).
bool same_socket(const ListenAddress& a, const ListenAddress& b) {
  if (a.port != b.port) return false;
  if (a.host == b.host) return true;
  const auto is_v6 = [](const ListenAddress& address) { return address.host.find(':') != std::string::npos; };
  const auto is_wildcard = [](const ListenAddress& address) {
    return address.host == "0.0.0.0" || address.host == "::" || address.host == "0:0:0:0:0:0:0:0";
  };
  return is_v6(a) == is_v6(b) && (is_wildcard(a) || is_wildcard(b));
}

void check_listeners(const Draft& draft, Diagnostics& diag) {
  if (draft.config.listen_postgres.empty() && draft.config.listen_mysql.empty() && !draft.bad_address) {
    diag.report(draft.listen_mark, "listen: no client listener: give listen.postgres or listen.mysql an address");
  }
  for (std::size_t i = 0; i < draft.addresses.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!same_socket(draft.addresses[i].address, draft.addresses[j].address)) continue;
      diag.report(draft.addresses[i].mark, draft.addresses[i].path + ": address " +
                                               format_listen_address(draft.addresses[i].address) +
                                               " is already used by " + draft.addresses[j].path + " (" +
                                               format_listen_address(draft.addresses[j].address) + ")");
      break;
    }
  }
}

}  // namespace

std::shared_ptr<const ProxyConfig> finish(Draft& draft, Diagnostics& diag) {
  add_default_listener(draft);
  check_listeners(draft, diag);
  apply_overrides(draft.config.defaults, draft.defaults.overrides);
  check_all_pool_sizes(draft, diag);
  check_database_passwords(draft, diag);
  check_default_databases(draft, diag);
  std::vector<const UserConfig*> users;
  for (const UserDraft& user : draft.users) users.push_back(&user.config);
  security::check_security(draft.config, users, draft.security_marks, diag);
  if (!diag.empty()) return nullptr;
  for (DatabaseDraft& db : draft.databases) draft.config.databases.emplace(db.config.name, std::move(db.config));
  for (UserDraft& user : draft.users) draft.config.users.emplace(user.config.name, std::move(user.config));
  return std::make_shared<const ProxyConfig>(std::move(draft.config));
}

}  // namespace sluice::config::draft
