#pragma once
// Serves /metrics on listen.metrics: prometheus-cpp's HTTP exposer (its own small thread
// pool, off the I/O workers) with one Collector registered. Binding happens in the
// constructor, at startup: a port in use is a startup error, thrown.
#include <memory>
#include <string>

#include "sluice/config/proxy_config.hpp"
#include "sluice/metrics/collector.hpp"

namespace prometheus {
class Exposer;
}

namespace sluice::metrics {

class MetricsExposer {
 public:
  MetricsExposer(const config::ListenAddress& address, std::shared_ptr<Collector> collector);
  ~MetricsExposer();
  MetricsExposer(const MetricsExposer&) = delete;
  MetricsExposer& operator=(const MetricsExposer&) = delete;

  // The port actually bound (useful when listen.metrics asks for port 0).
  int port() const;

 private:
  config::ListenAddress address_;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace sluice::metrics
