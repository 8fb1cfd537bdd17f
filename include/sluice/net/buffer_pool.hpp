#pragma once
// Relay buffers borrowed per burst of traffic and given back when a client goes idle, so
// an idle client holds none. Each worker thread keeps a few spare buffers of each size:
// a transaction costs no malloc of 16–32 KiB, and idle memory stays bounded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace sluice::net {

class PooledBuffer {
 public:
  PooledBuffer() = default;
  explicit PooledBuffer(std::size_t size);  // borrows from this thread's spares if it can
  PooledBuffer(PooledBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  PooledBuffer& operator=(PooledBuffer&& other) noexcept {
    if (this != &other) {
      give_back();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~PooledBuffer() { give_back(); }

  bool empty() const { return data_ == nullptr; }
  std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<std::uint8_t> span() const { return {data_, size_}; }
  void reset() { give_back(); }

 private:
  void give_back();
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sluice::net
