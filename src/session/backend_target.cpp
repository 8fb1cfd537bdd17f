#include "sluice/session/backend_target.hpp"

namespace sluice::session {

namespace {
void note(std::string& summary, std::string_view what) {
  if (!summary.empty()) summary += ", ";
  summary += what;
}
}  // namespace

pool::TargetChange compare_targets(const BackendTarget& from, const BackendTarget& to) {
  pool::TargetChange change;
  auto backend_field = [&](std::string_view name, const std::string& was, const std::string& now) {
    if (was == now) return;
    change.backend = true;
    note(change.summary, std::string(name) + " " + was + " -> " + now);
  };
  backend_field("host", from.host, to.host);
  backend_field("port", std::to_string(from.port), std::to_string(to.port));
  backend_field("dbname", from.dbname, to.dbname);
  backend_field("user", from.user, to.user);
  if (from.password != to.password) {
    change.backend = true;
    note(change.summary, "password");  // named, never shown
  }
  if (from.connect_timeout != to.connect_timeout) {
    change.settings = true;
    note(change.summary, "server_connect_timeout");
  }
  if (from.tls_mode != to.tls_mode || from.tls_context != to.tls_context) {
    change.settings = true;  // new backends only: connected ones keep their TLS session
    note(change.summary, "tls.server");
  }
  if (from.check_query != to.check_query) {
    change.settings = true;
    note(change.summary, "server_check_query");
  }
  return change;
}

Failure connect_failure(const BackendTarget& target, std::string_view why) {
  return Failure{"server_connect_failed", "08001",
                 "could not connect to server " + target.host + ":" + std::to_string(target.port) + ": " +
                     std::string(why)};
}

}  // namespace sluice::session
