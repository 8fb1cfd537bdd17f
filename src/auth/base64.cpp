#include "sluice/auth/base64.hpp"

#include <algorithm>
#include <array>

namespace sluice::auth {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t invalid_sextet = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(invalid_sextet);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr auto decode_table = make_decode_table();

// Decodes one 4-character group holding `data_chars` real characters (2, 3 or 4).
bool decode_group(std::string_view group, std::size_t data_chars, std::string& out) {
  std::uint32_t bits = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    std::uint8_t sextet = 0;
    if (i < data_chars) {
      sextet = decode_table[static_cast<unsigned char>(group[i])];
      if (sextet == invalid_sextet) return false;
    }
    bits = (bits << 6) | sextet;
  }
  // Bits below the last whole output byte must be zero, or two spellings decode alike.
  const std::size_t bytes = data_chars - 1;
  const std::uint32_t unused_mask = (1u << (8 * (3 - bytes))) - 1;
  if ((bits & unused_mask) != 0) return false;
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((bits >> (16 - 8 * i)) & 0xFF));
  }
  return true;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t bits = std::uint32_t{bytes[i]} << 16;
    if (n > 1) bits |= std::uint32_t{bytes[i + 1]} << 8;
    if (n > 2) bits |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) {
      out.push_back(k <= n ? alphabet[(bits >> (18 - 6 * k)) & 0x3F] : '=');
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return base64_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const std::string_view group = text.substr(i, 4);
    const bool last = i + 4 == text.size();
    // Padding may only end the final group: "xx==" or "xxx=".
    std::size_t data_chars = 4;
    if (last && group[3] == '=') data_chars = group[2] == '=' ? 2 : 3;
    if (!decode_group(group, data_chars, out)) return std::nullopt;
  }
  return out;
}

}  // namespace sluice::auth
