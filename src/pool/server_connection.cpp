#include "sluice/pool/server_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::pool {

bool ServerConnection::looks_alive() {
  if (!socket_.is_open()) return false;
  char byte;
  const auto received = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool ServerConnection::move_to(const asio::any_io_executor& executor) {
  if (!socket_.is_open() || socket_.get_executor() == executor) return true;
  error_code error;
  const auto protocol = socket_.local_endpoint(error).protocol();
  if (error) {
    socket_.close(error);
    return false;
  }
  // release() deregisters the descriptor from the old worker's reactor without closing it;
  // assign() registers it with the new one. Two epoll_ctl calls, paid only when a backend
  // changes worker (acquire prefers one already on the session's worker).
  const auto descriptor = socket_.release(error);
  if (error) {
    socket_.close(error);
    return false;
  }
  tcp::socket moved(executor);
  moved.assign(protocol, descriptor, error);
  if (error) {
    ::close(descriptor);
    socket_ = tcp::socket(executor);
    return false;
  }
  socket_ = std::move(moved);
  return true;
}

}  // namespace sluice::pool
