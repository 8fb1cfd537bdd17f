#pragma once
// Accepts client connections on one address, each onto the next I/O worker: everything its
// session does runs on that worker's one thread, with no strand and no locks on the data path.
#include <functional>
#include <memory>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"
#include "sluice/net/io_workers.hpp"

namespace sluice::net {

class Listener {
 public:
  using OnAccept = std::function<void(WorkerSocket)>;  // on the worker it was accepted onto

  // Binds and listens at once, so a bad address fails at startup; throws on error.
  // The acceptor runs on workers.main().
  Listener(IoWorkers& workers, const config::ListenAddress& address, OnAccept on_accept);

  void start();
  void stop();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  awaitable<void> accept_loop();

  IoWorkers& workers_;
  tcp::acceptor acceptor_;
  OnAccept on_accept_;
};

}  // namespace sluice::net
