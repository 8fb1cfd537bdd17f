// HTTP for the tests that scrape an exporter (Sluice's /metrics, Prometheus, pgbouncer
// exporters): a blocking GET, a value from the Prometheus text format, and finding the
// programs those tests run.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sluice_it {

struct HttpResponse {
    int status = 0;  // 0: no connection or no HTTP answer
    std::string body;
};

// A blocking HTTP/1.0 GET on 127.0.0.1:port (the server closes after the response); every
// send and receive gives up after `timeout`.
HttpResponse http_get(int port, const std::string& target, std::chrono::seconds timeout = std::chrono::seconds(10));

// The value of the exposition line `series value`, if present (`series` is the name with its
// labels exactly as the exporter writes them, e.g. `up{job="x"}`).
std::optional<double> exposition_value(const std::string& text, const std::string& series);

// The generated Sluice config `yaml` with `listen.metrics` on 127.0.0.1:metrics_port (throws
// std::invalid_argument if it has no `listen:` block).
std::string with_metrics_listener(std::string yaml, int metrics_port);

// Waits until /metrics answers 200. prometheus-cpp listens before the path has its handler, and
// a request in between (a few ms at startup, longer under TSan) is answered 404.
bool wait_for_metrics(int port, std::chrono::seconds timeout = std::chrono::seconds(10));

// The absolute path of `program` on PATH (or in /usr/bin, /usr/local/bin), or "" if absent.
std::string find_program(const std::string& program);

}  // namespace sluice_it
