#include "sluice/runtime/proxy_context.hpp"

#include <spdlog/spdlog.h>

namespace sluice::runtime {

std::shared_ptr<const RuntimeConfig> make_runtime_config(std::shared_ptr<const config::ProxyConfig> config) {
  auto runtime = std::make_shared<RuntimeConfig>();
  for (const auto& [name, user] : config->users) {
    if (!user.password) continue;
    if (auto credential = auth::make_credential(*user.password, name)) {
      runtime->credentials.emplace(name, std::move(*credential));
    } else {
      spdlog::warn("user {}: password is neither plain text, an md5 hash nor a SCRAM verifier", name);
    }
  }
  runtime->config = std::move(config);
  return runtime;
}

std::optional<std::string> ClientLimits::admit(const config::ProxyConfig& config, const std::string& user,
                                               Ticket& ticket) {
  ticket.release();  // a client admitted again (MySQL's COM_CHANGE_USER) leaves its old place first
  const int global_cap = config.max_client_connections;
  if (global_cap > 0 && total_.fetch_add(1) >= global_cap) {
    total_.fetch_sub(1);
    return "max_client_connections";
  }
  if (global_cap <= 0) total_.fetch_add(1);
  const auto* user_config = config.find_user(user);
  const int user_cap = user_config ? user_config->max_client_connections : 0;
  {
    std::lock_guard lock(mutex_);
    const auto entry = per_user_.try_emplace(user, 0).first;
    if (user_cap > 0 && entry->second >= user_cap) {
      if (entry->second == 0) per_user_.erase(entry);
      total_.fetch_sub(1);
      return "max_client_connections (user " + user + ")";
    }
    ++entry->second;
    ticket.user_ = entry;
  }
  ticket.limits_ = this;
  return std::nullopt;
}

void ClientLimits::leave(Ticket::PerUser::iterator user) {
  total_.fetch_sub(1);
  std::lock_guard lock(mutex_);
  if (--user->second == 0) per_user_.erase(user);
}

void ClientLimits::Ticket::release() {
  if (limits_) limits_->leave(user_);
  limits_ = nullptr;
}

}  // namespace sluice::runtime
