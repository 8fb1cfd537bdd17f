#pragma once
// Loads sluice.yaml into an immutable ProxyConfig, or reports every problem found.
// Loading never throws for bad input: each problem becomes a ConfigError with its position.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/proxy_config.hpp"

namespace sluice::config {

struct ConfigError {
  std::string path;  // the file, as given to the loader
  int line = 0;      // 1-based
  int column = 0;    // 1-based
  std::string message;
};

// "PATH:LINE:COL: message", the form compilers use, so editors can jump to it.
std::string format_error(const ConfigError& error);

struct LoadResult {
  std::shared_ptr<const ProxyConfig> config;  // null when errors is non-empty
  std::vector<ConfigError> errors;            // sorted by position
  bool ok() const { return config != nullptr; }
};

// An unreadable file yields one error at line 1, column 1.
LoadResult load_config_file(const std::string& path);
LoadResult load_config_string(std::string_view yaml, const std::string& path_for_messages);

}  // namespace sluice::config
