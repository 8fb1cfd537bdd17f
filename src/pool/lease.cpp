#include "sluice/pool/server_pool.hpp"
#include <utility>

namespace sluice::pool {

// ---- Lease ---------------------------------------------------------------------------

Lease::Lease(std::shared_ptr<ServerPool> pool, ServerConnection* connection, bool waited)
    : pool_(std::move(pool)), connection_(connection), waited_(waited) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::exchange(other.connection_, nullptr)), waited_(other.waited_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    discard();
    pool_ = std::move(other.pool_);
    connection_ = std::exchange(other.connection_, nullptr);
    waited_ = other.waited_;
  }
  return *this;
}

Lease::~Lease() { discard(); }

void Lease::release() {
  if (auto* connection = std::exchange(connection_, nullptr)) {
    pool_->give_back(connection, true, CloseReason::not_reusable);
  }
}

void Lease::discard() {
  if (auto* connection = std::exchange(connection_, nullptr)) {
    pool_->give_back(connection, false, CloseReason::not_reusable);
  }
}

}  // namespace sluice::pool
