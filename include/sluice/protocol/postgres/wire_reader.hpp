// A bounds-checked cursor over one message body. Every read either succeeds
// in full or returns nullopt/false and leaves the cursor where it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "sluice/protocol/postgres/byte_order.hpp"

namespace sluice::pg {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t offset() const { return offset_; }

  std::optional<std::uint8_t> read_u8() {
    if (remaining() < 1) return std::nullopt;
    return bytes_[offset_++];
  }

  std::optional<std::uint16_t> read_u16() {
    if (remaining() < 2) return std::nullopt;
    auto value = load_be16(bytes_.data() + offset_);
    offset_ += 2;
    return value;
  }

  std::optional<std::uint32_t> read_u32() {
    if (remaining() < 4) return std::nullopt;
    auto value = load_be32(bytes_.data() + offset_);
    offset_ += 4;
    return value;
  }

  std::optional<std::int32_t> read_i32() {
    auto value = read_u32();
    if (!value) return std::nullopt;
    return static_cast<std::int32_t>(*value);
  }

  // A NUL-terminated string; the view excludes the NUL, the cursor moves past it.
  std::optional<std::string_view> read_cstring() {
    if (remaining() == 0) return std::nullopt;
    const auto* start = bytes_.data() + offset_;
    const auto* nul = static_cast<const std::uint8_t*>(std::memchr(start, 0, remaining()));
    if (nul == nullptr) return std::nullopt;
    auto length = static_cast<std::size_t>(nul - start);
    offset_ += length + 1;
    return std::string_view(reinterpret_cast<const char*>(start), length);
  }

  std::optional<std::span<const std::uint8_t>> read_bytes(std::size_t count) {
    if (remaining() < count) return std::nullopt;
    auto view = bytes_.subspan(offset_, count);
    offset_ += count;
    return view;
  }

  std::span<const std::uint8_t> rest() {
    auto view = bytes_.subspan(offset_);
    offset_ = bytes_.size();
    return view;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

inline std::string_view as_string_view(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace sluice::pg
