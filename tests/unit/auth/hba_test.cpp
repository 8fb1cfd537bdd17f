#include <catch2/catch.hpp>

#include "sluice/auth/hba.hpp"

using namespace sluice::auth;
namespace ip = boost::asio::ip;

namespace {

Cidr cidr(std::string_view text) {
  std::string error;
  auto parsed = parse_cidr(text, error);
  INFO(error);
  REQUIRE(parsed);
  return *parsed;
}

std::string cidr_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_cidr(text, error));
  return error;
}

bool contains(std::string_view network, std::string_view address) {
  return cidr_contains(cidr(network), ip::make_address(std::string(address)));
}

HbaRule rule(HbaConnectionType type, std::vector<std::string> databases, std::vector<std::string> users,
             std::optional<std::string_view> address, HbaMethod method) {
  HbaRule result{type, std::move(databases), std::move(users), std::nullopt, method};
  if (address) result.address = cidr(*address);
  return result;
}

HbaRequest request(bool tls, std::string_view database, std::string_view user, std::string_view address) {
  return HbaRequest{tls, database, user, ip::make_address(std::string(address))};
}

}  // namespace

TEST_CASE("parse_cidr reads IPv4 and IPv6 networks", "[hba]") {
  CHECK(format_cidr(cidr("10.0.0.0/8")) == "10.0.0.0/8");
  CHECK(format_cidr(cidr("0.0.0.0/0")) == "0.0.0.0/0");
  CHECK(format_cidr(cidr("127.0.0.1")) == "127.0.0.1/32");
  CHECK(format_cidr(cidr("::1")) == "::1/128");
  CHECK(format_cidr(cidr("::/0")) == "::/0");
  CHECK(format_cidr(cidr("2001:db8::/32")) == "2001:db8::/32");
  CHECK(format_cidr(cidr("192.168.1.128/25")) == "192.168.1.128/25");
  CHECK(cidr("10.0.0.0/8").network.is_v4());
  CHECK(cidr("fe80::/10").prefix_length == 10);
  // An IPv4-mapped network means the IPv4 one (found by the hba_cidr fuzz target).
  CHECK(format_cidr(cidr("::ffff:10.0.0.0/104")) == "10.0.0.0/8");
  CHECK(format_cidr(cidr("::ffff:127.0.0.1")) == "127.0.0.1/32");
  CHECK(contains("::ffff:10.0.0.0/104", "10.1.2.3"));
  CHECK(contains("::ffff:10.0.0.0/104", "::ffff:10.1.2.3"));
  std::string error;
  CHECK_FALSE(parse_cidr("::ffff:0:0/95", error));
  CHECK_THAT(error, Catch::Contains("IPv4-mapped"));
}

TEST_CASE("parse_cidr refuses malformed networks with a reason", "[hba]") {
  CHECK_THAT(cidr_error("10.0.0.1/8"), Catch::Contains("bits set past the /8 prefix"));
  CHECK_THAT(cidr_error("2001:db8::1/32"), Catch::Contains("bits set past"));
  CHECK_THAT(cidr_error("192.168.1.129/25"), Catch::Contains("bits set past"));
  CHECK_THAT(cidr_error("10.0.0.0/33"), Catch::Contains("0 to 32"));
  CHECK_THAT(cidr_error("::/129"), Catch::Contains("0 to 128"));
  CHECK_THAT(cidr_error("10.0.0.0/-1"), Catch::Contains("prefix length"));
  CHECK_THAT(cidr_error("10.0.0.0/+8"), Catch::Contains("prefix length"));
  CHECK_THAT(cidr_error("10.0.0.0/"), Catch::Contains("prefix length"));
  CHECK_THAT(cidr_error("10.0.0.0/8x"), Catch::Contains("prefix length"));
  CHECK_THAT(cidr_error("10.0.0.0/0008"), Catch::Contains("prefix length"));
  CHECK_THAT(cidr_error("10.0.0/8"), Catch::Contains("expected an IPv4 or IPv6 address"));
  CHECK_THAT(cidr_error("localhost"), Catch::Contains("expected an IPv4 or IPv6 address"));
  CHECK_THAT(cidr_error(""), Catch::Contains("expected an IPv4 or IPv6 address"));
  CHECK_THAT(cidr_error("/8"), Catch::Contains("expected an IPv4 or IPv6 address"));
  CHECK_THAT(cidr_error("fe80::1%eth0"), Catch::Contains("zone id"));
}

TEST_CASE("cidr_contains matches by prefix, per address family", "[hba]") {
  CHECK(contains("10.0.0.0/8", "10.255.1.2"));
  CHECK_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
  CHECK(contains("0.0.0.0/0", "203.0.113.9"));
  CHECK(contains("192.168.1.128/25", "192.168.1.200"));
  CHECK_FALSE(contains("192.168.1.128/25", "192.168.1.127"));
  CHECK(contains("127.0.0.1/32", "127.0.0.1"));
  CHECK_FALSE(contains("127.0.0.1/32", "127.0.0.2"));
  CHECK(contains("::1/128", "::1"));
  CHECK_FALSE(contains("::1/128", "::2"));
  CHECK(contains("2001:db8::/32", "2001:db8:ffff::1"));
  CHECK_FALSE(contains("2001:db8::/32", "2001:db9::1"));
  CHECK(contains("fe80::/10", "febf::1"));
  CHECK_FALSE(contains("fe80::/10", "fec0::1"));
  CHECK(contains("::/0", "2001:db8::1"));
}

TEST_CASE("an IPv4-mapped IPv6 peer matches IPv4 networks, never IPv6 ones by accident", "[hba]") {
  CHECK(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK_FALSE(contains("10.0.0.0/8", "::ffff:11.1.2.3"));
  CHECK(contains("127.0.0.1/32", "::ffff:127.0.0.1"));
  // Families never mix otherwise: 0.0.0.0/0 is "every IPv4 client", not every client.
  CHECK_FALSE(contains("0.0.0.0/0", "::1"));
  CHECK_FALSE(contains("::1/128", "127.0.0.1"));
  CHECK_FALSE(contains("::/0", "127.0.0.1"));
}

TEST_CASE("match_hba without rules leaves the choice to auth_type", "[hba]") {
  CHECK_FALSE(match_hba({}, request(false, "app", "app", "127.0.0.1")));
}

TEST_CASE("match_hba: the first matching rule wins, no match is reject", "[hba]") {
  const std::vector<HbaRule> rules{
      rule(HbaConnectionType::hostssl, {}, {}, "0.0.0.0/0", HbaMethod::scram_sha_256),
      rule(HbaConnectionType::host, {"app"}, {"app", "batch"}, "127.0.0.1/32", HbaMethod::md5),
      rule(HbaConnectionType::host, {}, {}, "10.0.0.0/8", HbaMethod::reject),
      rule(HbaConnectionType::hostnossl, {"reports"}, {}, std::nullopt, HbaMethod::trust),
      rule(HbaConnectionType::host, {}, {"ops"}, "::1/128", HbaMethod::cert),
  };
  auto match = [&](const HbaRequest& r) {
    auto result = match_hba(rules, r);
    REQUIRE(result);
    return *result;
  };
  SECTION("TLS from anywhere on IPv4 takes the first rule") {
    const auto m = match(request(true, "app", "app", "127.0.0.1"));
    CHECK(m.method == HbaMethod::scram_sha_256);
    CHECK(m.rule == 0u);
  }
  SECTION("plain text skips the hostssl rule; database and user lists match") {
    CHECK(match(request(false, "app", "batch", "127.0.0.1")).rule == 1u);
    CHECK(match(request(false, "app", "app", "::ffff:127.0.0.1")).method == HbaMethod::md5);
  }
  SECTION("a user outside the list, a database outside the list or another address fall through") {
    CHECK(match(request(false, "app", "eve", "127.0.0.1")).rule == std::nullopt);
    CHECK(match(request(false, "shop", "app", "127.0.0.1")).method == HbaMethod::reject);
    CHECK(match(request(false, "app", "app", "127.0.0.2")).rule == std::nullopt);
  }
  SECTION("an explicit reject rule names itself") {
    const auto m = match(request(false, "app", "app", "10.1.1.1"));
    CHECK(m.method == HbaMethod::reject);
    CHECK(m.rule == 2u);
  }
  SECTION("hostnossl matches only plain connections; address all matches IPv6 too") {
    CHECK(match(request(false, "reports", "x", "2001:db8::5")).method == HbaMethod::trust);
    CHECK(match(request(true, "reports", "x", "2001:db8::5")).rule == std::nullopt);
  }
  SECTION("IPv6 loopback") {
    CHECK(match(request(false, "shop", "ops", "::1")).method == HbaMethod::cert);
    CHECK(match(request(true, "shop", "ops", "::1")).method == HbaMethod::cert);  // hostssl is IPv4-only here
    CHECK(match(request(false, "shop", "ops", "::2")).rule == std::nullopt);
  }
}

TEST_CASE("HBA names print as they are written", "[hba]") {
  CHECK(to_string(HbaMethod::scram_sha_256) == "scram-sha-256");
  CHECK(to_string(HbaConnectionType::hostnossl) == "hostnossl");
}
