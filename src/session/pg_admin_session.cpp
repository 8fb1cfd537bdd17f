// PgSession, part five: the admin console (virtual database `sluice`, alias `pgbouncer`).
// Placeholder until the admin module lands: it answers every query with an error.
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/pg_session.hpp"

namespace sluice::session {

Status PgSession::check_admin_access() const {
  const auto& config = *runtime_->config;
  if (config.is_admin_user(user_) || config.is_stats_user(user_)) return ok_status();
  return Failure{"admin_access", "28000", "not allowed to connect to the admin console"};
}

awaitable<Status> PgSession::send_admin_welcome() {
  std::string out;
  pg::write_authentication_ok(out);
  pg::write_parameter_status(out, "server_version", SLUICE_VERSION);
  pg::write_parameter_status(out, "client_encoding", "UTF8");
  pg::write_parameter_status(out, "server_encoding", "UTF8");
  pg::write_parameter_status(out, "DateStyle", "ISO, MDY");
  pg::write_parameter_status(out, "standard_conforming_strings", "on");
  pg::write_parameter_status(out, "integer_datetimes", "on");
  pg::write_parameter_status(out, "application_name", application_name_);
  pg::write_backend_key_data(out, 0, 0);
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  set_state(ClientState::idle);
  co_return co_await write_all(client_, out, Failure{"client_close", "08006", "client closed the connection"});
}

awaitable<Status> PgSession::serve_admin_console() {
  co_return Failure{"admin_console", "0A000", "the admin console is not available yet"};
}

}  // namespace sluice::session
