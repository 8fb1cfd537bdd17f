// Walks the YAML tree of sluice.yaml section by section, reporting every problem with its
// position, then cross-checks what needs more than one section and freezes the result.

#include "sluice/config/loader.hpp"

#include "sluice/auth/scram_secret.hpp"
#include "config_draft.hpp"
#include "security_keys.hpp"
#include "yaml_reading.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>
#include <tuple>

namespace sluice::config {
namespace {

using namespace yaml_reading;
using namespace draft;

constexpr int max_workers = 256;
constexpr std::uint64_t min_packet_size = 1ULL << 10;
// PostgreSQL and MySQL both cap a single message at 1 GB; larger would only invite abuse.
constexpr std::uint64_t max_packet_size_limit = 1ULL << 30;
constexpr std::array<std::string_view, 2> reserved_database_names{"sluice", "pgbouncer"};
constexpr std::array<std::string_view, 5> log_levels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> log_formats{"text", "json"};

using Overrides = PoolOverrides;
using Diag = Diagnostics;

const std::array<KeyReader<Overrides>, 20> pool_keys{{
    {"pool_mode", [](const Entry& e, Overrides& o, Diag& d) { o.pool_mode = read_enum(e, pool_mode_names, d); }},
    {"pool_size", [](const Entry& e, Overrides& o, Diag& d) { o.pool_size = read_integer(e, 1, int_max, d); }},
    {"min_pool_size", [](const Entry& e, Overrides& o, Diag& d) { o.min_pool_size = read_integer(e, 0, int_max, d); }},
    {"reserve_pool_size",
     [](const Entry& e, Overrides& o, Diag& d) { o.reserve_pool_size = read_integer(e, 0, int_max, d); }},
    {"reserve_pool_timeout",
     [](const Entry& e, Overrides& o, Diag& d) { o.reserve_pool_timeout = read_duration(e, d); }},
    {"max_db_connections",
     [](const Entry& e, Overrides& o, Diag& d) { o.max_db_connections = read_integer(e, 0, int_max, d); }},
    {"statement_timeout", [](const Entry& e, Overrides& o, Diag& d) { o.statement_timeout = read_duration(e, d); }},
    {"query_wait_timeout", [](const Entry& e, Overrides& o, Diag& d) { o.query_wait_timeout = read_duration(e, d); }},
    {"idle_transaction_timeout",
     [](const Entry& e, Overrides& o, Diag& d) { o.idle_transaction_timeout = read_duration(e, d); }},
    {"client_idle_timeout", [](const Entry& e, Overrides& o, Diag& d) { o.client_idle_timeout = read_duration(e, d); }},
    {"client_login_timeout",
     [](const Entry& e, Overrides& o, Diag& d) { o.client_login_timeout = read_duration(e, d); }},
    {"server_idle_timeout", [](const Entry& e, Overrides& o, Diag& d) { o.server_idle_timeout = read_duration(e, d); }},
    {"server_lifetime", [](const Entry& e, Overrides& o, Diag& d) { o.server_lifetime = read_duration(e, d); }},
    {"server_connect_timeout",
     [](const Entry& e, Overrides& o, Diag& d) { o.server_connect_timeout = read_duration(e, d); }},
    {"server_login_retry", [](const Entry& e, Overrides& o, Diag& d) { o.server_login_retry = read_duration(e, d); }},
    {"server_check_delay", [](const Entry& e, Overrides& o, Diag& d) { o.server_check_delay = read_duration(e, d); }},
    {"server_check_query", [](const Entry& e, Overrides& o, Diag& d) { o.server_check_query = read_string(e, d); }},
    {"server_reset_query", [](const Entry& e, Overrides& o, Diag& d) { o.server_reset_query = read_string(e, d); }},
    {"max_prepared_statements",
     [](const Entry& e, Overrides& o, Diag& d) { o.max_prepared_statements = read_integer(e, 0, 100'000, d); }},
    {"session_state",
     [](const Entry& e, Overrides& o, Diag& d) { o.session_state = read_enum(e, session_state_names, d); }},
}};

bool read_pool_key(const Entry& entry, PoolLayer& layer, Diagnostics& diag) {
  if (!dispatch(pool_keys, entry, layer.overrides, diag)) return false;
  if (!entry.value.IsNull()) layer.marks[entry.key] = entry.value_mark();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Databases and users.

void read_database_client_cap(const Entry& e, DatabaseDraft& db, Diagnostics& diag) {
  assign(db.config.max_client_connections, read_integer(e, 0, int_max, diag));
}

const std::array<KeyReader<DatabaseDraft>, 8> database_keys{{
    {"protocol",
     [](const Entry& e, DatabaseDraft& db, Diag& d) { assign(db.config.protocol, read_enum(e, protocol_names, d)); }},
    {"host", [](const Entry& e, DatabaseDraft& db, Diag& d) { assign(db.config.host, read_nonempty_string(e, d)); }},
    {"port",
     [](const Entry& e, DatabaseDraft& db, Diag& d) {
       assign(db.config.port, read_integer(e, 1, 65535, d));
       db.port_set = true;
     }},
    {"dbname",
     [](const Entry& e, DatabaseDraft& db, Diag& d) { assign(db.config.dbname, read_nonempty_string(e, d)); }},
    {"user", [](const Entry& e, DatabaseDraft& db, Diag& d) { db.config.user = read_nonempty_string(e, d); }},
    {"password",
     [](const Entry& e, DatabaseDraft& db, Diag& d) {
       db.config.password = read_string(e, d);
       db.password_mark = e.value_mark();
     }},
    // The per-database client cap; PgBouncer 1.24 calls it max_db_client_connections.
    {"max_client_connections", read_database_client_cap},
    {"max_db_client_connections", read_database_client_cap},
}};

void read_user_password(const Entry& e, UserDraft& user, Diagnostics& diag) {
  user.config.password = read_string(e, diag);
  const auto& password = user.config.password;
  // PostgreSQL never accepts an empty password; "no password" is written by leaving the key out.
  if (password && password->empty()) {
    diag.report(e.value_mark(), e.path + ": empty password: leave the key out (or write null) for a user "
                                         "without a password");
  }
  // A mistyped verifier would otherwise surface only as failed logins: check it with the parser
  // logins use.
  if (password && password->starts_with(auth::scram_verifier_prefix) && !auth::parse_scram_verifier(*password)) {
    diag.report(e.value_mark(), e.path + ": malformed SCRAM-SHA-256 verifier: expected "
                                         "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> "
                                         "(iterations 1 to " + std::to_string(auth::max_scram_iterations) +
                                         ", salt and keys in base64, keys of 32 bytes)");
  }
}

const std::array<KeyReader<UserDraft>, 4> user_keys{{
    {"password", read_user_password},
    {"max_user_connections",
     [](const Entry& e, UserDraft& u, Diag& d) { assign(u.config.max_user_connections, read_integer(e, 0, int_max, d)); }},
    {"max_client_connections",
     [](const Entry& e, UserDraft& u, Diag& d) {
       assign(u.config.max_client_connections, read_integer(e, 0, int_max, d));
     }},
    {"default_database",
     [](const Entry& e, UserDraft& u, Diag& d) {
       if (auto name = read_string(e, d)) {
         u.config.default_database = std::move(*name);
         u.default_database_mark = e.value_mark();
       }
     }},
}};

// ---------------------------------------------------------------------------------------------
// Top level.

int auto_workers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp(static_cast<int>(cores), 1, max_workers);
}

std::optional<ListenAddress> read_address(const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                                          Diagnostics& diag) {
  if (!node.IsScalar()) {
    diag.report(mark, path + ": expected an address like 127.0.0.1:6432, got " + describe(node));
    return std::nullopt;
  }
  std::string error;
  auto address = parse_listen_address(node.Scalar(), error);
  if (!address) diag.report(mark, path + ": " + error);
  return address;
}

// One address or a list of them; each is kept with its position for the clash check.
std::vector<ListenAddress> read_address_list(const Entry& e, Draft& draft, Diagnostics& diag) {
  std::vector<ListenAddress> result;
  auto keep = [&](const YAML::Node& node, const YAML::Mark& mark, const std::string& path) {
    auto address = read_address(node, mark, path, diag);
    draft.bad_address |= !address;
    if (!address) return;
    draft.addresses.push_back({*address, path, mark});
    result.push_back(*address);
  };
  if (!e.value.IsSequence()) {
    keep(e.value, e.value_mark(), e.path);
    return result;
  }
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    keep(e.value[i], e.value[i].Mark(), e.path + "[" + std::to_string(i) + "]");
  }
  return result;
}

const std::array<KeyReader<Draft>, 3> listen_keys{{
    {"postgres",
     [](const Entry& e, Draft& draft, Diag& d) {
       draft.config.listen_postgres = read_address_list(e, draft, d);
       draft.listen_postgres_set = true;
     }},
    {"mysql", [](const Entry& e, Draft& draft, Diag& d) { draft.config.listen_mysql = read_address_list(e, draft, d); }},
    {"metrics",
     [](const Entry& e, Draft& draft, Diag& d) {
       if (auto address = read_address(e.value, e.value_mark(), e.path, d)) {
         draft.addresses.push_back({*address, e.path, e.value_mark()});
         draft.config.listen_metrics = *address;
       }
     }},
}};

void read_workers(const Entry& e, Draft& draft, Diagnostics& diag) {
  const std::string text = e.value.IsScalar() ? e.value.Scalar() : "";
  if (text == "auto") {
    draft.config.workers = auto_workers();
    return;
  }
  int value = 0;
  auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc{} && rest == text.data() + text.size() && value >= 1 && value <= max_workers) {
    draft.config.workers = value;
    return;
  }
  diag.report(e.value_mark(), e.path + ": expected 'auto' or a number from 1 to " + std::to_string(max_workers) +
                                  ", got " + describe(e.value));
}

void read_max_packet_size(const Entry& e, Draft& draft, Diagnostics& diag) {
  auto text = read_scalar(e, "a size like 64kB, 16MB or 1GB", diag);
  if (!text) return;
  std::string error;
  auto size = parse_byte_size(*text, error);
  if (!size) {
    diag.report(e.value_mark(), e.path + ": " + error);
  } else if (*size < min_packet_size || *size > max_packet_size_limit) {
    diag.report(e.value_mark(), e.path + ": must be between " + format_byte_size(min_packet_size) + " and " +
                                    format_byte_size(max_packet_size_limit) + ", got " + *text);
  } else {
    draft.config.max_packet_size = *size;
  }
}

void report_unknown_key(const Entry& e, const std::string& where, const std::vector<std::string_view>& known,
                        Diagnostics& diag);

bool expect_mapping(const Entry& e, std::string_view what, Diagnostics& diag) {
  if (e.value.IsMap()) return true;
  diag.report(e.value_mark(), e.path + ": expected a mapping of " + std::string(what) + ", got " + describe(e.value));
  return false;
}

void read_listen(const Entry& e, Draft& draft, Diagnostics& diag) {
  draft.listen_mark = e.key_mark;
  if (!expect_mapping(e, "listeners (postgres, mysql, metrics)", diag)) return;
  std::vector<std::string_view> known;
  add_names(listen_keys, known);
  for (const Entry& entry : entries_of(e.value, e.path, diag)) {
    if (!dispatch(listen_keys, entry, draft, diag)) report_unknown_key(entry, e.path, known, diag);
  }
}

void read_defaults(const Entry& e, Draft& draft, Diagnostics& diag) {
  draft.defaults.mark = e.key_mark;
  if (!expect_mapping(e, "pool settings", diag)) return;
  std::vector<std::string_view> known;
  add_names(pool_keys, known);
  for (const Entry& entry : entries_of(e.value, e.path, diag)) {
    if (!read_pool_key(entry, draft.defaults, diag)) report_unknown_key(entry, e.path, known, diag);
  }
}

bool check_database_name(const Entry& e, Diagnostics& diag) {
  if (e.key.empty()) {
    diag.report(e.key_mark, "databases: a database name must not be empty");
    return false;
  }
  const bool reserved =
      std::find(reserved_database_names.begin(), reserved_database_names.end(), e.key) != reserved_database_names.end();
  if (reserved) diag.report(e.key_mark, e.path + ": the name '" + e.key + "' is reserved for the admin console");
  return !reserved;
}

DatabaseDraft read_database(const Entry& e, Diagnostics& diag) {
  DatabaseDraft db;
  db.config.name = e.key;
  db.layer = {e.path, e.key_mark, {}, {}};
  std::vector<std::string_view> known;
  add_names(database_keys, known);
  add_names(pool_keys, known);
  // `app:` with no body is a database with every setting at its default.
  if (!e.value.IsNull() && expect_mapping(e, "database settings", diag)) {
    for (const Entry& entry : entries_of(e.value, e.path, diag)) {
      if (dispatch(database_keys, entry, db, diag) || read_pool_key(entry, db.layer, diag)) continue;
      report_unknown_key(entry, e.path, known, diag);
    }
  }
  if (db.config.dbname.empty()) db.config.dbname = db.config.name;
  if (!db.port_set && db.config.protocol == Protocol::mysql) db.config.port = default_mysql_port;
  db.config.overrides = db.layer.overrides;
  return db;
}

void read_databases(const Entry& e, Draft& draft, Diagnostics& diag) {
  if (!expect_mapping(e, "databases by name", diag)) return;
  for (const Entry& entry : entries_of(e.value, e.path, diag)) {
    if (check_database_name(entry, diag)) draft.databases.push_back(read_database(entry, diag));
  }
}

UserDraft read_user(const Entry& e, Diagnostics& diag) {
  UserDraft user;
  user.config.name = e.key;
  user.layer = {e.path, e.key_mark, {}, {}};
  std::vector<std::string_view> known;
  add_names(user_keys, known);
  add_names(pool_keys, known);
  // A user with no body exists but has no password: it is named, it just cannot log in.
  if (!e.value.IsNull() && expect_mapping(e, "user settings", diag)) {
    for (const Entry& entry : entries_of(e.value, e.path, diag)) {
      if (dispatch(user_keys, entry, user, diag) || read_pool_key(entry, user.layer, diag)) continue;
      report_unknown_key(entry, e.path, known, diag);
    }
  }
  user.config.overrides = user.layer.overrides;
  return user;
}

void read_users(const Entry& e, Draft& draft, Diagnostics& diag) {
  if (!expect_mapping(e, "users by name", diag)) return;
  for (const Entry& entry : entries_of(e.value, e.path, diag)) {
    if (entry.key.empty()) {
      diag.report(entry.key_mark, "users: a user name must not be empty");
      continue;
    }
    draft.users.push_back(read_user(entry, diag));
  }
}

const std::array<KeyReader<Draft>, 16> top_level_keys{{
    {"listen", read_listen},
    {"workers", read_workers},
    {"max_client_connections",
     [](const Entry& e, Draft& draft, Diag& d) {
       assign(draft.config.max_client_connections, read_integer(e, 1, int_max, d));
     }},
    {"shutdown_timeout",
     [](const Entry& e, Draft& draft, Diag& d) { assign(draft.config.shutdown_timeout, read_duration(e, d)); }},
    {"auth_type",
     [](const Entry& e, Draft& draft, Diag& d) { assign(draft.config.auth_type, read_enum(e, auth_type_names, d)); }},
    {"admin_users", [](const Entry& e, Draft& draft, Diag& d) { draft.config.admin_users = read_name_list(e, d); }},
    {"stats_users", [](const Entry& e, Draft& draft, Diag& d) { draft.config.stats_users = read_name_list(e, d); }},
    {"max_packet_size", read_max_packet_size},
    {"log_level", [](const Entry& e, Draft& draft, Diag& d) { assign(draft.config.log_level, read_word(e, log_levels, d)); }},
    {"log_format",
     [](const Entry& e, Draft& draft, Diag& d) { assign(draft.config.log_format, read_word(e, log_formats, d)); }},
    {"defaults", read_defaults},
    {"databases", read_databases},
    {"users", read_users},
    {"tls", [](const Entry& e, Draft& draft, Diag& d) { security::read_tls(e, draft.config.tls, draft.security_marks, d); }},
    {"auth_query",
     [](const Entry& e, Draft& draft, Diag& d) {
       security::read_auth_query(e, draft.config.auth_query, draft.security_marks, d);
     }},
    {"hba", [](const Entry& e, Draft& draft, Diag& d) { security::read_hba(e, draft.config.hba, draft.security_marks, d); }},
}};

template <typename Target, std::size_t N>
bool is_key_of(const std::array<KeyReader<Target>, N>& keys, std::string_view name) {
  return std::any_of(keys.begin(), keys.end(), [&](const KeyReader<Target>& key) { return key.name == name; });
}

// For a key that is valid elsewhere, say where it belongs instead of guessing a typo.
std::string placement_hint(std::string_view key) {
  if (is_key_of(pool_keys, key)) return " (a pool setting: it belongs under defaults, a database or a user)";
  if (is_key_of(database_keys, key)) return " (a database setting: it belongs under databases.NAME)";
  if (is_key_of(user_keys, key)) return " (a user setting: it belongs under users.NAME)";
  if (is_key_of(top_level_keys, key)) return " (a top-level setting)";
  if (is_key_of(listen_keys, key)) return " (a listener: it belongs under listen)";
  return "";
}

void report_unknown_key(const Entry& e, const std::string& where, const std::vector<std::string_view>& known,
                        Diagnostics& diag) {
  std::string hint = did_you_mean(e.key, known);
  if (hint.empty()) hint = placement_hint(e.key);
  diag.report(e.key_mark, "unknown key '" + e.key + "' " + location_of(where) + hint);
}

void read_top_level(const YAML::Node& root, Draft& draft, Diagnostics& diag) {
  std::vector<std::string_view> known;
  add_names(top_level_keys, known);
  for (const Entry& entry : entries_of(root, "", diag)) {
    if (!dispatch(top_level_keys, entry, draft, diag)) report_unknown_key(entry, "", known, diag);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry points.

std::optional<YAML::Node> parse_document(std::string_view yaml, Diagnostics& diag) {
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    for (std::size_t i = 1; i < documents.size(); ++i) {
      if (!documents[i].IsNull())
        diag.report(documents[i].Mark(), "only one YAML document is allowed; remove the '---' separator");
    }
    return documents.empty() ? YAML::Node() : documents.front();
  } catch (const YAML::Exception& e) {
    diag.report(e.mark, "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

LoadResult load(std::string_view yaml, const std::string& path) {
  Diagnostics diag(path);
  Draft draft;
  draft.config.workers = auto_workers();
  auto root = parse_document(yaml, diag);
  if (root && !root->IsNull() && !root->IsMap()) {
    diag.report(root->Mark(), "expected a mapping of settings at the top level, got " + describe(*root));
  } else if (root && root->IsMap()) {
    read_top_level(*root, draft, diag);
  }
  // A syntax error leaves nothing trustworthy to cross-check.
  auto config = root ? finish(draft, diag) : nullptr;
  if (!diag.empty()) config = nullptr;
  return LoadResult{std::move(config), diag.take_sorted()};
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = errno != 0 ? std::strerror(errno) : "cannot open";
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "read failed";
    return std::nullopt;
  }
  return text;
}

}  // namespace

std::string format_error(const ConfigError& error) {
  return error.path + ":" + std::to_string(error.line) + ":" + std::to_string(error.column) + ": " + error.message;
}

LoadResult load_config_file(const std::string& path) {
  std::string error;
  errno = 0;
  auto text = read_file(path, error);
  if (!text) return LoadResult{nullptr, {ConfigError{path, 1, 1, "cannot read config file: " + error}}};
  return load(*text, path);
}

LoadResult load_config_string(std::string_view yaml, const std::string& path_for_messages) {
  return load(yaml, path_for_messages);
}

}  // namespace sluice::config
