// net::IdleWatcher over loopback TCP connections: a released socket is handed back once it is
// readable or hung up, not before; unwatch gives it back untouched; the worker's shutdown hands
// back whatever is still parked.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <vector>

#include "sluice/net/idle_watcher.hpp"

using namespace sluice;

namespace {

struct Parked : net::IdleWait {
  int woken_fd = -1;
  int wakes = 0;
  bool shutting_down = false;
  ~Parked() {
    if (woken_fd >= 0) ::close(woken_fd);
  }
  void idle_ready(int fd, bool shutdown) override {
    woken_fd = fd;
    shutting_down = shutdown;
    ++wakes;
  }
};

// A connected pair: the parked end (released from Asio, as a session parks it) and its peer.
struct Pair {
  tcp::socket peer;
  int parked_fd = -1;

  explicit Pair(asio::io_context& io) : peer(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    parked_fd = acceptor.accept().release();
  }
};

void run_for(asio::io_context& io, std::chrono::milliseconds limit) {
  io.restart();
  io.run_for(limit);
}

}  // namespace

TEST_CASE("a parked socket is handed back when its client speaks, and only then", "[net][idle]") {
  asio::io_context io(1);
  auto& watcher = net::IdleWatcher::of(io.get_executor());
  Pair quiet(io), talking(io);
  Parked quiet_wait, talking_wait;
  REQUIRE(watcher.watch(quiet_wait, quiet.parked_fd));
  REQUIRE(watcher.watch(talking_wait, talking.parked_fd));
  CHECK(quiet_wait.watched());

  run_for(io, std::chrono::milliseconds(50));
  CHECK(quiet_wait.wakes == 0);
  CHECK(talking_wait.wakes == 0);

  asio::write(talking.peer, asio::buffer("Q", 1));
  run_for(io, std::chrono::milliseconds(200));
  CHECK(talking_wait.wakes == 1);
  CHECK(talking_wait.woken_fd == talking.parked_fd);
  CHECK_FALSE(talking_wait.shutting_down);
  CHECK_FALSE(talking_wait.watched());
  CHECK(quiet_wait.wakes == 0);

  // The byte is still there for the session to read: the watcher only waited.
  char byte = 0;
  CHECK(::recv(talking_wait.woken_fd, &byte, 1, MSG_DONTWAIT) == 1);
  CHECK(byte == 'Q');

  // A hang-up wakes too.
  quiet.peer.close();
  run_for(io, std::chrono::milliseconds(200));
  CHECK(quiet_wait.wakes == 1);
  CHECK(quiet_wait.woken_fd == quiet.parked_fd);
}

TEST_CASE("bytes sent before the socket parked wake it at once", "[net][idle]") {
  asio::io_context io(1);
  auto& watcher = net::IdleWatcher::of(io.get_executor());
  Pair pair(io);
  asio::write(pair.peer, asio::buffer("X", 1));
  Parked wait;
  REQUIRE(watcher.watch(wait, pair.parked_fd));
  run_for(io, std::chrono::milliseconds(200));
  CHECK(wait.wakes == 1);
}

TEST_CASE("unwatch gives the socket back without a wake-up", "[net][idle]") {
  asio::io_context io(1);
  auto& watcher = net::IdleWatcher::of(io.get_executor());
  Pair pair(io);
  Parked wait;
  REQUIRE(watcher.watch(wait, pair.parked_fd));
  const int fd = watcher.unwatch(wait);
  CHECK(fd == pair.parked_fd);
  CHECK(watcher.unwatch(wait) == -1);
  asio::write(pair.peer, asio::buffer("Q", 1));
  run_for(io, std::chrono::milliseconds(100));
  CHECK(wait.wakes == 0);
  ::close(fd);
}

TEST_CASE("many parked sockets wake in one turn, each once", "[net][idle]") {
  asio::io_context io(1);
  auto& watcher = net::IdleWatcher::of(io.get_executor());
  constexpr int kCount = 150;  // more than one epoll_wait batch
  std::vector<std::unique_ptr<Pair>> pairs;
  std::vector<std::unique_ptr<Parked>> waits;
  for (int i = 0; i < kCount; ++i) {
    pairs.push_back(std::make_unique<Pair>(io));
    waits.push_back(std::make_unique<Parked>());
    REQUIRE(watcher.watch(*waits.back(), pairs.back()->parked_fd));
  }
  for (auto& pair : pairs) asio::write(pair->peer, asio::buffer("Q", 1));
  run_for(io, std::chrono::milliseconds(500));
  int woken = 0;
  for (auto& wait : waits) woken += wait->wakes;
  CHECK(woken == kCount);
  for (auto& wait : waits) CHECK(wait->wakes == 1);
}

TEST_CASE("the worker's shutdown hands back every parked socket", "[net][idle]") {
  Parked wait;
  int parked_fd = -1;
  {
    asio::io_context io(1);
    Pair pair(io);
    parked_fd = pair.parked_fd;
    REQUIRE(net::IdleWatcher::of(io.get_executor()).watch(wait, pair.parked_fd));
  }
  CHECK(wait.wakes == 1);
  CHECK(wait.shutting_down);
  CHECK(wait.woken_fd == parked_fd);
}
