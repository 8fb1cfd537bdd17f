// Little-endian loads and appends for the MySQL codec (Protocol::FixedLengthInteger).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::mysql {

// Callers guarantee `bytes` has at least 2 / 3 / 4 / 8 elements.
inline std::uint16_t load_le16(const std::uint8_t* bytes) {
  return static_cast<std::uint16_t>(bytes[0] | (bytes[1] << 8));
}

inline std::uint32_t load_le24(const std::uint8_t* bytes) {
  return std::uint32_t{bytes[0]} | (std::uint32_t{bytes[1]} << 8) | (std::uint32_t{bytes[2]} << 16);
}

inline std::uint32_t load_le32(const std::uint8_t* bytes) {
  return load_le24(bytes) | (std::uint32_t{bytes[3]} << 24);
}

inline std::uint64_t load_le64(const std::uint8_t* bytes) {
  return std::uint64_t{load_le32(bytes)} | (std::uint64_t{load_le32(bytes + 4)} << 32);
}

// Appends the low `width` bytes of `value`, least significant first.
inline void append_le(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

inline void append_le16(std::string& out, std::uint16_t value) { append_le(out, value, 2); }
inline void append_le24(std::string& out, std::uint32_t value) { append_le(out, value, 3); }
inline void append_le32(std::string& out, std::uint32_t value) { append_le(out, value, 4); }
inline void append_le64(std::string& out, std::uint64_t value) { append_le(out, value, 8); }

// Overwrites three bytes at `offset` (already present in `out`).
inline void store_le24(std::string& out, std::size_t offset, std::uint32_t value) {
  out[offset] = static_cast<char>(value);
  out[offset + 1] = static_cast<char>(value >> 8);
  out[offset + 2] = static_cast<char>(value >> 16);
}

// Views a byte buffer built in a std::string as the bytes the codec reads.
inline std::span<const std::uint8_t> bytes_of(std::string_view buffer) {
  return {reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size()};
}

inline std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace sluice::mysql
