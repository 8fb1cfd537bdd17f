// Service integration: sd_notify messages (READY/RELOADING/STOPPING) and the unit file.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <regex>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// A notify socket like systemd's: a Unix datagram socket the daemon sends state lines to.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path.size() < sizeof(address.sun_path));
        std::memcpy(address.sun_path, path.data(), path.size());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
        timeval timeout{0, 200000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
    ~NotifySocket() { ::close(fd_); }

    // Collects datagrams until one contains `wanted` or `timeout` passes.
    bool wait_for(const std::string& wanted, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            char buffer[1024];
            const auto received = ::recv(fd_, buffer, sizeof(buffer), 0);
            if (received > 0) {
                seen_.emplace_back(buffer, static_cast<std::size_t>(received));
                if (seen_.back().find(wanted) != std::string::npos) return true;
            }
        }
        return false;
    }
    const std::vector<std::string>& seen() const { return seen_; }

private:
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> seen_;
};

}  // namespace

TEST_CASE("sluice tells systemd READY=1, RELOADING=1 then READY=1, and STOPPING=1", "[systemd]") {
    TempDir dir;
    const auto socket_path = dir.path() + "/notify.sock";
    NotifySocket notify(socket_path);
    const int port = pick_free_port();
    const auto config_path = dir.path() + "/sluice.yaml";
    std::ofstream(config_path) << sluice_config(port);

    ChildProcess sluice(SpawnOptions{{sluice_binary(), "--config", config_path},
                                     dir.path() + "/sluice.log",
                                     {"NOTIFY_SOCKET=" + socket_path}});
    REQUIRE(notify.wait_for("READY=1", 10s));
    CHECK(wait_for_tcp(port, 1s));  // READY means clients can connect

    sluice.send_signal(SIGHUP);
    REQUIRE(notify.wait_for("RELOADING=1", 5s));
    CHECK(std::regex_search(notify.seen().back(), std::regex("MONOTONIC_USEC=[0-9]+")));
    REQUIRE(notify.wait_for("READY=1", 5s));

    sluice.send_signal(SIGTERM);
    CHECK(notify.wait_for("STOPPING=1", 5s));
    CHECK(sluice.wait_for(10s).value_or(-1) == 0);
}

TEST_CASE("systemd-analyze verify accepts the unit file", "[systemd]") {
    // verify insists that ExecStart's binary exists: point a copy at the built one.
    TempDir dir;
    std::ifstream original(std::string(SLUICE_SOURCE_DIR) + "/systemd/sluice.service");
    REQUIRE(original.good());
    std::stringstream text;
    text << original.rdbuf();
    const auto unit = std::regex_replace(text.str(), std::regex("/usr/local/bin/sluice"), sluice_binary());
    const auto unit_path = dir.path() + "/sluice.service";
    std::ofstream(unit_path) << unit;
    const auto result = run_command({"/usr/bin/systemd-analyze", "verify", unit_path});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.find("sluice.service") == std::string::npos);  // no warning about our unit
    CHECK(unit.find("Type=notify") != std::string::npos);
    CHECK(unit.find("ExecReload=/bin/kill -HUP $MAINPID") != std::string::npos);
    CHECK(unit.find("NoNewPrivileges=yes") != std::string::npos);
    CHECK(unit.find("ProtectSystem=strict") != std::string::npos);
}
