// HBA rules: CIDR parsing and matching, first match wins.

#include "sluice/auth/hba.hpp"

#include <algorithm>
#include <charconv>

namespace sluice::auth {
namespace {

namespace ip = boost::asio::ip;

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "?";
}

// A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; rules are written in IPv4.
ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

using Bytes16 = std::array<unsigned char, 16>;

// The address as big-endian bytes (IPv4 in the first four) and how many of them count.
std::pair<Bytes16, int> bytes_of(const ip::address& address) {
  Bytes16 bytes{};
  if (address.is_v4()) {
    const auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
    return {bytes, 4};
  }
  return {address.to_v6().to_bytes(), 16};
}

// True when the first `prefix_length` bits of a and b are equal.
bool same_prefix(const Bytes16& a, const Bytes16& b, int prefix_length) {
  const int whole = prefix_length / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  const int rest = prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Bits past the prefix must all be zero: compare with a copy where they are cleared.
bool has_host_bits(const ip::address& network, int prefix_length) {
  const Bytes16 bytes = bytes_of(network).first;
  Bytes16 cleared{};
  for (int bit = 0; bit < prefix_length; ++bit) {
    const auto mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    cleared[bit / 8] |= bytes[bit / 8] & mask;
  }
  return cleared != bytes;
}

std::optional<int> parse_prefix(std::string_view text, int max) {
  int value = -1;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  // Digits only: from_chars would accept a leading '-'.
  const bool digits = !text.empty() && text.size() <= 3 && text.front() != '-' && text.front() != '+';
  if (!digits || ec != std::errc{} || rest != end || value < 0 || value > max) return std::nullopt;
  return value;
}

bool name_matches(const std::vector<std::string>& names, std::string_view name) {
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

bool type_matches(HbaConnectionType type, bool tls) {
  switch (type) {
    case HbaConnectionType::host: return true;
    case HbaConnectionType::hostssl: return tls;
    case HbaConnectionType::hostnossl: return !tls;
  }
  return false;
}

}  // namespace

std::string_view to_string(HbaConnectionType type) { return name_of(hba_connection_type_names, type); }
std::string_view to_string(HbaMethod method) { return name_of(hba_method_names, method); }

std::optional<Cidr> parse_cidr(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  const std::string address_text(text.substr(0, slash));
  if (address_text.find('%') != std::string::npos) {
    error = "an address with a zone id ('%...') cannot be matched; remove it";
    return std::nullopt;
  }
  boost::system::error_code ec;
  const ip::address address = ip::make_address(address_text, ec);
  if (ec) {
    error = "expected an IPv4 or IPv6 address with an optional /prefix (like 10.0.0.0/8 or ::1/128), got '" +
            std::string(text) + "'";
    return std::nullopt;
  }
  const int max = address.is_v4() ? 32 : 128;
  std::optional<int> prefix = max;
  if (slash != std::string_view::npos) prefix = parse_prefix(text.substr(slash + 1), max);
  if (!prefix) {
    error = "prefix length must be a number from 0 to " + std::to_string(max) + ", got '" + std::string(text) + "'";
    return std::nullopt;
  }
  // Peers arrive unmapped (cidr_contains), so a mapped network is kept as the IPv4 one it means.
  ip::address network = address;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    if (*prefix < 96) {
      error = "'" + std::string(text) + "' mixes IPv4-mapped and IPv6 addresses; write the IPv4 network";
      return std::nullopt;
    }
    network = unmapped(address);
    *prefix -= 96;
  }
  if (has_host_bits(network, *prefix)) {
    error = "'" + std::string(text) + "' has bits set past the /" + std::to_string(*prefix) +
            " prefix; write the network address";
    return std::nullopt;
  }
  return Cidr{network, *prefix};
}

std::string format_cidr(const Cidr& cidr) { return cidr.network.to_string() + "/" + std::to_string(cidr.prefix_length); }

bool cidr_contains(const Cidr& cidr, const ip::address& address) {
  const ip::address candidate = unmapped(address);
  if (candidate.is_v4() != cidr.network.is_v4()) return false;
  return same_prefix(bytes_of(cidr.network).first, bytes_of(candidate).first, cidr.prefix_length);
}

std::optional<HbaMatch> match_hba(std::span<const HbaRule> rules, const HbaRequest& request) {
  if (rules.empty()) return std::nullopt;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const HbaRule& rule = rules[i];
    if (!type_matches(rule.type, request.tls)) continue;
    if (!name_matches(rule.databases, request.database) || !name_matches(rule.users, request.user)) continue;
    if (rule.address && !cidr_contains(*rule.address, request.address)) continue;
    return HbaMatch{rule.method, i};
  }
  return HbaMatch{HbaMethod::reject, std::nullopt};
}

}  // namespace sluice::auth
