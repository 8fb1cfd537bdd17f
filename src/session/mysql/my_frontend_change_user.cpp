// MyFrontend, part four: COM_CHANGE_USER. Sluice logs the client in again itself — the answer
// is checked against the handshake's scramble and the new user's password, as at login — and
// moves the client to the new user's pool: that user's caps, pool and limits apply from the next
// statement on. Backends are never re-authenticated: the client's next statement gets one of the
// new pool's, reset first (client_token changes), so nothing of the old session follows it.
#include <spdlog/spdlog.h>

#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

// Only between transactions, in transaction or statement mode: the old user's backend cannot
// serve the new user. A client that holds one only because its session state pinned it (a user
// variable, a temporary table) may change user: the new session has none of that state, so the
// pin ends, the core hands the backend back after the local answer, and whoever gets it next is
// another client token, reset first. Refused otherwise, ending the session.
bool MyFrontend::answer_change_user(std::span<const std::uint8_t> chunk, const mysql::PacketView& packet, bool alone,
                                    ClientScan& scan) {
  next_sequence_ = static_cast<std::uint8_t>(packet.sequence_id + 1);
  const bool holds_work = session_.core().has_lease() &&
                          (session_.core().pool_mode() == config::PoolMode::session || tracker_.in_transaction() ||
                           !long_data_.empty() || !cursors_.empty() || (!track_statements_ && open_statements_ > 0));
  if (!alone || packet.end != packet.length + 4u || !tracker_.response_complete() || holds_work) {
    scan.error = Failure{"session_state", "0A000",
                         "COM_CHANGE_USER is supported only between transactions, holding no backend"};
    return false;
  }
  auto change = mysql::read_change_user(chunk.subspan(5, packet.length - 1), client_capabilities_);
  if (!change) {
    scan.error = change.failure();
    return false;
  }
  if (auto refusal = switch_user(*change)) {
    scan.error = std::move(*refusal);
    return false;
  }
  mysql::SequenceId sequence;
  sequence.reset(next_sequence_);
  mysql::OkPacket ok;
  ok.status_flags = mysql::server_status::SERVER_STATUS_AUTOCOMMIT;  // a fresh session's
  mysql::write_ok_packet(scan.local_reply, sequence, ok, kClientCapabilities);
  return false;
}

// The new user is checked as at login: the hba rules for this client (its address and TLS
// state) and the new user and database first, then the password. mysql_native_password only
// (what Connector/C and most drivers send here): another plugin would need an AuthSwitchRequest
// round trip, which a local answer cannot make.
std::optional<Failure> MyFrontend::change_user_refusal(const mysql::ChangeUser& change) {
  const auto& config = *session_.runtime().config;
  auto method = check_hba();
  if (!method) return method.failure();
  const bool trusted = *method ? **method == auth::HbaMethod::trust : config.auth_type == config::AuthType::trust;
  if (trusted) return std::nullopt;
  const Failure wrong_password{"auth_failed", "28P01", "password authentication failed for user \"" + change.user + "\""};
  if (change.auth_plugin_name && *change.auth_plugin_name != mysql::auth_plugin::mysql_native_password) {
    return wrong_password;
  }
  const auto* user = config.find_user(change.user);
  if (!user || !user->password) return wrong_password;
  const std::string& stored = *user->password;
  if (stored.starts_with("SCRAM-SHA-256$") || (stored.starts_with("md5") && stored.size() == 35)) return wrong_password;
  if (!auth::verify_mysql_native_password(stored, scramble_, change.auth_response)) return wrong_password;
  return std::nullopt;
}

// On failure the session ends with the returned Failure (as MariaDB closes a connection whose
// COM_CHANGE_USER failed); the client is named as the new user in the error and the log.
std::optional<Failure> MyFrontend::switch_user(const mysql::ChangeUser& change) {
  const auto& config = *session_.runtime().config;
  const auto application_name = session_.snapshot().application_name;
  const auto* user = config.find_user(change.user);
  std::string name = change.database;
  if (name.empty()) name = user && user->default_database ? *user->default_database : session_.database();
  const auto* database = config.find_database(name);
  const bool known = database && database->protocol == config::Protocol::mysql;
  session_.identify(change.user, known ? name : std::string(), application_name);
  if (auto refusal = change_user_refusal(change)) return refusal;
  if (!known) return Failure{"unknown_database", "3D000", "no such database: " + name};
  if (const auto cap = session_.admit()) return Failure{*cap, "53300", "too many connections: " + *cap + " reached"};
  session_.join_pool(*database);
  cancel_target_->set_owner(change.user, session_.weak_from_this());
  auto connector = std::static_pointer_cast<MyServerConnector>(session_.pool().connector());
  schema_ = connector->target()->dbname;
  if (change.character_set) {
    choose_collation(static_cast<std::uint8_t>(*change.character_set));
  }
  // A new session on the server: the old one's statements, variables and pins are gone, and
  // the new user's pool decides how statements and session state are handled.
  open_statements_ = 0;
  ++session_resets_;
  // The backend it holds still has the old session's state until COM_RESET_CONNECTION.
  if (session_.core().has_lease()) server().needs_reset = true;
  statements_.clear();
  cursors_.clear();
  long_data_.clear();
  session_reset_by_client();
  choose_statement_tracking();
  read_state_policy();
  spdlog::info("user={} database={} address={}: COM_CHANGE_USER", change.user, name, session_.address());
  return std::nullopt;
}

}  // namespace sluice::session
