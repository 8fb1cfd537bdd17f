// One client's session as Sluice must carry it between backends in transaction mode: the
// settings that follow the client, and the state that cannot (and so pins it to its backend).
// Sans-I/O: the session feeds it what the client sent (ClientTextReader's events, in wire
// order) and what the server answered (CommandComplete, ErrorResponse, ReadyForQuery,
// ParameterStatus), and asks it what SQL brings a backend to the client's settings and
// whether the client is pinned.
//
// A statement's effects count only once the server confirms them, as session_statement.hpp
// says: settings, temporary objects, LISTEN and WITH HOLD cursors once their transaction has
// committed (they roll back with it, savepoints included); advisory locks, SQL PREPARE and
// unknown state as soon as the statement succeeded (a rollback does not undo them). A Query's
// statements are confirmed one CommandComplete each. Extended-protocol texts (Parse) have no
// CommandComplete of their own that Sluice can tie to them: their effects count when the Sync
// that follows comes back without an error (a Parse that is never executed is taken as run;
// a failed batch still pins what it may have pinned) — but what a text removes counts at the
// Bind that runs it (ClientTextReader), never at a Parse alone.
//
// Two kinds of settings:
//   - reported parameters (application_name, client_encoding, DateStyle, TimeZone,
//     standard_conforming_strings, IntervalStyle): the server reports every change, rollbacks
//     included, with ParameterStatus, which is what the tracker keeps (set_reported);
//   - every other setting the client makes (search_path, statement_timeout, role, myapp.x):
//     kept as the client wrote it, with the client_encoding it was written in, and replayed
//     with setting_statement().
// Per backend, BackendSettings records what Sluice's clients have set there, so a backend
// handed to another client is brought back: RESET what the new client does not have, SET what
// it has.
//
// Bounded: at most kMaxClientSettings settings and kMaxStateNames names per kind of state;
// beyond that the client is pinned (reason "unknown"), since Sluice can no longer follow it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/core/string_interner.hpp"
#include "sluice/protocol/postgres/client_text_reader.hpp"

namespace sluice::pg {

inline constexpr std::size_t kMaxClientSettings = 64;
inline constexpr std::size_t kMaxStateNames = 256;
// Round trips in flight that the tracker follows; a client pipelining more is pinned.
inline constexpr std::size_t kMaxTrackedRoundTrips = 4096;

using Parameters = std::vector<std::pair<std::string, std::string>>;

// The parameters the server reports with ParameterStatus and Sluice replays from those reports.
inline constexpr std::array<std::string_view, 6> kReportedParameters = {
    "application_name", "client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings", "IntervalStyle"};
bool is_reported_parameter(std::string_view name);

// Where a setting goes when settings are replayed: session_authorization (0), then role (1),
// before what may depend on the privileges (2).
int privilege_replay_rank(std::string_view name);

// A setting as a client made it: how to write it again, and in which client_encoding.
struct TrackedSetting {
  SettingChange change;  // action is always set; name lower-cased
  std::string client_encoding;

  bool operator==(const TrackedSetting&) const = default;
};
using TrackedSettings = std::vector<TrackedSetting>;  // in the order first made

// What Sluice's clients have set on one backend (kept with the backend, across leases).
struct BackendSettings {
  TrackedSettings settings;
  // The reported values the backend was last brought to (a client's immutable shared copy, so
  // one pointer stands for the whole text) and which of them that client knew; null once the
  // backend reported a change since. Lets the next lease of a client with these very values
  // skip the comparison (SessionSettings::in_sync_with).
  std::shared_ptr<const std::string> synced_reported;
  std::uint8_t synced_known = 0;

  // The server reported a parameter (ParameterStatus): the memo above no longer holds.
  void reported_change() { synced_reported.reset(); }
};

// The settings in a startup packet's `options` ("-c name=value", "--name=value"; words split at
// whitespace, a backslash keeps the next character), as PostgreSQL reads them. Other switches
// are not settings and are left out.
Parameters read_startup_options(std::string_view options);

// "listen", "temporary_objects", ... (the pinned reason in SHOW CLIENTS and /metrics).
std::string_view to_string(SessionState state);
// What the client is told it may not do: "LISTEN", "temporary objects", ...
std::string refusal_subject(const SessionStateChange& change);

class SessionSettings {
 public:
  // --- reported parameters ---
  void set_reported(std::string_view name, std::string_view value);
  // Trades this client's copy of its reported values for the one other clients with the same
  // values hold (at the end of login, and when idle): an idle client then carries a pointer.
  void share_reported(core::StringInterner& strings);
  // The known ones, in kReportedParameters order (built on demand: at login, not per message).
  Parameters reported() const;
  std::optional<std::string_view> find_reported(std::string_view name) const;
  // How the server reads the client's next text, from its reported parameters (kept up to
  // date by set_reported: asked for every client message).
  LexOptions lex_options() const { return lex_options_; }
  // "UTF8" when not reported; valid until the reported values change.
  std::string_view client_encoding() const;

  // A setting from the startup packet (extra_float_digits, search_path, ...): the client's
  // value from the start, and what RESET and RESET ALL go back to, as in PostgreSQL. False if
  // it cannot be written safely (or the cap is reached); the caller says so.
  bool set_startup(std::string_view name, std::string_view value);
  // Startup parameters that are not settings: the login's own, the protocol's, and `options`
  // (read with read_startup_options).
  static bool is_startup_setting(std::string_view name);

  // --- the client's messages, in wire order ---
  void on_client_event(const ClientEvent& event);

  // --- the server's replies, in order ---
  void on_command_complete(std::string_view tag);
  void on_error_response();
  void on_ready_for_query(char status);

  // --- the backend ---
  // A backend is attached to the client (its record is updated with what the client sets on
  // it), or detached (null). The pointer must outlive the attachment.
  void attach(BackendSettings* backend) { backend_ = backend; }
  // The queries that bring a backend with these reported parameters and this record to the
  // client's settings, in order (each one is read by the server in the client_encoding the
  // one before it leaves); empty if it has them. nullopt if a value cannot be written safely.
  std::optional<std::vector<std::string>> sync_queries(const Parameters& backend_reported,
                                                       const BackendSettings& backend) const;
  // True when `backend` needs no query at all: it was last brought to this very copy of the
  // client's reported values, has reported no change since, and Sluice's clients left exactly
  // this client's settings on it. The usual lease, decided without comparing a value.
  bool in_sync_with(const BackendSettings& backend) const;
  // After sync_queries ran (or in_sync_with said none was needed): the backend's record is the client's.
  void synced(BackendSettings& backend) const;
  // A text Sluice itself ran on the backend (server_reset_query) succeeded: apply what it did
  // to the backend's record only.
  static void apply_to_backend(std::string_view sql, BackendSettings& backend);

  // State the session learns elsewhere (a named Parse with prepared statements not tracked):
  // applied at once, as an advisory lock is.
  void apply(const SessionStateChange& change) { apply_state(change); }

  // --- what the client holds ---
  const TrackedSettings& settings() const;
  // Gives back the scratch capacity of a client that has gone idle (nothing in flight then).
  void trim();
  // The first kind of state that pins the client, or nullopt.
  std::optional<SessionState> pinned() const;
  std::size_t state_count(SessionState state) const;
  bool holds(SessionState state, std::string_view name) const;

 private:
  struct Pending {  // a confirmed statement's effects that wait for their transaction to commit
    StatementEffects effects;
    std::string client_encoding;
  };
  struct RoundTrip {
    bool query = false;  // Query (CommandComplete per statement) or Sync (the batch at once)
    std::size_t next = 0;  // the next statement to be confirmed (Query)
    bool failed = false;
    std::vector<ClientEvent> texts;  // the Query, or the Parse texts of the batch
  };
  struct StateNames {
    std::size_t count = 0;  // adds of nameless state (temporary objects, locks)
    // A temporary object's name once per CREATE (overloaded routines share one; a DROP removes
    // one); the other kinds' names once each, however often added.
    std::multiset<std::string> names;
    bool overflow = false;  // names were dropped: removing one cannot prove the state gone
  };

  void confirm(const ReadStatement& statement, std::string_view tag, const std::string& encoding);
  void confirm_batch(const RoundTrip& trip);
  void commit();
  void roll_back() {
    if (!transit_) return;
    transit_->pending.clear();
    transit_->savepoints.clear();
  }
  void apply_now(const StatementEffects& effects);
  void apply_committed(const Pending& pending);
  void apply_setting(const SettingChange& change, const std::string& encoding);
  void apply_state(const SessionStateChange& change);
  void pin_unknown(std::string what);

  // Values of kReportedParameters by position, each ended by a NUL, in one string (wire values
  // hold no NUL); `reported_known_` says which are set. Every client holds one, so it is shared:
  // immutable, replaced on a change (rare: login, SET of a reported parameter), and interned
  // (share_reported). Null: all six empty.
  std::pair<std::size_t, std::size_t> reported_bounds(std::size_t index) const;  // start, length
  std::string_view reported_value(std::size_t index) const;
  const std::string& reported_text() const;
  std::shared_ptr<const std::string> reported_;
  // The client's settings, made on its first and dropped by trim() once it has none again:
  // most clients set nothing, and two empty vectors would cost each of them 48 bytes.
  struct Tracked {
    TrackedSettings current;
    TrackedSettings startup;  // from the startup packet: what RESET goes back to
  };
  Tracked& tracked();
  std::unique_ptr<Tracked> tracked_;
  using StateTable = std::array<StateNames, 6>;  // by SessionState
  // Made on the first state a client holds and dropped by trim() once it holds none again: most
  // clients never hold any, and an idle one should cost little.
  std::unique_ptr<StateTable> state_;
  BackendSettings* backend_ = nullptr;

  // What is on its way between client and server: made on the client's first message, dropped
  // by trim() once nothing is in flight or pending, so an idle client holds none.
  struct Transit {
    // Oldest first; a vector, not a deque (an empty deque holds a 512-byte block). Bounded by
    // kMaxTrackedRoundTrips, so erasing the front is cheap.
    std::vector<RoundTrip> in_flight;
    RoundTrip batch;  // Parse texts since the last Sync
    std::vector<Pending> pending;
    std::vector<std::pair<std::string, std::size_t>> savepoints;  // name, pending size at it
  };
  Transit& transit();
  std::unique_ptr<Transit> transit_;
  bool in_block_ = false;  // an explicit transaction block is open
  bool aborted_ = false;   // ... and failed: it can only roll back
  std::uint8_t reported_known_ = 0;  // beside the flags: no padding after reported_
  LexOptions lex_options_ = lex_options_for("UTF8", true);  // from reported_, remade when it changes
  static LexOptions lex_options_for(std::string_view client_encoding, bool standard_conforming_strings);
};

}  // namespace sluice::pg
