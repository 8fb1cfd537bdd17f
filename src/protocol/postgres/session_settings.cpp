#include "sluice/protocol/postgres/session_settings.hpp"

#include <strings.h>

#include <algorithm>

#include "sluice/protocol/postgres/sql_quote.hpp"

namespace sluice::pg {

namespace {

// GUC names are compared without case ("timezone" in a startup packet is TimeZone).
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// State that a rollback does not undo (session_statement.hpp).
bool outlives_rollback(SessionState state) {
  return state == SessionState::advisory_lock || state == SessionState::sql_prepared_statement ||
         state == SessionState::unknown;
}

TrackedSettings::iterator find_setting(TrackedSettings& settings, std::string_view name) {
  return std::find_if(settings.begin(), settings.end(),
                      [&](const TrackedSetting& setting) { return setting.change.name == name; });
}

// RESET ALL leaves role and session_authorization alone, as PostgreSQL does.
void reset_all(TrackedSettings& settings) {
  std::erase_if(settings, [](const TrackedSetting& setting) { return privilege_replay_rank(setting.change.name) == 2; });
}

}  // namespace

int privilege_replay_rank(std::string_view name) {
  if (name == "session_authorization") return 0;
  if (name == "role") return 1;
  return 2;
}

Parameters read_startup_options(std::string_view options) {
  std::vector<std::string> words(1);
  for (std::size_t i = 0; i < options.size(); ++i) {
    const char c = options[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      if (!words.back().empty()) words.emplace_back();
    } else if (c == '\\' && i + 1 < options.size()) {
      words.back() += options[++i];
    } else {
      words.back() += c;
    }
  }
  Parameters settings;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    if (word == "-c" && i + 1 < words.size()) {
      word = words[++i];
    } else if (word.starts_with("-c")) {
      word.remove_prefix(2);
    } else if (word.starts_with("--")) {
      word.remove_prefix(2);
    } else {
      continue;
    }
    const auto equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    std::string name(word.substr(0, equals));
    std::replace(name.begin(), name.end(), '-', '_');  // as PostgreSQL's ParseLongOption does
    settings.emplace_back(std::move(name), std::string(word.substr(equals + 1)));
  }
  return settings;
}

bool is_reported_parameter(std::string_view name) {
  return std::any_of(kReportedParameters.begin(), kReportedParameters.end(),
                     [&](std::string_view reported) { return same_name(reported, name); });
}

std::string_view to_string(SessionState state) {
  switch (state) {
    case SessionState::listen: return "listen";
    case SessionState::temporary_objects: return "temporary_objects";
    case SessionState::advisory_lock: return "advisory_lock";
    case SessionState::hold_cursor: return "hold_cursor";
    case SessionState::sql_prepared_statement: return "sql_prepared_statement";
    case SessionState::unknown: return "unknown";
  }
  return "unknown";
}

std::string refusal_subject(const SessionStateChange& change) {
  switch (change.state) {
    case SessionState::listen: return "LISTEN";
    case SessionState::temporary_objects: return "temporary objects";
    case SessionState::advisory_lock: return "session advisory locks";
    case SessionState::hold_cursor: return "cursors WITH HOLD";
    case SessionState::sql_prepared_statement: return "PREPARE";
    case SessionState::unknown: return change.name.empty() ? "session state Sluice cannot follow" : change.name;
  }
  return "session state";
}

// ---------------------------------------------------------------------------------------------
// Reported parameters.

namespace {
std::optional<std::size_t> reported_index(std::string_view name) {
  for (std::size_t i = 0; i < kReportedParameters.size(); ++i) {
    if (same_name(kReportedParameters[i], name)) return i;
  }
  return std::nullopt;
}
}  // namespace

// Only kReportedParameters are followed (callers check is_reported_parameter); others are ignored.
void SessionSettings::set_reported(std::string_view name, std::string_view value) {
  const auto index = reported_index(name);
  if (!index) return;
  value = value.substr(0, value.find('\0'));
  const auto bit = static_cast<std::uint8_t>(1u << *index);
  if ((reported_known_ & bit) && reported_value(*index) == value) return;  // servers repeat themselves
  const auto [start, length] = reported_bounds(*index);
  auto changed = std::make_shared<std::string>(reported_text());
  changed->replace(start, length, value);
  reported_ = std::move(changed);
  reported_known_ |= bit;
  const auto conforming = find_reported("standard_conforming_strings");
  lex_options_ = lex_options_for(client_encoding(), !conforming || !same_name(*conforming, "off"));
}

void SessionSettings::share_reported(core::StringInterner& strings) {
  if (reported_) reported_ = strings.intern(*reported_);
}

const std::string& SessionSettings::reported_text() const {
  static const std::string none(kReportedParameters.size(), '\0');
  return reported_ ? *reported_ : none;
}

// Where value `index` sits in reported_: after `index` NULs, up to the next one.
std::pair<std::size_t, std::size_t> SessionSettings::reported_bounds(std::size_t index) const {
  std::size_t start = 0;
  const auto& text = reported_text();
  for (std::size_t i = 0; i < index; ++i) start = text.find('\0', start) + 1;
  return {start, text.find('\0', start) - start};
}

std::string_view SessionSettings::reported_value(std::size_t index) const {
  const auto [start, length] = reported_bounds(index);
  return std::string_view(reported_text()).substr(start, length);
}

std::optional<std::string_view> SessionSettings::find_reported(std::string_view name) const {
  const auto index = reported_index(name);
  if (!index || !(reported_known_ & (1u << *index))) return std::nullopt;
  return reported_value(*index);
}

Parameters SessionSettings::reported() const {
  Parameters known;
  for (std::size_t i = 0; i < kReportedParameters.size(); ++i) {
    if (reported_known_ & (1u << i)) known.emplace_back(std::string(kReportedParameters[i]), std::string(reported_value(i)));
  }
  return known;
}

std::string_view SessionSettings::client_encoding() const {
  // Asked for every client message: by its index, not its name.
  static constexpr std::size_t kClientEncoding = 1;
  static_assert(kReportedParameters[kClientEncoding] == "client_encoding");
  if (!(reported_known_ & (1u << kClientEncoding))) return "UTF8";
  return reported_value(kClientEncoding);
}

LexOptions SessionSettings::lex_options_for(std::string_view client_encoding, bool standard_conforming_strings) {
  return LexOptions{client_encoding_from_name(client_encoding), standard_conforming_strings};
}

bool SessionSettings::is_startup_setting(std::string_view name) {
  static constexpr std::string_view kNotSettings[] = {"user", "database", "options", "replication"};
  if (name.starts_with("_pq_.")) return false;
  return std::none_of(std::begin(kNotSettings), std::end(kNotSettings),
                      [&](std::string_view other) { return same_name(other, name); });
}

// The raw value goes through set_config: SET would read "a, b" in search_path as one name.
bool SessionSettings::set_startup(std::string_view name, std::string_view value) {
  auto literal = quote_literal(value, client_encoding_from_name(client_encoding()));
  auto& own = tracked();
  if (!literal || own.startup.size() >= kMaxClientSettings) return false;
  TrackedSetting setting{SettingChange{SettingAction::set, SettingSyntax::set_config, lower(name), std::move(*literal)},
                         std::string(client_encoding())};
  if (!setting_statement(setting.change, client_encoding_from_name(setting.client_encoding))) return false;
  std::erase_if(own.startup, [&](const TrackedSetting& known) { return known.change.name == setting.change.name; });
  std::erase_if(own.current, [&](const TrackedSetting& known) { return known.change.name == setting.change.name; });
  own.startup.push_back(setting);
  own.current.push_back(std::move(setting));
  return true;
}

// ---------------------------------------------------------------------------------------------
// The client's messages.

void SessionSettings::on_client_event(const ClientEvent& event) {
  if (event.overflow) pin_unknown("too many statements in one text");
  Transit& transit = this->transit();
  if (event.type == frontend::Parse) {
    if (event.statements.empty()) return;
    if (transit.batch.texts.size() >= kMaxTrackedStatements) return pin_unknown("too many statements in one batch");
    transit.batch.texts.push_back(event);
    return;
  }
  if (transit.in_flight.size() >= kMaxTrackedRoundTrips) return pin_unknown("too many queries in flight");
  RoundTrip trip;
  if (event.type == frontend::Sync) {
    trip = std::exchange(transit.batch, RoundTrip{});
  } else {
    trip.query = true;  // a Query, or a FunctionCall (no statements)
    // A text with nothing to confirm (most queries) is not kept: no copy per round trip.
    if (event.type == frontend::Query && !event.statements.empty()) trip.texts.push_back(event);
  }
  transit.in_flight.push_back(std::move(trip));
}

// ---------------------------------------------------------------------------------------------
// The server's replies.

void SessionSettings::on_command_complete(std::string_view tag) {
  if (!transit_ || transit_->in_flight.empty()) return;
  RoundTrip& trip = transit_->in_flight.front();
  if (!trip.query || trip.texts.empty()) return;
  const ClientEvent& text = trip.texts.front();
  const std::size_t index = trip.next++;
  for (const ReadStatement& statement : text.statements) {
    if (statement.index == index) return confirm(statement, tag, text.client_encoding);
  }
}

void SessionSettings::on_error_response() {
  // Not an answer to a request (a FATAL on its way out) if nothing is in flight.
  if (!transit_ || transit_->in_flight.empty()) return;
  transit_->in_flight.front().failed = true;
  if (in_block_) aborted_ = true;
}

void SessionSettings::on_ready_for_query(char status) {
  bool failed = false;
  if (transit_ && !transit_->in_flight.empty()) {
    const RoundTrip trip = std::move(transit_->in_flight.front());
    transit_->in_flight.erase(transit_->in_flight.begin());
    failed = trip.failed;
    if (!trip.query) confirm_batch(trip);
  }
  in_block_ = status != transaction_status::Idle;
  aborted_ = status == transaction_status::Failed;
  if (in_block_) return;
  // Out of any transaction: what ran since the last commit either committed with an
  // implicit transaction or rolled back with it.
  if (failed) {
    roll_back();
  } else {
    commit();
  }
}

// One statement succeeded (its CommandComplete `tag`): the transaction it controls, then its effects.
void SessionSettings::confirm(const ReadStatement& statement, std::string_view tag, const std::string& encoding) {
  switch (statement.control) {
    case TransactionControl::none: break;
    case TransactionControl::begin: in_block_ = true; break;
    case TransactionControl::commit:
    case TransactionControl::prepare_transaction:
      // A failed transaction's COMMIT is answered ROLLBACK.
      if (tag == "ROLLBACK") {
        roll_back();
      } else {
        commit();
      }
      in_block_ = aborted_ = false;
      break;
    case TransactionControl::rollback:
      roll_back();
      in_block_ = aborted_ = false;
      break;
    case TransactionControl::savepoint: transit().savepoints.emplace_back(statement.savepoint, transit().pending.size()); break;
    case TransactionControl::release:
    case TransactionControl::rollback_to: {
      auto& savepoints = transit().savepoints;
      const auto found = std::find_if(savepoints.rbegin(), savepoints.rend(),
                                      [&](const auto& savepoint) { return savepoint.first == statement.savepoint; });
      if (found == savepoints.rend()) break;
      const auto at = std::prev(found.base());
      if (statement.control == TransactionControl::rollback_to) {
        transit().pending.resize(at->second);
        savepoints.erase(at + 1, savepoints.end());
        aborted_ = false;
      } else {
        savepoints.erase(at, savepoints.end());
      }
      break;
    }
  }
  apply_now(statement.effects);
  Pending pending{statement.effects, encoding};
  std::erase_if(pending.effects.state, [](const SessionStateChange& change) { return outlives_rollback(change.state); });
  if (!pending.effects.settings.empty() || !pending.effects.state.empty()) transit().pending.push_back(std::move(pending));
}

// A Sync came back: the batch's Parse texts ran if it had no error. A failed batch may still
// have run some of them: what they would pin, pins (a false pin is the safe mistake).
void SessionSettings::confirm_batch(const RoundTrip& trip) {
  for (const ClientEvent& text : trip.texts) {
    for (const ReadStatement& statement : text.statements) {
      if (!trip.failed) {
        const bool commits = statement.control == TransactionControl::commit ||
                             statement.control == TransactionControl::prepare_transaction;
        confirm(statement, commits && aborted_ ? "ROLLBACK" : "COMMIT", text.client_encoding);
        continue;
      }
      for (const SessionStateChange& change : statement.effects.state) {
        if (change.change == StateChange::add) apply_state(change);
      }
    }
  }
}

void SessionSettings::commit() {
  if (transit_) {
    for (const Pending& pending : transit_->pending) apply_committed(pending);
  }
  roll_back();  // nothing left to undo
}

void SessionSettings::apply_now(const StatementEffects& effects) {
  for (const SessionStateChange& change : effects.state) {
    if (outlives_rollback(change.state)) apply_state(change);
  }
}

void SessionSettings::apply_committed(const Pending& pending) {
  for (const SettingChange& change : pending.effects.settings) apply_setting(change, pending.client_encoding);
  for (const SessionStateChange& change : pending.effects.state) apply_state(change);
}

// ---------------------------------------------------------------------------------------------
// What the client holds.

void SessionSettings::apply_setting(const SettingChange& change, const std::string& encoding) {
  if (change.action == SettingAction::reset_all) {
    if (tracked_) {
      reset_all(tracked_->current);
      for (const auto& setting : tracked_->startup) tracked_->current.push_back(setting);  // the client's defaults
    }
    if (backend_) reset_all(backend_->settings);
    return;
  }
  if (is_reported_parameter(change.name)) return;  // ParameterStatus keeps these
  TrackedSetting tracked{change, encoding};
  tracked.change.name = lower(change.name);
  const auto erase = [&](TrackedSettings& settings) {
    if (auto found = find_setting(settings, tracked.change.name); found != settings.end()) settings.erase(found);
  };
  if (tracked.change.name == "session_authorization") {
    // SET or RESET SESSION AUTHORIZATION also ends any SET ROLE, on the server: a role kept here
    // would be replayed on the next backend, with privileges the client gave up.
    const auto drop_role = [](TrackedSettings& settings) {
      if (auto found = find_setting(settings, "role"); found != settings.end()) settings.erase(found);
    };
    if (backend_) drop_role(backend_->settings);
    if (tracked_) drop_role(tracked_->current);
  }
  if (change.action == SettingAction::reset) {
    // The backend goes back to its own default; the client, to its startup value if it has one
    // (set again on the backend by the next sync).
    if (backend_) erase(backend_->settings);
    if (!tracked_) return;
    erase(tracked_->current);
    auto& startup = tracked_->startup;
    if (auto found = find_setting(startup, tracked.change.name); found != startup.end()) tracked_->current.push_back(*found);
    return;
  }
  if (!setting_statement(tracked.change, client_encoding_from_name(encoding))) {
    return pin_unknown("SET " + tracked.change.name);  // made, but Sluice cannot write it again safely
  }
  const auto upsert = [&](TrackedSettings& settings) {
    if (auto found = find_setting(settings, tracked.change.name); found != settings.end()) {
      *found = tracked;
    } else {
      settings.push_back(tracked);
    }
  };
  auto& current = this->tracked().current;
  if (find_setting(current, tracked.change.name) == current.end() && current.size() >= kMaxClientSettings) {
    return pin_unknown("too many settings");
  }
  upsert(current);
  if (backend_) upsert(backend_->settings);
}

void SessionSettings::apply_state(const SessionStateChange& change) {
  if (!state_) {
    if (change.change != StateChange::add) return;  // nothing held: nothing to remove
    state_ = std::make_unique<StateTable>();
  }
  StateNames& held = (*state_)[static_cast<std::size_t>(change.state)];
  switch (change.change) {
    case StateChange::add:
      if (change.name.empty()) {
        ++held.count;
      } else if (held.names.size() >= kMaxStateNames) {
        held.overflow = true;
      } else if (change.state == SessionState::temporary_objects || !held.names.contains(change.name)) {
        held.names.insert(change.name);
      }
      break;
    case StateChange::remove:
      if (change.state != SessionState::temporary_objects) {
        held.names.erase(change.name);
      } else if (const auto one = held.names.find(change.name); one != held.names.end()) {
        held.names.erase(one);
      }
      break;
    case StateChange::clear: held = StateNames{}; break;
  }
}

void SessionSettings::pin_unknown(std::string what) {
  apply_state(SessionStateChange{SessionState::unknown, StateChange::add, std::move(what)});
}

std::optional<SessionState> SessionSettings::pinned() const {
  if (!state_) return std::nullopt;
  for (std::size_t i = 0; i < state_->size(); ++i) {
    const StateNames& held = (*state_)[i];
    if (held.count > 0 || !held.names.empty() || held.overflow) return static_cast<SessionState>(i);
  }
  return std::nullopt;
}

std::size_t SessionSettings::state_count(SessionState state) const {
  if (!state_) return 0;
  const StateNames& held = (*state_)[static_cast<std::size_t>(state)];
  return held.count + held.names.size();
}

bool SessionSettings::holds(SessionState state, std::string_view name) const {
  return state_ && (*state_)[static_cast<std::size_t>(state)].names.contains(std::string(name));
}

void SessionSettings::trim() {
  if (!pinned()) state_.reset();
  if (tracked_ && tracked_->current.empty() && tracked_->startup.empty()) tracked_.reset();
  if (transit_ && transit_->in_flight.empty() && transit_->batch.texts.empty() && transit_->pending.empty() &&
      transit_->savepoints.empty()) {
    transit_.reset();
  }
}

const TrackedSettings& SessionSettings::settings() const {
  static const TrackedSettings none;
  return tracked_ ? tracked_->current : none;
}

SessionSettings::Tracked& SessionSettings::tracked() {
  if (!tracked_) tracked_ = std::make_unique<Tracked>();
  return *tracked_;
}

SessionSettings::Transit& SessionSettings::transit() {
  if (!transit_) transit_ = std::make_unique<Transit>();
  return *transit_;
}

}  // namespace sluice::pg
