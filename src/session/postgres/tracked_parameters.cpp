#include "sluice/session/postgres/tracked_parameters.hpp"

#include <strings.h>

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

// An escape-string literal: correct whatever standard_conforming_strings says.
std::string quote_literal(std::string_view value) {
  std::string quoted = "E'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += c;
    quoted += c;
  }
  quoted += '\'';
  return quoted;
}
}  // namespace

bool is_tracked_parameter(std::string_view name) {
  for (auto tracked : kTrackedParameters) {
    if (same_name(tracked, name)) return true;
  }
  return false;
}

ParameterList initial_client_parameters(const pg::StartupPacket& startup, const ParameterList& server_defaults) {
  ParameterList parameters;
  for (auto name : kTrackedParameters) {
    if (const auto* own = find_startup_value(startup, name)) {
      parameters.emplace_back(name, *own);
    } else if (const auto* fallback = find_parameter(server_defaults, name)) {
      parameters.emplace_back(name, *fallback);
    }
  }
  return parameters;
}

std::string parameter_sync_statement(const ParameterList& wanted, const ParameterList& backend) {
  std::string statement;
  for (const auto& [name, value] : wanted) {
    const auto* current = find_parameter(backend, name);
    if (current && *current == value) continue;
    statement += "SET " + name + " TO " + quote_literal(value) + ";";
  }
  return statement;
}

}  // namespace sluice::session
