#pragma once
// The daemon's I/O threads: one io_context per worker, each run by exactly one thread.
// A client socket is accepted onto one worker (round robin) and its session lives there for
// good, so its coroutines never run at once and need no strand; a backend opened for it is
// created on the same worker, and moves to whichever worker leases it later
// (ServerConnection::move_to). Context 0 also runs the listeners, the janitor and signals.
#include <atomic>
#include <memory>
#include <vector>

#include "sluice/core/asio.hpp"

namespace sluice::net {

class IoWorkers {
 public:
  explicit IoWorkers(int count);
  IoWorkers(const IoWorkers&) = delete;
  IoWorkers& operator=(const IoWorkers&) = delete;

  asio::io_context& main() { return *contexts_.front(); }
  // The worker the next accepted client goes to.
  asio::io_context& next();
  int size() const { return static_cast<int>(contexts_.size()); }

  // Runs every worker (the caller's thread runs context 0) until stop(); then joins them.
  void run();
  void stop();
  // After run() returned: destroys every handler still pending (and the sessions they keep
  // alive) now, while the objects those sessions use still exist, instead of in the contexts'
  // destructors, which run after everything declared later than the workers is gone.
  void destroy_pending_handlers();

 private:
  // An io_context whose owner may run execution_context::shutdown() before destroying it.
  class Context : public asio::io_context {
   public:
    using asio::io_context::io_context;
    using asio::execution_context::shutdown;
  };

  std::vector<std::unique_ptr<Context>> contexts_;
  // Keep a worker's run() going while it has no session yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::atomic<unsigned> next_{0};
};

}  // namespace sluice::net
