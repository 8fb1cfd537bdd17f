// parse_startup: the untyped first packet, fed whole, with extra bytes and split at every point.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;
using namespace std::string_literals;

namespace {

// A startup-phase packet: int32 length (counting itself) + code + body.
std::string untyped_packet(std::uint32_t code, const std::string& body) {
  std::string out;
  append_be32(out, static_cast<std::uint32_t>(8 + body.size()));
  append_be32(out, code);
  out += body;
  return out;
}

StartupParse parse(const std::string& bytes) { return parse_startup(bytes_of(bytes)); }

std::string normal_startup() {
  const std::vector<std::pair<std::string, std::string>> parameters = {
      {"user", "alice"},
      {"database", "shop"},
      {"application_name", "psql"},
      {"options", "-c search_path=app -c statement_timeout=5s"},
  };
  std::string out;
  write_startup_message(out, parameters);
  return out;
}

void require_need_more_at_every_split(const std::string& packet) {
  for (std::size_t split = 0; split < packet.size(); ++split) {
    INFO("prefix length " << split);
    const auto result = parse_startup(bytes_of(packet).first(split));
    REQUIRE(result.status == ParseStatus::need_more);
    REQUIRE(result.consumed == 0);
  }
  REQUIRE(parse(packet).status == ParseStatus::complete);
}

void require_malformed(const std::string& bytes, const std::string& error_part) {
  const auto result = parse(bytes);
  REQUIRE(result.status == ParseStatus::malformed);
  REQUIRE(result.consumed == 0);
  REQUIRE_THAT(result.error, Catch::Contains(error_part));
}

}  // namespace

TEST_CASE("StartupMessage with user, database, application_name and options", "[pg][startup]") {
  const std::string packet = normal_startup();
  const auto result = parse(packet);
  REQUIRE(result.status == ParseStatus::complete);
  REQUIRE(result.consumed == packet.size());
  REQUIRE(result.error.empty());
  const auto& startup = result.packet;
  CHECK(startup.kind == StartupKind::startup);
  CHECK(startup.protocol_version == kProtocolVersion3);
  REQUIRE(startup.parameters.size() == 4);
  CHECK(startup.parameters[0] == std::pair<std::string, std::string>{"user", "alice"});
  CHECK(startup.parameters[1].first == "database");
  CHECK(startup.parameters[2].first == "application_name");
  CHECK(startup.parameters[3].first == "options");
  REQUIRE(startup.find("user") != nullptr);
  CHECK(*startup.find("user") == "alice");
  CHECK(*startup.find("database") == "shop");
  CHECK(*startup.find("application_name") == "psql");
  CHECK(*startup.find("options") == "-c search_path=app -c statement_timeout=5s");
  CHECK(startup.find("client_encoding") == nullptr);
}

TEST_CASE("StartupMessage is parsed from exact hand-built bytes", "[pg][startup]") {
  const std::string packet = untyped_packet(kProtocolVersion3, "user\0bob\0\0"s);
  REQUIRE(packet.size() == 18);
  const auto result = parse(packet);
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.consumed == 18);
  CHECK(*result.packet.find("user") == "bob");
  CHECK(result.packet.parameters.size() == 1);
}

TEST_CASE("bytes after the packet are left for the caller", "[pg][startup]") {
  const std::string packet = normal_startup();
  std::string query;
  write_query(query, "SELECT 1");
  const auto result = parse(packet + query);
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.consumed == packet.size());
}

TEST_CASE("empty parameter values are kept, a repeated name: the last wins", "[pg][startup]") {
  const auto result = parse(untyped_packet(kProtocolVersion3, "user\0a\0database\0\0user\0b\0\0"s));
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.packet.parameters.size() == 3);
  CHECK(*result.packet.find("database") == "");
  CHECK(*result.packet.find("user") == "b");
}

TEST_CASE("protocol 3.x minor versions and _pq_ options are reported as sent", "[pg][startup]") {
  const std::uint32_t version_3_2 = (3u << 16) | 2u;
  const auto result = parse(untyped_packet(version_3_2, "user\0u\0_pq_.test\0x\0\0"s));
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.packet.protocol_version == version_3_2);
  CHECK(protocol_minor(result.packet.protocol_version) == 2);
  CHECK(*result.packet.find("_pq_.test") == "x");
}

TEST_CASE("SSLRequest", "[pg][startup]") {
  std::string packet;
  write_ssl_request(packet);
  REQUIRE(packet == untyped_packet(kSslRequestCode, ""));
  const auto result = parse(packet + "garbage after");
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.consumed == 8);
  CHECK(result.packet.kind == StartupKind::ssl_request);
  CHECK(result.packet.parameters.empty());
  require_need_more_at_every_split(packet);
}

TEST_CASE("GSSENCRequest", "[pg][startup]") {
  const std::string packet = untyped_packet(kGssEncRequestCode, "");
  const auto result = parse(packet);
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.consumed == 8);
  CHECK(result.packet.kind == StartupKind::gssenc_request);
  require_need_more_at_every_split(packet);
}

TEST_CASE("CancelRequest", "[pg][startup]") {
  std::string packet;
  write_cancel_request(packet, 4242, 0xdeadbeef);
  REQUIRE(packet.size() == kCancelRequestLength);
  const auto result = parse(packet);
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.consumed == 16);
  CHECK(result.packet.kind == StartupKind::cancel_request);
  CHECK(result.packet.cancel_process_id == 4242);
  CHECK(result.packet.cancel_secret_key == 0xdeadbeef);
  require_need_more_at_every_split(packet);
}

TEST_CASE("StartupMessage: need_more at every split point", "[pg][startup]") {
  require_need_more_at_every_split(normal_startup());
}

TEST_CASE("length below 8 is malformed as soon as the length is in", "[pg][startup]") {
  for (std::uint32_t length : {0u, 1u, 4u, 7u}) {
    std::string bytes;
    append_be32(bytes, length);
    require_malformed(bytes, "invalid length of startup packet");
  }
}

TEST_CASE("length above kMaxStartupPacketLength is malformed at once", "[pg][startup]") {
  std::string bytes;
  append_be32(bytes, kMaxStartupPacketLength + 1);
  require_malformed(bytes, "invalid length of startup packet");
  // An HTTP request on the PostgreSQL port: "GET " read as a length.
  require_malformed("GET / HTTP/1.1\r\n", "invalid length of startup packet");
}

TEST_CASE("a packet of exactly kMaxStartupPacketLength is accepted", "[pg][startup]") {
  const std::string fixed = "user\0u\0options\0"s;
  const std::string value(kMaxStartupPacketLength - 8 - fixed.size() - 2, 'x');
  const std::string packet = untyped_packet(kProtocolVersion3, fixed + value + '\0' + '\0');
  REQUIRE(packet.size() == kMaxStartupPacketLength);
  const auto result = parse(packet);
  REQUIRE(result.status == ParseStatus::complete);
  CHECK(result.packet.find("options")->size() == value.size());
}

TEST_CASE("missing terminators are malformed", "[pg][startup]") {
  // No final NUL after the last pair.
  require_malformed(untyped_packet(kProtocolVersion3, "user\0bob\0"s), "expected terminator");
  // The last name is cut off without its NUL.
  require_malformed(untyped_packet(kProtocolVersion3, "user\0bob\0data"s), "expected terminator");
  // Nothing at all after the version.
  require_malformed(untyped_packet(kProtocolVersion3, ""), "expected terminator");
  // Bytes after the terminator, inside the declared length.
  require_malformed(untyped_packet(kProtocolVersion3, "user\0bob\0\0junk"s), "expected terminator");
}

TEST_CASE("a parameter without a value is malformed", "[pg][startup]") {
  require_malformed(untyped_packet(kProtocolVersion3, "user\0bob\0database\0"s), "has no value");
  require_malformed(untyped_packet(kProtocolVersion3, "user\0bob\0database\0sh"s), "has no value");
}

TEST_CASE("a StartupMessage without user is malformed", "[pg][startup]") {
  require_malformed(untyped_packet(kProtocolVersion3, "database\0shop\0\0"s), "no PostgreSQL user name");
}

TEST_CASE("protocol 2.0 and other majors are rejected once the code is in", "[pg][startup]") {
  const std::string v2 = untyped_packet(2u << 16, "user\0bob\0\0"s);
  require_malformed(v2, "unsupported frontend protocol 2.0");
  require_malformed(v2.substr(0, 8), "unsupported frontend protocol 2.0");
  require_malformed(untyped_packet(4u << 16, "user\0bob\0\0"s), "unsupported frontend protocol 4.0");
}

TEST_CASE("unknown special codes and fixed-size requests of the wrong length", "[pg][startup]") {
  require_malformed(untyped_packet((1234u << 16) | 9999u, ""), "unsupported special request code 1234.9999");
  require_malformed(untyped_packet(kSslRequestCode, "abcd"), "invalid length of startup packet: 12");
  require_malformed(untyped_packet(kGssEncRequestCode, "abcd"), "invalid length");
  require_malformed(untyped_packet(kCancelRequestCode, "abcd"), "invalid length");
  require_malformed(untyped_packet(kCancelRequestCode, std::string(12, 'k')), "invalid length");
}
