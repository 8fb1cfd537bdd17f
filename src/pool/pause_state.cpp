#include "sluice/pool/pause_state.hpp"

namespace sluice::pool {

void PauseState::pause(const std::optional<std::string>& database) {
  if (!database) {
    all_paused_ = true;
    paused_.clear();
    resumed_.clear();
  } else if (all_paused_) {
    resumed_.erase(*database);
  } else {
    paused_.insert(*database);
  }
}

void PauseState::resume(const std::optional<std::string>& database) {
  if (!database) {
    all_paused_ = false;
    paused_.clear();
    resumed_.clear();
  } else if (all_paused_) {
    resumed_.insert(*database);
  } else {
    paused_.erase(*database);
  }
}

bool PauseState::covers(const std::string& database) const {
  return all_paused_ ? !resumed_.contains(database) : paused_.contains(database);
}

}  // namespace sluice::pool
