#pragma once
// Two socket operations that spare Asio 1.24's reactor a system call per wait.
//
// Asio registers each socket edge-triggered and keeps, per socket and direction, a flag
// "an operation may succeed without waiting" (try_speculative_): set by every epoll event,
// cleared when an operation reports the socket "exhausted". A read only ever reports that at
// end of file, so every read starts with a recv() that fails with EAGAIN when the peer has not
// answered yet (the pump's first read of every lease), and a plain async_wait() always
// re-arms the registration with epoll_ctl (the client's buffer-less wait between messages).
//
// read_some_noting_drain() is a read that may also report a read as "exhausted", but only when
// two things hold. It was short: fewer bytes than asked means the receive queue held no more
// data at that instant, and data arriving later raises a new edge, whose event sets the flag
// again. And it ended where the peer waits for Sluice (`at_rest`, a protocol's test of the
// bytes: a PostgreSQL server's ReadyForQuery, a client's whole request): a short read does not
// see a FIN or RST that came right after the data (recv stops before it, and its edge is
// already spent), but at such a point Sluice writes to that peer next, and a peer that has gone
// answers that write with a RST: a new edge. A read that stops anywhere else keeps Asio's rule.
// The flag is cleared inside the reactor's per-descriptor lock, in the call that read, so no
// event is lost between the read and the clearing (clearing it afterwards, from a completion
// handler, would race with an event that came in between). wait_readable() is a wait that, when
// the flag is clear, just queues (no system call) and, when it is set, looks with a one-byte
// peek before waiting.
//
// Both build on Asio's detail layer (reactor ops, the socket's implementation), which Debian 12
// pins at Boost 1.81; the static_assert below makes a different Asio fail the build rather than
// misbehave. TLS streams keep Asio's own operations: decrypted bytes may wait inside OpenSSL.
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

// Asio first: its detail headers expect the rest of Asio to be declared before them.
#include "sluice/core/asio.hpp"
#include <boost/asio/detail/reactor.hpp>

#include "sluice/net/rest_point.hpp"
#include <boost/version.hpp>

namespace sluice::net {

static_assert(BOOST_VERSION / 100 == 1081, "drain_aware_ops.hpp relies on Asio 1.24's epoll reactor (Boost 1.81)");

namespace drain_aware {

namespace ad = asio::detail;

// The socket's reactor-side state (descriptor, non-blocking flags, registration). `impl_` is
// protected in basic_socket; a pointer to it may be formed inside a derived class.
template <class Socket>
struct SocketAccess : Socket {
  static auto& implementation(Socket& socket) { return (socket.*(&SocketAccess::impl_)).get_implementation(); }
};

// Three private members of Asio's per-descriptor state, named the one way C++ allows from outside
// (access is not checked in an explicit instantiation's template arguments).
using DescriptorState = std::remove_pointer_t<ad::reactor::per_descriptor_data>;
template <class Tag, auto Member>
struct PrivateMember {
  friend constexpr auto member(Tag) { return Member; }
};
struct TrySpeculative {
  friend constexpr auto member(TrySpeculative);
};
struct DescriptorMutex {
  friend constexpr auto member(DescriptorMutex);
};
struct OwningReactor {
  friend constexpr auto member(OwningReactor);
};
struct ShutDown {
  friend constexpr auto member(ShutDown);
};
template struct PrivateMember<TrySpeculative, &DescriptorState::try_speculative_>;
template struct PrivateMember<ShutDown, &DescriptorState::shutdown_>;
template struct PrivateMember<DescriptorMutex, &DescriptorState::mutex_>;
template struct PrivateMember<OwningReactor, &DescriptorState::reactor_>;

// The reactor a socket is registered with: from its descriptor state (use_service would take the
// service registry's lock on every operation).
template <class Socket>
ad::reactor& reactor_of(Socket& socket) {
  if (auto* state = SocketAccess<Socket>::implementation(socket).reactor_data_) return *(state->*member(OwningReactor{}));
  return asio::use_service<ad::reactor>(asio::query(socket.get_executor(), asio::execution::context));
}

// Per-operation cancellation (as Asio's own socket operations support it: a coroutine's `||`).
class OpCancellation {
 public:
  OpCancellation(ad::reactor* reactor, ad::reactor::per_descriptor_data* data, int descriptor)
      : reactor_(reactor), data_(data), descriptor_(descriptor) {}
  void operator()(asio::cancellation_type_t type) {
    if (!!(type & (asio::cancellation_type::terminal | asio::cancellation_type::partial | asio::cancellation_type::total))) {
      reactor_->cancel_ops_by_key(descriptor_, *data_, ad::reactor::read_op, this);
    }
  }

 private:
  ad::reactor* reactor_;
  ad::reactor::per_descriptor_data* data_;
  int descriptor_;
};

// The operation being started on this thread: a wait's perform() called from inside start_op
// is the speculative look; called from the reactor, it is the event itself.
inline const void*& op_being_started() {
  thread_local const void* op = nullptr;
  return op;
}

// The completion half both operations share: Asio's own recipe (free the operation's memory
// before the upcall, which may start the next operation and reuse it).
// A read's handler gets (error, bytes), a wait's (error).
template <class Op>
void finish(void* owner, ad::operation* base) {
  Op* op = static_cast<Op*>(base);
  typename Op::ptr p = {std::addressof(op->handler_), op, op};
  ad::handler_work<typename Op::handler_type, typename Op::io_executor_type> work(std::move(op->work_));
  auto handler = [op] {
    if constexpr (Op::passes_size) {
      return ad::binder2<typename Op::handler_type, error_code, std::size_t>(op->handler_, op->ec_, op->bytes_transferred_);
    } else {
      return ad::binder1<typename Op::handler_type, error_code>(op->handler_, op->ec_);
    }
  }();
  p.h = std::addressof(handler.handler_);
  p.reset();
  if (owner) {
    ad::fenced_block fence(ad::fenced_block::half);
    work.complete(handler, handler.handler_);
  }
}

template <class Handler, class IoExecutor>
class ReadOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(ReadOp);
  using handler_type = Handler;
  using io_executor_type = IoExecutor;
  static constexpr bool passes_size = true;

  ReadOp(int descriptor, asio::mutable_buffer target, RestPoint at_rest, Handler& handler,
         const IoExecutor& io_executor)
      : ad::reactor_op(error_code(), &ReadOp::perform, &ReadOp::do_complete),
        descriptor_(descriptor),
        target_(target),
        at_rest_(at_rest),
        handler_(std::move(handler)),
        work_(handler_, io_executor) {}

  static status perform(ad::reactor_op* base) {
    auto* op = static_cast<ReadOp*>(base);
    if (!ad::socket_ops::non_blocking_recv1(op->descriptor_, op->target_.data(), op->target_.size(), 0, true, op->ec_,
                                             op->bytes_transferred_)) {
      return not_done;  // EAGAIN: wait for the next edge
    }
    const std::size_t read = op->bytes_transferred_;
    // End of file or an error: unlike Asio, not "exhausted": whatever looks next (a read, or
    // known_drained) must find out at once, with no edge left to come.
    if (read == 0) return done;
    const bool drained = read < op->target_.size() &&
                         op->at_rest_(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(op->target_.data()), read));
    return drained ? done_and_exhausted : done;
  }
  static void do_complete(void* owner, ad::operation* base, const error_code&, std::size_t) { finish<ReadOp>(owner, base); }

  int descriptor_;
  asio::mutable_buffer target_;
  RestPoint at_rest_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

template <class Handler, class IoExecutor>
class WaitOp : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(WaitOp);
  using handler_type = Handler;
  using io_executor_type = IoExecutor;
  static constexpr bool passes_size = false;

  WaitOp(int descriptor, Handler& handler, const IoExecutor& io_executor)
      : ad::reactor_op(error_code(), &WaitOp::perform, &WaitOp::do_complete),
        descriptor_(descriptor),
        handler_(std::move(handler)),
        work_(handler_, io_executor) {}

  static status perform(ad::reactor_op* base) {
    auto* op = static_cast<WaitOp*>(base);
    if (op_being_started() != op) return done;  // the reactor saw the socket readable (or closed)
    // An edge came since the last drain, or none was seen yet: is something there now?
    char byte;
    const auto received = ::recv(op->descriptor_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return not_done;
    return done;  // bytes, end of file or an error: the read that follows finds out which
  }
  static void do_complete(void* owner, ad::operation* base, const error_code&, std::size_t) { finish<WaitOp>(owner, base); }

  int descriptor_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// Starts `op` (made from `p`) as a read-direction operation on `socket`, as Asio's socket
// service does, with speculation allowed.
template <class Socket, class Ptr, class Handler>
void start(Socket& socket, Ptr& p, const Handler& handler) {
  auto& implementation = SocketAccess<Socket>::implementation(socket);
  auto& reactor = reactor_of(socket);
  const bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
  auto slot = asio::get_associated_cancellation_slot(p.p->handler_);
  if (slot.is_connected()) {
    p.p->cancellation_key_ =
        &slot.template emplace<OpCancellation>(&reactor, &implementation.reactor_data_, implementation.socket_);
  }
  ad::reactor_op* op = p.p;
  p.v = p.p = nullptr;  // the reactor owns it now
  if ((implementation.state_ & ad::socket_ops::non_blocking) == 0 &&
      !ad::socket_ops::set_internal_non_blocking(implementation.socket_, implementation.state_, true, op->ec_)) {
    reactor.post_immediate_completion(op, is_continuation);
    return;
  }
  const void* previous = std::exchange(op_being_started(), op);
  reactor.start_op(ad::reactor::read_op, implementation.socket_, implementation.reactor_data_, op, is_continuation, true);
  op_being_started() = previous;
}

}  // namespace drain_aware

// True when the reactor holds `socket` drained: its last read ended at a rest point and no event
// came since. Then nothing has arrived (no bytes, no FIN) as far as the reactor has polled,
// without asking the kernel. False when not known (an event came, or the socket is new to this
// reactor, or its last read was an ordinary one).
template <class Socket>
bool known_drained(Socket& socket) {
  auto* state = drain_aware::SocketAccess<Socket>::implementation(socket).reactor_data_;
  if (state == nullptr) return false;
  auto& mutex = state->*member(drain_aware::DescriptorMutex{});
  typename std::remove_reference_t<decltype(mutex)>::scoped_lock lock(mutex);
  return !(state->*member(drain_aware::TrySpeculative{}))[drain_aware::ad::reactor::read_op];
}

// What a read or write done at once, outside the reactor, found.
struct ImmediateResult {
  error_code error;
  std::size_t bytes = 0;
};

namespace drain_aware {
// Runs `io` (a recv or send on the descriptor: bytes, or -1 and errno) now, under the socket's
// reactor lock as a reactor operation runs, if the reactor's flag for direction `op_type` says
// it may succeed without waiting. EAGAIN clears that flag: the operation that then waits queues
// without a system call, and the edge that ends its wait sets the flag again. `done(bytes,
// flag)` sees what went through. nullopt: nothing done now (flag clear, EAGAIN, EINTR, or a
// socket the reactor does not hold), so go through the reactor.
template <class Socket, class Io, class Done>
std::optional<ImmediateResult> at_once(Socket& socket, int op_type, Io io, Done done) {
  auto& implementation = SocketAccess<Socket>::implementation(socket);
  auto* state = implementation.reactor_data_;
  if (state == nullptr) return std::nullopt;
  auto& mutex = state->*member(DescriptorMutex{});
  typename std::remove_reference_t<decltype(mutex)>::scoped_lock lock(mutex);
  bool& may_succeed = (state->*member(TrySpeculative{}))[op_type];
  if (state->*member(ShutDown{}) || !may_succeed) return std::nullopt;
  const auto result = io(implementation.socket_);
  if (result < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) may_succeed = false;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
    return ImmediateResult{error_code(errno, asio::error::get_system_category()), 0};
  }
  return done(static_cast<std::size_t>(result), may_succeed);
}
}  // namespace drain_aware

// Reads into `target` now, unless the reactor holds the socket drained: the recv a reactor read
// would start with (a client's request, after wait_readable said it came), without the operation
// around it, since Asio 1.24 hands even a read that completed at once to the scheduler (a queue
// round trip and a coroutine suspension). A short read at a rest point clears the drain flag, as
// read_some_noting_drain does; end of file leaves it set, so whatever looks next sees it at once.
// nullopt: nothing to read now, read through the reactor. No other read may be in flight.
template <class Socket>
std::optional<ImmediateResult> read_now_noting_drain(Socket& socket, asio::mutable_buffer target, RestPoint at_rest) {
  if (target.size() == 0) return std::nullopt;
  return drain_aware::at_once(
      socket, drain_aware::ad::reactor::read_op,
      [&](int descriptor) { return ::recv(descriptor, target.data(), target.size(), MSG_DONTWAIT); },
      [&](std::size_t read, bool& may_have_bytes) {
        if (read == 0) return ImmediateResult{asio::error::eof, 0};
        if (read < target.size() && at_rest(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(target.data()), read))) {
          may_have_bytes = false;
        }
        return ImmediateResult{{}, read};
      });
}

// Writes as much of `source` as the socket takes now, outside the reactor (a relay's message
// nearly always fits the socket's buffer; Asio 1.24 would still pass the finished write through
// the scheduler). A short write clears the write flag, as Asio's own send does, so the write that
// sends the rest waits for the edge without a failing send first. Returns the bytes taken (0 when
// the reactor knows the socket is full) and any error but EAGAIN. No other write may be in flight.
template <class Socket>
ImmediateResult write_now(Socket& socket, asio::const_buffer source) {
  if (source.size() == 0) return {};
  auto written = drain_aware::at_once(
      socket, drain_aware::ad::reactor::write_op,
      [&](int descriptor) { return ::send(descriptor, source.data(), source.size(), MSG_DONTWAIT | MSG_NOSIGNAL); },
      [&](std::size_t sent, bool& may_take_bytes) {
        if (sent < source.size()) may_take_bytes = false;
        return ImmediateResult{{}, sent};
      });
  return written.value_or(ImmediateResult{});
}

// Reads into `target` (not empty) on a plain TCP socket; a short read that ends `at_rest` tells
// the reactor the socket is drained, so the next read or wait_readable() on it waits without a
// system call.
template <class Socket, class Handler>
void read_some_noting_drain(Socket& socket, asio::mutable_buffer target, RestPoint at_rest, Handler handler) {
  using Op = drain_aware::ReadOp<Handler, typename Socket::executor_type>;
  typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
  const int descriptor = drain_aware::SocketAccess<Socket>::implementation(socket).socket_;
  p.p = new (p.v) Op(descriptor, target, at_rest, handler, socket.get_executor());
  drain_aware::start(socket, p, p.p->handler_);
}

// Completes (error_code) once `socket` has something to read, is closed by its peer, or is
// cancelled (operation_aborted), like async_wait(wait_read).
template <class Socket, class Token>
auto async_wait_readable(Socket& socket, Token&& token) {
  return asio::async_initiate<Token, void(error_code)>(
      [&socket](auto handler) {
        using Handler = decltype(handler);
        using Op = drain_aware::WaitOp<Handler, typename Socket::executor_type>;
        typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
        const int descriptor = drain_aware::SocketAccess<Socket>::implementation(socket).socket_;
        p.p = new (p.v) Op(descriptor, handler, socket.get_executor());
        drain_aware::start(socket, p, p.p->handler_);
      },
      token);
}

}  // namespace sluice::net
