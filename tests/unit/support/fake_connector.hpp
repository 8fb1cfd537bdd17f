// A ServerConnector that opens nothing: no sockets, no server. Pools and session cores under
// test hand out its connections like real ones.
#pragma once

#include <memory>

#include "sluice/pool/server_pool.hpp"

namespace sluice::testing {

// No socket behind it: alive as long as the test says so.
class FakeConnection : public pool::ServerConnection {
 public:
  using pool::ServerConnection::ServerConnection;
  bool looks_alive() override { return true; }
};

class FakeConnector : public pool::ServerConnector {
 public:
  std::unique_ptr<pool::ServerConnection> create(WorkerExecutor executor) override {
    return std::make_unique<FakeConnection>(std::move(executor));
  }
  awaitable<Status> open(pool::ServerConnection&) override {
    ++opened;
    if (fail_next) {
      fail_next = false;
      co_return Failure{"server_connect_failed", "08001", "could not connect to server"};
    }
    co_return ok_status();
  }
  awaitable<bool> check(pool::ServerConnection&) override {
    ++checked;
    co_return check_passes;
  }
  pool::TargetChange retarget(const pool::ServerConnector&) override { return {}; }
  int opened = 0;
  int checked = 0;
  bool fail_next = false;
  bool check_passes = true;
};

}  // namespace sluice::testing
