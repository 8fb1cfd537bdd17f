#include "sluice/core/string_interner.hpp"

#include <algorithm>

namespace sluice::core {

std::shared_ptr<const std::string> StringInterner::intern(std::string_view text) {
  std::lock_guard lock(mutex_);
  auto found = strings_.find(text);
  if (found != strings_.end()) {
    if (auto shared = found->second.lock()) return shared;
    auto fresh = std::make_shared<const std::string>(text);
    found->second = fresh;
    return fresh;
  }
  auto fresh = std::make_shared<const std::string>(text);
  strings_.emplace(std::string(text), fresh);
  if (strings_.size() >= sweep_at_) sweep_locked();
  return fresh;
}

std::size_t StringInterner::size() const {
  std::lock_guard lock(mutex_);
  return strings_.size();
}

// Drops the entries no client holds any more; the next sweep waits until the table doubles, so
// sweeping costs O(1) per insertion however many distinct strings come and go.
void StringInterner::sweep_locked() {
  std::erase_if(strings_, [](const auto& entry) { return entry.second.expired(); });
  sweep_at_ = std::max<std::size_t>(64, strings_.size() * 2);
}

}  // namespace sluice::core
