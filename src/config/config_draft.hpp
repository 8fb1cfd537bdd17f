// What the walk over sluice.yaml gathers before it becomes a ProxyConfig: each section as read,
// with where its keys were written, so the cross-checks (cross_checks.cpp) can point at the
// value that breaks a rule. Private to config/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security_keys.hpp"
#include "sluice/config/proxy_config.hpp"
#include "yaml_reading.hpp"

namespace sluice::config::draft {

// One layer of pool settings plus where each key was written, for cross-check messages.
struct PoolLayer {
  std::string where;  // "defaults", "databases.app", "users.bob"
  YAML::Mark mark;    // of the section's key
  PoolOverrides overrides;
  std::map<std::string, YAML::Mark, std::less<>> marks;

  bool sets(std::string_view key) const { return marks.find(key) != marks.end(); }

  YAML::Mark mark_of(std::string_view first_choice, std::string_view second_choice) const {
    if (auto it = marks.find(first_choice); it != marks.end()) return it->second;
    if (auto it = marks.find(second_choice); it != marks.end()) return it->second;
    return mark;
  }
};

struct DatabaseDraft {
  DatabaseConfig config;
  PoolLayer layer;
  bool port_set = false;
  std::optional<YAML::Mark> password_mark;
};

struct UserDraft {
  UserConfig config;
  PoolLayer layer;
  std::optional<YAML::Mark> default_database_mark;
};

// An address as written, with where it came from so clashes can name both places.
struct PlacedAddress {
  ListenAddress address;
  std::string path;
  YAML::Mark mark;
};

// Everything gathered by the walk; becomes a ProxyConfig once the cross-checks pass.
struct Draft {
  ProxyConfig config;
  bool listen_postgres_set = false;
  bool bad_address = false;  // a rejected address must not also read as "no listener"
  YAML::Mark listen_mark;
  std::vector<PlacedAddress> addresses;
  PoolLayer defaults{"defaults", {}, {}, {}};
  std::vector<DatabaseDraft> databases;
  std::vector<UserDraft> users;
  security::Marks security_marks;
};

// Cross-checks the draft (rules that span sections) and, when nothing is wrong, freezes it.
std::shared_ptr<const ProxyConfig> finish(Draft& draft, yaml_reading::Diagnostics& diag);

}  // namespace sluice::config::draft
