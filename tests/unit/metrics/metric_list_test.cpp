// The one list of metric families follows Prometheus naming and keeps labels bounded.
#include <catch2/catch.hpp>

#include <prometheus/check_names.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "sluice/metrics/metric_list.hpp"

using namespace sluice::metrics;
using prometheus::MetricType;

TEST_CASE("every metric family is named by the Prometheus conventions", "[metrics]") {
  std::set<std::string_view> names;
  for (const auto& family : kFamilies) {
    const std::string name(family.name);
    INFO(name);
    CHECK(prometheus::CheckMetricName(name));
    CHECK(name.starts_with("sluice_"));
    CHECK(names.insert(family.name).second);  // declared once
    CHECK_FALSE(family.help.empty());
    CHECK(name.ends_with("_total") == (family.type == MetricType::Counter));
    if (family.type == MetricType::Histogram) CHECK((name.ends_with("_seconds") || name.ends_with("_bytes")));
    // Base units only: no word of the name is a scaled unit.
    std::istringstream words(name);
    for (std::string word; std::getline(words, word, '_');) {
      for (const char* unit : {"milliseconds", "microseconds", "nanoseconds", "ms", "us", "kilobytes", "megabytes",
                               "kib", "mib", "minutes", "hours"}) {
        CHECK(word != unit);
      }
    }
  }
}

TEST_CASE("metric labels come from the bounded set", "[metrics]") {
  for (const auto& family : kFamilies) {
    INFO(family.name);
    const auto labels = label_names(family);
    std::set<std::string_view> unique(labels.begin(), labels.end());
    CHECK(unique.size() == labels.size());
    for (const auto label : labels) {
      CHECK(prometheus::CheckLabelName(std::string(label)));
      CHECK(std::find(kBoundedLabels.begin(), kBoundedLabels.end(), label) != kBoundedLabels.end());
      CHECK(label != "le");  // reserved for histogram buckets
    }
  }
}

TEST_CASE("the family list names what the issue asks for", "[metrics]") {
  const auto has = [](std::string_view name) {
    return std::any_of(kFamilies.begin(), kFamilies.end(), [&](const FamilySpec& f) { return f.name == name; });
  };
  for (const char* name : {"sluice_client_connections", "sluice_server_connections", "sluice_pool_size",
                           "sluice_client_wait_longest_seconds", "sluice_client_wait_seconds",
                           "sluice_transaction_duration_seconds", "sluice_transactions_total", "sluice_queries_total",
                           "sluice_query_duration_seconds_total",
                           "sluice_client_received_bytes_total", "sluice_client_sent_bytes_total",
                           "sluice_timeouts_total", "sluice_refusals_total", "sluice_server_connections_opened_total",
                           "sluice_server_connections_closed_total", "sluice_config_reloads_total",
                           "sluice_client_parses_total", "sluice_server_parses_total", "sluice_binds_total",
                           "sluice_client_logins_total",
                           "sluice_build_info"}) {
    INFO(name);
    CHECK(has(name));
  }
  CHECK(label_names(spec(Family::client_connections)) == std::vector<std::string_view>{"database", "user", "state"});
  CHECK(label_names(spec(Family::build_info)) == std::vector<std::string_view>{"version"});
  CHECK(label_names(spec(Family::client_connections_login)).empty());
}
