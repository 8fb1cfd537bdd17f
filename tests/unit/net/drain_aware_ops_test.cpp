// net::read_some_noting_drain and net::async_wait_readable over a loopback TCP connection. They
// tell Asio's reactor a socket is drained after a short read, so the next wait costs no system
// call; what must never happen is a wait or read that sleeps while bytes are there.

#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "sluice/net/drain_aware_ops.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct Loopback {
  asio::io_context io{1};
  tcp::socket peer{io};
  WorkerSocket socket{io};

  Loopback() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    socket = WorkerSocket(io, tcp::v4(), acceptor.accept().release());
  }

  void send(std::string_view bytes) { asio::write(peer, asio::buffer(bytes)); }

  // Runs the reactor for `span` (an epoll_wait happens), with or without operations pending.
  void spin(std::chrono::milliseconds span) {
    asio::steady_timer timer(io, span);
    timer.async_wait([](error_code) {});
    io.restart();
    io.run_one_for(span + 1s);
    io.restart();
  }

  struct Read {
    std::optional<error_code> error;
    std::size_t size = 0;
  };
  // Starts a read into `buffer`; the result appears once the io_context ran it. `at_rest`: the
  // protocol's say on whether the bytes end where the peer waits (here: always, unless told).
  void read(std::string& buffer, Read& result, net::RestPoint at_rest = +[](std::span<const std::uint8_t>) { return true; }) {
    net::read_some_noting_drain(socket, asio::buffer(buffer), at_rest, [&result](error_code error, std::size_t size) {
      result.error = error;
      result.size = size;
    });
  }
  void wait(std::optional<error_code>& result) {
    net::async_wait_readable(socket, [&result](error_code error) { result = error; });
  }
  // Runs until `done` or `limit` passes.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds limit = 2000ms) {
    const auto until = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < until) {
      io.run_one_for(10ms);
      io.restart();
    }
  }
};

}  // namespace

TEST_CASE("drain-aware ops: after a short read a wait sleeps until the peer sends more", "[net][drain-aware]") {
  Loopback pair;
  pair.send("hello");
  std::string buffer(16, '\0');
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  REQUIRE(read.error == error_code());
  CHECK(buffer.substr(0, read.size) == "hello");

  std::optional<error_code> waited;
  pair.wait(waited);
  pair.spin(50ms);
  CHECK_FALSE(waited.has_value());  // nothing there yet
  pair.send("more");
  pair.run_until([&] { return waited.has_value(); });
  REQUIRE(waited == error_code());
  Loopback::Read next;
  pair.read(buffer, next);
  pair.run_until([&] { return next.error.has_value(); });
  CHECK(buffer.substr(0, next.size) == "more");
}

TEST_CASE("drain-aware ops: a read that fills its buffer leaves the rest to be read at once", "[net][drain-aware]") {
  Loopback pair;
  pair.send("12345678");
  pair.spin(20ms);
  std::string first(4, '\0');
  std::string second(4, '\0');
  Loopback::Read one, two;
  pair.read(first, one);
  pair.run_until([&] { return one.error.has_value(); });
  pair.read(second, two);  // no new edge will come for these bytes: they must be read anyway
  pair.run_until([&] { return two.error.has_value(); });
  REQUIRE(one.error == error_code());
  REQUIRE(two.error == error_code());
  CHECK(first + second.substr(0, two.size) == "12345678");
}

TEST_CASE("drain-aware ops: bytes that came while nothing waited are found by the next wait and read",
          "[net][drain-aware]") {
  Loopback pair;
  pair.send("a");
  std::string buffer(16, '\0');
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  REQUIRE(read.size == 1);
  pair.send("b");
  pair.spin(50ms);  // the reactor sees the edge with no operation queued
  std::optional<error_code> waited;
  pair.wait(waited);
  pair.run_until([&] { return waited.has_value(); }, 500ms);
  REQUIRE(waited == error_code());
  Loopback::Read next;
  pair.read(buffer, next);
  pair.run_until([&] { return next.error.has_value(); }, 500ms);
  REQUIRE(next.error == error_code());
  CHECK(buffer.substr(0, next.size) == "b");
}

TEST_CASE("drain-aware ops: the peer closing ends a wait, and the read reports end of file", "[net][drain-aware]") {
  Loopback pair;
  pair.send("x");
  std::string buffer(16, '\0');
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  std::optional<error_code> waited;
  pair.wait(waited);
  pair.spin(20ms);
  CHECK_FALSE(waited.has_value());
  pair.peer.close();
  pair.run_until([&] { return waited.has_value(); });
  REQUIRE(waited == error_code());
  Loopback::Read last;
  pair.read(buffer, last);
  pair.run_until([&] { return last.error.has_value(); });
  CHECK(last.error == asio::error::eof);
}

TEST_CASE("drain-aware ops: bytes and a FIN together, read where the peer is not at rest: the FIN is read next",
          "[net][drain-aware]") {
  // A server that dies in the middle of an answer: its last bytes and its FIN come at once, and
  // the FIN's edge is spent before the read. Only a read ending at a rest point is trusted.
  Loopback pair;
  pair.send("partial");
  pair.peer.close();
  pair.spin(20ms);
  std::string buffer(64, '\0');
  Loopback::Read read;
  pair.read(buffer, read, +[](std::span<const std::uint8_t>) { return false; });
  pair.run_until([&] { return read.error.has_value(); });
  REQUIRE(read.error == error_code());
  CHECK(buffer.substr(0, read.size) == "partial");
  Loopback::Read last;
  pair.read(buffer, last);
  pair.run_until([&] { return last.error.has_value(); }, 1000ms);
  CHECK(last.error == asio::error::eof);
}

TEST_CASE("drain-aware ops: cancel() and a cancellation slot end waits and reads", "[net][drain-aware]") {
  Loopback pair;
  std::optional<error_code> waited;
  pair.wait(waited);
  pair.spin(20ms);
  CHECK_FALSE(waited.has_value());
  pair.socket.cancel();
  pair.run_until([&] { return waited.has_value(); });
  CHECK(waited == asio::error::operation_aborted);

  asio::cancellation_signal signal;
  std::optional<error_code> read_error;
  std::string buffer(16, '\0');
  net::read_some_noting_drain(pair.socket, asio::buffer(buffer), nullptr,
                              asio::bind_cancellation_slot(signal.slot(), [&](error_code error, std::size_t) {
                                read_error = error;
                              }));
  pair.spin(20ms);
  CHECK_FALSE(read_error.has_value());
  signal.emit(asio::cancellation_type::terminal);
  pair.run_until([&] { return read_error.has_value(); });
  CHECK(read_error == asio::error::operation_aborted);
  // Still usable afterwards.
  pair.send("ok");
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  CHECK(buffer.substr(0, read.size) == "ok");
}

TEST_CASE("drain-aware ops: a socket is known drained after a read at rest, until the reactor sees bytes or a FIN",
          "[net][drain-aware]") {
  Loopback pair;
  CHECK_FALSE(net::known_drained(pair.socket));  // new to the reactor: not known
  pair.send("ready");
  std::string buffer(16, '\0');
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  REQUIRE(read.size == 5);
  CHECK(net::known_drained(pair.socket));
  pair.spin(20ms);
  CHECK(net::known_drained(pair.socket));  // nothing came

  SECTION("bytes arrive") { pair.send("x"); }
  SECTION("the peer closes") { pair.peer.close(); }
  pair.spin(50ms);  // the reactor polls and sees the event
  CHECK_FALSE(net::known_drained(pair.socket));

  Loopback::Read short_of_rest;
  pair.read(buffer, short_of_rest, +[](std::span<const std::uint8_t>) { return false; });
  pair.run_until([&] { return short_of_rest.error.has_value(); });
  CHECK_FALSE(net::known_drained(pair.socket));  // a read that stops elsewhere proves nothing
}

TEST_CASE("read at once: reads what is there, notes the drain, and leaves a wait that misses nothing",
          "[net][drain-aware]") {
  Loopback pair;
  const net::RestPoint always = +[](std::span<const std::uint8_t>) { return true; };
  std::string buffer(16, '\0');

  SECTION("bytes are there") {
    pair.send("hello");
    auto now = net::read_now_noting_drain(pair.socket, asio::buffer(buffer), always);
    REQUIRE(now.has_value());
    CHECK(now->error == error_code());
    CHECK(buffer.substr(0, now->bytes) == "hello");
    CHECK(net::known_drained(pair.socket));
    // Known drained: no read now, even once bytes came that the reactor has not seen yet.
    pair.send("more");
    CHECK_FALSE(net::read_now_noting_drain(pair.socket, asio::buffer(buffer), always).has_value());
  }
  SECTION("nothing is there: EAGAIN marks the socket drained") {
    CHECK_FALSE(net::read_now_noting_drain(pair.socket, asio::buffer(buffer), always).has_value());
    CHECK(net::known_drained(pair.socket));
    pair.send("more");
  }
  // Either way the read through the reactor gets the bytes: their edge sets the flag again.
  Loopback::Read read;
  pair.read(buffer, read);
  pair.run_until([&] { return read.error.has_value(); });
  REQUIRE(read.error == error_code());
  CHECK(buffer.substr(0, read.size) == "more");
}

TEST_CASE("read at once: the last bytes and the FIN, then end of file", "[net][drain-aware]") {
  Loopback pair;
  pair.send("bye");
  pair.peer.close();
  std::string buffer(16, '\0');
  auto first = net::read_now_noting_drain(pair.socket, asio::buffer(buffer), +[](std::span<const std::uint8_t>) { return false; });
  REQUIRE(first.has_value());
  CHECK(buffer.substr(0, first->bytes) == "bye");
  auto last = net::read_now_noting_drain(pair.socket, asio::buffer(buffer), nullptr);
  REQUIRE(last.has_value());
  CHECK(last->error == asio::error::eof);
  CHECK_FALSE(net::known_drained(pair.socket));  // whatever looks next sees the end at once
}

TEST_CASE("write at once: a write larger than the socket takes is finished by the reactor, byte for byte",
          "[net][drain-aware]") {
  Loopback pair;
  std::string payload(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);

  const auto now = net::write_now(pair.socket, asio::buffer(payload));
  REQUIRE(now.error == error_code());
  REQUIRE(now.bytes > 0);
  REQUIRE(now.bytes < payload.size());  // the kernel took what fits
  // The socket is known full: a second try writes nothing, without a system call's EAGAIN.
  CHECK(net::write_now(pair.socket, asio::buffer(payload) + now.bytes).bytes == 0);

  std::optional<error_code> written;
  asio::async_write(pair.socket, asio::buffer(payload) + now.bytes, [&](error_code error, std::size_t) { written = error; });
  std::string received(payload.size(), '\0');
  std::optional<error_code> read;
  asio::async_read(pair.peer, asio::buffer(received), [&](error_code error, std::size_t) { read = error; });
  pair.run_until([&] { return written.has_value() && read.has_value(); }, 10000ms);
  REQUIRE(written == error_code());
  REQUIRE(read == error_code());
  CHECK(received == payload);
}

TEST_CASE("write at once: a peer that reset the connection is an error, not bytes written", "[net][drain-aware]") {
  Loopback pair;
  pair.peer.set_option(asio::socket_base::linger(true, 0));
  pair.peer.close();  // RST
  pair.spin(20ms);
  std::string buffer(16, 'x');
  auto first = net::write_now(pair.socket, asio::buffer(buffer));
  CHECK(first.error != error_code());
  CHECK(first.bytes == 0);
}
