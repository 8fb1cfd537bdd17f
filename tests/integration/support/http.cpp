#include "http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "net.hpp"

namespace sluice_it {

HttpResponse http_get(int port, const std::string& target, std::chrono::seconds timeout) {
    HttpResponse response;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return response;
    timeval limit{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return response;
    }
    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    std::string raw;
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buffer[16384];
        for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    const auto header_end = raw.find("\r\n\r\n");
    if (!raw.starts_with("HTTP/1.") || header_end == std::string::npos || raw.size() < 12) return response;
    response.status = std::atoi(raw.substr(9, 3).c_str());
    response.body = raw.substr(header_end + 4);
    return response;
}

std::optional<double> exposition_value(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
}

std::string with_metrics_listener(std::string yaml, int metrics_port) {
    const std::string listen = "listen:\n";
    const auto at = yaml.find(listen);
    if (at == std::string::npos) throw std::invalid_argument("with_metrics_listener: no listen: block in the config");
    yaml.insert(at + listen.size(), "  metrics: 127.0.0.1:" + std::to_string(metrics_port) + "\n");
    return yaml;
}

bool wait_for_metrics(int port, std::chrono::seconds timeout) {
    using namespace std::chrono_literals;
    for (const auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
        if (wait_for_tcp(port, 1s) && http_get(port, "/metrics", 2s).status == 200) return true;
    }
    return false;
}

std::string find_program(const std::string& program) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/bin:/usr/local/bin";
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = dir + "/" + program;
        if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

}  // namespace sluice_it
