#pragma once
// Maps the BackendKeyData Sluice gave each client to whatever backend that client
// holds right now, so a CancelRequest (which arrives on a new connection) reaches
// the right server — and nothing at all when the client holds none.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "sluice/config/proxy_config.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::runtime {

struct CancelKey {
  std::uint32_t process_id = 0;
  std::uint32_t secret_key = 0;
};

// Where a cancel for one client must go; written by its session, read by cancellers. A
// front end may derive what its own protocol's cancel needs more (session/mysql/my_kill_routing).
class CancelTarget {
 public:
  virtual ~CancelTarget() = default;
  struct Backend {
    std::string host;
    std::uint16_t port = 0;
    std::uint32_t process_id = 0;
    std::uint32_t secret_key = 0;
    // tls.server of the backend's connection (PostgreSQL): the cancel connection gets the same.
    config::ServerTlsMode tls_mode = config::ServerTlsMode::disable;
    net::TlsContextPtr tls_context;
  };
  void set(std::optional<Backend> backend) {
    std::lock_guard lock(mutex_);
    backend_ = std::move(backend);
  }
  std::optional<Backend> get() const {
    std::lock_guard lock(mutex_);
    return backend_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<Backend> backend_;
};

class CancelRegistry {
 public:
  // Issues a fresh, unguessable key for a new client; its process id is unique among the
  // registered ones (MySQL clients know only that half: their handshake's connection id).
  CancelKey add(std::shared_ptr<CancelTarget> target);
  void remove(const CancelKey& key);
  std::shared_ptr<CancelTarget> find(const CancelKey& key) const;
  // By the process id alone: for MySQL's KILL <connection id>, whose callers the front end
  // checks itself (same user).
  std::shared_ptr<CancelTarget> find_by_process_id(std::uint32_t process_id) const;

 private:
  struct Entry {
    std::uint32_t secret_key = 0;
    std::shared_ptr<CancelTarget> target;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, Entry> targets_;  // by process id
};

// Registers on construction, unregisters on destruction.
class CancelRegistration {
 public:
  CancelRegistration(CancelRegistry& registry, std::shared_ptr<CancelTarget> target)
      : registry_(registry), key_(registry.add(std::move(target))) {}
  ~CancelRegistration() { registry_.remove(key_); }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;
  const CancelKey& key() const { return key_; }

 private:
  CancelRegistry& registry_;
  CancelKey key_;
};

}  // namespace sluice::runtime
