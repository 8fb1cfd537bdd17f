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

bool ConnectionCap::over_fair_share(const CapMember* member, std::size_t held) const {
  const int cap = limit();
  if (cap <= 0) return false;
  std::size_t others = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& known : blocked_) {
      const auto pool = known.lock();
      if (pool && pool.get() != member) ++others;
    }
  }
  if (others == 0) return false;
  const std::size_t contenders = others + 1;
  const std::size_t share = (static_cast<std::size_t>(cap) + contenders - 1) / contenders;
  return held > share;
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
