// Known-answer tests write their bytes as hex, as the RFCs and reference tools print them.
#pragma once

#include <string>
#include <string_view>

// "0aff" -> "\x0a\xff"; an odd last digit is ignored.
inline std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}
