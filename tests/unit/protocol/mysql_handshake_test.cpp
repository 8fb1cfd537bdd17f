// The connection phase's packets, byte for byte: HandshakeV10 (Sluice's and a backend's),
// HandshakeResponse41 in its three auth-response encodings, SSLRequest, AuthSwitchRequest and
// AuthMoreData; truncated and garbage input.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"

using namespace sluice::mysql;
using namespace sluice::mysql::capability;
using namespace std::string_literals;

namespace {

// The payload of the single packet in `bytes` (checked: header length and sequence id).
std::string payload_of(const std::string& bytes, std::uint8_t sequence_id) {
  REQUIRE(bytes.size() >= kPacketHeaderLength);
  REQUIRE(load_le24(bytes_of(bytes).data()) == bytes.size() - kPacketHeaderLength);
  REQUIRE(static_cast<std::uint8_t>(bytes[3]) == sequence_id);
  return bytes.substr(kPacketHeaderLength);
}

std::string le32(std::uint32_t value) {
  std::string out;
  append_le32(out, value);
  return out;
}

std::string le16(std::uint16_t value) {
  std::string out;
  append_le16(out, value);
  return out;
}

const std::string kScramble = "abcdefghijklmnopqrst";

HandshakeV10 sluice_handshake() {
  HandshakeV10 handshake;
  handshake.server_version = "5.5.5-10.11.6-MariaDB-sluice";
  handshake.connection_id = 7;
  handshake.auth_plugin_data = kScramble;
  handshake.capabilities = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_DEPRECATE_EOF |
                           MARIADB_CLIENT_PROGRESS;
  handshake.character_set = charset::utf8mb4_general_ci;
  handshake.status_flags = server_status::SERVER_STATUS_AUTOCOMMIT;
  handshake.auth_plugin_name = auth_plugin::mysql_native_password;
  return handshake;
}

// Protocol::HandshakeV10 laid out field by field from the documentation.
std::string sluice_handshake_payload() {
  return "\x0a"s + "5.5.5-10.11.6-MariaDB-sluice\0"s + le32(7) + "abcdefgh" + "\0"s +
         le16(0x8200) /* PROTOCOL_41 | SECURE_CONNECTION */ + "\x2d" + le16(2) +
         le16(0x0108) /* PLUGIN_AUTH | DEPRECATE_EOF */ + "\x15" /* 21 */ + std::string(6, '\0') +
         le32(1) /* MARIADB_CLIENT_PROGRESS */ + "ijklmnopqrst\0"s + "mysql_native_password\0"s;
}

constexpr std::uint64_t kResponseCapabilities = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                                                CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS;

HandshakeResponse41 client_response(std::uint64_t capabilities) {
  HandshakeResponse41 response;
  response.capabilities = capabilities;
  response.max_packet_size = 16 * 1024 * 1024;
  response.character_set = charset::utf8mb4_general_ci;
  response.user = "app";
  response.auth_response = "\x01\x02\x03\x00\x05 twenty bytes.."s;
  if (capabilities & CLIENT_CONNECT_WITH_DB) response.database = "shop";
  if (capabilities & CLIENT_PLUGIN_AUTH) response.auth_plugin_name = "mysql_native_password";
  if (capabilities & CLIENT_CONNECT_ATTRS) {
    response.connect_attributes.emplace();
    response.connect_attributes->emplace_back("_client_name", "libmariadb");
    response.connect_attributes->emplace_back("_os", "Linux");
  }
  return response;
}

std::string fixed_part(std::uint64_t capabilities) {
  return le32(static_cast<std::uint32_t>(capabilities)) + le32(16 * 1024 * 1024) + "\x2d" + std::string(19, '\0') +
         le32(static_cast<std::uint32_t>(capabilities >> 32));
}

std::string attributes_block() {
  const std::string pairs = "\x0c_client_name\x0alibmariadb\x03_os\x05Linux"s;
  return std::string(1, static_cast<char>(pairs.size())) + pairs;
}

template <class Read>
void check_every_truncation_is_safe(const std::string& payload, Read read) {
  for (std::size_t length = 0; length < payload.size(); ++length) {
    INFO("truncated to " << length);
    (void)read(bytes_of(payload).first(length));  // no crash, no read past the end (ASan)
  }
}

}  // namespace

TEST_CASE("mysql HandshakeV10 from Sluice, byte for byte", "[mysql]") {
  std::string out;
  SequenceId sequence;
  write_handshake_v10(out, sequence, sluice_handshake());
  CHECK(sequence.next() == 1);
  const std::string payload = payload_of(out, 0);
  CHECK(payload == sluice_handshake_payload());

  auto parsed = read_handshake_v10(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == sluice_handshake());
}

TEST_CASE("mysql HandshakeV10 from a MySQL 8 backend", "[mysql]") {
  // CLIENT_MYSQL set: the reserved bytes are zero; caching_sha2_password; 21 = 20 + NUL.
  const std::uint32_t capabilities = 0xDFFFFFFF;
  const std::string payload = "\x0a"s + "8.0.36\0"s + le32(42) + "12345678" + "\0"s + le16(0xFFFF) + "\xff" + le16(2) +
                              le16(0xDFFF) + "\x15" + std::string(10, '\0') + "9abcdefghijk\0"s +
                              "caching_sha2_password\0"s;
  auto parsed = read_handshake_v10(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(parsed->server_version == "8.0.36");
  CHECK(parsed->connection_id == 42);
  CHECK(parsed->capabilities == capabilities);
  CHECK(parsed->character_set == 0xff);
  CHECK(parsed->status_flags == 2);
  CHECK(parsed->auth_plugin_data == "123456789abcdefghijk");
  CHECK(scramble_of(parsed->auth_plugin_data).size() == kScrambleLength);
  CHECK(parsed->auth_plugin_name == "caching_sha2_password");
}

TEST_CASE("mysql HandshakeV10 reader refuses what is not one", "[mysql]") {
  CHECK_FALSE(read_handshake_v10({}));
  const auto error_packet = "\xff\x10\x04Too many connections"s;
  auto refused = read_handshake_v10(bytes_of(error_packet));
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().reason == "protocol_violation");
  CHECK(refused.failure().message.find("protocol version 255") != std::string::npos);
  CHECK_FALSE(read_handshake_v10(bytes_of("\x0a" "5.5.5 without terminator"s)));

  const std::string payload = sluice_handshake_payload();
  check_every_truncation_is_safe(payload, read_handshake_v10);
  // Truncated inside part 2 of the scramble: refused.
  const std::size_t part2 = payload.find("ijkl");
  CHECK_FALSE(read_handshake_v10(bytes_of(payload).first(part2 + 5)));
  // A pre-4.1 server stops after the lower capability flags.
  const std::size_t short_form = 1 + 29 + 4 + 8 + 1 + 2;
  auto old = read_handshake_v10(bytes_of(payload).first(short_form));
  REQUIRE(old);
  CHECK(old->capabilities == 0x8200);
}

TEST_CASE("mysql HandshakeResponse41: lenenc auth response, database, plugin, attributes", "[mysql]") {
  const std::uint64_t capabilities = kResponseCapabilities | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
  const std::string payload = fixed_part(capabilities) + "app\0"s + "\x14" + "\x01\x02\x03\x00\x05 twenty bytes.."s +
                              "shop\0"s + "mysql_native_password\0"s + attributes_block();
  auto parsed = read_handshake_response41(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == client_response(capabilities));

  std::string out;
  SequenceId sequence;
  sequence.reset(1);
  REQUIRE(write_handshake_response41(out, sequence, *parsed));
  CHECK(payload_of(out, 1) == payload);
}

TEST_CASE("mysql HandshakeResponse41: 1-byte auth response length (CLIENT_SECURE_CONNECTION)", "[mysql]") {
  const std::string payload = fixed_part(kResponseCapabilities) + "app\0"s + "\x14" +
                              "\x01\x02\x03\x00\x05 twenty bytes.."s + "shop\0"s + "mysql_native_password\0"s +
                              attributes_block();
  auto parsed = read_handshake_response41(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == client_response(kResponseCapabilities));
  std::string out;
  SequenceId sequence;
  REQUIRE(write_handshake_response41(out, sequence, *parsed));
  CHECK(payload_of(out, 0) == payload);

  auto too_long = *parsed;
  too_long.auth_response = std::string(256, 'x');
  std::string untouched = "keep";
  CHECK_FALSE(write_handshake_response41(untouched, sequence, too_long));
  CHECK(untouched == "keep");
}

TEST_CASE("mysql HandshakeResponse41: NUL-terminated auth response (old clients)", "[mysql]") {
  const std::uint64_t capabilities = CLIENT_PROTOCOL_41 | CLIENT_CONNECT_WITH_DB;
  const std::string payload = fixed_part(capabilities) + "app\0"s + "scrambled\0"s + "shop\0"s;
  auto parsed = read_handshake_response41(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(parsed->auth_response == "scrambled");
  CHECK(parsed->database == "shop");
  CHECK_FALSE(parsed->auth_plugin_name);
  std::string out;
  SequenceId sequence;
  REQUIRE(write_handshake_response41(out, sequence, *parsed));
  CHECK(payload_of(out, 0) == payload);

  auto with_nul = *parsed;
  with_nul.auth_response = "a\0b"s;
  CHECK_FALSE(write_handshake_response41(out, sequence, with_nul));
}

TEST_CASE("mysql HandshakeResponse41: flagged fields may be missing at the end", "[mysql]") {
  // Connector/J style: CONNECT_WITH_DB and PLUGIN_AUTH flagged, the packet ends after the auth response.
  const std::string payload = fixed_part(kResponseCapabilities) + "app\0"s + "\x00"s;
  auto parsed = read_handshake_response41(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(parsed->user == "app");
  CHECK(parsed->auth_response.empty());
  CHECK_FALSE(parsed->database);
  CHECK_FALSE(parsed->auth_plugin_name);
  CHECK_FALSE(parsed->connect_attributes);
  std::string out;
  SequenceId sequence;
  REQUIRE(write_handshake_response41(out, sequence, *parsed));
  CHECK(payload_of(out, 0) == payload);

  // MariaDB Connector/C: extended capabilities in the last 4 filler bytes.
  const std::uint64_t mariadb = kResponseCapabilities | MARIADB_CLIENT_PROGRESS | MARIADB_CLIENT_STMT_BULK_OPERATIONS;
  auto extended = read_handshake_response41(bytes_of(fixed_part(mariadb) + "u\0\0"s));
  REQUIRE(extended);
  CHECK(extended->capabilities == mariadb);
}

TEST_CASE("mysql HandshakeResponse41 refuses truncated and malformed packets", "[mysql]") {
  const std::uint64_t capabilities = kResponseCapabilities | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
  const std::string good = fixed_part(capabilities) + "app\0"s + "\x03" "abc" + "shop\0"s +
                           "mysql_native_password\0"s + attributes_block();
  check_every_truncation_is_safe(good, read_handshake_response41);
  // Cut inside the fixed part, the user name or the auth response: refused.
  for (std::size_t length : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{35}, std::size_t{37}}) {
    INFO("cut at " << length);
    CHECK_FALSE(read_handshake_response41(bytes_of(good).first(length)));
  }

  auto refused = read_handshake_response41(bytes_of(fixed_part(CLIENT_SECURE_CONNECTION) + "app\0\0"s));
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().message.find("HandshakeResponse320") != std::string::npos);

  // An auth response longer than the packet.
  CHECK_FALSE(read_handshake_response41(bytes_of(fixed_part(kResponseCapabilities) + "app\0\x20short"s)));
  CHECK_FALSE(read_handshake_response41(
      bytes_of(fixed_part(capabilities) + "app\0\xfe\xff\xff\xff\xff\xff\xff\xff\xff"s)));
  // Attributes: a total longer than what is left, a key without a value.
  const std::string before_attributes = fixed_part(capabilities) + "app\0\0db\0plugin\0"s;
  CHECK_FALSE(read_handshake_response41(bytes_of(before_attributes + "\x09\x03key\x03val"s)));
  CHECK_FALSE(read_handshake_response41(bytes_of(before_attributes + "\x04\x03key"s)));
  auto empty_attributes = read_handshake_response41(bytes_of(before_attributes + "\x00"s));
  REQUIRE(empty_attributes);
  CHECK(empty_attributes->connect_attributes == std::vector<std::pair<std::string, std::string>>{});
}

TEST_CASE("mysql SSLRequest", "[mysql]") {
  const SslRequest request{CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION | MARIADB_CLIENT_PROGRESS,
                           1 << 24, charset::utf8mb4_general_ci};
  std::string out;
  SequenceId sequence;
  sequence.reset(1);
  write_ssl_request(out, sequence, request);
  const std::string payload = payload_of(out, 1);
  CHECK(payload.size() == kSslRequestLength);
  CHECK(payload == fixed_part(request.capabilities));
  CHECK(is_ssl_request(bytes_of(payload)));
  auto parsed = read_ssl_request(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == request);

  // Without CLIENT_SSL, or any other length, it is not one.
  CHECK_FALSE(is_ssl_request(bytes_of(fixed_part(CLIENT_PROTOCOL_41))));
  CHECK_FALSE(is_ssl_request(bytes_of(payload + "u\0"s)));
  CHECK_FALSE(read_ssl_request(bytes_of(payload.substr(1))));
}

TEST_CASE("mysql AuthSwitchRequest and AuthMoreData", "[mysql]") {
  const AuthSwitchRequest request{"mysql_native_password", kScramble + "\0"s};
  std::string out;
  SequenceId sequence;
  sequence.reset(2);
  write_auth_switch_request(out, sequence, request);
  const std::string payload = payload_of(out, 2);
  CHECK(payload == "\xfemysql_native_password\0"s + kScramble + "\0"s);
  auto parsed = read_auth_switch_request(bytes_of(payload));
  REQUIRE(parsed);
  CHECK(*parsed == request);
  CHECK(scramble_of(parsed->plugin_data) == kScramble);

  auto old = read_auth_switch_request(bytes_of("\xfe"s));
  REQUIRE_FALSE(old);
  CHECK(old.failure().message.find("mysql_old_password") != std::string::npos);
  CHECK_FALSE(read_auth_switch_request(bytes_of("\xfe" "no terminator"s)));
  CHECK_FALSE(read_auth_switch_request(bytes_of("\x01\x03"s)));

  out.clear();
  write_auth_more_data(out, sequence, "\x03");
  CHECK(payload_of(out, 3) == "\x01\x03");
  auto more = read_auth_more_data(bytes_of("\x01\x04"s));
  REQUIRE(more);
  CHECK(*more == "\x04");
  CHECK_FALSE(read_auth_more_data(bytes_of("\x00\x04"s)));
  CHECK_FALSE(read_auth_more_data({}));
}
