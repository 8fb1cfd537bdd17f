#include "sluice/protocol/postgres/client_text_reader.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "sluice/protocol/postgres/plain_statement.hpp"

namespace sluice::pg {

namespace {

// A token kept for the transaction-control check: key words are lower-cased by the lexer, and
// names (savepoints) are at most NAMEDATALEN - 1 bytes anyway.
constexpr std::size_t kHeadTokenText = 64;

bool follows_text(char type) { return type == frontend::Query || type == frontend::Parse; }
bool is_event(char type) { return follows_text(type) || type == frontend::Sync || type == frontend::FunctionCall; }

bool removes_state(const SessionStateChange& change) { return change.change != StateChange::add; }

// A Parse runs nothing, so what its text would remove (DROP of a temporary table, UNLISTEN,
// pg_advisory_unlock_all, CLOSE) must wait for the Bind that runs it: counted at the Parse, a
// client whose state is still there would be unpinned and its backend handed on. What it would
// add and set counts at the Parse already (a false pin is the safe mistake).
ClientEvent without_removals(ClientEvent event) {
  for (ReadStatement& statement : event.statements) std::erase_if(statement.effects.state, removes_state);
  return event;
}

// The first Bind after the Parse: the removals held back, alone (settings, transaction control
// and additions were counted with the Parse). Empty when the text removes nothing.
std::optional<ClientEvent> removals_only(const ClientEvent& parsed, std::size_t end) {
  ClientEvent event;
  event.type = frontend::Parse;
  event.end = end;
  event.length = parsed.length;
  event.statement_count = parsed.statement_count;
  event.client_encoding = parsed.client_encoding;
  for (const ReadStatement& statement : parsed.statements) {
    ReadStatement removals;
    removals.index = statement.index;
    for (const SessionStateChange& change : statement.effects.state) {
      if (removes_state(change)) removals.effects.state.push_back(change);
    }
    if (!removals.effects.state.empty()) event.statements.push_back(std::move(removals));
  }
  if (event.statements.empty()) return std::nullopt;
  return event;
}

// What BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE a statement is, from its first tokens.
TransactionControl control_of(const std::array<std::string, 4>& head, std::size_t count, std::string& savepoint) {
  auto word = [&](std::size_t i, std::string_view lower) { return i < count && head[i] == lower; };
  auto name_at = [&](std::size_t i) {
    if (i < count) savepoint = head[i];
  };
  if (word(0, "begin") || (word(0, "start") && word(1, "transaction"))) return TransactionControl::begin;
  if (word(0, "commit") || word(0, "end")) {
    return word(1, "prepared") ? TransactionControl::none : TransactionControl::commit;
  }
  if (word(0, "savepoint")) {
    name_at(1);
    return TransactionControl::savepoint;
  }
  if (word(0, "release")) {
    name_at(word(1, "savepoint") ? 2 : 1);
    return TransactionControl::release;
  }
  if (word(0, "prepare") && word(1, "transaction")) return TransactionControl::prepare_transaction;
  if (word(0, "rollback") || word(0, "abort")) {
    if (word(1, "prepared")) return TransactionControl::none;
    std::size_t i = (word(1, "work") || word(1, "transaction")) ? 2 : 1;
    if (!word(i, "to")) return TransactionControl::rollback;
    ++i;
    if (word(i, "savepoint")) ++i;
    name_at(i);
    return TransactionControl::rollback_to;
  }
  return TransactionControl::none;
}

}  // namespace

std::span<const ClientEvent> ClientTextReader::feed(std::span<const std::uint8_t> bytes, const LexOptions& options,
                                                    std::string_view client_encoding) {
  done_.clear();
  std::size_t pos = 0;
  while (pos < bytes.size() && !broken_) {
    if (header_size_ < kHeaderLength) {
      const std::size_t taken = std::min<std::size_t>(kHeaderLength - header_size_, bytes.size() - pos);
      std::memcpy(header_.data() + header_size_, bytes.data() + pos, taken);
      header_size_ = static_cast<std::uint8_t>(header_size_ + taken);
      pos += taken;
      if (header_size_ < kHeaderLength) break;
      const std::uint32_t length = load_be32(header_.data() + 1);
      if (validate_length(length, max_message_length_) != ScanError::none) {
        broken_ = true;
        break;
      }
      remaining_ = length - kMinMessageLength;
      begin_message(client_encoding, options);
    }
    const std::size_t taken = std::min<std::size_t>(remaining_, bytes.size() - pos);
    read_body(bytes.data() + pos, taken);
    pos += taken;
    remaining_ -= static_cast<std::uint32_t>(taken);
    if (remaining_ == 0) {
      if (phase_ == Phase::text) end_text();  // a text without its NUL: PostgreSQL rejects it anyway
      header_size_ = 0;
      end_message(pos);
      current_ = ClientEvent{};
    }
  }
  return done_;
}

void ClientTextReader::begin_message(std::string_view client_encoding, const LexOptions& options) {
  current_ = ClientEvent{};
  current_.type = static_cast<char>(header_[0]);
  current_.length = load_be32(header_.data() + 1);
  phase_ = Phase::skip;
  name_.clear();
  name_too_long_ = false;
  if (current_.type == frontend::Bind) phase_ = Phase::portal;    // portal, then the statement's name
  if (current_.type == frontend::Close) phase_ = Phase::target;   // 'S' or 'P', then the name
  if (!follows_text(current_.type)) return;
  current_.client_encoding = client_encoding;
  text_options_ = options;
  text_fed_ = false;
  // A Parse starts with the statement's name; a Query is all text.
  phase_ = current_.type == frontend::Parse ? Phase::name : Phase::text;
}

// The text of a Query is its body up to the NUL; of a Parse, what follows the name's NUL.
void ClientTextReader::read_body(const std::uint8_t* bytes, std::size_t size) {
  std::size_t i = 0;
  while (i < size) {
    if (phase_ == Phase::skip || phase_ == Phase::rest) return;
    if (phase_ == Phase::target) {
      phase_ = bytes[i++] == 'S' ? Phase::statement : Phase::skip;  // a portal's Close changes nothing here
      continue;
    }
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(bytes + i, 0, size - i));
    const std::size_t run = nul ? static_cast<std::size_t>(nul - (bytes + i)) : size - i;
    // A whole text that is one plain statement needs no lexer: one statement, nothing to track.
    if (phase_ == Phase::text && nul && !text_fed_ &&
        is_plain_statement(std::string_view(reinterpret_cast<const char*>(bytes + i), run))) {
      current_.statement_count = 1;
      phase_ = Phase::rest;
      return;
    }
    if (phase_ == Phase::text) feed_text(bytes + i, run);
    if (phase_ == Phase::name || phase_ == Phase::statement) read_name(bytes + i, run);
    if (!nul) return;
    i += run + 1;
    switch (phase_) {
      case Phase::name: phase_ = Phase::text; break;
      case Phase::portal: phase_ = Phase::statement; break;
      case Phase::statement: phase_ = Phase::rest; break;
      default: end_text(); break;
    }
  }
}

void ClientTextReader::read_name(const std::uint8_t* bytes, std::size_t size) {
  if (name_too_long_ || name_.size() + size > kMaxRememberedName) {
    name_too_long_ = true;
    return;
  }
  name_.append(reinterpret_cast<const char*>(bytes), size);
}

ClientTextReader::Remembered* ClientTextReader::remembered(std::string_view name) {
  for (auto& statement : remembered_) {
    if (statement.name == name) return &statement;
  }
  return nullptr;
}

void ClientTextReader::forget(std::string_view name) {
  std::erase_if(remembered_, [&](const Remembered& statement) { return statement.name == name; });
}

// A whole message was read: the events it makes, and what is remembered of prepared statements.
void ClientTextReader::end_message(std::size_t end) {
  current_.end = end;
  // DEALLOCATE ALL or DISCARD ALL: no prepared statement is left once it ran.
  const auto deallocates = [](const ClientEvent& event) {
    return std::any_of(event.statements.begin(), event.statements.end(),
                       [](const ReadStatement& statement) { return statement.effects.deallocate_all; });
  };
  if (is_event(current_.type) && deallocates(current_)) remembered_.clear();
  switch (current_.type) {
    case frontend::Parse: {
      forget(name_);  // the unnamed statement, or a name the client closed and parses again
      const bool interesting = !current_.statements.empty() || current_.overflow;
      if (interesting && (name_too_long_ || remembered_.size() >= kMaxRememberedStatements)) {
        current_.overflow = true;  // its next runs could not be followed: unknown state
      } else if (interesting) {
        remembered_.push_back(Remembered{name_, current_});
      }
      break;
    }
    case frontend::Bind:
      if (auto* statement = name_too_long_ ? nullptr : remembered(name_)) {
        if (!std::exchange(statement->bound, false)) {
          ClientEvent again = statement->event;
          again.end = end;
          if (deallocates(again)) remembered_.clear();
          done_.push_back(std::move(again));
        } else if (auto removals = removals_only(statement->event, end)) {
          done_.push_back(std::move(*removals));
        }
      }
      return;
    case frontend::Close:
      if (phase_ == Phase::rest && !name_too_long_) forget(name_);
      return;
    default: break;
  }
  if (current_.type == frontend::Parse) {
    done_.push_back(without_removals(std::move(current_)));
  } else if (is_event(current_.type)) {
    done_.push_back(std::move(current_));
  }
}

// The lexer for a text it will read (a plain statement never reaches it). A fresh lexer and
// classifier only when the options change: reset ones keep their buffers, so a client's every
// Query costs no allocation here.
void ClientTextReader::start_lexer() {
  text_fed_ = true;
  head_count_ = 0;
  const LexOptions& current = lexer_.options();
  if (current.encoding != text_options_.encoding ||
      current.standard_conforming_strings != text_options_.standard_conforming_strings) {
    lexer_ = SqlLexer(text_options_);
    classifier_ = StatementClassifier(text_options_);
  } else {
    lexer_.reset();
  }
}

void ClientTextReader::feed_text(const std::uint8_t* bytes, std::size_t size) {
  if (!text_fed_) start_lexer();
  if (size > 0) lexer_.feed(std::string_view(reinterpret_cast<const char*>(bytes), size), *this);
}

void ClientTextReader::end_text() {
  if (!text_fed_) start_lexer();
  lexer_.finish(*this);
  if (!classifier_.empty()) end_statement();
  phase_ = Phase::rest;
}

void ClientTextReader::on_token(const Token& token) {
  if (token.is_symbol(';')) return end_statement();
  classifier_.add(token);
  if (head_count_ < head_.size()) head_[head_count_++] = std::string(token.text.substr(0, kHeadTokenText));
}

void ClientTextReader::end_statement() {
  const bool empty = classifier_.empty();
  ReadStatement statement;
  statement.effects = classifier_.finish();
  if (empty) return;  // PostgreSQL answers nothing for it
  statement.index = current_.statement_count++;
  statement.control = control_of(head_, head_count_, statement.savepoint);
  head_count_ = 0;
  if (!statement.interesting()) return;
  if (current_.statements.size() >= kMaxTrackedStatements) {
    current_.overflow = true;
    return;
  }
  current_.statements.push_back(std::move(statement));
}

}  // namespace sluice::pg
