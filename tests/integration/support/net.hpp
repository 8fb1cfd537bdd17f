// Loopback networking for the harness: free ports, readiness probes, and a tiny raw
// PostgreSQL wire client for what libpq cannot show (SSLRequest answers, raw error fields).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice_it {

// A loopback TCP port in [20000, 32000) that we could bind just now and have not handed out
// before in this process (below Linux's ephemeral range, so outgoing connections never take it).
int pick_free_port();

// A listening socket on 127.0.0.1:port (SO_REUSEADDR, close-on-exec), for the tests' own fake
// servers; throws naming `who` if it cannot listen.
int listen_on_loopback(int port, const std::string& who);

// True once 127.0.0.1:port accepts a TCP connection; polls until `timeout`.
bool wait_for_tcp(int port, std::chrono::milliseconds timeout);

// A blocking loopback TCP socket whose reads and writes each give up after a deadline.
class RawSocket {
public:
    RawSocket(int port, std::chrono::milliseconds timeout);
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;
    ~RawSocket();

    int fd() const { return fd_; }
    void send_bytes(const std::string& bytes);
    // Exactly n bytes, or std::nullopt if the peer closed first; throws on timeout.
    std::optional<std::string> receive_exact(std::size_t n);

private:
    int fd_ = -1;
    std::chrono::milliseconds timeout_;
};

// A loopback listener that never accepts. "silent" (blackhole = false): the kernel completes
// the handshake and the startup packet goes nowhere. "blackhole": its accept queue is already
// full, so a SYN is dropped and connect() itself hangs.
class DeadListener {
public:
    explicit DeadListener(bool blackhole);
    DeadListener(const DeadListener&) = delete;
    DeadListener& operator=(const DeadListener&) = delete;
    ~DeadListener();

    int port() const { return port_; }
    bool full() const { return full_; }  // blackhole: the accept queue really is full

private:
    void fill_accept_queue();

    int port_;
    int fd_ = -1;
    bool full_ = false;
    std::vector<int> fillers_;
};

// PostgreSQL protocol bits used by the raw tests.
namespace wire {
std::string int32(std::uint32_t value);
std::string ssl_request();
std::string gssenc_request();
// StartupMessage (protocol 3.0) with the given parameters.
std::string startup_message(const std::map<std::string, std::string>& parameters);

struct Message {
    char type = 0;
    std::string body;
};
// Reads one backend message; std::nullopt if the peer closed.
std::optional<Message> read_message(RawSocket& socket);
// Fields of an ErrorResponse/NoticeResponse body keyed by field code ('C' = SQLSTATE, 'M' = message).
std::map<char, std::string> error_fields(const std::string& body);
}  // namespace wire

}  // namespace sluice_it
