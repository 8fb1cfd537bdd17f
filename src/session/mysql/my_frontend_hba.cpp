// MyFrontend and the `hba` rules, with the client's real TLS state: hostssl rules match TLS
// clients only, hostnossl plain ones. trust skips the password; md5 and scram-sha-256 mean "a
// password", checked the MySQL way (a scramble of mysql_native_password or
// caching_sha2_password, or the latter's full authentication over TLS); cert wants the
// certificate verified against tls.client.ca to carry the user's name as its CN (then no
// password); reject and no match are refused with 1045.
#include <spdlog/spdlog.h>

#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

Expected<std::optional<auth::HbaMethod>> MyFrontend::check_hba() {
  const auto match = session_.match_hba(session_.database());
  if (!match) return std::optional<auth::HbaMethod>{};  // no rules: auth_type decides
  if (match->method == auth::HbaMethod::cert) {
    if (auto allowed = session_.check_certificate_user(); !allowed) return allowed.failure();
    return std::optional<auth::HbaMethod>{auth::HbaMethod::trust};
  }
  if (match->method != auth::HbaMethod::reject) return std::optional<auth::HbaMethod>{match->method};
  spdlog::info("MySQL client refused by hba: user={} database={} address={} tls={}: {}", session_.user(),
               session_.database(), session_.address(), session_.client().is_tls(),
               match->rule ? "a reject rule" : "no rule");
  // The client sees MySQL's usual 1045 "Access denied": no hint of which rule refused it.
  return Failure{"hba", "28000", "hba refused user \"" + session_.user() + "\""};
}

}  // namespace sluice::session
