#pragma once
// What every session shares: the current config snapshot, the pools, the cancel keys
// and the client caps. Owned by the app layer; sessions hold a reference.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/auth/credential.hpp"
#include "sluice/config/proxy_config.hpp"
#include "sluice/core/string_interner.hpp"
#include "sluice/metrics/event_metrics.hpp"
#include "sluice/net/tls_context.hpp"
#include "sluice/pool/pool_registry.hpp"
#include "sluice/runtime/cancel_registry.hpp"
#include "sluice/runtime/client_registry.hpp"
#include "sluice/runtime/credential_lookup.hpp"

namespace sluice::runtime {

// A config snapshot plus what is derived from it once per load (SCRAM secrets for
// plain-text passwords cost a PBKDF2 each: never per login).
struct RuntimeConfig {
  std::shared_ptr<const config::ProxyConfig> config;
  std::map<std::string, auth::Credential, std::less<>> credentials;
};

std::shared_ptr<const RuntimeConfig> make_runtime_config(std::shared_ptr<const config::ProxyConfig> config);

class ConfigStore {
 public:
  explicit ConfigStore(std::shared_ptr<const RuntimeConfig> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const RuntimeConfig> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void install(std::shared_ptr<const RuntimeConfig> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const RuntimeConfig> current_;
};

// Client session counts for max_client_connections (global, per user and per database). Exact
// across threads.
class ClientLimits {
 public:
  class Ticket;
  // Counts a client of `user` on `database` in, or says which cap refused it.
  std::optional<std::string> admit(const config::ProxyConfig& config, const std::string& user,
                                   const std::string& database, Ticket& ticket);
  int total() const { return total_.load(); }

  class Ticket {
   public:
    Ticket() = default;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    void release();  // gives the place back, if it holds one
    using PerName = std::map<std::string, int, std::less<>>;  // clients per user or database name

   private:
    friend class ClientLimits;
    ClientLimits* limits_ = nullptr;
    // The user's and the database's entries: each stays in its map while any ticket holds it
    // (count > 0).
    PerName::iterator user_;
    PerName::iterator database_;
  };

 private:
  void leave(Ticket& ticket);
  std::atomic<int> total_{0};
  std::mutex mutex_;
  Ticket::PerName per_user_;
  Ticket::PerName per_database_;
};

// What a reload of the config file did.
struct ReloadResult {
  std::vector<std::string> errors;  // "PATH:LINE:COL: message"; empty when the file was applied
  bool applied() const { return errors.empty(); }
};

std::array<std::uint8_t, 32> random_mock_auth_key();

// The server version MySQL clients are greeted with: the one the last backend newly seen by a
// session announced (drivers choose features by it). Empty until a backend has been seen.
class ServerVersionNote {
 public:
  void note(std::string_view version) {
    std::lock_guard lock(mutex_);
    version_ = version;
  }
  std::string current() const {
    std::lock_guard lock(mutex_);
    return version_;
  }

 private:
  mutable std::mutex mutex_;
  std::string version_;
};

// Daemon-wide actions the admin console may trigger; implemented by the app layer.
class ProxyControl {
 public:
  virtual ~ProxyControl() = default;
  virtual ReloadResult reload() = 0;  // an invalid file changes nothing: the running config stays
  virtual void shutdown() = 0;        // as SIGTERM: drain, then exit
};

struct ProxyContext {
  ConfigStore& config;
  pool::PoolRegistry& pools;
  CancelRegistry& cancels;
  ClientLimits& clients;
  ClientRegistry& registry;
  ProxyControl& control;
  // Waits, transaction times, disconnect reasons, reloads. Contexts built without one
  // (unit tests) record into a process-wide instance nobody exports.
  metrics::EventMetrics& metrics = metrics::EventMetrics::unexported();
  std::atomic<bool> shutting_down{false};
  // Sluice's TLS server context towards clients (tls.client), rebuilt on reload: a session
  // takes current() when its client asks for TLS. Empty while tls.client.mode is disable.
  net::TlsContextSlot client_tls{};
  // What idle clients share instead of each holding a copy (PostgreSQL's reported parameters).
  core::StringInterner shared_strings{};
  // auth_query for users not in `users`; null (unit tests) = only `users` can log in.
  CredentialLookup* credential_lookup = nullptr;
  ServerVersionNote mysql_server_version{};
  // Random per process: what mock authentication of unknown users is derived from.
  const std::array<std::uint8_t, 32> mock_auth_key = random_mock_auth_key();
};

}  // namespace sluice::runtime
