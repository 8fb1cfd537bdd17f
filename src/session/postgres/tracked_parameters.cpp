#include "sluice/session/postgres/tracked_parameters.hpp"

#include <strings.h>

#include "sluice/protocol/postgres/session_settings.hpp"

namespace sluice::session {

namespace {
// GUC names are case-insensitive: "timezone" in a startup packet is TimeZone.
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const std::string* find_startup_value(const pg::StartupPacket& startup, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : startup.parameters) {
    if (same_name(key, name)) found = &value;
  }
  return found;
}
}  // namespace

ParameterList initial_client_parameters(const pg::StartupPacket& startup, const ParameterList& server_defaults) {
  ParameterList parameters;
  for (auto name : pg::kReportedParameters) {
    if (const auto* own = find_startup_value(startup, name)) {
      parameters.emplace_back(name, *own);
    } else if (const auto* fallback = find_parameter(server_defaults, name)) {
      parameters.emplace_back(name, *fallback);
    }
  }
  return parameters;
}

}  // namespace sluice::session
