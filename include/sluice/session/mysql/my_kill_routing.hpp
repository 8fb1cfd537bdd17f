#pragma once
// A MySQL client's own KILL: drivers (Connector/J's cancel() and setQueryTimeout, mysql_kill)
// send `KILL QUERY <id>` / `KILL <id>` on a new connection, with the connection id Sluice gave
// the client in its handshake. Through a pooler that number names no backend thread, so Sluice
// answers every KILL itself: the id is looked up in the cancel registry, the caller must be the
// same user (as MariaDB requires without the CONNECTION ADMIN privilege), and
//   KILL QUERY id      → that client's session cancels its own statement, on its worker, as a
//                        PostgreSQL CancelRequest does (ClientSession::cancel_requested): KILL
//                        QUERY <backend thread> on a side connection while the statement runs,
//                        the backend held until it is delivered; a statement queued for a
//                        backend is cancelled when it starts; nothing between statements;
//   KILL [CONNECTION] id → that client's session ends (its backend is cancelled and closed).
// A KILL never reaches a backend as it was sent: a number from CONNECTION_ID() would name a
// backend serving other clients too.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/core/asio.hpp"
#include "sluice/core/small_mutex.hpp"
#include "sluice/protocol/mysql/kill_statement.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/runtime/cancel_registry.hpp"
#include "sluice/runtime/client_registry.hpp"
#include "sluice/session/backend_target.hpp"

namespace sluice::session {

// What a KILL from another connection needs of one MySQL session; written by the session,
// read by killers on any thread.
class MyKillTarget : public runtime::CancelTarget {
 public:
  // Once logged in: who may kill it, and the session a KILL ends or cancels. The PostgreSQL
  // route of the base stays empty, so a CancelRequest naming a MySQL client finds nothing.
  void set_owner(std::string user, std::weak_ptr<runtime::ClientHandle> client);

  std::string user() const;
  std::shared_ptr<runtime::ClientHandle> client() const;

 private:
  mutable core::SmallMutex mutex_;
  std::string user_;  // empty until logged in: nobody may kill it yet
  std::weak_ptr<runtime::ClientHandle> client_;
};

// The caller of a KILL, for the lookup and its answer.
struct KillCaller {
  runtime::CancelRegistry& registry;
  std::string user;
  std::uint32_t own_connection_id = 0;
};

// Acts on `kill` (the target's session does the work, in the background) and returns the client's
// answer: nullopt for OK, else the ERR (1094 unknown thread, 1095 not its owner, 1235 a form
// that names no connection).
std::optional<mysql::ErrPacket> route_kill(const mysql::KillStatement& kill, const KillCaller& caller);

// KILL QUERY <thread_id> on a connection of its own to `target`'s server, as the backend's
// user (who may kill its own threads).
awaitable<void> kill_query(WorkerExecutor executor, std::shared_ptr<const BackendTarget> target,
                           std::uint32_t thread_id);

}  // namespace sluice::session
