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
#include <utility>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/small_mutex.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::runtime {

struct CancelKey {
  std::uint32_t process_id = 0;
  std::uint32_t secret_key = 0;
};

// Where a cancel for one client must go; written by its session, read by cancellers. A
// front end may derive what its own protocol's cancel needs more (session/mysql/my_kill_routing).
// Every idle client has one, so it is small: a 4-byte lock and a pointer to a route that its
// backend made once when it logged in (a lease copies a pointer, not the server's address).
class CancelTarget {
 public:
  virtual ~CancelTarget() = default;
  // A PostgreSQL backend's CancelRequest route.
  struct Backend {
    std::string host;
    std::uint16_t port = 0;
    std::uint32_t process_id = 0;
    std::uint32_t secret_key = 0;
    // tls.server of the backend's connection (PostgreSQL): the cancel connection gets the same.
    config::ServerTlsMode tls_mode = config::ServerTlsMode::disable;
    net::TlsContextPtr tls_context;
  };
  // The backend the client holds now; null when it holds none.
  void set(std::shared_ptr<const Backend> backend) {
    std::unique_lock lock(mutex_);
    backend_.swap(backend);
    lock.unlock();  // the old route, if this was its last owner, is freed outside the lock
  }
  std::shared_ptr<const Backend> get() const {
    std::lock_guard lock(mutex_);
    return backend_;
  }
  // The client's own cancel request (PostgreSQL's CancelRequest), from any thread. A session
  // overrides it to act on its own worker, where it knows whether its statement still runs on
  // this backend; the base sends nothing.
  virtual void request_cancel() {}

 private:
  mutable core::SmallMutex mutex_;
  std::shared_ptr<const Backend> backend_;
};

class CancelRegistry {
 public:
  // Issues a fresh, unguessable key for a new client; its process id is unique among the
  // registered ones (MySQL clients know only that half: their handshake's connection id).
  // The registry does not keep a target alive: a session owns its own (often inside itself), and
  // a lookup that finds its session gone finds nothing.
  CancelKey add(std::weak_ptr<CancelTarget> target);
  void remove(const CancelKey& key);
  std::shared_ptr<CancelTarget> find(const CancelKey& key) const;
  // By the process id alone: for MySQL's KILL <connection id>, whose callers the front end
  // checks itself (same user).
  std::shared_ptr<CancelTarget> find_by_process_id(std::uint32_t process_id) const;

 private:
  struct Entry {
    std::uint32_t secret_key = 0;
    std::weak_ptr<CancelTarget> target;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, Entry> targets_;  // by process id
};

// Registers on construction, unregisters on destruction (or when replaced); a default one
// holds nothing. 16 bytes, so a client need not wrap it in an optional.
class CancelRegistration {
 public:
  CancelRegistration() = default;
  CancelRegistration(CancelRegistry& registry, std::weak_ptr<CancelTarget> target)
      : registry_(&registry), key_(registry.add(std::move(target))) {}
  ~CancelRegistration() { reset(); }
  CancelRegistration(CancelRegistration&& other) noexcept
      : registry_(std::exchange(other.registry_, nullptr)), key_(other.key_) {}
  CancelRegistration& operator=(CancelRegistration&& other) noexcept {
    if (this != &other) {
      reset();
      registry_ = std::exchange(other.registry_, nullptr);
      key_ = other.key_;
    }
    return *this;
  }
  const CancelKey& key() const { return key_; }

 private:
  void reset() {
    if (registry_) registry_->remove(key_);
    registry_ = nullptr;
  }
  CancelRegistry* registry_ = nullptr;
  CancelKey key_;
};

}  // namespace sluice::runtime
