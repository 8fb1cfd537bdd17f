#pragma once
// A backend connection as the pool sees it: a stream (plain or TLS) plus lifecycle bookkeeping.
// Protocol front ends derive from it to keep their own per-backend data
// (PostgreSQL: BackendKeyData and ParameterStatus; MySQL: the connection id).
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/backend_stream.hpp"

namespace sluice::pool {

// Every backend is in exactly one state and sits in that state's list in its pool.
enum class ServerState {
  connecting,  // TCP connect and login in progress (counted against the caps)
  idle,        // logged in, unused, ready to hand out
  active,      // held by exactly one client session through a Lease
};

const char* to_string(ServerState state);

class ServerConnection {
 public:
  explicit ServerConnection(WorkerExecutor executor) : stream_(std::move(executor)) {}
  virtual ~ServerConnection() = default;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Bytes go through stream() (TLS when negotiated); socket() is the TCP socket under it.
  net::BackendStream& stream() { return stream_; }
  WorkerSocket& socket() { return stream_.socket(); }
  ServerState state() const { return state_; }
  std::uint64_t id() const { return id_; }
  TimePoint created_at() const { return created_at_; }
  TimePoint last_used_at() const { return last_used_at_; }

  // False if the peer closed the connection or sent something while it sat idle.
  virtual bool looks_alive();

  // Moves the socket onto the I/O worker of `executor` (the leasing session's), so that every
  // operation on it runs on that worker's one thread: sockets are never shared between two
  // io_contexts. A no-op when it is already there. Only while no operation is pending on it
  // (the pool calls it on a backend nobody else holds). False if the move failed: the socket
  // is closed then and the caller treats the backend as dead.
  bool move_to(const WorkerExecutor& executor);

  // Called just before the pool closes the socket: a protocol may say goodbye
  // (PostgreSQL Terminate) so the server logs a clean disconnect. Must not block.
  virtual void say_goodbye() {}
  // The server's own id for this connection (PostgreSQL: the backend pid), 0 if unknown.
  // For SHOW SERVERS; read only once the connection has logged in.
  virtual std::uint32_t remote_process_id() const { return 0; }

  // How many prepared statements Sluice keeps on this backend for its clients (SHOW SERVERS):
  // set by the leasing session's front end when it gives the backend back, read by the pool's
  // snapshot from any thread.
  void note_prepared_statements(std::size_t count) {
    prepared_statements_.store(static_cast<std::uint32_t>(count), std::memory_order_relaxed);
  }
  std::uint32_t prepared_statements() const { return prepared_statements_.load(std::memory_order_relaxed); }

 private:
  friend class ServerPool;
  net::BackendStream stream_;
  ServerState state_ = ServerState::connecting;
  std::uint64_t id_ = 0;
  TimePoint created_at_ = Clock::now();
  TimePoint last_used_at_ = created_at_;
  TimePoint expires_at_ = TimePoint::max();  // server_lifetime, with jitter
  tcp::endpoint remote_endpoint_;  // where it logged in (a reload may have moved the pool since)
  std::string tls_;                // its TLS version and cipher, set at login (empty in plain text)
  std::uint64_t generation_ = 0;
  std::atomic<std::uint32_t> prepared_statements_{0};
  std::list<std::unique_ptr<ServerConnection>>::iterator position_;
};

// What a reload changed in where and how a connector opens backends (ServerConnector::retarget).
struct TargetChange {
  // Another server or another login (address, database, user, password): the backends
  // already open belong to the old one and are recycled.
  bool backend = false;
  // Only how backends are opened or checked (server_connect_timeout, server_check_query):
  // the next open() and check() use it, open backends stay.
  bool settings = false;
  std::string summary;  // for the log: the fields that changed, never a password's value
};

// Protocol-specific part of opening a backend: the pool decides when, the connector knows how.
class ServerConnector {
 public:
  virtual ~ServerConnector() = default;
  virtual std::unique_ptr<ServerConnection> create(WorkerExecutor executor) = 0;
  // TCP connect and log in, within server_connect_timeout.
  virtual awaitable<Status> open(ServerConnection& connection) = 0;
  // server_check_delay: is a backend that sat idle a while still alive? (false: close it)
  virtual awaitable<bool> check(ServerConnection& connection) = 0;
  // Reload. `fresh` is what the pool's ConnectorFactory built from the new config (always the
  // same concrete type as this one): from now on open() and check() use its target. Only the
  // connector can tell what changed, because only it knows what a target is; backends already
  // open are left alone, and the pool decides their fate from the answer.
  virtual TargetChange retarget(const ServerConnector& fresh) = 0;
};

}  // namespace sluice::pool
