#pragma once
// Where parked client sockets wait: one epoll set per I/O worker, itself watched by a single
// Asio wait. A socket handed here has been released from Asio's reactor, so a parked client
// costs Asio nothing — no per-descriptor state (168 bytes) and no pending wait operation
// (~190 bytes) — only its entry in the kernel's epoll set. Clients park after a second of
// idleness, never on the hot path, so the epoll_ctl calls of parking and waking cost nothing
// that matters.
//
// An Asio service of the worker's io_context: one thread runs each worker, and sessions park
// and wake on their own worker only, so the watcher needs no lock.
#include <boost/asio/posix/stream_descriptor.hpp>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"

namespace sluice::net {

// A socket waiting in an IdleWatcher, as a base of its owner. Intrusive (the watcher's list runs
// through it), so parking allocates nothing.
class IdleWait {
 public:
  IdleWait() = default;
  IdleWait(const IdleWait&) = delete;
  IdleWait& operator=(const IdleWait&) = delete;

  bool watched() const { return fd_ >= 0; }

 protected:
  ~IdleWait();
  // On the worker: the socket is readable (bytes, a hang-up, a reset), or the worker is shutting
  // down (`fd` is then closed right after). `fd` is the caller's again.
  virtual void idle_ready(int fd, bool shutting_down) = 0;

 private:
  friend class IdleWatcher;
  IdleWait* prev_ = nullptr;
  IdleWait* next_ = nullptr;
  int fd_ = -1;  // the released socket while watched
};

class IdleWatcher : public asio::execution_context::service {
 public:
  using key_type = IdleWatcher;
  static asio::execution_context::id id;

  explicit IdleWatcher(asio::execution_context& context);
  ~IdleWatcher() override;

  // The watcher of the worker `executor` runs on (IoWorkers makes one per worker at start).
  static IdleWatcher& of(const WorkerExecutor& executor);

  // Watches `fd` (released from Asio, owned by the watcher until it is given back) for
  // readability; `wait.idle_ready` is called once, on this worker. On failure the fd is still
  // the caller's.
  Status watch(IdleWait& wait, int fd);
  // Stops watching before the socket spoke: the fd is the caller's again (-1 if not watched).
  int unwatch(IdleWait& wait);

 private:
  void shutdown() override;
  void link(IdleWait& wait);
  void unlink(IdleWait& wait);
  void arm();
  void on_readable();

  asio::posix::stream_descriptor epoll_;  // the epoll set, inside the worker's reactor
  IdleWait* head_ = nullptr;
  bool armed_ = false;
};

}  // namespace sluice::net
