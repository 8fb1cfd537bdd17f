// MyFrontend, part four: the client's session across backends. A COM_QUERY's text is read by
// mysql::read_query_effects: session variables it SETs follow the client (replayed on every
// backend it gets, once the server said OK); state that cannot move (user variables, temporary
// tables, GET_LOCK, ...) pins it to its backend in transaction and statement mode, or with
// `session_state: error` is refused before it reaches the server. LAST_INSERT_ID() follows too.
#include <spdlog/spdlog.h>

#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/mysql/use_statement.hpp"
#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

namespace {

Failure refusal(std::string_view subject) {
  return Failure{"session_state", "0A000", "not supported in transaction pool mode: " + std::string(subject)};
}

}  // namespace

// Read at login and per lease, as the limits are: a reload reaches the client's next transaction.
void MyFrontend::read_state_policy() {
  refuse_state_ = session_.core().pool_mode() != config::PoolMode::session &&
                  session_.pool().settings().session_state == config::SessionStatePolicy::error;
}

// A COM_QUERY about to be relayed (`text`: what the buffer holds of it; `alone`: the read is this
// packet and nothing is in flight). False: refused (scan.local_reply or scan.error says how).
bool MyFrontend::on_query_text(std::string_view text, std::uint8_t sequence_id, bool alone, ClientScan& scan) {
  const auto effects = mysql::read_query_effects(text);
  // A USE Sluice does not follow (among other statements), or a routine's unseen effects: the
  // next other client gets the backend reset.
  if ((effects.uses_schema && !mysql::parse_use_statement(text)) || effects.calls_routine) unfollowed_state_ = true;
  auto pin = effects.pin;
  // A SET among pipelined commands: Sluice cannot tell when (or whether) it took effect.
  if (effects.setting && !tracker_.response_complete()) pin = mysql::SessionPin::session_variables;
  if (pin == mysql::SessionPin::none) {
    if (effects.setting) pending_setting_ = PendingSetting{*effects.setting, std::string(text)};
    return true;
  }
  if (session_.core().pool_mode() == config::PoolMode::session) return true;
  if (!refuse_state_) {
    if (state_pin_ == mysql::SessionPin::none) state_pin_ = pin;
    return true;
  }
  const auto subject = mysql::to_string(pin);
  spdlog::info("user={} database={}: refused ({}), session_state is error", session_.user(), session_.database(),
               subject);
  if (!alone) {
    // Pipelined behind other commands or split across reads: it cannot be answered in its place.
    scan.error = refusal(subject);
    return false;
  }
  mysql::SequenceId sequence;
  sequence.reset(static_cast<std::uint8_t>(sequence_id + 1));
  mysql::write_err_packet(scan.local_reply, sequence, error_for_client(refusal(subject)));
  return false;
}

// The server said OK to a lone SET: it is the client's now, and this backend has it.
void MyFrontend::setting_confirmed() {
  if (!pending_setting_) return;
  if (!settings_.record(pending_setting_->key, pending_setting_->sql) && state_pin_ == mysql::SessionPin::none) {
    state_pin_ = mysql::SessionPin::session_variables;  // too many to replay
  }
  server().settings_generation = settings_.generation();
  server().needs_reset = true;  // the next other client must not inherit it
  pending_setting_.reset();
}

// COM_RESET_CONNECTION from the client: the server forgets its variables, temporary tables, locks.
void MyFrontend::session_reset_by_client() {
  state_pin_ = mysql::SessionPin::none;
  settings_.clear();
  pending_setting_.reset();
}

// What a fresh lease replays: the client's SETs unless this backend has them all already (it
// served this client last and nothing changed since), and LAST_INSERT_ID() when the backend's
// differs from the client's.
void MyFrontend::session_commands(bool reset, bool other_client, std::vector<std::string>& commands) {
  auto& backend = server();
  const bool replay = other_client || backend.settings_generation != settings_.generation();
  if (replay) {
    for (const auto& sql : settings_.statements()) commands.push_back(com_query(sql));
    // The next other client must not inherit them.
    if (!settings_.statements().empty()) backend.needs_reset = true;
  }
  // After a reset the value is not known for sure (Sluice's record is the last client's): only a
  // client that never had one and a backend that never had one need nothing.
  const auto insert_id = tracker_.last_insert_id();
  const bool differs = reset ? (insert_id != 0 || backend.last_insert_id != 0) : backend.last_insert_id != insert_id;
  if (differs) commands.push_back(com_query("SELECT LAST_INSERT_ID(" + std::to_string(insert_id) + ")"));
}

void MyFrontend::session_synced() {
  server().settings_generation = settings_.generation();
  server().last_insert_id = tracker_.last_insert_id();
}

}  // namespace sluice::session
