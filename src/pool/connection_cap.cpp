#include "sluice/pool/connection_cap.hpp"

#include <algorithm>

namespace sluice::pool {

void ConnectionCap::add_member(std::weak_ptr<CapMember> member) {
  std::lock_guard lock(mutex_);
  std::erase_if(members_, [](const auto& known) { return known.expired(); });
  members_.push_back(std::move(member));
}

void ConnectionCap::block(const std::shared_ptr<CapMember>& member) {
  if (limit() <= 0) return;
  std::lock_guard lock(mutex_);
  for (const auto& known : blocked_) {
    if (known.lock() == member) return;
  }
  blocked_.push_back(member);
}

bool ConnectionCap::has_blocked_other_than(const CapMember* member) const {
  std::lock_guard lock(mutex_);
  return std::any_of(blocked_.begin(), blocked_.end(), [member](const auto& known) {
    auto pool = known.lock();
    return pool && pool.get() != member;
  });
}

void ConnectionCap::wake_next(const CapMember* freed_by) {
  std::shared_ptr<CapMember> next;
  {
    std::lock_guard lock(mutex_);
    for (auto it = blocked_.begin(); it != blocked_.end();) {
      auto pool = it->lock();
      if (!pool) {
        it = blocked_.erase(it);
        continue;
      }
      if (pool.get() != freed_by) {
        next = std::move(pool);
        blocked_.erase(it);
        break;
      }
      ++it;
    }
  }
  if (next) next->cap_slot_freed();
}

void ConnectionCap::reclaim_idle_for(const CapMember* blocked) {
  std::vector<std::shared_ptr<CapMember>> others;
  {
    std::lock_guard lock(mutex_);
    for (const auto& known : members_) {
      auto pool = known.lock();
      if (pool && pool.get() != blocked) others.push_back(std::move(pool));
    }
  }
  for (const auto& pool : others) {
    if (pool->close_one_idle()) return;
  }
}

}  // namespace sluice::pool
