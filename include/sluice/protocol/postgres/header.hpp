// The 5-byte header of every typed message: type byte + int32 length.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"

namespace sluice::pg {

struct Header {
  char type;
  std::uint32_t length;  // as on the wire: counts its own 4 bytes, not the type byte
};

enum class ScanError {
  none,
  length_too_small,  // length < 4
  length_too_large,  // length > max_message_length, or > kMaxWireLength (int32 on the wire)
};

// "length_too_small" etc., for logs.
std::string_view to_string(ScanError error);

// Decodes the header; no validation (see validate_length).
inline std::optional<Header> parse_header(std::span<const std::uint8_t, kHeaderLength> bytes) {
  return Header{static_cast<char>(bytes[0]), load_be32(bytes.data() + 1)};
}

// Checks a header's length against the protocol minimum, the int32 wire limit and the caller's cap.
inline ScanError validate_length(std::uint32_t length, std::uint64_t max_message_length) {
  if (length < kMinMessageLength) return ScanError::length_too_small;
  if (length > kMaxWireLength || length > max_message_length) return ScanError::length_too_large;
  return ScanError::none;
}

}  // namespace sluice::pg
