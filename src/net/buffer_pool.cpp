#include "sluice/net/buffer_pool.hpp"

#include <array>
#include <vector>

namespace sluice::net {

namespace {
constexpr std::size_t kSparesPerSize = 64;

// Spare buffers of one size on one thread. Thread-local by design: no lock on the hot path.
struct Spares {
  std::size_t size = 0;
  std::vector<std::uint8_t*> buffers;
  ~Spares() {
    for (auto* buffer : buffers) delete[] buffer;
  }
};

// Larger buffers (a client's message held whole) are rare and short-lived: not kept.
constexpr std::size_t kLargestSpare = 64 * 1024;

Spares* spares_for(std::size_t size) {
  if (size > kLargestSpare) return nullptr;
  thread_local std::array<Spares, 4> spares;
  for (auto& entry : spares) {
    if (entry.size == size) return &entry;
    if (entry.size == 0) {
      entry.size = size;
      return &entry;
    }
  }
  return nullptr;  // an unusual size: plain new/delete
}
}  // namespace

PooledBuffer::PooledBuffer(std::size_t size) : size_(size) {
  if (auto* spares = spares_for(size); spares && !spares->buffers.empty()) {
    data_ = spares->buffers.back();
    spares->buffers.pop_back();
    return;
  }
  data_ = new std::uint8_t[size];
}

void PooledBuffer::give_back() {
  if (!data_) return;
  if (auto* spares = spares_for(size_); spares && spares->buffers.size() < kSparesPerSize) {
    spares->buffers.push_back(data_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
}

}  // namespace sluice::net
