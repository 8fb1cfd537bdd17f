#include "net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace sluice_it {
namespace {

constexpr int kFirstPort = 20000;
constexpr int kPortLimit = 32000;
constexpr std::uint32_t kMaxTestMessageLength = 64 * 1024 * 1024;

sockaddr_in loopback_address(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

bool can_bind(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address = loopback_address(port);
    bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

// Connects with a deadline; returns the fd or -1.
int connect_with_timeout(int port, std::chrono::milliseconds timeout) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    sockaddr_in address = loopback_address(port);
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof error;
        if (poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
            rc = 0;
        }
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void wait_ready(int fd, short events, std::chrono::milliseconds timeout, const char* what) {
    pollfd p{fd, events, 0};
    int rc;
    do {
        rc = poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) throw std::runtime_error(std::string("raw socket: timed out waiting to ") + what);
    if (rc < 0) throw std::runtime_error(std::string("raw socket: poll: ") + std::strerror(errno));
}

}  // namespace

int pick_free_port() {
    static std::mutex mutex;
    static std::set<int> handed_out;
    static std::mt19937 random(std::random_device{}());
    std::lock_guard lock(mutex);
    std::uniform_int_distribution<int> distribution(kFirstPort, kPortLimit - 1);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int port = distribution(random);
        if (handed_out.count(port) == 0 && can_bind(port)) {
            handed_out.insert(port);
            return port;
        }
    }
    throw std::runtime_error("pick_free_port: no free port in [20000, 32000)");
}

int listen_on_loopback(int port, const std::string& who) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 16) != 0) {
        if (fd >= 0) close(fd);
        throw std::runtime_error(who + ": cannot listen");
    }
    return fd;
}

bool wait_for_tcp(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = connect_with_timeout(port, std::chrono::milliseconds(200));
        if (fd >= 0) {
            close(fd);
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

DeadListener::DeadListener(bool blackhole) : port_(pick_free_port()) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback_address(port_);
    int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd_, blackhole ? 0 : 64) != 0) {
        close(fd_);
        throw std::runtime_error("DeadListener: cannot listen");
    }
    if (blackhole) fill_accept_queue();
}

DeadListener::~DeadListener() {
    for (int fd : fillers_) close(fd);
    close(fd_);
}

// Connects until one connect no longer completes: from then on SYNs are dropped.
void DeadListener::fill_accept_queue() {
    const sockaddr_in address = loopback_address(port_);
    for (int i = 0; i < 16 && !full_; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        fillers_.push_back(fd);
        if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) continue;
        pollfd p{fd, POLLOUT, 0};
        full_ = poll(&p, 1, 300) == 0;
    }
}

RawSocket::RawSocket(int port, std::chrono::milliseconds timeout) : timeout_(timeout) {
    fd_ = connect_with_timeout(port, timeout);
    if (fd_ < 0) throw std::runtime_error("raw socket: cannot connect to port " + std::to_string(port));
}

RawSocket::~RawSocket() {
    if (fd_ >= 0) close(fd_);
}

void RawSocket::send_bytes(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        wait_ready(fd_, POLLOUT, timeout_, "send");
        ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) throw std::runtime_error(std::string("raw socket: send: ") + std::strerror(errno));
        sent += static_cast<std::size_t>(n);
    }
}

std::optional<std::string> RawSocket::receive_exact(std::size_t n) {
    std::string data(n, '\0');
    std::size_t received = 0;
    while (received < n) {
        wait_ready(fd_, POLLIN, timeout_, "receive");
        ssize_t got = recv(fd_, data.data() + received, n - received, 0);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (got < 0 && errno == ECONNRESET) return std::nullopt;
        if (got < 0) throw std::runtime_error(std::string("raw socket: recv: ") + std::strerror(errno));
        if (got == 0) return std::nullopt;
        received += static_cast<std::size_t>(got);
    }
    return data;
}

namespace wire {

std::string int32(std::uint32_t value) {
    std::uint32_t network = htonl(value);
    return std::string(reinterpret_cast<const char*>(&network), 4);
}

std::string ssl_request() { return int32(8) + int32(80877103); }

std::string gssenc_request() { return int32(8) + int32(80877104); }

std::string startup_message(const std::map<std::string, std::string>& parameters) {
    std::string body = int32(196608);  // protocol 3.0
    for (const auto& [name, value] : parameters) body += name + '\0' + value + '\0';
    body += '\0';
    return int32(static_cast<std::uint32_t>(body.size() + 4)) + body;
}

std::optional<Message> read_message(RawSocket& socket) {
    auto header = socket.receive_exact(5);
    if (!header) return std::nullopt;
    std::uint32_t length = 0;
    std::memcpy(&length, header->data() + 1, 4);
    length = ntohl(length);
    if (length < 4 || length > kMaxTestMessageLength) {
        throw std::runtime_error("raw socket: implausible message length " + std::to_string(length));
    }
    auto body = socket.receive_exact(length - 4);
    if (!body) return std::nullopt;
    return Message{(*header)[0], std::move(*body)};
}

std::map<char, std::string> error_fields(const std::string& body) {
    std::map<char, std::string> fields;
    std::size_t position = 0;
    while (position < body.size() && body[position] != '\0') {
        char code = body[position++];
        std::size_t end = body.find('\0', position);
        if (end == std::string::npos) break;
        fields[code] = body.substr(position, end - position);
        position = end + 1;
    }
    return fields;
}

}  // namespace wire
}  // namespace sluice_it
