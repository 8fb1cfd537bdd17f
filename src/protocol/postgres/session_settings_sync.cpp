// SessionSettings, part two: the SQL that brings a backend to a client's settings.
//
// PostgreSQL converts a whole Query text from the client_encoding in force when it arrives, so
// a SET client_encoding inside a text does not change how the rest of that text is read. Hence
// one Query per encoding: first the client's own encoding (set alone, in ASCII, which every
// encoding reads the same), then the RESETs and SETs written in it, then, for settings the
// client wrote under another client_encoding, that encoding, its settings, and back.
#include <strings.h>

#include <algorithm>
#include <map>

#include "sluice/protocol/postgres/session_settings.hpp"
#include "sluice/protocol/postgres/sql_quote.hpp"

namespace sluice::pg {

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const std::string* find_parameter(const Parameters& parameters, std::string_view name) {
  for (const auto& [known, value] : parameters) {
    if (same_name(known, name)) return &value;
  }
  return nullptr;
}

const TrackedSetting* find_setting(const TrackedSettings& settings, std::string_view name) {
  const auto found = std::find_if(settings.begin(), settings.end(),
                                  [&](const TrackedSetting& setting) { return setting.change.name == name; });
  return found == settings.end() ? nullptr : &*found;
}

void append_statement(std::string& text, std::string_view statement) {
  if (!text.empty()) text += ';';
  text += statement;
}

std::optional<std::string> encoding_statement(std::string_view encoding) {
  auto literal = quote_literal(encoding, ClientEncoding::unknown);  // an encoding name is ASCII
  if (!literal) return std::nullopt;
  return "SET client_encoding TO " + *literal;
}

std::optional<std::string> reset_statement(std::string_view name, ClientEncoding encoding) {
  if (name == "role") return std::string("RESET ROLE");
  if (name == "session_authorization") return std::string("RESET SESSION AUTHORIZATION");
  return setting_statement(SettingChange{SettingAction::reset, SettingSyntax::generic, std::string(name), {}}, encoding);
}

bool is_privilege_setting(std::string_view name) { return privilege_replay_rank(name) < 2; }

// Whether a setting the client made before its role or session authorization must be replayed:
// the server let the client make it with the privileges it had then, so the backend's own role
// and session authorization (an earlier lease's) must go first and the client's come back after it.
bool replays_before_privileges(const TrackedSettings& settings, const BackendSettings& backend) {
  bool later_privilege = false;
  for (auto setting = settings.rbegin(); setting != settings.rend(); ++setting) {
    if (is_privilege_setting(setting->change.name)) {
      later_privilege = true;
      continue;
    }
    if (!later_privilege) continue;
    const TrackedSetting* given = find_setting(backend.settings, setting->change.name);
    if (!given || !(*given == *setting)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> SessionSettings::sync_queries(const Parameters& backend_reported,
                                                                       const BackendSettings& backend) const {
  std::vector<std::string> queries;
  const std::string own_encoding(client_encoding());
  const auto* backend_encoding = find_parameter(backend_reported, "client_encoding");
  if (!backend_encoding || *backend_encoding != own_encoding) {
    auto statement = encoding_statement(own_encoding);
    if (!statement) return std::nullopt;
    queries.push_back(std::move(*statement));
  }
  const ClientEncoding encoding = client_encoding_from_name(own_encoding);

  std::string main;
  // What an earlier client set on this backend and this one has not: back to the default.
  std::vector<const TrackedSetting*> stale;
  for (const auto& given : backend.settings) {
    if (!find_setting(settings(), given.change.name)) stale.push_back(&given);
  }
  // The client's settings are replayed in the order it made them (a superuser-only setting made
  // before a SET ROLE is made before it again); the backend's role goes first where one of them
  // must be.
  const bool privileges_again = replays_before_privileges(settings(), backend);
  if (privileges_again) {
    for (const auto& given : backend.settings) {
      if (is_privilege_setting(given.change.name) && find_setting(settings(), given.change.name)) {
        stale.push_back(&given);
      }
    }
  }
  std::stable_sort(stale.begin(), stale.end(), [](const TrackedSetting* a, const TrackedSetting* b) {
    // Back to the login's own privileges first: an earlier role may not reset what follows.
    return privilege_replay_rank(a->change.name) < privilege_replay_rank(b->change.name);
  });
  for (const TrackedSetting* given : stale) {
    auto statement = reset_statement(given->change.name, encoding);
    if (!statement) return std::nullopt;
    append_statement(main, *statement);
  }
  for (std::size_t i = 0; i < kReportedParameters.size(); ++i) {
    if (!(reported_known_ & (1u << i))) continue;
    const std::string_view name = kReportedParameters[i];
    const std::string_view value = reported_value(i);
    if (same_name(name, "client_encoding")) continue;
    const auto* current = find_parameter(backend_reported, name);
    if (current && *current == value) continue;
    auto literal = quote_literal(value, encoding);
    if (!literal) return std::nullopt;
    append_statement(main, "SET " + std::string(name) + " TO " + *literal);
  }
  // The client's own settings, grouped by the encoding they were written in.
  std::map<std::string, std::string> other_encodings;
  for (const TrackedSetting& own : settings()) {
    const TrackedSetting* setting = &own;
    const TrackedSetting* given = find_setting(backend.settings, setting->change.name);
    if (given && *given == *setting && !(privileges_again && is_privilege_setting(setting->change.name))) continue;
    auto statement = setting_statement(setting->change, client_encoding_from_name(setting->client_encoding));
    if (!statement) return std::nullopt;
    append_statement(setting->client_encoding == own_encoding ? main : other_encodings[setting->client_encoding],
                     *statement);
  }
  if (!main.empty()) queries.push_back(std::move(main));
  for (auto& [written_in, text] : other_encodings) {
    auto switch_to = encoding_statement(written_in);
    if (!switch_to) return std::nullopt;
    queries.push_back(std::move(*switch_to));
    queries.push_back(std::move(text));
  }
  if (!other_encodings.empty()) queries.push_back(*encoding_statement(own_encoding));
  return queries;
}

bool SessionSettings::in_sync_with(const BackendSettings& backend) const {
  constexpr auto kEncodingKnown = 1u << 1;  // kReportedParameters[1], client_encoding: set first otherwise
  static_assert(kReportedParameters[1] == "client_encoding");
  return reported_ && backend.synced_reported == reported_ && backend.synced_known == reported_known_ &&
         (reported_known_ & kEncodingKnown) && backend.settings == settings();
}

void SessionSettings::synced(BackendSettings& backend) const {
  backend.settings = settings();
  backend.synced_reported = reported_;
  backend.synced_known = reported_known_;
}

void SessionSettings::apply_to_backend(std::string_view sql, BackendSettings& backend) {
  SessionSettings replay;
  replay.attach(&backend);
  for (const Statement& statement : scan_statements(sql)) {
    for (const SettingChange& change : statement.effects.settings) {
      if (change.action != SettingAction::set) replay.apply_setting(change, "UTF8");
    }
  }
}

}  // namespace sluice::pg
