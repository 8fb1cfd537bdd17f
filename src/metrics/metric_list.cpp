#include "sluice/metrics/metric_list.hpp"

namespace sluice::metrics {

std::vector<std::string_view> label_names(const FamilySpec& spec) {
  std::vector<std::string_view> names;
  std::string_view rest = spec.labels;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    names.push_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  return names;
}

}  // namespace sluice::metrics
