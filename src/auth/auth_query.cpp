#include "sluice/auth/auth_query.hpp"

#include <algorithm>

namespace sluice::auth {
namespace {

AuthQueryResult failure(AuthQueryStatus status, std::string error) { return {status, std::nullopt, std::move(error)}; }

}  // namespace

AuthQueryResult credential_from_rows(std::span<const AuthQueryRow> rows, std::string_view user) {
  if (rows.empty()) return failure(AuthQueryStatus::unknown_user, "auth_query found no such user");
  if (rows.size() > 1) {
    return failure(AuthQueryStatus::bad_reply,
                   "auth_query returned " + std::to_string(rows.size()) + " rows; it must return at most one");
  }
  const AuthQueryRow& row = rows.front();
  if (row.size() != 2) {
    return failure(AuthQueryStatus::bad_reply, "auth_query returned " + std::to_string(row.size()) +
                                                   " columns; it must return (user name, password)");
  }
  if (!row[0] || *row[0] != user) {
    return failure(AuthQueryStatus::bad_reply, "auth_query returned a row for another user");
  }
  if (!row[1] || row[1]->empty()) return failure(AuthQueryStatus::no_password, "auth_query: the user has no password");
  auto credential = make_credential(*row[1], user);
  // The text is not echoed: it is a password or a verifier.
  if (!credential) return failure(AuthQueryStatus::bad_reply, "auth_query returned a password Sluice cannot use");
  return {AuthQueryStatus::found, std::move(credential), ""};
}

std::optional<Credential> CredentialCache::find(std::string_view user, TimePoint now) const {
  const auto it = entries_.find(user);
  if (it == entries_.end() || now - it->second.stored >= ttl_) return std::nullopt;
  return it->second.credential;
}

void CredentialCache::store(const std::string& user, Credential credential, TimePoint now) {
  if (capacity_ == 0) return;
  if (auto it = entries_.find(user); it != entries_.end()) {
    it->second = Entry{std::move(credential), now};
    return;
  }
  make_room(now);
  entries_.emplace(user, Entry{std::move(credential), now});
}

void CredentialCache::forget(std::string_view user) {
  if (auto it = entries_.find(user); it != entries_.end()) entries_.erase(it);
}

void CredentialCache::make_room(TimePoint now) {
  if (entries_.size() < capacity_) return;
  std::erase_if(entries_, [&](const auto& entry) { return now - entry.second.stored >= ttl_; });
  if (entries_.size() < capacity_) return;
  const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return a.second.stored < b.second.stored;
  });
  entries_.erase(oldest);
}

}  // namespace sluice::auth
