// floor_relay: the cheapest possible TCP proxy, to measure the floor under any pooler.
//
// Standalone benchmark helper (not part of the CMake build):
//   g++ -O2 -std=c++20 bench/floor_relay.cpp -o /tmp/floor_relay
//
// Usage: floor_relay -p LISTEN_PORT -u UPSTREAM_PORT [-a ADDRESS]   (address 127.0.0.1 for both)
//   Prints "LISTENING port=N" once it accepts. SIGTERM/SIGINT end it.
//
// Each accepted client gets its own upstream connection, opened at accept, and bytes are copied
// both ways unread: no protocol, no pool, no login, no timers, no clock, no counters. It is what
// every pooler pays at least, whatever it is written in: one epoll loop (level-triggered, so no
// epoll_ctl per message), one recv() per readable socket and one send() of what it read, and an
// epoll_wait amortised over every socket that became ready at once. A pooler's CPU per
// transaction minus this relay's is what its pooling, parsing and bookkeeping cost; the relay's
// own CPU per transaction, against PgBouncer's, bounds how far below PgBouncer any pooler can
// get on this kernel (bench/pooler_only.sh and bench/mysql_sysbench.sh, target "relay").
//
// Back-pressure: what a send() could not take waits in the receiving side's buffer; the source
// then stops being read (EPOLLIN off) until the destination drains (EPOLLOUT), so memory stays
// bounded at one read per direction.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxEvents = 256;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// One socket of a client/upstream pair. `unsent` holds what the peer read for this socket and
// send() did not take yet.
struct Endpoint {
    int fd = -1;
    int peer_fd = -1;
    std::string unsent;
    bool reading = true;     // EPOLLIN is registered
    bool in_epoll = true;    // out of the set while it waits for nothing (see watch)
    bool ended = false;      // it sent FIN; the peer's write side was shut down after it
};

class Relay {
public:
    Relay(int epoll_fd, sockaddr_in upstream) : epoll_fd_(epoll_fd), upstream_(upstream) {}

    void accept_all(int listen_fd) {
        for (;;) {
            const int client = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (client < 0) return;   // EAGAIN, or out of descriptors: the next readiness retries
            const int upstream = connect_upstream();
            if (upstream < 0) { close(client); continue; }
            no_delay(client);
            add(client, upstream);
            add(upstream, client);
        }
    }

    void on_event(int fd, std::uint32_t events) {
        const auto it = endpoints_.find(fd);
        if (it == endpoints_.end()) return;   // closed earlier in this batch with its peer
        Endpoint& self = *it->second;
        if (events & EPOLLERR) { close_pair(fd); return; }   // reset
        if ((events & EPOLLOUT) && !flush(self)) return;
        if ((events & (EPOLLIN | EPOLLHUP)) && self.reading) copy_to_peer(self);
    }

private:
    int connect_upstream() {
        // Blocking connect (loopback answers at once), then non-blocking for the relay.
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (connect(fd, reinterpret_cast<const sockaddr*>(&upstream_), sizeof upstream_) != 0) {
            std::perror("floor_relay: connect upstream");
            close(fd);
            return -1;
        }
        no_delay(fd);
        if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) { close(fd); return -1; }
        return fd;
    }

    static void no_delay(int fd) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }

    void add(int fd, int peer_fd) {
        auto endpoint = std::make_unique<Endpoint>();
        endpoint->fd = fd;
        endpoint->peer_fd = peer_fd;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
        endpoints_[fd] = std::move(endpoint);
    }

    // Re-registers `e` for what it needs now: input while it may read, output while it has unsent
    // bytes. A socket that needs neither leaves the set: epoll reports a hang-up whatever the mask,
    // and a socket paused by back-pressure may be hung up with unread data still to relay.
    void watch(Endpoint& e, bool reading) {
        e.reading = reading;
        epoll_event ev{};
        ev.events = (reading ? EPOLLIN : 0u) | (e.unsent.empty() ? 0u : EPOLLOUT);
        ev.data.fd = e.fd;
        if (ev.events == 0) {
            if (e.in_epoll) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, e.fd, nullptr);
            e.in_epoll = false;
            return;
        }
        epoll_ctl(epoll_fd_, e.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e.fd, &ev);
        e.in_epoll = true;
    }

    // One recv() from `source`, one send() of it to the peer; the rest waits in the peer's buffer.
    void copy_to_peer(Endpoint& source) {
        const ssize_t n = recv(source.fd, buffer_, sizeof buffer_, 0);
        if (n < 0 && errno != EAGAIN && errno != EINTR) { close_pair(source.fd); return; }
        if (n < 0) return;
        Endpoint& dest = *endpoints_.at(source.peer_fd);
        if (n == 0) { end_direction(source, dest); return; }
        const ssize_t sent = send(dest.fd, buffer_, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) { close_pair(source.fd); return; }
        const std::size_t taken = sent < 0 ? 0 : static_cast<std::size_t>(sent);
        if (taken == static_cast<std::size_t>(n)) return;
        dest.unsent.assign(buffer_ + taken, static_cast<std::size_t>(n) - taken);
        watch(dest, dest.reading);
        watch(source, false);
    }

    // Sends what waits for `dest`; false if the pair was closed.
    bool flush(Endpoint& dest) {
        const ssize_t sent = send(dest.fd, dest.unsent.data(), dest.unsent.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) { close_pair(dest.fd); return false; }
        if (sent > 0) dest.unsent.erase(0, static_cast<std::size_t>(sent));
        if (!dest.unsent.empty()) return true;
        watch(dest, dest.reading);
        Endpoint& source = *endpoints_.at(dest.peer_fd);
        watch(source, !source.ended);
        return true;
    }

    // `source` sent FIN: pass the half-close on (a client may still read a reply after it), and
    // close both once both directions have ended. Nothing is unsent towards `dest` here, since
    // `source` is read only while `dest` has no backlog.
    void end_direction(Endpoint& source, Endpoint& dest) {
        source.ended = true;
        if (dest.ended) { close_pair(source.fd); return; }
        shutdown(dest.fd, SHUT_WR);
        watch(source, false);
    }

    void close_pair(int fd) {
        const int peer_fd = endpoints_.at(fd)->peer_fd;
        for (const int f : {fd, peer_fd}) {
            close(f);   // also leaves the epoll set
            endpoints_.erase(f);
        }
    }

    int epoll_fd_;
    sockaddr_in upstream_;
    std::unordered_map<int, std::unique_ptr<Endpoint>> endpoints_;
    char buffer_[kReadChunk];
};

sockaddr_in address_of(const char* ip, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        std::fprintf(stderr, "floor_relay: bad address %s\n", ip);
        std::exit(2);
    }
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    const char* ip = "127.0.0.1";
    int listen_port = -1, upstream_port = -1;
    for (int opt; (opt = getopt(argc, argv, "a:p:u:")) != -1;) {
        if (opt == 'a') ip = optarg;
        else if (opt == 'p') listen_port = std::atoi(optarg);
        else if (opt == 'u') upstream_port = std::atoi(optarg);
        else { std::fprintf(stderr, "usage: floor_relay -p LISTEN_PORT -u UPSTREAM_PORT [-a ADDRESS]\n"); return 2; }
    }
    if (listen_port < 0 || listen_port > 65535 || upstream_port <= 0 || upstream_port > 65535) {
        std::fprintf(stderr, "floor_relay: -p and -u are required (ports)\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    const int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in bind_to = address_of(ip, listen_port);
    if (bind(listen_fd, reinterpret_cast<sockaddr*>(&bind_to), sizeof bind_to) != 0 || listen(listen_fd, 1024) != 0) {
        std::perror("floor_relay: bind/listen");
        return 1;
    }
    socklen_t len = sizeof bind_to;
    getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bind_to), &len);
    std::printf("LISTENING port=%d\n", ntohs(bind_to.sin_port));
    std::fflush(stdout);

    const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);

    auto relay = std::make_unique<Relay>(epoll_fd, address_of(ip, upstream_port));
    epoll_event events[kMaxEvents];
    while (!g_stop) {
        const int n = epoll_wait(epoll_fd, events, kMaxEvents, 500);
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == listen_fd) relay->accept_all(listen_fd);
            else relay->on_event(events[i].data.fd, events[i].events);
        }
    }
    return 0;
}
