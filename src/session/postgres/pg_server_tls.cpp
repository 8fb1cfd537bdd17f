#include "sluice/session/postgres/pg_server_tls.hpp"

#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::session {

namespace {
constexpr char kTlsAccepted = 'S';
constexpr char kTlsRefused = 'N';

// SSLRequest; the answer is one unencrypted byte.
awaitable<Expected<char>> ask_for_tls(WorkerSocket& socket, const BackendTarget& target) {
  std::string request;
  pg::write_ssl_request(request);
  auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(request), use_nothrow);
  if (write_error) co_return backend_tls_failure(target, "SSLRequest not sent: " + write_error.message());
  char answer = 0;
  auto [read_error, read] = co_await asio::async_read(socket, asio::buffer(&answer, 1), use_nothrow);
  if (read_error) co_return backend_tls_failure(target, "no answer to SSLRequest: " + read_error.message());
  co_return answer;
}
}  // namespace

awaitable<Expected<BackendTlsOutcome>> negotiate_backend_tls(net::BackendStream& stream, const BackendTarget& target) {
  if (!wants_backend_tls(target)) co_return BackendTlsOutcome{};
  auto answer = co_await ask_for_tls(stream.socket(), target);
  if (!answer) co_return answer.failure();
  if (*answer == kTlsRefused) {
    if (target.tls_mode == config::ServerTlsMode::prefer) co_return BackendTlsOutcome{};
    co_return backend_tls_failure(target, "server does not support TLS (tls.server.mode " +
                                              std::string(config::to_string(target.tls_mode)) + ")");
  }
  if (*answer != kTlsAccepted) co_return backend_tls_failure(target, "unexpected answer to SSLRequest");
  co_return co_await handshake_backend_tls(stream, target);
}

}  // namespace sluice::session
