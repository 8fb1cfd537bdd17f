// The statement tracker's per-client half: what each of a client's names means, whichever
// backend it has (statement_tracker.hpp explains the whole); the per-backend half is
// statement_tracker.cpp.
#include <functional>
#include <utility>

#include "sluice/protocol/postgres/statement_tracker.hpp"

namespace sluice::pg {

SharedStatementText make_statement_text(std::string_view query, std::span<const std::uint8_t> parameter_types) {
  auto text = std::make_shared<StatementText>();
  text->query.assign(query);
  text->parameter_types.assign(reinterpret_cast<const char*>(parameter_types.data()), parameter_types.size());
  const std::size_t query_hash = std::hash<std::string_view>{}(text->query);
  const std::size_t types_hash = std::hash<std::string_view>{}(text->parameter_types);
  text->hash = query_hash ^ (types_hash + 0x9e3779b97f4a7c15u + (query_hash << 6) + (query_hash >> 2));
  return text;
}

// ---------------------------------------------------------------------------------------------
// ClientStatements

std::shared_ptr<const ClientStatement> ClientStatements::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::size_t ClientStatements::cost(const ClientStatement& statement) {
  return statement.name.size() + statement.text->query.size() + statement.text->parameter_types.size();
}

ClientStatements::AddResult ClientStatements::add(std::shared_ptr<ClientStatement> statement) {
  if (by_name_.contains(statement->name)) return AddResult::duplicate;
  const std::size_t bytes = cost(*statement);
  if (by_name_.size() >= limits_.max_statements || bytes > limits_.max_text_bytes - std::min(text_bytes_, limits_.max_text_bytes)) {
    return AddResult::over_limit;
  }
  text_bytes_ += bytes;
  const std::string name = statement->name;
  by_name_.emplace(name, std::move(statement));
  return AddResult::added;
}

bool ClientStatements::define(std::string_view name, std::string_view query,
                              std::span<const std::uint8_t> parameter_types) {
  if (name.empty()) return false;  // the unnamed statement lives on a backend only
  auto statement = std::make_shared<ClientStatement>(
      ClientStatement{std::string(name), make_statement_text(query, parameter_types), true});
  return add(std::move(statement)) == AddResult::added;
}

bool ClientStatements::may_define(std::span<const ParseMessage> parses) const {
  std::size_t count = by_name_.size();
  std::size_t bytes = text_bytes_;
  for (std::size_t i = 0; i < parses.size(); ++i) {
    const auto& parse = parses[i];
    if (parse.statement.empty() || by_name_.contains(parse.statement)) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (parses[j].statement == parse.statement) return false;
    }
    ++count;
    bytes += parse.statement.size() + parse.query.size() + parse.parameter_types.size();
  }
  return count <= limits_.max_statements && bytes <= limits_.max_text_bytes;
}

std::shared_ptr<ClientStatement> ClientStatements::take(std::string_view name) {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  auto statement = std::move(it->second);
  by_name_.erase(it);
  text_bytes_ -= cost(*statement);
  return statement;
}

void ClientStatements::erase_if_current(const std::shared_ptr<ClientStatement>& statement) {
  const auto it = by_name_.find(statement->name);
  if (it != by_name_.end() && it->second == statement) take(statement->name);
}

// Not subject to the limits: the client had it all along, as far as PostgreSQL is concerned.
void ClientStatements::restore(const std::shared_ptr<ClientStatement>& statement) {
  if (by_name_.contains(statement->name)) return;
  text_bytes_ += cost(*statement);
  by_name_.emplace(statement->name, statement);
}

bool ClientStatements::deallocate(std::string_view name) { return take(name) != nullptr; }

void ClientStatements::deallocate_all() {
  by_name_.clear();
  text_bytes_ = 0;
}

void ClientStatements::forget_unconfirmed() {
  std::erase_if(by_name_, [this](const auto& item) {
    if (item.second->confirmed) return false;
    text_bytes_ -= cost(*item.second);
    return true;
  });
}

}  // namespace sluice::pg
