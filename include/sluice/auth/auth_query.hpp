#pragma once

// auth_query's pure half: turning the rows the query returned into a Credential, and a small
// TTL cache of what was looked up. No I/O and no clock of its own (callers pass `now`), so the
// session layer decides when to query and tests decide what time it is.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/auth/credential.hpp"

namespace sluice::auth {

enum class AuthQueryStatus {
  found,         // one row, for this user, with a usable password
  unknown_user,  // no row: the client gets "password authentication failed", like a wrong password
  no_password,   // the row's password is NULL or empty: the user cannot log in through Sluice
  bad_reply,     // wrong column count, another user's row, several rows, unparsable verifier
};

struct AuthQueryResult {
  AuthQueryStatus status = AuthQueryStatus::bad_reply;
  std::optional<Credential> credential;  // set when status is found
  std::string error;                     // for the log; never contains the password
};

using AuthQueryRow = std::vector<std::optional<std::string_view>>;

// Rows of (user name, password or verifier) for `user`. The first column must equal `user`
// (a query that returned someone else's row must not let this client in), and exactly one
// row may come back.
AuthQueryResult credential_from_rows(std::span<const AuthQueryRow> rows, std::string_view user);

// Looked-up credentials, each kept `ttl` after it was stored, at most `capacity` of them (a
// client can name any user, so the cache must not grow with what strangers type). Not
// synchronized: one owner, or the owner's lock.
class CredentialCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  CredentialCache(std::chrono::milliseconds ttl, std::size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  // The stored credential if it has not expired at `now`.
  std::optional<Credential> find(std::string_view user, TimePoint now) const;
  // Stores (or refreshes) `user`; when full, expired entries go first, then the oldest one.
  void store(const std::string& user, Credential credential, TimePoint now);
  // After a failed login: the next login looks the user up again (the password may have changed).
  void forget(std::string_view user);
  // A reload changed auth_query: nothing looked up under the old settings is kept.
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Credential credential;
    TimePoint stored;
  };
  void make_room(TimePoint now);

  std::chrono::milliseconds ttl_;
  std::size_t capacity_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sluice::auth
