// ClientStatements and BackendStatements (statement_registry.hpp).
#include "sluice/protocol/mysql/statement_registry.hpp"

#include <algorithm>
#include <utility>

namespace sluice::mysql {

std::uint32_t ClientStatements::free_id(std::uint32_t wanted) const {
  if (wanted != kNoStatementId && wanted != kLastStatementId && !statements_.count(wanted)) return wanted;
  std::uint32_t id = statements_.empty() ? 1 : statements_.rbegin()->first + 1;
  // Past the top (a client that prepared four billion statements): the lowest gap.
  if (id == kLastStatementId || id == kNoStatementId) {
    id = 1;
    while (statements_.count(id)) ++id;
  }
  return id;
}

std::uint32_t ClientStatements::add(std::string_view context, std::string_view sql, const PrepareOk& prepared) {
  const std::uint32_t id = free_id(prepared.statement_id);
  std::string key;
  key.reserve(context.size() + 1 + sql.size());
  key.append(context).push_back('\0');
  key.append(sql);
  text_size_ += key.size();
  statements_[id] = ClientStatement{std::move(key), context.size() + 1, prepared.num_params, {}, ++clock_};
  return id;
}

void ClientStatements::forget(std::uint32_t id) {
  const auto found = statements_.find(id);
  if (found == statements_.end()) return;
  text_size_ -= found->second.key.size();
  statements_.erase(found);
}

ClientStatement* ClientStatements::use(std::uint32_t id) {
  const auto found = statements_.find(id);
  if (found == statements_.end()) return nullptr;
  found->second.last_used = ++clock_;
  return &found->second;
}

const ClientStatement* ClientStatements::find(std::uint32_t id) const {
  const auto found = statements_.find(id);
  return found == statements_.end() ? nullptr : &found->second;
}

std::vector<std::uint32_t> ClientStatements::most_recent(std::size_t limit) const {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_use;
  by_use.reserve(statements_.size());
  for (const auto& [id, statement] : statements_) by_use.emplace_back(statement.last_used, id);
  std::sort(by_use.begin(), by_use.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::uint32_t> ids;
  for (std::size_t i = 0; i < by_use.size() && i < limit; ++i) ids.push_back(by_use[i].second);
  return ids;
}

BackendStatement* BackendStatements::use(std::string_view key) {
  const auto found = statements_.find(key);
  if (found == statements_.end()) return nullptr;
  found->second.last_used = ++clock_;
  return &found->second;
}

std::vector<std::uint32_t> BackendStatements::make_room(std::size_t incoming,
                                                        std::span<const std::string_view> in_use) {
  std::vector<std::uint32_t> closed = std::exchange(replaced_, {});
  const auto used = [&](const std::string& key) { return std::find(in_use.begin(), in_use.end(), key) != in_use.end(); };
  while (statements_.size() + in_flight_ + incoming > limit_) {
    auto oldest = statements_.end();
    for (auto it = statements_.begin(); it != statements_.end(); ++it) {
      if (used(it->first)) continue;
      if (oldest == statements_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
    }
    if (oldest == statements_.end()) break;  // all in use
    closed.push_back(oldest->second.backend_id);
    statements_.erase(oldest);
  }
  return closed;
}

void BackendStatements::add(std::string_view key, std::uint32_t backend_id) {
  const auto found = statements_.find(key);
  if (found == statements_.end()) {
    statements_.emplace(std::string(key), BackendStatement{backend_id, {}, ++clock_});
    return;
  }
  if (found->second.backend_id != backend_id) replaced_.push_back(found->second.backend_id);
  found->second = BackendStatement{backend_id, {}, ++clock_};
}

}  // namespace sluice::mysql
