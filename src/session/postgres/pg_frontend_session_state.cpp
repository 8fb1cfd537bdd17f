// PgFrontend, part three: the client's session across backends. What the client sends is read
// by pg::ClientTextReader and what the server answers confirms it (pg::SessionSettings): session
// settings follow the client to every backend it gets; state that cannot move (LISTEN, temporary
// tables, ...) pins it to its backend in transaction and statement mode, or with
// `session_state: error` is refused before it reaches the server.
#include <spdlog/spdlog.h>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

namespace {

// What a client's text would pin, as the refusal names it; nullopt if it pins nothing.
std::optional<std::string> pinning_subject(const pg::ClientEvent& event) {
  if (event.overflow) return std::string("too many statements in one text");
  for (const auto& statement : event.statements) {
    for (const auto& change : statement.effects.state) {
      if (change.change == pg::StateChange::add) return pg::refusal_subject(change);
    }
  }
  return std::nullopt;
}

Failure refusal(std::string_view subject) {
  return Failure{"session_state", "0A000", "not supported in transaction pool mode: " + std::string(subject)};
}

}  // namespace

std::optional<ClientScan> PgFrontend::track_client_bytes(std::span<const std::uint8_t> buffer, std::size_t held,
                                                         std::size_t received) {
  const bool refuses = refuse_state_;
  if (refuses && held == 0) {
    if (auto answered = refuse_alone(buffer.subspan(0, received))) return answered;
  }
  if (!text_reader_) text_reader_ = std::make_unique<pg::ClientTextReader>(session_.runtime().config->max_packet_size);
  const auto events =
      text_reader_->feed(buffer.subspan(held, received), session_settings_.lex_options(), session_settings_.client_encoding());
  for (const auto& event : events) {
    if (refuses) {
      // Pipelined behind other requests, split across reads or sent with Parse: it cannot be
      // answered in its place, and none of it has completed on the server. The session ends.
      if (auto subject = pinning_subject(event)) {
        spdlog::info("user={} database={}: refused ({}), session_state is error", session_.user(),
                     session_.database(), *subject);
        ClientScan ended;
        ended.error = refusal(*subject);
        return ended;
      }
    }
    session_settings_.on_client_event(event);
  }
  return std::nullopt;
}

namespace {
// Exactly one whole Query.
bool is_lone_query(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= pg::kHeaderLength + 1 && bytes[0] == pg::frontend::Query &&
         pg::load_be32(bytes.data() + 1) + std::size_t{1} == bytes.size();
}

// Exactly one extended-protocol batch of one statement: one Parse first, then Bind, Describe,
// Execute, Close or Flush, and a Sync as the last message (pgjdbc sends even a plain LISTEN this
// way). If the Parse fails, the server skips the rest up to the Sync: ErrorResponse, then
// ReadyForQuery, is the whole answer.
bool is_lone_batch(std::span<const std::uint8_t> bytes) {
  std::size_t offset = 0;
  bool first = true;
  while (bytes.size() - offset >= pg::kHeaderLength) {
    const char type = static_cast<char>(bytes[offset]);
    const std::size_t size = std::size_t{pg::load_be32(bytes.data() + offset + 1)} + 1;
    if (size < pg::kHeaderLength || bytes.size() - offset < size) return false;
    offset += size;
    if (first != (type == pg::frontend::Parse)) return false;  // one Parse, and first
    first = false;
    if (type == pg::frontend::Sync) return offset == bytes.size();
    switch (type) {
      case pg::frontend::Parse: case pg::frontend::Bind: case pg::frontend::Describe:
      case pg::frontend::Execute: case pg::frontend::Close: case pg::frontend::Flush: break;
      default: return false;
    }
  }
  return false;
}
}  // namespace

// A read that is exactly one Query, or one batch of one statement ending in Sync, with nothing
// in flight before it: if it would pin, the client gets the error and a ReadyForQuery in its
// place (as when a statement fails), the backend sees nothing, and the session goes on.
std::optional<ClientScan> PgFrontend::refuse_alone(std::span<const std::uint8_t> bytes) {
  if ((text_reader_ && !text_reader_->at_boundary()) || !client_at_boundary() || unit_.round_trips_in_flight() != 0 ||
      unit_.unsynced()) {
    return std::nullopt;
  }
  const bool query = is_lone_query(bytes);
  if (!query && !is_lone_batch(bytes)) return std::nullopt;
  pg::ClientTextReader reader(bytes.size());
  const auto events = reader.feed(bytes, session_settings_.lex_options(), session_settings_.client_encoding());
  // A Query is one event; a batch is its Parse and its Sync.
  if (events.size() != (query ? 1u : 2u)) return std::nullopt;
  const auto subject = pinning_subject(events[0]);
  if (!subject) return std::nullopt;
  spdlog::info("user={} database={}: refused ({}), session_state is error", session_.user(), session_.database(),
               *subject);
  const auto failure = refusal(*subject);
  ClientScan answer;
  pg::write_error_response(answer.local_reply, "ERROR", failure.sqlstate, failure.message);
  // Nothing reached the server: its transaction, if any, is as it was.
  pg::write_ready_for_query(answer.local_reply, unit_.transaction_status());
  return answer;
}

// Read at login and per lease, as the limits are: a reload reaches the client's next transaction.
void PgFrontend::read_state_policy() {
  refuse_state_ = session_.core().pool_mode() != config::PoolMode::session &&
                  session_.pool().session_state_policy() == config::SessionStatePolicy::error;
}

void PgFrontend::follow_session_state(const pg::MessageView& message) {
  switch (message.type) {
    case pg::backend::CommandComplete: {
      auto tag = std::string_view(reinterpret_cast<const char*>(message.body.data()), message.body.size());
      if (!tag.empty() && tag.back() == '\0') tag.remove_suffix(1);
      session_settings_.on_command_complete(tag);
      break;
    }
    case pg::backend::ErrorResponse: session_settings_.on_error_response(); break;
    case pg::backend::ReadyForQuery:
      if (auto status = pg::read_ready_for_query(message.body)) session_settings_.on_ready_for_query(*status);
      show_pin();
      break;
    default: break;
  }
}

// Session mode keeps one backend per client anyway: nothing to pin.
bool PgFrontend::pinned() const {
  return session_.core().pool_mode() != config::PoolMode::session && session_settings_.pinned().has_value();
}

void PgFrontend::show_pin() {
  const auto pin = pinned() ? session_settings_.pinned() : std::nullopt;
  if (pin == shown_pin_) return;
  shown_pin_ = pin;
  const std::string_view reason = pin ? pg::to_string(*pin) : std::string_view{};
  session_.set_pinned(reason);
}

awaitable<Status> PgFrontend::sync_session() {
  auto& backend = server();
  const auto queries = session_settings_.sync_queries(backend.parameters, backend.given_settings);
  if (!queries) {
    co_return Failure{"session_settings", "08006", "server connection setup failed: a setting cannot be replayed safely"};
  }
  for (const auto& sql : *queries) {
    auto result = co_await run_backend_query(backend, sql, [this](std::string_view name, std::string_view value) {
      // The server's spelling ("UTF8" for "utf8") becomes the client's: no SET next time.
      if (pg::is_reported_parameter(name)) session_settings_.set_reported(name, value);
    });
    if (!result) co_return result.failure();
    if (result->error) {
      // The backend is in no known state (it is closed); the client would run without its settings.
      spdlog::warn("user={} database={}: restoring session settings failed: {}", session_.user(), session_.database(),
                   *result->error);
      co_return Failure{"session_settings", "08006", "could not restore session settings: " + *result->error};
    }
  }
  session_settings_.synced(backend.given_settings);
  co_return ok_status();
}

void PgFrontend::trim_idle() {
  if (text_reader_ && text_reader_->at_boundary() && !text_reader_->remembers_statements()) text_reader_.reset();
  session_settings_.trim();
  session_settings_.share_reported(session_.context().shared_strings);  // a SET may have made its own copy
  if (scanners_ && scanners_->client.at_boundary() && scanners_->outgoing.at_boundary() &&
      scanners_->held_server_bytes.empty()) {
    scanners_.reset();
  }
  if (client_statements_ && client_statements_->size() == 0) client_statements_.reset();
  if (!session_.core().has_lease()) server_scanner_.reset();  // kept between leases while busy
}

}  // namespace sluice::session
