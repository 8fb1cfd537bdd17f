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
  clients_.push_back(*client);
  return id;
}

void ClientRegistry::remove(ClientHandle& client) {
  std::lock_guard lock(mutex_);
  if (client.is_linked()) clients_.erase(clients_.iterator_to(client));
}

std::vector<std::shared_ptr<ClientHandle>> ClientRegistry::clients() const {
  std::vector<std::shared_ptr<ClientHandle>> result;
  std::lock_guard lock(mutex_);
  for (auto& client : clients_) {
    if (auto shared = client.shared_handle()) result.push_back(std::move(shared));
  }
  return result;
}

}  // namespace sluice::runtime
