#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::auth {

// Standard base64 (RFC 4648 §4) with '=' padding, as SCRAM and PostgreSQL verifiers use.
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);

// Strict decoder for untrusted input: no whitespace, length a multiple of 4, padding only at
// the end, and unused trailing bits zero (RFC 4648 §3.5), so every value has one spelling.
// nullopt if the text is not canonical base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sluice::auth
