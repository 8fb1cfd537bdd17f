// MyFrontend and the `hba` rules: MySQL clients are always plain text here (no TLS on this
// front end yet), so hostssl rules never match them and `cert` cannot succeed. trust skips the
// password; md5 and scram-sha-256 mean "a password", checked the MySQL way (the scramble of
// mysql_native_password or caching_sha2_password); reject and no match are refused with 1045.
#include <spdlog/spdlog.h>

#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

Expected<std::optional<auth::HbaMethod>> MyFrontend::check_hba() const {
  const auto& config = *session_.runtime().config;
  error_code unparsable;
  const auto address = asio::ip::make_address(session_.address(), unparsable);
  const auto match = auth::match_hba(config.hba, auth::HbaRequest{false, session_.database(), session_.user(), address});
  if (!match) return std::optional<auth::HbaMethod>{};  // no rules: auth_type decides
  if (match->method != auth::HbaMethod::reject && match->method != auth::HbaMethod::cert) {
    return std::optional<auth::HbaMethod>{match->method};
  }
  const char* why = match->method == auth::HbaMethod::cert ? "a cert rule (no TLS for MySQL clients)"
                    : match->rule                           ? "a reject rule"
                                                            : "no rule";
  spdlog::info("MySQL client refused by hba: user={} database={} address={}: {}", session_.user(), session_.database(),
               session_.address(), why);
  // The client sees MySQL's usual 1045 "Access denied": no hint of which rule refused it.
  return Failure{"hba", "28000", "hba refused user \"" + session_.user() + "\""};
}

}  // namespace sluice::session
