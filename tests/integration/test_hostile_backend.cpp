// A "PostgreSQL" that is not quite one: it logs Sluice in as a real server would, then answers
// one query with a message type PostgreSQL never sends. Sluice must not relay what it cannot
// follow: the client gets a clean error, the backend is closed, Sluice goes on serving.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

void append_message(std::string& out, char type, const std::string& body) {
    out.push_back(type);
    const auto length = htonl(static_cast<std::uint32_t>(body.size() + 4));
    out.append(reinterpret_cast<const char*>(&length), 4);
    out.append(body);
}

bool read_exactly(int fd, char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        pollfd readable{fd, POLLIN, 0};
        if (poll(&readable, 1, 5000) != 1) return false;
        const auto got = recv(fd, data + done, size - done, 0);
        if (got <= 0) return false;
        done += static_cast<std::size_t>(got);
    }
    return true;
}

bool send_all(int fd, const std::string& bytes) {
    return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Trust login, then: a simple Query whose text contains "garbage" is answered with a message of
// type 'x' before its CommandComplete; any other Query gets CommandComplete and ReadyForQuery.
class OddBackend {
public:
    OddBackend() : port_(pick_free_port()) {
        fd_ = listen_on_loopback(port_, "OddBackend");
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    ~OddBackend() {
        stop_ = true;
        acceptor_.join();
        {
            std::lock_guard lock(mutex_);
            for (int client : clients_) shutdown(client, SHUT_RDWR);
        }
        for (auto& thread : sessions_) thread.join();
        for (int client : clients_) close(client);
        close(fd_);
    }
    int port() const { return port_; }
    int logins() const { return logins_; }

private:
    void accept_loop() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (poll(&ready, 1, 50) != 1) continue;
            const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            std::lock_guard lock(mutex_);
            clients_.push_back(client);
            sessions_.emplace_back([this, client] { serve(client); });
        }
    }

    void serve(int client) {
        // The startup packet (after refusing an SSLRequest, should one come first).
        for (;;) {
            char header[8];
            if (!read_exactly(client, header, 4)) return;
            std::uint32_t length = 0;
            std::memcpy(&length, header, 4);
            length = ntohl(length);
            if (length < 8 || length > 10000) return;
            std::string rest(length - 4, '\0');
            if (!read_exactly(client, rest.data(), rest.size())) return;
            std::uint32_t code = 0;
            std::memcpy(&code, rest.data(), 4);
            if (ntohl(code) == 80877103) {  // SSLRequest
                if (!send_all(client, "N")) return;
                continue;
            }
            break;
        }
        ++logins_;
        std::string welcome;
        append_message(welcome, 'R', std::string("\0\0\0\0", 4));
        append_message(welcome, 'S', std::string("server_version\0" "15.0\0", 20));
        append_message(welcome, 'S', std::string("client_encoding\0UTF8\0", 21));
        append_message(welcome, 'K', std::string("\0\0\0\x2a\0\0\0\x07", 8));
        append_message(welcome, 'Z', "I");
        if (!send_all(client, welcome)) return;
        for (;;) {
            char header[5];
            if (!read_exactly(client, header, 5)) return;
            std::uint32_t length = 0;
            std::memcpy(&length, header + 1, 4);
            length = ntohl(length);
            if (length < 4 || length > 1'000'000) return;
            std::string body(length - 4, '\0');
            if (!read_exactly(client, body.data(), body.size())) return;
            if (header[0] == 'X') return;
            std::string answer;
            if (header[0] == 'Q' && body.find("garbage") != std::string::npos) append_message(answer, 'x', "oops");
            if (header[0] == 'Q' || header[0] == 'S') {
                if (header[0] == 'Q') append_message(answer, 'C', std::string("SELECT 0\0", 9));
                append_message(answer, 'Z', "I");
            }
            if (!answer.empty() && !send_all(client, answer)) return;
        }
    }

    int port_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<int> logins_{0};
    std::mutex mutex_;
    std::vector<int> clients_;
    std::vector<std::thread> sessions_;
    std::thread acceptor_;
};

}  // namespace

TEST_CASE("a backend that sends a message PostgreSQL never sends: an error for its client, the backend closed",
          "[faults][hostile-backend]") {
    OddBackend odd;
    SluiceOptions options;
    options.auth_type = "trust";
    options.databases = {};
    options.extra_databases = "odd:\n  host: 127.0.0.1\n  port: " + std::to_string(odd.port()) + "\n  dbname: odd\n";
    options.defaults = "pool_mode: transaction\npool_size: 1\nserver_connect_timeout: 2s";
    SluiceProcess sluice(options);
    Connection client = connect(sluice.conninfo("alice", "alice", "odd"));
    PgResult fine = exec(client, "select 'fine'");
    CHECK(PQresultStatus(fine.get()) == PGRES_COMMAND_OK);  // the fake answers "SELECT 0" without rows
    PgResult odd_answer = exec(client, "select 'garbage'");
    INFO(describe(odd_answer.get()));
    CHECK(PQresultStatus(odd_answer.get()) == PGRES_FATAL_ERROR);
    CHECK(sqlstate(odd_answer.get()).rfind("08", 0) == 0);  // connection exception: the server is lost
    // Its backend is gone, not back in the pool: the next client gets a fresh login.
    Connection next = connect(sluice.conninfo("alice", "alice", "odd"));
    PgResult after = exec(next, "select 'fine'");
    CHECK(PQresultStatus(after.get()) == PGRES_COMMAND_OK);
    CHECK(odd.logins() == 2);
    CHECK_THAT(sluice.log(), Catch::Contains("the server sent a message of unknown type 0x78"));
}
