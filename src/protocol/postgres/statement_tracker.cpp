#include "sluice/protocol/postgres/statement_tracker.hpp"

#include <functional>
#include <utility>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/sqlstate.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::pg {

namespace {

constexpr std::string_view kServerNamePrefix = "sluice_s";

// Sluice's names are the prefix and digits. A client naming one of them without having made it
// must not reach another client's statement (or close it behind Sluice's back): the name is
// sent as the bare prefix, which is never prepared, and the backend answers that it does not exist.
bool is_server_name(std::string_view name) {
  if (!name.starts_with(kServerNamePrefix) || name.size() == kServerNamePrefix.size()) return false;
  return name.find_first_not_of("0123456789", kServerNamePrefix.size()) == std::string_view::npos;
}

std::string_view outside_name(std::string_view name) { return is_server_name(name) ? kServerNamePrefix : name; }

bool ends_round_trip(char type) {
  return type == frontend::Sync || type == frontend::Query || type == frontend::FunctionCall;
}

// Client messages the backend answers (Flush, Terminate and the Copy* messages get no reply of
// their own).
bool is_request(char type) {
  switch (type) {
    case frontend::Parse:
    case frontend::Bind:
    case frontend::Describe:
    case frontend::Execute:
    case frontend::Close:
    case frontend::Sync:
    case frontend::Query:
    case frontend::FunctionCall:
      return true;
    default:
      return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// BackendStatements: the cache of definitions prepared here.

BackendStatements::BackendStatements(std::size_t max_statements) : max_statements_(max_statements) {}

BackendStatements::Entry* BackendStatements::find(const StatementText& text) {
  const auto it = index_.find(&text);
  return it == index_.end() ? nullptr : &*it->second;
}

const BackendStatements::Entry* BackendStatements::find(const StatementText& text) const {
  const auto it = index_.find(&text);
  return it == index_.end() ? nullptr : &*it->second;
}

std::optional<std::string_view> BackendStatements::server_name(const StatementText& text) const {
  const Entry* entry = find(text);
  if (entry == nullptr) return std::nullopt;
  return std::string_view(entry->server_name);
}

bool BackendStatements::prepared(const StatementText& text) const {
  const Entry* entry = find(text);
  return entry != nullptr && entry->prepared;
}

// A definition in use: it becomes the most recently used.
BackendStatements::Entry* BackendStatements::touch(const StatementText& text) {
  const auto it = index_.find(&text);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &lru_.front();
}

std::string BackendStatements::next_server_name() {
  return std::string(kServerNamePrefix) + std::to_string(next_name_++);
}

BackendStatements::Entry* BackendStatements::usable(Entry* entry, StatementOutbox& out) {
  if (entry == nullptr || entry->context == context_) return entry;
  // Still being prepared, or used by requests in flight: kept (the client changed its settings
  // within one pipeline; PostgreSQL decides then, as it would for one client alone).
  if (skipping_ || !entry->prepared || entry->in_flight > 0) return entry;
  if (!write_close(out.to_backend, kTargetStatement, entry->server_name)) return entry;
  enqueue(Request{frontend::Close, Reply::swallow, nullptr, entry->text, entry->server_name}, nullptr, out.to_client);
  erase(index_.find(entry->text.get())->second);
  return nullptr;
}

BackendStatements::Entry& BackendStatements::insert(SharedStatementText text) {
  lru_.push_front(Entry{std::move(text), next_server_name()});
  lru_.front().context = context_;
  index_.emplace(lru_.front().text.get(), lru_.begin());
  return lru_.front();
}

BackendStatements::Lru::iterator BackendStatements::erase(Lru::iterator entry) {
  index_.erase(entry->text.get());
  return lru_.erase(entry);
}

void BackendStatements::forget_all() {
  index_.clear();
  lru_.clear();
}

void BackendStatements::forget(std::string_view server_name) {
  for (auto it = lru_.begin(); it != lru_.end(); ++it) {
    if (it->server_name == server_name) {
      erase(it);
      return;
    }
  }
}

void BackendStatements::forget_failing_definition() {
  if (requests_.empty() || !requests_.front().text) return;
  const Request& failing = requests_.front();
  const auto it = index_.find(failing.text.get());
  if (it != index_.end() && it->second->server_name == failing.server_name) erase(it->second);
}

// Least recently used first, skipping what queued requests still use (a Bind queued before the
// Close must find its statement) and what is not prepared yet.
void BackendStatements::evict_over_capacity(StatementOutbox& out) {
  if (skipping_) return;  // the backend would skip the Close too
  auto it = lru_.end();
  while (lru_.size() > max_statements_ && it != lru_.begin()) {
    --it;
    if (!it->prepared || it->in_flight > 0) continue;
    if (!write_close(out.to_backend, kTargetStatement, it->server_name)) continue;
    enqueue(Request{frontend::Close, Reply::swallow, nullptr, it->text, it->server_name}, nullptr, out.to_client);
    ++evictions_;
    it = erase(it);
  }
}

// The backend's entry for the client's statement `name`, sending a Parse for it first if this
// backend has not got it; nullptr if the client has no such statement (sent on unchanged, so
// the backend answers as PostgreSQL would - or finds a SQL-level PREPARE of that name).
BackendStatements::Entry* BackendStatements::resolve(ClientStatements& client, std::string_view name,
                                                     StatementOutbox& out) {
  if (name.empty()) return nullptr;
  const auto statement = client.find(name);
  if (!statement) return nullptr;
  if (Entry* entry = usable(touch(*statement->text), out)) return entry;
  Entry& entry = insert(statement->text);
  if (!write_parse(out.to_backend, entry.server_name, entry.text->query, bytes_of(entry.text->parameter_types))) {
    erase(lru_.begin());
    return nullptr;
  }
  ++parses_sent_;
  enqueue(Request{frontend::Parse, Reply::swallow, nullptr, entry.text, entry.server_name}, &client, out.to_client);
  evict_over_capacity(out);
  return &entry;
}

// ---------------------------------------------------------------------------------------------
// Client messages.

ParseOutcome BackendStatements::parse(ClientStatements& client, const ParseMessage& message, StatementOutbox& out) {
  if (skipping_) {  // ignored by the backend: it must not change what the client's names mean
    return write_parse(out.to_backend, message.statement, message.query, message.parameter_types)
               ? ParseOutcome::skipped
               : ParseOutcome::unwritable;
  }
  if (message.statement.empty()) {
    if (!write_parse(out.to_backend, "", message.query, message.parameter_types)) return ParseOutcome::unwritable;
    enqueue(Request{frontend::Parse, Reply::relay}, &client, out.to_client);
    return ParseOutcome::unnamed;
  }
  auto statement = std::make_shared<ClientStatement>(
      ClientStatement{std::string(message.statement), make_statement_text(message.query, message.parameter_types)});
  switch (client.add(statement)) {
    case ClientStatements::AddResult::duplicate: return refuse_duplicate(client, message.statement, out);
    case ClientStatements::AddResult::over_limit: return ParseOutcome::over_limit;
    case ClientStatements::AddResult::added: break;
  }
  if (const Entry* existing = usable(touch(*statement->text), out)) {
    if (existing->prepared) {
      enqueue(Request{frontend::Parse, Reply::synthesize, statement}, &client, out.to_client);
      return ParseOutcome::shared;
    }
    return parse_copy(client, statement, out);
  }
  Entry& entry = insert(statement->text);
  if (!write_parse(out.to_backend, entry.server_name, message.query, message.parameter_types)) {
    erase(lru_.begin());
    client.erase_if_current(statement);
    return ParseOutcome::unwritable;
  }
  ++parses_sent_;
  enqueue(Request{frontend::Parse, Reply::relay, statement, entry.text, entry.server_name}, &client, out.to_client);
  evict_over_capacity(out);
  return ParseOutcome::forwarded;
}

// The definition's first Parse here is still unanswered and may yet fail, and then this one must
// fail where the client sent it. So the backend is asked too, under a name of its own, and that
// copy is closed at once: the client's later messages use the first name.
ParseOutcome BackendStatements::parse_copy(ClientStatements& client, const std::shared_ptr<ClientStatement>& statement,
                                           StatementOutbox& out) {
  const std::string copy = next_server_name();
  const StatementText& text = *statement->text;
  std::string messages;
  if (!write_parse(messages, copy, text.query, bytes_of(text.parameter_types)) ||
      !write_close(messages, kTargetStatement, copy)) {
    client.erase_if_current(statement);
    return ParseOutcome::unwritable;
  }
  out.to_backend += messages;
  ++parses_sent_;
  enqueue(Request{frontend::Parse, Reply::relay, statement}, &client, out.to_client);
  enqueue(Request{frontend::Close, Reply::swallow}, &client, out.to_client);
  return ParseOutcome::forwarded;
}

// PostgreSQL checks a Parse's name last, once the text has parsed: what it refuses, it refuses
// with the backend's whole error handling (skip to Sync, fail the transaction block). So the
// backend gets a Parse that fails too, and its error becomes 42P05 on the way back.
ParseOutcome BackendStatements::refuse_duplicate(ClientStatements& client, std::string_view name, StatementOutbox& out) {
  if (!write_parse(out.to_backend, kRefusedParseName, kRefusedParseQuery, {})) return ParseOutcome::unwritable;
  Request request{frontend::Parse, Reply::relay};
  request.refused_name = name;
  enqueue(std::move(request), &client, out.to_client);
  return ParseOutcome::duplicate_name;
}

// A message naming a statement (`names_statement`) or a portal goes on under Sluice's name for
// the statement, preceded by a Parse when this backend has not got it; `write(name)` appends the
// message (nothing if it returns false). Its reply is then expected like any request's.
template <class Write>
bool BackendStatements::send_renamed(char type, ClientStatements& client, std::string_view name,
                                     bool names_statement, StatementOutbox& out, Write&& write) {
  if (skipping_) return write(name);
  Entry* entry = names_statement ? resolve(client, name, out) : nullptr;
  const std::string_view sent = entry != nullptr ? std::string_view(entry->server_name)
                                : names_statement ? outside_name(name)
                                                  : name;
  if (!write(sent)) return false;
  Request request{type, Reply::relay};
  if (entry != nullptr) {
    request.text = entry->text;
    request.server_name = entry->server_name;
  }
  enqueue(std::move(request), &client, out.to_client);
  return true;
}

bool BackendStatements::bind(ClientStatements& client, const BindMessage& message, StatementOutbox& out) {
  return send_renamed(frontend::Bind, client, message.statement, true, out,
                      [&](std::string_view name) { return write_bind(out.to_backend, message, name); });
}

bool BackendStatements::bind_head(ClientStatements& client, const BindHead& head, std::size_t rest_length,
                                  StatementOutbox& out) {
  return send_renamed(frontend::Bind, client, head.statement, true, out, [&](std::string_view name) {
    return write_bind_head(out.to_backend, head.portal, name, rest_length);
  });
}

bool BackendStatements::describe(ClientStatements& client, const TargetMessage& message, StatementOutbox& out) {
  return send_renamed(frontend::Describe, client, message.name, message.target == kTargetStatement, out,
                      [&](std::string_view name) { return write_describe(out.to_backend, message.target, name); });
}

// Closing a client's statement only forgets the client's name: the backend keeps the definition
// for whoever needs it next, and Sluice answers CloseComplete itself.
bool BackendStatements::close(ClientStatements& client, const TargetMessage& message, StatementOutbox& out) {
  if (skipping_) return write_close(out.to_backend, message.target, message.name);
  if (message.target == kTargetStatement && !message.name.empty()) {
    if (auto statement = client.take(message.name)) {
      enqueue(Request{frontend::Close, Reply::synthesize, std::move(statement)}, &client, out.to_client);
      return true;
    }
  }
  const std::string_view name = message.target == kTargetStatement ? outside_name(message.name) : message.name;
  if (!write_close(out.to_backend, message.target, name)) return false;
  enqueue(Request{frontend::Close, Reply::relay}, &client, out.to_client);
  return true;
}

bool BackendStatements::settled(const ClientStatements& client, std::string_view name) const {
  const auto statement = client.find(name);
  for (const Request& request : requests_) {
    if (request.group >= groups_sent_) break;  // the current group: its order decides, as in PostgreSQL
    if (request.client && request.client->name == name) return false;  // its Parse or Close
    // A Parse or evicting Close of its definition here: which name the backend has for it is not known yet.
    const bool changes_definition = request.type == frontend::Parse || request.type == frontend::Close;
    if (statement && changes_definition && request.text && *request.text == *statement->text) return false;
  }
  return true;
}

std::optional<std::string> BackendStatements::deallocate(ClientStatements& client, std::string_view name,
                                                         StatementOutbox& out) {
  if (skipping_ || name.empty() || !client.find(name)) return std::nullopt;
  Entry* entry = resolve(client, name, out);
  if (entry == nullptr) return std::nullopt;
  std::string server_name = entry->server_name;
  client.deallocate(name);
  forget(server_name);
  return server_name;
}

void BackendStatements::restore_unnamed(std::string_view parse_message, StatementOutbox& out) {
  if (parse_message.empty()) {
    if (!write_close(out.to_backend, kTargetStatement, "")) return;
    enqueue(Request{frontend::Close, Reply::swallow}, nullptr, out.to_client);
    return;
  }
  out.to_backend += parse_message;
  ++parses_sent_;
  enqueue(Request{frontend::Parse, Reply::swallow}, nullptr, out.to_client);
}

void BackendStatements::forwarded(char type) {
  if (!is_request(type)) return;
  std::string nothing_due;  // a relayed request never makes a reply of Sluice's due
  enqueue(Request{type, Reply::relay}, nullptr, nothing_due);
}

// ---------------------------------------------------------------------------------------------
// Requests in flight.

void BackendStatements::enqueue(Request request, ClientStatements* client, std::string& to_client) {
  if (skipping_ && request.type != frontend::Sync) {
    failed(request, client);  // after an error the backend ignores it: it never happened
    return;
  }
  if (request.type == frontend::Sync) skipping_ = false;
  request.group = groups_sent_;
  if (ends_round_trip(request.type)) ++groups_sent_;
  if (request.text) {
    Entry* entry = find(*request.text);
    if (entry != nullptr && entry->server_name == request.server_name) ++entry->in_flight;
  }
  requests_.push_back(std::move(request));
  emit_due(client, to_client);
}

BackendStatements::Request BackendStatements::pop() {
  Request request = std::move(requests_.front());
  requests_.pop_front();
  if (request.text) {
    Entry* entry = find(*request.text);
    if (entry != nullptr && entry->server_name == request.server_name && entry->in_flight > 0) --entry->in_flight;
  }
  return request;
}

void BackendStatements::succeeded(const Request& request, ClientStatements*) {
  if (request.type != frontend::Parse) return;
  if (request.text) {
    Entry* entry = find(*request.text);
    if (entry != nullptr && entry->server_name == request.server_name) entry->prepared = true;
  }
  if (request.client) request.client->confirmed = true;
}

// The backend refused the request, or skipped it after an earlier error: undo what Sluice
// assumed when it was sent.
void BackendStatements::failed(const Request& request, ClientStatements* client) {
  if (request.type == frontend::Parse) {
    if (request.text) {
      const auto it = index_.find(request.text.get());
      if (it != index_.end() && it->second->server_name == request.server_name && !it->second->prepared) {
        erase(it->second);
      }
    }
    if (request.client && client != nullptr) client->erase_if_current(request.client);
  } else if (request.type == frontend::Close) {
    // An evicting Close that was skipped leaves the statement prepared: keep knowing it.
    if (request.reply == Reply::swallow && request.text && find(*request.text) == nullptr) {
      lru_.push_back(Entry{request.text, request.server_name, true, 0});
      index_.emplace(lru_.back().text.get(), std::prev(lru_.end()));
    }
    if (request.reply == Reply::synthesize && request.client && client != nullptr) client->restore(request.client);
  }
}

// The reply that completes the oldest request, which must be of `type`.
bool BackendStatements::complete_head(char type, ClientStatements* client) {
  if (!head_is(type)) {
    desynchronized_ = true;
    return true;
  }
  const Request request = pop();
  succeeded(request, client);
  return request.reply == Reply::relay;
}

// An error ends a Query or FunctionCall normally (its ReadyForQuery follows). For an extended-
// protocol message it fails that message, and the backend skips all it is sent up to the next
// Sync: those requests never happen either.
void BackendStatements::on_error(ClientStatements* client) {
  if (requests_.empty() || ends_round_trip(requests_.front().type)) return;
  std::vector<Request> skipped;
  while (!requests_.empty() && requests_.front().type != frontend::Sync) skipped.push_back(pop());
  fail_in_reverse(skipped, client);
  if (requests_.empty()) skipping_ = true;  // the Sync is still to come
}

// Undone last first, so a name closed and then parsed again in the failed group gets back its
// first meaning.
void BackendStatements::fail_in_reverse(std::vector<Request>& requests, ClientStatements* client) {
  for (auto it = requests.rbegin(); it != requests.rend(); ++it) failed(*it, client);
}

void BackendStatements::on_ready_for_query(ClientStatements* client) {
  std::vector<Request> unanswered;  // should have been answered before the ReadyForQuery
  bool answered = false;            // the Sync, Query or FunctionCall it answers
  while (!requests_.empty() && !answered) {
    Request request = pop();
    answered = ends_round_trip(request.type);
    if (!answered) unanswered.push_back(std::move(request));
  }
  if (!answered || !unanswered.empty()) desynchronized_ = true;
  fail_in_reverse(unanswered, client);
}

// Replies Sluice makes itself, once every request before them has been answered.
void BackendStatements::emit_due(ClientStatements* client, std::string& to_client) {
  while (!requests_.empty() && requests_.front().reply == Reply::synthesize) {
    const Request request = pop();
    if (request.type == frontend::Parse) write_parse_complete(to_client);
    if (request.type == frontend::Close) write_close_complete(to_client);
    succeeded(request, client);
  }
}

std::optional<std::string> BackendStatements::duplicate_name_error(std::span<const std::uint8_t> error_body) const {
  if (requests_.empty() || requests_.front().refused_name.empty()) return std::nullopt;
  const auto error = read_error_fields(error_body);
  if (!error || error->sqlstate != sqlstate::undefined_column) return std::nullopt;  // kRefusedParseQuery's
  std::string reply;
  write_error_response(reply, "ERROR", sqlstate::duplicate_prepared_statement,
                       "prepared statement \"" + requests_.front().refused_name + "\" already exists");
  return reply;
}

bool BackendStatements::on_server_message(char type, ClientStatements* client, std::string& to_client) {
  bool relay = true;
  switch (type) {
    case backend::ParseComplete: relay = complete_head(frontend::Parse, client); break;
    case backend::BindComplete: relay = complete_head(frontend::Bind, client); break;
    case backend::CloseComplete: relay = complete_head(frontend::Close, client); break;
    case backend::NoData: relay = complete_head(frontend::Describe, client); break;
    case backend::ParameterDescription:  // the first of Describe's two replies
      if (!head_is(frontend::Describe)) desynchronized_ = true;
      break;
    case backend::RowDescription:  // Describe's last reply, or a Query's result
      if (head_is(frontend::Describe)) relay = complete_head(frontend::Describe, client);
      break;
    case backend::CommandComplete:
    case backend::EmptyQueryResponse:
    case backend::PortalSuspended:  // Execute's last reply, or part of a Query's
      if (head_is(frontend::Execute)) relay = complete_head(frontend::Execute, client);
      break;
    case backend::ErrorResponse: on_error(client); break;
    case backend::ReadyForQuery: on_ready_for_query(client); break;
    default: break;  // rows, copy data, notices, ParameterStatus, notifications
  }
  emit_due(client, to_client);
  return relay;
}

}  // namespace sluice::pg
