#include "sluice/net/idle_watcher.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sluice::net {

namespace {
// Events taken per epoll_wait; more are taken by the next call in the same turn.
constexpr int kBatch = 64;

int make_epoll_set() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  return fd;
}
}  // namespace

asio::execution_context::id IdleWatcher::id;

IdleWait::~IdleWait() {
  // Only reached watched if the watcher never ran (its worker stopped first): the fd is ours.
  if (fd_ >= 0) ::close(fd_);
}

IdleWatcher::IdleWatcher(asio::execution_context& context)
    : asio::execution_context::service(context),
      epoll_(static_cast<asio::io_context&>(context), make_epoll_set()) {}

IdleWatcher::~IdleWatcher() = default;

IdleWatcher& IdleWatcher::of(const WorkerExecutor& executor) {
  return asio::use_service<IdleWatcher>(asio::query(executor, asio::execution::context));
}

Status IdleWatcher::watch(IdleWait& wait, int fd) {
  // Level-triggered: bytes that arrived before the wait began wake it at once. EPOLLRDHUP: a
  // client that hangs up is noticed and its session ends, as with Asio's own wait.
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.ptr = &wait;
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return Failure{"idle_watch_failed", "", std::string("epoll_ctl: ") + std::strerror(errno)};
  }
  wait.fd_ = fd;
  link(wait);
  arm();
  return ok_status();
}

int IdleWatcher::unwatch(IdleWait& wait) {
  if (wait.fd_ < 0) return -1;
  const int fd = wait.fd_;
  ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
  wait.fd_ = -1;
  unlink(wait);
  return fd;
}

void IdleWatcher::link(IdleWait& wait) {
  wait.prev_ = nullptr;
  wait.next_ = head_;
  if (head_) head_->prev_ = &wait;
  head_ = &wait;
}

void IdleWatcher::unlink(IdleWait& wait) {
  if (wait.prev_) wait.prev_->next_ = wait.next_;
  else head_ = wait.next_;
  if (wait.next_) wait.next_->prev_ = wait.prev_;
  wait.prev_ = wait.next_ = nullptr;
}

// One Asio wait on the epoll set while anything is parked. Asio re-registers the set with
// EPOLL_CTL_MOD for each wait, which reports events that came in after the last drain.
void IdleWatcher::arm() {
  if (armed_ || !head_ || !epoll_.is_open()) return;
  armed_ = true;
  epoll_.async_wait(asio::posix::stream_descriptor::wait_read, [this](error_code error) {
    armed_ = false;
    if (error == asio::error::operation_aborted) return;  // shutting down
    on_readable();
    arm();
  });
}

void IdleWatcher::on_readable() {
  std::array<epoll_event, kBatch> events;
  for (;;) {
    const int ready = ::epoll_wait(epoll_.native_handle(), events.data(), kBatch, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    for (int i = 0; i < ready; ++i) {
      auto& wait = *static_cast<IdleWait*>(events[i].data.ptr);
      // The session may destroy itself in idle_ready, so nothing of it is touched after; and a
      // wait woken earlier in this batch cannot be in it twice (it was removed from the set).
      const int fd = unwatch(wait);
      if (fd >= 0) wait.idle_ready(fd, false);
    }
    if (ready < kBatch) return;
  }
}

// The worker's io_context is going away: every parked session is told, and closes.
void IdleWatcher::shutdown() {
  while (head_) {
    auto& wait = *head_;
    const int fd = unwatch(wait);
    wait.idle_ready(fd, true);
  }
  error_code ignored;
  epoll_.close(ignored);
}

}  // namespace sluice::net
