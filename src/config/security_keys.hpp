// The `tls`, `auth_query` and `hba` sections of sluice.yaml: readers for the loader's
// top-level table, and the cross-checks that need the whole file. Private to config/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/proxy_config.hpp"
#include "yaml_reading.hpp"

namespace sluice::config::security {

// Where each key of these sections was written ("tls.client.mode", "hba[2].method"), so a
// cross-check can point at the value that breaks the rule.
struct Marks {
  std::map<std::string, YAML::Mark, std::less<>> by_path;
  // The mark of `path`, else of `fallback`, else the start of the file.
  YAML::Mark at(std::string_view path, std::string_view fallback = {}) const;
};

void read_tls(const yaml_reading::Entry& e, TlsConfig& tls, Marks& marks, yaml_reading::Diagnostics& diag);
void read_auth_query(const yaml_reading::Entry& e, std::optional<AuthQueryConfig>& auth_query, Marks& marks,
                     yaml_reading::Diagnostics& diag);
void read_hba(const yaml_reading::Entry& e, std::vector<auth::HbaRule>& rules, Marks& marks,
              yaml_reading::Diagnostics& diag);

// Rules across sections: TLS modes need their files (which must exist), cert rules need
// hostssl and a client CA, hostssl needs client TLS, auth_query.user must be a listed user
// with a password. `users` are the users as read.
void check_security(const ProxyConfig& config, const std::vector<const UserConfig*>& users, const Marks& marks,
                    yaml_reading::Diagnostics& diag);

}  // namespace sluice::config::security
