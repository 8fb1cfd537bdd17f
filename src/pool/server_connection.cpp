#include "sluice/pool/server_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sluice/net/drain_aware_ops.hpp"

namespace sluice::pool {

// An idle backend must have nothing to say: bytes (pg_terminate_backend's FATAL) or EOF mean it
// is gone. When its last answer drained the socket and the reactor has seen no event since, it
// has not (as far as the reactor last polled: PgBouncer trusts its event loop the same way);
// else one non-blocking peek asks the kernel.
bool ServerConnection::looks_alive() {
  if (!socket().is_open()) return false;
  if (net::known_drained(socket())) return true;
  char byte;
  const auto received = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool ServerConnection::move_to(const WorkerExecutor& executor) {
  auto& socket = stream_.socket();
  if (!socket.is_open() || socket.get_executor() == executor) return true;
  error_code error;
  // The address family: from where it logged in (no getsockname), else asked of the socket.
  const auto protocol = remote_endpoint_.port() != 0 ? remote_endpoint_.protocol() : socket.local_endpoint(error).protocol();
  if (error) {
    socket.close(error);
    return false;
  }
  // release() deregisters the descriptor from the old worker's reactor without closing it;
  // assign() registers it with the new one. Two epoll_ctl calls, paid only when a backend
  // changes worker (acquire prefers one already on the session's worker). The socket object
  // stays where it is, so a TLS layer over it (BackendStream) keeps working; only that
  // layer's internal timers, used when a read and a write wait on each other, stay on the
  // first worker (Asio hands their completions over: correct, a cross-thread post).
  const auto descriptor = socket.release(error);
  if (error) {
    socket.close(error);
    return false;
  }
  WorkerSocket moved(executor);
  moved.assign(protocol, descriptor, error);
  if (error) {
    ::close(descriptor);
    socket = WorkerSocket(executor);
    return false;
  }
  socket = std::move(moved);
  return true;
}

}  // namespace sluice::pool
