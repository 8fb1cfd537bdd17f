#pragma once
// Loading sluice.yaml text in unit tests, and finding an error by what it says.

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/config/loader.hpp"

namespace sluice::test {

inline config::LoadResult load(std::string_view yaml) { return config::load_config_string(yaml, "test.yaml"); }

inline std::string all_errors(const config::LoadResult& result) {
  std::string text;
  for (const config::ConfigError& error : result.errors) text += config::format_error(error) + "\n";
  return text;
}

// The one error whose message contains `fragment`; fails the test if there is none.
inline const config::ConfigError& error_containing(const config::LoadResult& result, std::string_view fragment) {
  INFO(all_errors(result));
  auto it = std::find_if(result.errors.begin(), result.errors.end(), [&](const config::ConfigError& e) {
    return e.message.find(fragment) != std::string::npos;
  });
  REQUIRE(it != result.errors.end());
  return *it;
}

inline std::shared_ptr<const config::ProxyConfig> load_ok(std::string_view yaml) {
  config::LoadResult result = load(yaml);
  INFO(all_errors(result));
  REQUIRE(result.ok());
  REQUIRE(result.errors.empty());
  return result.config;
}

}  // namespace sluice::test
