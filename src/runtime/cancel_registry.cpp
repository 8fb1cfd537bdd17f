#include "sluice/runtime/cancel_registry.hpp"

#include <array>
#include <cstdlib>
#include <cstring>

#include "sluice/auth/scram_secret.hpp"

namespace sluice::runtime {

CancelKey CancelRegistry::add(std::weak_ptr<CancelTarget> target) {
  std::lock_guard lock(mutex_);
  for (;;) {
    // Unguessable: a key is all it takes to cancel someone's query.
    std::array<std::uint8_t, 8> random{};
    if (!auth::random_fill(random)) std::abort();  // no entropy: nothing safe to hand out
    std::uint64_t bits = 0;
    std::memcpy(&bits, random.data(), sizeof bits);
    // Process ids look like small positive numbers to clients that print them.
    CancelKey key{static_cast<std::uint32_t>(bits >> 32) & 0x3fffffffu, static_cast<std::uint32_t>(bits)};
    if (targets_.emplace(key.process_id, Entry{key.secret_key, target}).second) return key;
  }
}

void CancelRegistry::remove(const CancelKey& key) {
  std::lock_guard lock(mutex_);
  auto found = targets_.find(key.process_id);
  if (found != targets_.end() && found->second.secret_key == key.secret_key) targets_.erase(found);
}

std::shared_ptr<CancelTarget> CancelRegistry::find(const CancelKey& key) const {
  std::lock_guard lock(mutex_);
  auto found = targets_.find(key.process_id);
  if (found == targets_.end() || found->second.secret_key != key.secret_key) return nullptr;
  return found->second.target.lock();
}

std::shared_ptr<CancelTarget> CancelRegistry::find_by_process_id(std::uint32_t process_id) const {
  std::lock_guard lock(mutex_);
  auto found = targets_.find(process_id);
  return found == targets_.end() ? nullptr : found->second.target.lock();
}

}  // namespace sluice::runtime
