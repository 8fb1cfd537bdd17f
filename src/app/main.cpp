// sluice: a connection-pooling proxy for PostgreSQL (MySQL next).
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>

#include "sluice/app/certificate_check.hpp"
#include "sluice/app/proxy_server.hpp"
#include "sluice/config/loader.hpp"

namespace {

constexpr const char* kUsage =
    "usage: sluice --config PATH         run the daemon in the foreground\n"
    "       sluice --check-config PATH   validate PATH and exit (0 valid, 1 invalid)\n"
    "       sluice --version | --help\n";

int print_errors(const sluice::config::LoadResult& loaded) {
  for (const auto& error : loaded.errors) std::cerr << sluice::config::format_error(error) << "\n";
  return 1;
}

// %j: the message as the inside of a JSON string (quotes, backslashes, control bytes escaped),
// so `log_format: json` yields one valid JSON object per line whatever the message says.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&, spdlog::memory_buf_t& out) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : std::string_view(message.payload.data(), message.payload.size())) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (byte < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
        out.append(escaped, escaped + sizeof escaped);
      } else {
        out.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

void set_up_logging(const sluice::config::ProxyConfig& config) {
  auto logger = spdlog::stderr_color_mt("sluice");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.log_format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"message":"%j"})");
    spdlog::set_formatter(std::move(formatter));
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%t] %v");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--version") == 0)) {
    std::cout << "sluice " << SLUICE_VERSION << "\n";
    return 0;
  }
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << kUsage;
    return 0;
  }
  if (argc != 3 || (std::strcmp(argv[1], "--config") != 0 && std::strcmp(argv[1], "--check-config") != 0)) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string path = argv[2];
  const auto loaded = sluice::config::load_config_file(path);
  if (!loaded.ok()) return print_errors(loaded);
  if (std::strcmp(argv[1], "--check-config") == 0) {
    const auto certificate_errors = sluice::app::check_certificates(path, *loaded.config);
    for (const auto& error : certificate_errors) std::cerr << sluice::config::format_error(error) << "\n";
    if (!certificate_errors.empty()) return 1;
    std::cout << path << ": ok\n";
    return 0;
  }
  set_up_logging(*loaded.config);
  try {
    sluice::app::ProxyServer server(path, loaded.config);
    spdlog::info("sluice {} started", SLUICE_VERSION);
    return server.run();
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}
