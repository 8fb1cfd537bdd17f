#include "sluice/app/certificate_check.hpp"

#include <yaml-cpp/yaml.h>

#include "sluice/app/proxy_server.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::app {

namespace {
// Where `dotted_key` ("tls.client.key") is written in the file, 1-based; {1, 1} if not found.
std::pair<int, int> position_of(const std::string& path, const std::string& dotted_key) {
  try {
    YAML::Node node = YAML::LoadFile(path);
    std::size_t start = 0;
    for (;;) {
      const std::size_t dot = dotted_key.find('.', start);
      const std::string part = dotted_key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!node.IsMap() || !node[part]) return {1, 1};
      node = node[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return {node.Mark().line + 1, node.Mark().column + 1};
  } catch (const YAML::Exception&) {
    return {1, 1};
  }
}

// The context builders name the key first: "tls.client.key '/x': ...".
config::ConfigError error_at_key(const std::string& path, const std::string& message) {
  const auto [line, column] = position_of(path, message.substr(0, message.find(' ')));
  return config::ConfigError{path, line, column, message};
}
}  // namespace

std::vector<config::ConfigError> check_certificates(const std::string& path, const config::ProxyConfig& config) {
  std::vector<config::ConfigError> errors;
  if (config.tls.client.mode != config::ClientTlsMode::disable) {
    if (auto client = net::make_client_tls_context(config.tls.client); !client.ok()) {
      errors.push_back(error_at_key(path, client.error));
    }
  }
  ServerTls server;
  if (auto error = build_server_tls(config.tls.server, server); !error.empty()) {
    errors.push_back(error_at_key(path, error));
  }
  return errors;
}

}  // namespace sluice::app
