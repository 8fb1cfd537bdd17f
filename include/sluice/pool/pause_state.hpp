#pragma once
// Which databases the admin console has paused (PAUSE [db]) and not resumed since. The pool
// registry keeps it, so a pool created while its database is paused (the first client of
// another user arrives) starts paused too, as the pools that existed at PAUSE time are.
#include <optional>
#include <set>
#include <string>

namespace sluice::pool {

class PauseState {
 public:
  // nullopt: every database, including those added later by a reload.
  void pause(const std::optional<std::string>& database);
  void resume(const std::optional<std::string>& database);
  bool covers(const std::string& database) const;
  bool all_paused() const { return all_paused_; }

 private:
  bool all_paused_ = false;
  std::set<std::string, std::less<>> paused_;   // paused one by one (while not all are)
  std::set<std::string, std::less<>> resumed_;  // resumed one by one while all are paused
};

}  // namespace sluice::pool
