#pragma once
// --check-config's last step: the certificate and key files loaded as the daemon will load
// them, so a file that exists but holds no usable certificate fails the check, not the start.
#include <string>
#include <vector>

#include "sluice/config/loader.hpp"

namespace sluice::app {

// One error per TLS side that cannot be built, at the position of the key that names the
// failing file in `path` (line 1, column 1 if the key cannot be found again).
std::vector<config::ConfigError> check_certificates(const std::string& path, const config::ProxyConfig& config);

}  // namespace sluice::app
