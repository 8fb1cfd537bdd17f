#pragma once
// Every connected client, for the janitor (timeouts), the drain, the admin console and
// the metrics. Sessions register a handle; readers get snapshots, never session internals.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"

namespace sluice::runtime {

enum class ClientState {
  login,    // startup and authentication
  idle,     // logged in, holds no backend (or, in session mode, sits idle on one)
  waiting,  // queued for a backend
  active,   // holds a backend
};
const char* to_string(ClientState state);

struct ClientSnapshot {
  std::uint64_t id = 0;
  std::string protocol;  // "postgres" | "mysql"
  std::string user, database, application_name;
  std::string address;
  std::uint16_t port = 0;
  ClientState state = ClientState::login;
  std::chrono::system_clock::time_point connected_at;
  TimePoint state_since;            // when it entered `state`
  TimePoint transaction_since;      // TimePoint{} when not in a transaction
  std::uint64_t server_id = 0;      // the backend it holds, 0 if none
  std::uint32_t server_process_id = 0;
  std::uint32_t prepared_statements = 0;  // the client's own, as of its last transaction
  std::string pinned;  // why it keeps its backend between transactions ("listen", ...); empty if it does not
  std::string tls;     // "TLSv1.3/TLS_AES_256_GCM_SHA384" over TLS; empty in plain text
};

// What the janitor and the drain need from a session; implemented per protocol.
// Listed in the ClientRegistry through the hook it carries (16 bytes, no node allocated per
// client): the registry's lock guards the links. A session unlists itself (remove) before it
// goes; the hook's own unlink on destruction is for handles that never do (tests' fakes).
using RegistryHook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
class ClientHandle : public RegistryHook {
 public:
  virtual ~ClientHandle() = default;
  virtual ClientSnapshot snapshot() const = 0;
  // Called by the janitor from any thread; the session acts on its own worker.
  virtual void check_timeouts(TimePoint now) = 0;
  // Asks the client to leave: at once when idle, after its transaction otherwise.
  virtual void request_stop(Failure reason) = 0;
  // Disconnects now (KILL), whatever the client is doing; its backend is cancelled and closed.
  virtual void kill(Failure reason) = 0;
  // Cancels the client's running statement (a MySQL client's KILL QUERY from another
  // connection): from any thread; the session acts on its own worker, and a statement still
  // queued for a backend is cancelled when it starts.
  virtual void cancel_requested() {}
  // A counted reference, or null if the client is already going away.
  virtual std::shared_ptr<ClientHandle> shared_handle() = 0;
};

// Sessions add themselves when they start and remove themselves before they are destroyed,
// so the raw pointers here are valid while the registry's lock is held.
class ClientRegistry {
 public:
  // Lists the client (in connection order) and returns its id for SHOW CLIENTS.
  std::uint64_t add(ClientHandle* client);
  // Unlists it; again is harmless. A client must be unlisted before it is destroyed.
  void remove(ClientHandle& client);
  std::vector<std::shared_ptr<ClientHandle>> clients() const;

  // Visits every client under the lock: cheap enough for a sweep over 100,000 idle
  // clients (no reference counting). `visit` must not call back into the registry.
  template <class Visit>
  void for_each(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (auto& client : clients_) visit(client);
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  // The clients themselves: listing one allocates nothing (auto_unlink hooks need a list that
  // does not keep a count).
  mutable boost::intrusive::list<ClientHandle, boost::intrusive::constant_time_size<false>> clients_;
};

}  // namespace sluice::runtime
