#include "sluice/runtime/proxy_context.hpp"

#include <spdlog/spdlog.h>

#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/auth/scram_secret.hpp"

namespace sluice::runtime {

std::array<std::uint8_t, 32> random_mock_auth_key() {
  std::array<std::uint8_t, 32> key{};
  // Without randomness the key is all zero: a mock salt is then guessable, which tells a
  // name's existence only to someone who also knows this build; logins still fail.
  if (!auth::random_fill(key)) spdlog::warn("no randomness for the mock authentication key");
  return key;
}

std::shared_ptr<const RuntimeConfig> make_runtime_config(std::shared_ptr<const config::ProxyConfig> config) {
  auto runtime = std::make_shared<RuntimeConfig>();
  for (const auto& [name, user] : config->users) {
    if (!user.password) continue;
    // A mysql_native_password hash checks MySQL clients only (MyFrontend reads it from the
    // config): no PostgreSQL method can be checked against it.
    if (auth::is_mysql_native_password_hash(*user.password)) continue;
    if (auto credential = auth::make_credential(*user.password, name)) {
      runtime->credentials.emplace(name, std::move(*credential));
    } else {
      spdlog::warn("user {}: password is neither plain text, an md5 hash nor a SCRAM verifier", name);
    }
  }
  runtime->config = std::move(config);
  return runtime;
}

namespace {
// Takes a place under `cap` (0 = none) in `counts`' entry for `name`; end() when it is full.
ClientLimits::Ticket::PerName::iterator take_place(ClientLimits::Ticket::PerName& counts, const std::string& name,
                                                  int cap) {
  const auto entry = counts.try_emplace(name, 0).first;
  if (cap > 0 && entry->second >= cap) {
    if (entry->second == 0) counts.erase(entry);
    return counts.end();
  }
  ++entry->second;
  return entry;
}

void give_place(ClientLimits::Ticket::PerName& counts, ClientLimits::Ticket::PerName::iterator entry) {
  if (--entry->second == 0) counts.erase(entry);
}
}  // namespace

std::optional<std::string> ClientLimits::admit(const config::ProxyConfig& config, const std::string& user,
                                               const std::string& database, Ticket& ticket) {
  ticket.release();  // a client admitted again (MySQL's COM_CHANGE_USER) leaves its old place first
  const int global_cap = config.max_client_connections;
  if (global_cap > 0 && total_.fetch_add(1) >= global_cap) {
    total_.fetch_sub(1);
    return "max_client_connections";
  }
  if (global_cap <= 0) total_.fetch_add(1);
  const auto* user_config = config.find_user(user);
  const auto* database_config = config.find_database(database);
  std::lock_guard lock(mutex_);
  const auto user_entry = take_place(per_user_, user, user_config ? user_config->max_client_connections : 0);
  if (user_entry == per_user_.end()) {
    total_.fetch_sub(1);
    return "max_client_connections (user " + user + ")";
  }
  const auto database_entry =
      take_place(per_database_, database, database_config ? database_config->max_client_connections : 0);
  if (database_entry == per_database_.end()) {
    give_place(per_user_, user_entry);
    total_.fetch_sub(1);
    return "max_client_connections (database " + database + ")";
  }
  ticket.user_ = user_entry;
  ticket.database_ = database_entry;
  ticket.limits_ = this;
  return std::nullopt;
}

void ClientLimits::leave(Ticket& ticket) {
  total_.fetch_sub(1);
  std::lock_guard lock(mutex_);
  give_place(per_user_, ticket.user_);
  give_place(per_database_, ticket.database_);
}

void ClientLimits::Ticket::release() {
  if (limits_) limits_->leave(*this);
  limits_ = nullptr;
}

}  // namespace sluice::runtime
