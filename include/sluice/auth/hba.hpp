#pragma once

// Host-based access rules (`hba:` in sluice.yaml), PostgreSQL's pg_hba.conf in miniature:
// which authentication method a client gets, decided from what is known before it
// authenticates (TLS or not, database, user, address). Sans-I/O: the session asks, this
// answers; the first matching rule wins and, once any rule exists, no match means reject.

#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::auth {

// host: TLS or not; hostssl: TLS only; hostnossl: plain only.
enum class HbaConnectionType { host, hostssl, hostnossl };
// cert: the client certificate's CN is the user name (the certificate was verified during the
// handshake); reject: refused before any password is asked for.
enum class HbaMethod { trust, md5, scram_sha_256, cert, reject };

// The spelling of each value in sluice.yaml; the single source for parsing and printing.
inline constexpr std::array<std::pair<HbaConnectionType, std::string_view>, 3> hba_connection_type_names{{
    {HbaConnectionType::host, "host"},
    {HbaConnectionType::hostssl, "hostssl"},
    {HbaConnectionType::hostnossl, "hostnossl"},
}};
inline constexpr std::array<std::pair<HbaMethod, std::string_view>, 5> hba_method_names{{
    {HbaMethod::trust, "trust"},
    {HbaMethod::md5, "md5"},
    {HbaMethod::scram_sha_256, "scram-sha-256"},
    {HbaMethod::cert, "cert"},
    {HbaMethod::reject, "reject"},
}};

std::string_view to_string(HbaConnectionType type);
std::string_view to_string(HbaMethod method);

// An IPv4 or IPv6 network. The address has no bits set past the prefix (checked at parse),
// so a rule always means what it says.
struct Cidr {
  boost::asio::ip::address network;
  int prefix_length = 0;  // 0..32 for IPv4, 0..128 for IPv6
  bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "::1/128"; a bare address is one host (/32 or /128). nullopt + `error` for a
// malformed address or prefix, a zone id ("fe80::1%eth0"), or host bits set ("10.0.0.1/8").
std::optional<Cidr> parse_cidr(std::string_view text, std::string& error);
std::string format_cidr(const Cidr& cidr);

// IPv4-mapped IPv6 addresses (::ffff:10.1.2.3, what a dual-stack socket reports for an IPv4
// peer) match IPv4 networks; otherwise an IPv4 network never matches an IPv6 address.
bool cidr_contains(const Cidr& cidr, const boost::asio::ip::address& address);

struct HbaRule {
  HbaConnectionType type = HbaConnectionType::host;
  std::vector<std::string> databases;  // empty = all
  std::vector<std::string> users;      // empty = all
  std::optional<Cidr> address;         // absent = all
  HbaMethod method = HbaMethod::reject;
  bool operator==(const HbaRule&) const = default;
};

// What is known about a client when its method is chosen.
struct HbaRequest {
  bool tls = false;
  std::string_view database;
  std::string_view user;
  boost::asio::ip::address address;
};

struct HbaMatch {
  HbaMethod method = HbaMethod::reject;
  std::optional<std::size_t> rule;  // index of the matching rule; absent = no rule matched
};

// nullopt when there are no rules (then `auth_type` applies to everyone); otherwise the first
// matching rule's method, or reject with no rule index.
std::optional<HbaMatch> match_hba(std::span<const HbaRule> rules, const HbaRequest& request);

}  // namespace sluice::auth
