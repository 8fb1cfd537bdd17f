// Reads `tls`, `auth_query` and `hba`, then checks the rules that span sections.

#include "security_keys.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace sluice::config::security {
namespace {

using namespace yaml_reading;
using Diag = Diagnostics;

// Reads one mapping's entries through `keys`, reporting unknown keys with a suggestion.
template <typename Target, std::size_t N>
void read_section(const Entry& e, std::string_view what, const std::array<KeyReader<Target>, N>& keys,
                  Target& target, Marks& marks, Diag& diag) {
  if (!e.value.IsMap()) {
    diag.report(e.value_mark(), e.path + ": expected a mapping of " + std::string(what) + ", got " + describe(e.value));
    return;
  }
  std::vector<std::string_view> known;
  add_names(keys, known);
  marks.by_path[e.path] = e.key_mark;
  for (const Entry& entry : entries_of(e.value, e.path, diag)) {
    if (dispatch(keys, entry, target, diag)) {
      if (!entry.value.IsNull()) marks.by_path[entry.path] = entry.value_mark();
      continue;
    }
    diag.report(entry.key_mark, "unknown key '" + entry.key + "' in " + e.path + did_you_mean(entry.key, known) +
                                    " (known: " + join(known) + ")");
  }
}

// ---- tls -------------------------------------------------------------------------------------

const std::array<KeyReader<ClientTlsConfig>, 4> client_tls_keys{{
    {"mode", [](const Entry& e, ClientTlsConfig& c, Diag& d) { assign(c.mode, read_enum(e, client_tls_mode_names, d)); }},
    {"cert", [](const Entry& e, ClientTlsConfig& c, Diag& d) { c.cert = read_nonempty_string(e, d); }},
    {"key", [](const Entry& e, ClientTlsConfig& c, Diag& d) { c.key = read_nonempty_string(e, d); }},
    {"ca", [](const Entry& e, ClientTlsConfig& c, Diag& d) { c.ca = read_nonempty_string(e, d); }},
}};

const std::array<KeyReader<ServerTlsConfig>, 4> server_tls_keys{{
    {"mode", [](const Entry& e, ServerTlsConfig& c, Diag& d) { assign(c.mode, read_enum(e, server_tls_mode_names, d)); }},
    {"ca", [](const Entry& e, ServerTlsConfig& c, Diag& d) { c.ca = read_nonempty_string(e, d); }},
    {"cert", [](const Entry& e, ServerTlsConfig& c, Diag& d) { c.cert = read_nonempty_string(e, d); }},
    {"key", [](const Entry& e, ServerTlsConfig& c, Diag& d) { c.key = read_nonempty_string(e, d); }},
}};

// `tls` holds two sections; Marks travel along so each side records its own keys.
struct TlsTarget {
  TlsConfig& tls;
  Marks& marks;
};

const std::array<KeyReader<TlsTarget>, 2> tls_keys{{
    {"client",
     [](const Entry& e, TlsTarget& t, Diag& d) {
       read_section(e, "client TLS settings (mode, cert, key, ca)", client_tls_keys, t.tls.client, t.marks, d);
     }},
    {"server",
     [](const Entry& e, TlsTarget& t, Diag& d) {
       read_section(e, "backend TLS settings (mode, ca, cert, key)", server_tls_keys, t.tls.server, t.marks, d);
     }},
}};

// ---- auth_query ------------------------------------------------------------------------------

void read_query(const Entry& e, AuthQueryConfig& q, Diag& diag) {
  auto text = read_nonempty_string(e, diag);
  if (!text) return;
  // The user name is always a bound parameter; a query without $1 would return someone else's
  // verifier (or every user's first row).
  if (text->find("$1") == std::string::npos) {
    diag.report(e.value_mark(), e.path + ": the query must take the user name as the parameter $1, like "
                                         "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1");
    return;
  }
  q.query = *text;
}

const std::array<KeyReader<AuthQueryConfig>, 4> auth_query_keys{{
    {"user", [](const Entry& e, AuthQueryConfig& q, Diag& d) { assign(q.user, read_nonempty_string(e, d)); }},
    {"query", read_query},
    {"database", [](const Entry& e, AuthQueryConfig& q, Diag& d) { q.database = read_nonempty_string(e, d); }},
    {"cache_ttl", [](const Entry& e, AuthQueryConfig& q, Diag& d) { assign(q.cache_ttl, read_duration(e, d)); }},
}};

// ---- hba -------------------------------------------------------------------------------------

// `all` alone means every name; inside a list it would be ambiguous (a database called all?).
std::vector<std::string> read_names_or_all(const Entry& e, std::string_view what, Diag& diag) {
  std::vector<std::string> names = read_name_list(e, diag, what);
  const bool has_all = std::find(names.begin(), names.end(), "all") != names.end();
  if (has_all && names.size() > 1) {
    diag.report(e.value_mark(), e.path + ": 'all' must stand alone, not in a list of names");
  }
  if (has_all) names.clear();
  return names;
}

void read_address(const Entry& e, auth::HbaRule& rule, Diag& diag) {
  auto text = read_scalar(e, "a CIDR like 10.0.0.0/8 or ::1/128, or all", diag);
  if (!text || *text == "all") return;
  std::string error;
  rule.address = auth::parse_cidr(*text, error);
  if (!rule.address) diag.report(e.value_mark(), e.path + ": " + error);
}

const std::array<KeyReader<auth::HbaRule>, 5> hba_keys{{
    {"type",
     [](const Entry& e, auth::HbaRule& r, Diag& d) { assign(r.type, read_enum(e, auth::hba_connection_type_names, d)); }},
    {"database",
     [](const Entry& e, auth::HbaRule& r, Diag& d) { r.databases = read_names_or_all(e, "a database name or all", d); }},
    {"user", [](const Entry& e, auth::HbaRule& r, Diag& d) { r.users = read_names_or_all(e, "a user name or all", d); }},
    {"address", read_address},
    {"method", [](const Entry& e, auth::HbaRule& r, Diag& d) { assign(r.method, read_enum(e, auth::hba_method_names, d)); }},
}};

void read_hba_rule(const Entry& e, std::vector<auth::HbaRule>& rules, Marks& marks, Diag& diag) {
  auth::HbaRule rule;
  read_section(e, "rule settings (type, database, user, address, method)", hba_keys, rule, marks, diag);
  if (!e.value.IsMap()) return;
  // Every key is required: a rule that silently meant "all" would grant more than was written.
  for (const auto& key : hba_keys) {
    if (!marks.by_path.contains(e.path + "." + std::string(key.name))) {
      diag.report(e.value_mark(), e.path + ": missing '" + std::string(key.name) + "' (every rule needs type, "
                                           "database, user, address and method; write all for any)");
    }
  }
  rules.push_back(std::move(rule));
}

// ---- cross-checks ----------------------------------------------------------------------------

// A file that will be opened later must exist now, so a typo fails the config check instead of
// the first TLS handshake.
void check_file(const std::optional<std::string>& path, const std::string& key, const Marks& marks, Diag& diag) {
  if (!path) return;
  std::error_code ec;
  const auto status = std::filesystem::status(*path, ec);
  std::string problem;
  if (ec || !std::filesystem::exists(status)) {
    problem = "does not exist";
  } else if (!std::filesystem::is_regular_file(status)) {
    problem = "is not a regular file";
  } else if (!std::ifstream(*path)) {
    problem = "cannot be read";
  }
  if (!problem.empty()) diag.report(marks.at(key), key + ": file '" + *path + "' " + problem);
}

void check_pair(const std::optional<std::string>& cert, const std::optional<std::string>& key,
                const std::string& where, const Marks& marks, Diag& diag) {
  if (cert.has_value() == key.has_value()) return;
  const std::string missing = cert ? "key" : "cert";
  const std::string present = cert ? "cert" : "key";
  diag.report(marks.at(where + "." + present), where + ": " + present + " is set without " + missing +
                                                   "; give both (the certificate and its private key)");
}

void check_client_tls(const ClientTlsConfig& client, const Marks& marks, Diag& diag) {
  check_pair(client.cert, client.key, "tls.client", marks, diag);
  if (client.mode == ClientTlsMode::disable) return;
  if (!client.cert || !client.key) {
    diag.report(marks.at("tls.client.mode", "tls.client"),
                "tls.client.mode: " + std::string(to_string(client.mode)) +
                    " needs tls.client.cert and tls.client.key (the certificate Sluice shows clients)");
  }
  check_file(client.cert, "tls.client.cert", marks, diag);
  check_file(client.key, "tls.client.key", marks, diag);
  check_file(client.ca, "tls.client.ca", marks, diag);
}

void check_server_tls(const ServerTlsConfig& server, const Marks& marks, Diag& diag) {
  check_pair(server.cert, server.key, "tls.server", marks, diag);
  if (server.mode == ServerTlsMode::disable) return;
  const bool verifies = server.mode == ServerTlsMode::verify_ca || server.mode == ServerTlsMode::verify_full;
  if (verifies && !server.ca) {
    diag.report(marks.at("tls.server.mode", "tls.server"),
                "tls.server.mode: " + std::string(to_string(server.mode)) +
                    " needs tls.server.ca (the CA the backends' certificates are checked against)");
  }
  check_file(server.ca, "tls.server.ca", marks, diag);
  check_file(server.cert, "tls.server.cert", marks, diag);
  check_file(server.key, "tls.server.key", marks, diag);
}

void check_hba(const ProxyConfig& config, const Marks& marks, Diag& diag) {
  const bool client_tls = config.tls.client.mode != ClientTlsMode::disable;
  for (std::size_t i = 0; i < config.hba.size(); ++i) {
    const auth::HbaRule& rule = config.hba[i];
    const std::string where = "hba[" + std::to_string(i) + "]";
    if (rule.type == auth::HbaConnectionType::hostssl && !client_tls) {
      diag.report(marks.at(where + ".type", where), where + ".type: a hostssl rule cannot match while "
                                                            "tls.client.mode is disable");
    }
    if (rule.method != auth::HbaMethod::cert) continue;
    if (rule.type != auth::HbaConnectionType::hostssl) {
      diag.report(marks.at(where + ".method", where), where + ".method: cert needs type hostssl (only a TLS "
                                                              "client can present a certificate)");
    }
    if (!config.tls.client.ca) {
      diag.report(marks.at(where + ".method", where), where + ".method: cert needs tls.client.ca (the CA "
                                                              "client certificates are verified against)");
    }
  }
}

void check_auth_query(const ProxyConfig& config, const std::vector<const UserConfig*>& users, const Marks& marks,
                      Diag& diag) {
  if (!config.auth_query) return;
  const AuthQueryConfig& q = *config.auth_query;
  if (q.user.empty() || q.query.empty()) {
    const bool has_query = marks.by_path.contains("auth_query.query");
    const bool has_user = marks.by_path.contains("auth_query.user");
    if (!has_user) diag.report(marks.at("auth_query"), "auth_query: missing 'user' (who runs the query)");
    if (!has_query) diag.report(marks.at("auth_query"), "auth_query: missing 'query' (what looks a user up)");
    return;
  }
  auto it = std::find_if(users.begin(), users.end(), [&](const UserConfig* u) { return u->name == q.user; });
  if (it == users.end() || !(*it)->password) {
    diag.report(marks.at("auth_query.user"), "auth_query.user: '" + q.user +
                                                 "' must be listed under users with a password (Sluice logs in "
                                                 "as it to run the query)");
  }
}

}  // namespace

YAML::Mark Marks::at(std::string_view path, std::string_view fallback) const {
  if (auto it = by_path.find(path); it != by_path.end()) return it->second;
  if (auto it = by_path.find(fallback); !fallback.empty() && it != by_path.end()) return it->second;
  return YAML::Mark{};
}

void read_tls(const Entry& e, TlsConfig& tls, Marks& marks, Diag& diag) {
  TlsTarget target{tls, marks};
  read_section(e, "TLS sides (client, server)", tls_keys, target, marks, diag);
}

void read_auth_query(const Entry& e, std::optional<AuthQueryConfig>& auth_query, Marks& marks, Diag& diag) {
  AuthQueryConfig config;
  read_section(e, "auth_query settings (user, query, database, cache_ttl)", auth_query_keys, config, marks, diag);
  if (e.value.IsMap()) auth_query = std::move(config);
}

void read_hba(const Entry& e, std::vector<auth::HbaRule>& rules, Marks& marks, Diag& diag) {
  if (!e.value.IsSequence()) {
    diag.report(e.value_mark(), e.path + ": expected a list of rules like { type: host, database: all, user: all, "
                                         "address: 10.0.0.0/8, method: scram-sha-256 }, got " + describe(e.value));
    return;
  }
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    const YAML::Node& item = e.value[i];
    read_hba_rule(Entry{"", e.path + "[" + std::to_string(i) + "]", item.Mark(), item}, rules, marks, diag);
  }
}

void check_security(const ProxyConfig& config, const std::vector<const UserConfig*>& users, const Marks& marks,
                    Diag& diag) {
  check_client_tls(config.tls.client, marks, diag);
  check_server_tls(config.tls.server, marks, diag);
  check_hba(config, marks, diag);
  check_auth_query(config, users, marks, diag);
}

}  // namespace sluice::config::security
