#include "sluice/runtime/cancel_registry.hpp"

#include <array>
#include <cstdlib>
#include <cstring>

#include "sluice/auth/scram_secret.hpp"

namespace sluice::runtime {

CancelKey CancelRegistry::add(std::shared_ptr<CancelTarget> target) {
  std::lock_guard lock(mutex_);
  for (;;) {
    // Unguessable: a key is all it takes to cancel someone's query.
    std::array<std::uint8_t, 8> random{};
    if (!auth::random_fill(random)) std::abort();  // no entropy: nothing safe to hand out
    std::uint64_t bits = 0;
    std::memcpy(&bits, random.data(), sizeof bits);
    // Process ids look like small positive numbers to clients that print them.
    CancelKey key{static_cast<std::uint32_t>(bits >> 32) & 0x3fffffffu, static_cast<std::uint32_t>(bits)};
    if (targets_.emplace(pack(key), target).second) return key;
  }
}

void CancelRegistry::remove(const CancelKey& key) {
  std::lock_guard lock(mutex_);
  targets_.erase(pack(key));
}

std::shared_ptr<CancelTarget> CancelRegistry::find(const CancelKey& key) const {
  std::lock_guard lock(mutex_);
  auto found = targets_.find(pack(key));
  return found == targets_.end() ? nullptr : found->second;
}

}  // namespace sluice::runtime
