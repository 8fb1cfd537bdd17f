#pragma once
// The seam between ClientSession (the protocol-neutral core of one client's life) and one
// wire protocol's front end. The core owns the socket, the lease, the clock, the limits and
// every release decision; the front end logs the client in, scans the bytes both ways,
// brings a backend to the client's session, settles it, cancels statements and writes errors
// in its own protocol. PostgreSQL's is session/postgres/PgFrontend; MySQL's comes next.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/rest_point.hpp"
#include "sluice/session/session_core.hpp"

namespace sluice::session {

enum class LoginOutcome {
  client,         // logged in and in a pool: the core relays its traffic
  admin_console,  // the admin console: the front end serves it
  finished,       // nothing more to do (a cancel request was served)
};

// One read of client bytes, as the front end scanned them.
struct ClientScan {
  std::size_t relay_end = 0;        // relay the buffer's bytes [0, relay_end) now
  bool terminate = false;           // the client said goodbye; its goodbye is not relayed
  bool round_trip_started = false;  // a request began while none was in flight: the statement clock starts
  // A message the front end must have whole before it goes on (it rewrites it) is incomplete:
  // the core keeps the bytes from relay_end on, in a buffer of at least this many bytes.
  std::size_t hold_for = 0;
  std::optional<Failure> error;     // malformed: the session ends with it
  // The front end answered this read itself (a statement refused by session_state: error):
  // write this to the client; none of the read's bytes is relayed.
  std::string local_reply;
  bool answered_locally = false;  // as local_reply, for a command that gets no answer (COM_STMT_CLOSE)
};

// Client bytes on their way to the backend, as the front end rewrote them (renamed prepared
// statements, statements prepared again on this backend, replies it makes itself).
struct OutgoingBytes {
  bool rewritten = false;  // send `to_server` instead of the client's bytes
  std::string to_server;
  std::string to_client;  // due now: written after everything already relayed to the client
  std::optional<Failure> error;  // something Sluice refuses: the session ends with it
};

// One read of server bytes, as the front end scanned them.
struct ServerScan {
  bool round_trip_completed = false;  // the last request in flight was fully answered
  bool replaced = false;              // send `replacement` instead of the bytes read
  std::string replacement;
  std::optional<Failure> error;       // the backend broke the protocol: it is treated as lost
};

// Prepared statements a front end saw since the core last asked (pool::PoolStats has their meaning).
// Per lease (the core adds them to 64-bit pool totals when it takes them, and when the client
// parks after a second's pause): 32 bits, since every idle client carries one; only a lease of
// over four billion statements without a pause would wrap.
struct StatementCounts {
  std::uint32_t client_parses = 0;
  std::uint32_t server_parses = 0;
  std::uint32_t binds = 0;
};

// What the core asks of a backend while settling a leaving client's lease.
enum class SettleQuery {
  roll_back,  // end the open transaction
  reset,      // session mode: server_reset_query (PostgreSQL) / COM_RESET_CONNECTION (MySQL)
};

class Frontend {
 public:
  virtual ~Frontend() = default;
  virtual const char* protocol() const = 0;  // "postgres" | "mysql": snapshots, logs, metrics

  // From the first byte to "ready for queries" (the core bounds it by client_login_timeout).
  virtual awaitable<Expected<LoginOutcome>> log_in() = 0;
  virtual awaitable<Status> serve_admin_console() = 0;

  // New client bytes buffer[held, held + received); bytes before `held` were kept from the
  // last read (an incomplete header). The front end decides how much is whole enough to relay.
  virtual ClientScan scan_client(std::span<const std::uint8_t> buffer, std::size_t held, std::size_t received) = 0;
  virtual ServerScan scan_server(std::span<const std::uint8_t> chunk) = 0;
  // Each range scan_client said to relay, in order, once a backend is attached to it.
  virtual OutgoingBytes rewrite_outgoing(std::span<const std::uint8_t>) { return {}; }
  // Just before rewrite_outgoing: commands of the front end's own that the range needs on this
  // backend first (MySQL: preparing a client's statement again inside a transaction). Their
  // answers arrive through scan_server, which keeps them from the client.
  // Asked first, so a front end with nothing to do costs no coroutine on the hot path.
  virtual bool wants_before_forward() const { return false; }
  virtual awaitable<Status> before_forward(std::span<const std::uint8_t>) { co_return ok_status(); }
  // Where the client's and the server's bytes leave them waiting for Sluice (net::RestPoint):
  // the relay's reads then spare the next wait a system call. Null: not known.
  virtual net::RestPoint client_rest_point() const { return {}; }
  virtual net::RestPoint server_rest_point() const { return {}; }
  // The backend's state for this client, as SessionCore's decisions read it.
  virtual WorkState work_state() const = 0;
  // The client has been idle a while (SessionClock::kTrimAfterMs): drop what only a busy
  // client needs and is made again on demand (readers, scratch space).
  virtual void trim_idle() {}
  // Counted per message by the front end, collected by the core once per lease.
  virtual StatementCounts take_statement_counts() { return {}; }
  // The prepared statements this client has defined and not closed (SHOW CLIENTS).
  virtual std::size_t prepared_statement_count() const { return 0; }

  // A fresh lease: make the backend look like this client's own session. What needs no round
  // trip is done at once; true when that was all (the usual lease: the backend served this
  // client last, or one with the same settings), so no coroutine runs per transaction. False:
  // the core then co_awaits prepare_backend() for the round trips.
  virtual bool prepare_backend_at_once() = 0;
  virtual awaitable<Status> prepare_backend() = 0;
  // The lease is gone (released or discarded): forget what was per-backend.
  virtual void backend_detached() = 0;
  // True if the backend is at rest afterwards; false: the core closes it.
  virtual awaitable<bool> settle(SettleQuery query) = 0;
  // Asks the backend to stop the running statement, on a side connection; completes once the
  // server has acted on it (or given up).
  virtual awaitable<void> cancel_statement() = 0;
  // statement_timeout fired: the server's cancel error that follows is ours to explain.
  virtual void statement_timed_out() = 0;

  // The client's error, in its protocol (`fatal`: the session ends after it).
  virtual awaitable<void> write_error(const Failure& failure, bool fatal) = 0;
};

}  // namespace sluice::session
