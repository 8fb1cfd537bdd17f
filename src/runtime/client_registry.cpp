#include "sluice/runtime/client_registry.hpp"

namespace sluice::runtime {

const char* to_string(ClientState state) {
  switch (state) {
    case ClientState::login: return "login";
    case ClientState::idle: return "idle";
    case ClientState::waiting: return "waiting";
    case ClientState::active: return "active";
  }
  return "unknown";
}

std::uint64_t ClientRegistry::add(ClientHandle* client) {
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  clients_.emplace(id, client);
  return id;
}

void ClientRegistry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  clients_.erase(id);
}

std::vector<std::shared_ptr<ClientHandle>> ClientRegistry::clients() const {
  std::vector<std::shared_ptr<ClientHandle>> result;
  std::lock_guard lock(mutex_);
  result.reserve(clients_.size());
  for (const auto& [id, client] : clients_) {
    if (auto shared = client->shared_handle()) result.push_back(std::move(shared));
  }
  return result;
}

std::size_t ClientRegistry::size() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

}  // namespace sluice::runtime
