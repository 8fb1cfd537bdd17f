#pragma once
// Accepts client connections on one address. Each accepted socket gets its own strand:
// everything a session does runs serialized there, with no locks on the data path.
#include <functional>
#include <memory>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"

namespace sluice::net {

class Listener {
 public:
  using OnAccept = std::function<void(tcp::socket)>;

  // Binds and listens at once, so a bad address fails at startup; throws on error.
  Listener(asio::io_context& io, const config::ListenAddress& address, OnAccept on_accept);

  void start();
  void stop();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  awaitable<void> accept_loop();

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  OnAccept on_accept_;
};

}  // namespace sluice::net
