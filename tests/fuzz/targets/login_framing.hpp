// Whole typed messages, cut from a byte stream the way session::read_pg_message reads
// them during login: a 5-byte header, its length checked against a cap, then the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/header.hpp"

namespace sluice::fuzz {

struct WireMessage {
  char type;
  std::span<const std::uint8_t> body;
};

// The next message, consumed from `input`; nullopt where the daemon would hang up
// (bad length) or wait for ever (the stream ends first).
inline std::optional<WireMessage> next_message(std::span<const std::uint8_t>& input, std::size_t max_body) {
  if (input.size() < pg::kHeaderLength) return std::nullopt;
  const auto header = *pg::parse_header(input.first<pg::kHeaderLength>());
  if (pg::validate_length(header.length, max_body + pg::kMinMessageLength) != pg::ScanError::none) {
    return std::nullopt;
  }
  const std::size_t body_length = header.length - pg::kMinMessageLength;
  if (input.size() - pg::kHeaderLength < body_length) return std::nullopt;
  const auto body = input.subspan(pg::kHeaderLength, body_length);
  input = input.subspan(pg::kHeaderLength + body_length);
  return WireMessage{header.type, body};
}

}  // namespace sluice::fuzz
