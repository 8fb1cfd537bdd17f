#include "sluice/metrics/metrics_exposer.hpp"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sluice/core/asio.hpp"

namespace sluice::metrics {

namespace {
// civetweb serves one connection per thread until the request is read. Connections that never
// send one (a port scanner, a stalled proxy) would hold every thread for civetweb's default
// 30 s and make Prometheus' scrapes time out: more threads than a few such connections, and
// 5 s to send a request.
constexpr const char* kHttpThreads = "8";
constexpr const char* kRequestTimeoutMs = "5000";
}  // namespace

MetricsExposer::MetricsExposer(const config::ListenAddress& address, std::shared_ptr<Collector> collector)
    : address_(address), collector_(std::move(collector)) {
  const auto bind_to = config::format_listen_address(address);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", bind_to, "num_threads", kHttpThreads, "request_timeout_ms", kRequestTimeoutMs});
  } catch (const std::exception& error) {
    throw std::runtime_error("listen.metrics " + bind_to + ": cannot listen: " + error.what());
  }
  exposer_->RegisterCollectable(collector_, "/metrics");
  spdlog::info("serving Prometheus metrics on http://{}/metrics", bind_to);
}

// The exposer goes first: no scrape may run once the collector's sources are gone. civetweb's
// stop waits until its listening thread's poll times out (a second, measured: every SIGTERM
// took that long to exit); a connection to the port wakes that poll, so one is made every few
// milliseconds until the port is closed. (A connection that never sent its request still holds
// a civetweb thread up to two seconds more.)
MetricsExposer::~MetricsExposer() {
  if (!exposer_) return;
  const auto port = static_cast<std::uint16_t>(this->port());
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    exposer_.reset();
    stopped = true;
  });
  asio::io_context io;
  error_code error;
  auto host = asio::ip::make_address(address_.host, error);
  if (!error && host.is_unspecified()) {
    host = host.is_v4() ? asio::ip::address(asio::ip::address_v4::loopback())
                        : asio::ip::address(asio::ip::address_v6::loopback());
  }
  while (!error && port != 0 && !stopped) {
    asio::ip::tcp::socket wake(io);
    error_code refused;
    wake.connect({host, port}, refused);
    if (refused) break;  // the listening thread is gone
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stopper.join();
}

int MetricsExposer::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace sluice::metrics
