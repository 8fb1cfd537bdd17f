#include "sluice/metrics/metrics_exposer.hpp"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sluice::metrics {

namespace {
// Scrapes are rare and cheap; two HTTP threads let one slow scraper not block another.
constexpr std::size_t kHttpThreads = 2;
}  // namespace

MetricsExposer::MetricsExposer(const config::ListenAddress& address, std::shared_ptr<Collector> collector)
    : collector_(std::move(collector)) {
  const auto bind_to = config::format_listen_address(address);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(bind_to, kHttpThreads);
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
