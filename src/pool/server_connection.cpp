#include "sluice/pool/server_connection.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace sluice::pool {

bool ServerConnection::looks_alive() {
  if (!socket().is_open()) return false;
  char byte;
  const auto received = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace sluice::pool
