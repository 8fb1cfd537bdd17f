#include "sluice/metrics/metrics_exposer.hpp"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>
#include <vector>

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
    : collector_(std::move(collector)) {
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

// The exposer goes first: no scrape may run once the collector's sources are gone.
MetricsExposer::~MetricsExposer() { exposer_.reset(); }

int MetricsExposer::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace sluice::metrics
