// Big-endian (network order) loads and appends for the PostgreSQL codec.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::pg {

// Callers guarantee `bytes` has at least 2 / 4 elements.
inline std::uint16_t load_be16(const std::uint8_t* bytes) {
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

inline std::uint32_t load_be32(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

inline void append_be16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

inline void append_be32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

// Overwrites four bytes at `offset` (already present in `out`).
inline void store_be32(std::string& out, std::size_t offset, std::uint32_t value) {
  out[offset] = static_cast<char>(value >> 24);
  out[offset + 1] = static_cast<char>(value >> 16);
  out[offset + 2] = static_cast<char>(value >> 8);
  out[offset + 3] = static_cast<char>(value);
}

// Views a byte buffer built in a std::string as the bytes the codec reads.
inline std::span<const std::uint8_t> bytes_of(std::string_view buffer) {
  return {reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size()};
}

}  // namespace sluice::pg
