// mysql::ClientLogin (a client logging in to Sluice) and mysql::ServerLogin (Sluice logging in
// to a backend), fed packets built by the writers whole and one byte at a time, and the two
// talking to each other.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/protocol/mysql/client_login.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/server_login.hpp"

#include "feed_login.hpp"
#include "mysql_login_packets.hpp"

using namespace sluice;
using namespace sluice::mysql;
using namespace sluice::mysql::capability;
using namespace std::string_literals;
using mysql_login_packets::kOk;
using mysql_login_packets::packets_in;
using mysql_login_packets::server_packets;

namespace {

const std::string kScramble = "abcdefghijklmnopqrst";
const std::string kPassword = "secret";
const std::string kStoredHash = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";  // PASSWORD('secret')

constexpr std::uint64_t kClientCapabilities = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                                              CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB |
                                              CLIENT_DEPRECATE_EOF | CLIENT_SESSION_TRACK;

ClientLoginSettings settings() {
  ClientLoginSettings settings;
  settings.connection_id = 5;
  settings.scramble = kScramble;
  settings.client_host = "10.0.0.5";
  return settings;
}

std::string response_packet(std::string_view plugin, std::string auth_response,
                             std::uint64_t capabilities = kClientCapabilities, std::uint8_t sequence_id = 1) {
  HandshakeResponse41 response;
  response.capabilities = capabilities;
  response.max_packet_size = 1 << 24;
  response.character_set = charset::utf8mb4_general_ci;
  response.user = "app";
  response.auth_response = std::move(auth_response);
  if (capabilities & CLIENT_CONNECT_WITH_DB) response.database = "shop";
  if (capabilities & CLIENT_PLUGIN_AUTH) response.auth_plugin_name = std::string(plugin);
  std::string out;
  SequenceId sequence;
  sequence.reset(sequence_id);
  REQUIRE(write_handshake_response41(out, sequence, response));
  return out;
}

std::string native_answer(const std::string& password = kPassword) {
  return *auth::mysql_native_password_scramble(password, kScramble);
}

std::string sha2_answer(const std::string& password = kPassword) {
  return *auth::caching_sha2_scramble(password, kScramble);
}

// A fresh ClientLogin whose handshake has been sent, checked and cleared.
ClientLogin greeted(ClientLoginSettings login_settings = settings()) {
  ClientLogin login(std::move(login_settings));
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 0);
  auto handshake = read_handshake_v10(bytes_of(packets[0].second));
  REQUIRE(handshake);
  CHECK(handshake->auth_plugin_data == kScramble);
  CHECK(handshake->connection_id == 5);
  login.output().clear();
  return login;
}

void check_access_denied(const std::string& output, std::uint8_t sequence_id) {
  const auto packets = packets_in(output);
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == sequence_id);
  auto error = read_err_packet(bytes_of(packets[0].second));
  REQUIRE(error);
  CHECK(error->error_code == 1045);
  CHECK(error->sql_state == "28000");
  CHECK(error->error_message == "Access denied for user 'app'@'10.0.0.5' (using password: YES)");
}

}  // namespace

TEST_CASE("mysql client login: mysql_native_password against a stored hash or a password", "[mysql][login]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  const std::string stored = GENERATE(kStoredHash, kPassword);
  auto login = greeted();
  REQUIRE(feed(login, response_packet("mysql_native_password", native_answer()), step) ==
          ClientLoginEvent::handshake_response);
  CHECK(login.response().user == "app");
  CHECK(login.response().database == "shop");
  CHECK(login.capabilities() == (kClientCapabilities & kDefaultServerCapabilities));
  login.begin_mysql_native_password(stored);
  REQUIRE(login.next() == ClientLoginEvent::authenticated);
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 2);
  auto ok = read_ok_packet(bytes_of(packets[0].second), login.capabilities());
  REQUIRE(ok);
  CHECK(ok->status_flags == server_status::SERVER_STATUS_AUTOCOMMIT);
  CHECK(login.input().empty());
}

TEST_CASE("mysql client login: a wrong password gets ERR 1045", "[mysql][login]") {
  auto login = greeted();
  REQUIRE(feed(login, response_packet("mysql_native_password", native_answer("wrong"))) ==
          ClientLoginEvent::handshake_response);
  login.begin_mysql_native_password(kStoredHash);
  REQUIRE(login.next() == ClientLoginEvent::failed);
  CHECK(login.failure().reason == "auth_failed");
  check_access_denied(login.output(), 2);
}

TEST_CASE("mysql client login: a client answering for another plugin is switched", "[mysql][login]") {
  // A MySQL 8 client answers for caching_sha2_password; Sluice checks mysql_native_password.
  auto login = greeted();
  REQUIRE(feed(login, response_packet("caching_sha2_password", sha2_answer())) ==
          ClientLoginEvent::handshake_response);
  login.begin_mysql_native_password(kStoredHash);
  REQUIRE(login.next() == ClientLoginEvent::need_input);
  auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 2);
  CHECK(packets[0].second == "\xfemysql_native_password\0"s + kScramble + "\0"s);
  login.output().clear();

  std::string answer;
  SequenceId sequence;
  sequence.reset(3);
  write_packet(answer, sequence, native_answer());
  REQUIRE(feed(login, answer, 1) == ClientLoginEvent::authenticated);
  packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 4);
  CHECK(read_ok_packet(bytes_of(packets[0].second), login.capabilities()));
}

TEST_CASE("mysql client login: caching_sha2_password's fast path", "[mysql][login]") {
  auto login = greeted();
  REQUIRE(feed(login, response_packet("caching_sha2_password", sha2_answer())) == ClientLoginEvent::handshake_response);
  login.begin_caching_sha2_password(kPassword);
  REQUIRE(login.next() == ClientLoginEvent::authenticated);
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 2);
  CHECK(packets[0] == std::pair<std::uint8_t, std::string>{2, "\x01\x03"});  // fast_auth_success
  CHECK(packets[1].first == 3);
  CHECK(read_ok_packet(bytes_of(packets[1].second), login.capabilities()));

  auto wrong = greeted();
  REQUIRE(feed(wrong, response_packet("caching_sha2_password", sha2_answer("nope"))) ==
          ClientLoginEvent::handshake_response);
  wrong.begin_caching_sha2_password(kPassword);
  REQUIRE(wrong.next() == ClientLoginEvent::failed);
  check_access_denied(wrong.output(), 2);
}

TEST_CASE("mysql client login: trust, refusals and clients that cannot switch", "[mysql][login]") {
  SECTION("trust") {
    auto login = greeted();
    REQUIRE(feed(login, response_packet("mysql_native_password", "")) == ClientLoginEvent::handshake_response);
    login.begin_trust();
    CHECK(login.next() == ClientLoginEvent::authenticated);
  }
  SECTION("refused: unknown database") {
    auto login = greeted();
    REQUIRE(feed(login, response_packet("mysql_native_password", native_answer())) ==
            ClientLoginEvent::handshake_response);
    login.refuse(Failure{"unknown_database", "3D000", "no such database: shop"});
    REQUIRE(login.next() == ClientLoginEvent::failed);
    auto error = read_err_packet(bytes_of(packets_in(login.output()).at(0).second));
    REQUIRE(error);
    CHECK(error->error_code == 1049);
    CHECK(error->error_message == "Unknown database 'shop'");
  }
  SECTION("refused while the client answered for a plugin Sluice cannot read: switched first, then refused") {
    // client_ed25519 waits for a nonce (an ERR instead reads as "2012 Error in server handshake");
    // an unknown user must look like a wrong password: 1045, "using password: YES", as MariaDB says.
    for (const auto& [plugin, answer] : {std::pair<std::string, std::string>{"client_ed25519", ""},
                                         std::pair<std::string, std::string>{"caching_sha2_password", ""}}) {
      INFO(plugin);
      auto login = greeted();
      REQUIRE(feed(login, response_packet(plugin, answer)) == ClientLoginEvent::handshake_response);
      login.refuse(Failure{"auth_failed", "28P01", "password authentication failed for user \"app\""});
      REQUIRE(login.next() == ClientLoginEvent::need_input);
      const auto switched = packets_in(login.output());
      REQUIRE(switched.size() == 1);
      CHECK(switched[0].first == 2);
      CHECK(switched[0].second.starts_with("\xFEmysql_native_password\0"s));
      login.output().clear();
      std::string reply;
      SequenceId sequence;
      sequence.reset(3);
      write_packet(reply, sequence, native_answer("wrong"));
      REQUIRE(feed(login, reply) == ClientLoginEvent::failed);
      check_access_denied(login.output(), 4);
    }
  }
  SECTION("no CLIENT_PLUGIN_AUTH: no switch to caching_sha2_password") {
    auto login = greeted();
    const std::uint64_t old = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
    REQUIRE(feed(login, response_packet("", native_answer(), old)) == ClientLoginEvent::handshake_response);
    login.begin_caching_sha2_password(kPassword);
    REQUIRE(login.next() == ClientLoginEvent::failed);
    CHECK(login.failure().reason == "protocol_violation");
  }
  SECTION("no CLIENT_PLUGIN_AUTH: mysql_native_password is what it answered") {
    auto login = greeted();
    const std::uint64_t old = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
    REQUIRE(feed(login, response_packet("", native_answer(), old)) == ClientLoginEvent::handshake_response);
    login.begin_mysql_native_password(kPassword);
    CHECK(login.next() == ClientLoginEvent::authenticated);
  }
}

TEST_CASE("mysql client login: SSLRequest", "[mysql][login]") {
  SslRequest request{kClientCapabilities | CLIENT_SSL, 1 << 24, charset::utf8mb4_general_ci};
  std::string ssl;
  SequenceId sequence;
  sequence.reset(1);
  write_ssl_request(ssl, sequence, request);
  SECTION("TLS offered: the session starts it, the response follows") {
    auto offered = settings();
    offered.capabilities |= CLIENT_SSL;
    auto login = greeted(offered);
    // Exactly the SSLRequest is read, not a byte of what follows (that is TLS).
    REQUIRE(feed(login, ssl + "more", 1) == ClientLoginEvent::ssl_request);
    CHECK(login.input().empty());
    login.tls_started();
    const auto response =
        response_packet("mysql_native_password", native_answer(), kClientCapabilities | CLIENT_SSL, 2);
    REQUIRE(feed(login, response) == ClientLoginEvent::handshake_response);
    login.begin_mysql_native_password(kStoredHash);
    REQUIRE(login.next() == ClientLoginEvent::authenticated);
    CHECK(packets_in(login.output()).at(0).first == 3);
  }
  SECTION("TLS not offered: a protocol violation") {
    auto login = greeted();
    REQUIRE(feed(login, ssl) == ClientLoginEvent::failed);
    CHECK(login.failure().reason == "protocol_violation");
    auto error = read_err_packet(bytes_of(packets_in(login.output()).at(0).second));
    REQUIRE(error);
    CHECK(error->error_code == 1047);
  }
}

namespace {

// A login over TLS: the SSLRequest (seq 1) read, TLS "started", the response (seq 2) read.
ClientLogin over_tls(std::string_view plugin, std::string auth_response) {
  auto offered = settings();
  offered.capabilities |= CLIENT_SSL;
  auto login = greeted(offered);
  std::string ssl;
  SequenceId sequence;
  sequence.reset(1);
  write_ssl_request(ssl, sequence, SslRequest{kClientCapabilities | CLIENT_SSL, 1 << 24, charset::utf8mb4_general_ci});
  REQUIRE(feed(login, ssl) == ClientLoginEvent::ssl_request);
  login.tls_started();
  const auto response = response_packet(plugin, std::move(auth_response), kClientCapabilities | CLIENT_SSL, 2);
  REQUIRE(feed(login, response) == ClientLoginEvent::handshake_response);
  return login;
}

std::string packet_with_id(std::uint8_t sequence_id, const std::string& payload) {
  std::string out;
  SequenceId sequence;
  sequence.reset(sequence_id);
  write_packet(out, sequence, payload);
  return out;
}

}  // namespace

TEST_CASE("mysql client login: caching_sha2_password's full authentication over TLS", "[mysql][login][tls]") {
  // Stored forms that cannot check a scramble (and the plain password): the password in clear
  // is checked against each.
  const std::vector<std::string> stored_forms{
      kStoredHash, auth::pg_md5_password(kPassword, "app"),
      auth::format_scram_verifier(auth::make_scram_secret(kPassword, "0123456789abcdef", 4096)), kPassword};
  for (const std::string& stored : stored_forms) {
    for (const std::string& password : {kPassword, "nope"s}) {
      for (const std::size_t step : {std::size_t{1}, SIZE_MAX}) {
        CAPTURE(stored, password, step);
        auto login = over_tls("caching_sha2_password", sha2_answer());
        login.begin_caching_sha2_full_authentication(stored);
        REQUIRE(login.next() == ClientLoginEvent::need_input);
        CHECK(packets_in(login.output()) == std::vector<std::pair<std::uint8_t, std::string>>{{3, "\x01\x04"}});
        login.output().clear();
        const auto event = feed(login, packet_with_id(4, password + "\0"s), step);
        if (password != kPassword) {
          REQUIRE(event == ClientLoginEvent::failed);
          CHECK(login.failure().reason == "auth_failed");
          check_access_denied(login.output(), 5);
          continue;
        }
        REQUIRE(event == ClientLoginEvent::authenticated);
        const auto packets = packets_in(login.output());
        REQUIRE(packets.size() == 1);
        CHECK(packets[0].first == 5);
        CHECK(read_ok_packet(bytes_of(packets[0].second), login.capabilities()));
      }
    }
  }
}

TEST_CASE("mysql client login: full authentication after a switch, never without TLS", "[mysql][login][tls]") {
  SECTION("a mysql_native_password client is switched first, then asked for the password") {
    auto login = over_tls("mysql_native_password", native_answer());
    login.begin_caching_sha2_full_authentication(kStoredHash);
    REQUIRE(login.next() == ClientLoginEvent::need_input);
    auto packets = packets_in(login.output());
    REQUIRE(packets.size() == 1);
    CHECK(packets[0] == std::pair<std::uint8_t, std::string>{3, "\xfe" "caching_sha2_password\0"s + kScramble + "\0"s});
    login.output().clear();
    REQUIRE(feed(login, packet_with_id(4, sha2_answer())) == ClientLoginEvent::need_input);
    CHECK(packets_in(login.output()) == std::vector<std::pair<std::uint8_t, std::string>>{{5, "\x01\x04"}});
    login.output().clear();
    REQUIRE(feed(login, packet_with_id(6, kPassword + "\0"s)) == ClientLoginEvent::authenticated);
    CHECK(packets_in(login.output()).at(0).first == 7);
  }
  SECTION("plain text: refused as a wrong password, nothing asked") {
    auto login = greeted();
    REQUIRE(feed(login, response_packet("caching_sha2_password", sha2_answer())) == ClientLoginEvent::handshake_response);
    login.begin_caching_sha2_full_authentication(kStoredHash);
    REQUIRE(login.next() == ClientLoginEvent::failed);
    check_access_denied(login.output(), 2);
  }
}

TEST_CASE("mysql client login: a caching_sha2_password client that sent no data gets the scramble", "[mysql][login]") {
  // Connector/C with default-auth=caching_sha2_password, against a handshake naming
  // mysql_native_password: the plugin's first answer is empty.
  auto login = greeted();
  REQUIRE(feed(login, response_packet("caching_sha2_password", "")) == ClientLoginEvent::handshake_response);
  login.begin_caching_sha2_password(kPassword);
  REQUIRE(login.next() == ClientLoginEvent::need_input);
  CHECK(packets_in(login.output()).at(0) ==
        std::pair<std::uint8_t, std::string>{2, "\xfe" "caching_sha2_password\0"s + kScramble + "\0"s});
  login.output().clear();
  REQUIRE(feed(login, packet_with_id(3, sha2_answer())) == ClientLoginEvent::authenticated);
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 2);
  CHECK(packets[0] == std::pair<std::uint8_t, std::string>{4, "\x01\x03"});
  CHECK(packets[1].first == 5);

  SECTION("an empty password: the empty answer is the right one") {
    auto empty = greeted();
    REQUIRE(feed(empty, response_packet("caching_sha2_password", "")) == ClientLoginEvent::handshake_response);
    empty.begin_caching_sha2_password("");
    CHECK(empty.next() == ClientLoginEvent::authenticated);
  }
}

TEST_CASE("mysql client login: garbage, wrong sequence ids and oversized packets", "[mysql][login]") {
  SECTION("wrong sequence id") {
    auto login = greeted();
    REQUIRE(feed(login, response_packet("mysql_native_password", native_answer(), kClientCapabilities, 3)) ==
            ClientLoginEvent::failed);
    CHECK(login.failure().message.find("out of order") != std::string::npos);
  }
  SECTION("not a HandshakeResponse41") {
    auto login = greeted();
    std::string garbage;
    SequenceId sequence;
    sequence.reset(1);
    write_packet(garbage, sequence, "\x03SELECT 1");
    REQUIRE(feed(login, garbage) == ClientLoginEvent::failed);
    CHECK(login.failure().reason == "protocol_violation");
    CHECK(login.input().empty());
  }
  SECTION("too short to say its capabilities: the ERR carries 1047 and 08S01") {
    auto login = greeted();
    REQUIRE(feed(login, "\x01\x00\x00\x01\x00"s) == ClientLoginEvent::failed);
    const auto packets = packets_in(login.output());
    REQUIRE(packets.size() == 1);
    auto error = read_err_packet(bytes_of(packets[0].second));
    REQUIRE(error);
    CHECK(error->error_code == 1047);
    CHECK(error->sql_state == "08S01");
  }
  SECTION("over the login cap") {
    auto small = settings();
    small.max_packet_size = 64;
    auto login = greeted(small);
    REQUIRE(feed(login, "\x00\x10\x00\x01"s) == ClientLoginEvent::failed);  // 4096 bytes claimed
    CHECK(login.failure().message.find("max_packet_size") != std::string::npos);
  }
  SECTION("the client went away") {
    auto login = greeted();
    CHECK(feed(login, response_packet("mysql_native_password", native_answer()).substr(0, 20)) ==
          ClientLoginEvent::need_input);
  }
}

// --- ServerLogin ---

namespace {

ServerLoginIdentity identity() {
  ServerLoginIdentity identity;
  identity.user = "app";
  identity.database = "shop";
  identity.password = kPassword;
  return identity;
}

std::string server_handshake(std::string_view plugin, std::uint64_t capabilities = kDefaultServerCapabilities) {
  return mysql_login_packets::server_handshake(plugin, kScramble, capabilities);
}

// The HandshakeResponse41 Sluice sent, checked: sequence id 1, user, database, attributes.
HandshakeResponse41 sent_response(ServerLogin& login) {
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 1);
  auto response = read_handshake_response41(bytes_of(packets[0].second));
  REQUIRE(response);
  CHECK(response->user == "app");
  CHECK(response->database == "shop");
  login.output().clear();
  return *response;
}

}  // namespace

TEST_CASE("mysql server login: mysql_native_password, whole or one byte at a time", "[mysql][login]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  ServerLogin login(identity());
  CHECK(login.output().empty());
  REQUIRE(feed(login, server_handshake("mysql_native_password"), step) == ServerLoginEvent::need_input);
  const auto response = sent_response(login);
  CHECK(response.auth_plugin_name == "mysql_native_password");
  CHECK(response.auth_response == native_answer());
  CHECK(response.connect_attributes ==
        std::vector<std::pair<std::string, std::string>>{{"program_name", "sluice"}});
  REQUIRE(feed(login, server_packets(2, {kOk}), step) == ServerLoginEvent::ready);
  CHECK(login.handshake().connection_id == 77);
  CHECK(login.status_flags() == server_status::SERVER_STATUS_AUTOCOMMIT);
  CHECK(login.capabilities() == (kDefaultClientCapabilities & kDefaultServerCapabilities));
}

TEST_CASE("mysql server login: caching_sha2_password", "[mysql][login]") {
  ServerLogin login(identity());
  REQUIRE(feed(login, server_handshake("caching_sha2_password")) == ServerLoginEvent::need_input);
  CHECK(sent_response(login).auth_response == sha2_answer());
  SECTION("fast path") {
    CHECK(feed(login, server_packets(2, {"\x01\x03", kOk})) == ServerLoginEvent::ready);
  }
  SECTION("full authentication without TLS asks for the server's RSA key") {
    REQUIRE(feed(login, server_packets(2, {"\x01\x04"})) == ServerLoginEvent::need_input);
    CHECK(packets_in(login.output()) == std::vector<std::pair<std::uint8_t, std::string>>{{3, "\x02"}});
  }
}

TEST_CASE("mysql server login: AuthSwitchRequest", "[mysql][login]") {
  ServerLogin login(identity());
  REQUIRE(feed(login, server_handshake("caching_sha2_password")) == ServerLoginEvent::need_input);
  login.output().clear();
  SECTION("to mysql_native_password") {
    const std::string other_scramble = "ABCDEFGHIJKLMNOPQRST";
    REQUIRE(feed(login, server_packets(2, {"\xfemysql_native_password\0"s + other_scramble + "\0"s})) ==
            ServerLoginEvent::need_input);
    const auto packets = packets_in(login.output());
    REQUIRE(packets.size() == 1);
    CHECK(packets[0].first == 3);
    CHECK(packets[0].second == *auth::mysql_native_password_scramble(kPassword, other_scramble));
    CHECK(feed(login, server_packets(4, {kOk})) == ServerLoginEvent::ready);
  }
  SECTION("to a plugin Sluice does not know") {
    REQUIRE(feed(login, server_packets(2, {"\xfe" "dialog\0"s + std::string(20, 'n')})) ==
            ServerLoginEvent::failed);
    CHECK(login.failure().message.find("unsupported authentication plugin dialog") != std::string::npos);
  }
  SECTION("round after round") {
    std::string rounds;
    SequenceId sequence;
    sequence.reset(2);
    for (int i = 0; i < 5; ++i) {
      write_packet(rounds, sequence, "\xfemysql_native_password\0"s + kScramble + "\0"s);
      sequence.take();  // Sluice's answer
    }
    CHECK(feed(login, rounds) == ServerLoginEvent::failed);
    CHECK(login.failure().message.find("too many") != std::string::npos);
  }
}

TEST_CASE("mysql server login: refusals and broken servers", "[mysql][login]") {
  SECTION("ERR instead of a handshake") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_packets(0, {"\xff\x6a\x04Host '10.0.0.9' is not allowed to connect"s})) ==
            ServerLoginEvent::failed);
    CHECK(login.failure().message == "server login failed: ERROR 1130: Host '10.0.0.9' is not allowed to connect");
  }
  SECTION("access denied") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::need_input);
    REQUIRE(feed(login, server_packets(2, {"\xff\x15\x04#28000Access denied"s})) == ServerLoginEvent::failed);
    CHECK(login.failure().message == "server login failed: ERROR 1045 (28000): Access denied");
    CHECK(login.failure().sqlstate == "08001");
  }
  SECTION("no password configured") {
    auto nobody = identity();
    nobody.password.reset();
    ServerLogin login(nobody);
    CHECK(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::failed);
  }
  SECTION("a packet out of order") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::need_input);
    CHECK(feed(login, server_packets(3, {kOk})) == ServerLoginEvent::failed);
  }
  SECTION("not protocol 4.1") {
    ServerLogin login(identity());
    CHECK(feed(login, server_handshake("mysql_native_password", CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)) ==
          ServerLoginEvent::failed);
  }
  SECTION("garbage after the response") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::need_input);
    CHECK(feed(login, server_packets(2, {"\x05garbage"})) == ServerLoginEvent::failed);
  }
}

TEST_CASE("mysql logins: Sluice logs in to Sluice", "[mysql][login]") {
  struct Case {
    const char* method;
    std::string client_password;
    bool succeeds;
  };
  const Case cases[] = {{"native", kPassword, true},   {"native", "wrong", false},
                        {"sha2", kPassword, true},     {"sha2", "wrong", false},
                        {"native-hash", kPassword, true}};
  for (const auto& [method, client_password, succeeds] : cases) {
    INFO(method << " with " << client_password);
    ClientLogin server(settings());
    auto who = identity();
    who.password = client_password;
    ServerLogin client(who);
    ServerLoginEvent client_event = ServerLoginEvent::need_input;
    ClientLoginEvent server_event = ClientLoginEvent::need_input;
    for (int turn = 0; turn < 10 && client_event == ServerLoginEvent::need_input; ++turn) {
      client_event = feed(client, std::exchange(server.output(), {}));
      server_event = feed(server, std::exchange(client.output(), {}));
      if (server_event == ClientLoginEvent::handshake_response) {
        if (std::string_view(method) == "sha2") server.begin_caching_sha2_password(kPassword);
        if (std::string_view(method) == "native") server.begin_mysql_native_password(kPassword);
        if (std::string_view(method) == "native-hash") server.begin_mysql_native_password(kStoredHash);
        server_event = server.next();
      }
    }
    CHECK(client_event == (succeeds ? ServerLoginEvent::ready : ServerLoginEvent::failed));
    CHECK(server_event == (succeeds ? ClientLoginEvent::authenticated : ClientLoginEvent::failed));
    if (!succeeds) {
      CHECK(client.failure().message.find("ERROR 1045 (28000): Access denied for user 'app'") != std::string::npos);
    }
  }
}

// --- ServerLogin with tls.server ---

namespace {

ServerLoginIdentity identity_with(BackendTls tls) {
  auto who = identity();
  who.tls = tls;
  return who;
}

// The SSLRequest Sluice sent (sequence id 1, 32 bytes), checked and cleared.
SslRequest sent_ssl_request(ServerLogin& login) {
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].first == 1);
  CHECK(packets[0].second.size() == 32);
  REQUIRE(is_ssl_request(bytes_of(packets[0].second)));
  auto request = read_ssl_request(bytes_of(packets[0].second));
  REQUIRE(request);
  login.output().clear();
  return *request;
}

// The one packet in output() as (sequence id, payload), cleared.
std::pair<std::uint8_t, std::string> sent_packet(ServerLogin& login) {
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  login.output().clear();
  return packets[0];
}

constexpr std::uint64_t kServerWithTls = kDefaultServerCapabilities | CLIENT_SSL;

}  // namespace

TEST_CASE("mysql server login: SSLRequest when TLS is wanted and offered, the response over TLS", "[mysql][login][tls]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  const BackendTls mode = GENERATE(BackendTls::if_offered, BackendTls::required);
  ServerLogin login(identity_with(mode));
  REQUIRE(feed(login, server_handshake("mysql_native_password", kServerWithTls), step) == ServerLoginEvent::start_tls);
  const auto request = sent_ssl_request(login);
  CHECK((request.capabilities & CLIENT_SSL) != 0);
  CHECK((request.capabilities & CLIENT_PROTOCOL_41) != 0);
  CHECK(request.character_set == charset::utf8mb4_general_ci);
  CHECK(request.max_packet_size == kDefaultMaxPacketSize);
  // Nothing is read until TLS is up: the next bytes are the server's TLS handshake.
  CHECK(login.input().empty());
  CHECK(login.next() == ServerLoginEvent::start_tls);
  CHECK_FALSE(login.tls());
  login.tls_started();
  CHECK(login.tls());
  const auto [sequence_id, payload] = sent_packet(login);
  CHECK(sequence_id == 2);
  auto response = read_handshake_response41(bytes_of(payload));
  REQUIRE(response);
  CHECK(response->capabilities == request.capabilities);
  CHECK(response->user == "app");
  CHECK(response->auth_response == native_answer());
  REQUIRE(login.next() == ServerLoginEvent::need_input);
  REQUIRE(feed(login, server_packets(3, {kOk}), step) == ServerLoginEvent::ready);
  CHECK((login.capabilities() & CLIENT_SSL) != 0);
}

TEST_CASE("mysql server login: a server without CLIENT_SSL", "[mysql][login][tls]") {
  SECTION("required: the login fails before anything is sent") {
    ServerLogin login(identity_with(BackendTls::required));
    REQUIRE(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::failed);
    CHECK(login.output().empty());
    CHECK(login.failure().reason == "server_login_failed");
    CHECK(login.failure().message ==
          "server login failed: TLS is required (tls.server.mode) but the server does not offer it (no CLIENT_SSL)");
  }
  SECTION("if offered: plain text, the response has sequence id 1") {
    ServerLogin login(identity_with(BackendTls::if_offered));
    REQUIRE(feed(login, server_handshake("mysql_native_password")) == ServerLoginEvent::need_input);
    const auto response = sent_response(login);
    CHECK((response.capabilities & CLIENT_SSL) == 0);
    REQUIRE(feed(login, server_packets(2, {kOk})) == ServerLoginEvent::ready);
    CHECK_FALSE(login.tls());
  }
}

TEST_CASE("mysql server login: tls off never sends an SSLRequest", "[mysql][login][tls]") {
  ServerLogin login(identity_with(BackendTls::off));
  REQUIRE(feed(login, server_handshake("mysql_native_password", kServerWithTls)) == ServerLoginEvent::need_input);
  CHECK((sent_response(login).capabilities & CLIENT_SSL) == 0);
  REQUIRE(feed(login, server_packets(2, {kOk})) == ServerLoginEvent::ready);
}

TEST_CASE("mysql server login: caching_sha2_password's full authentication over TLS sends the password",
          "[mysql][login][tls]") {
  ServerLogin login(identity_with(BackendTls::required));
  REQUIRE(feed(login, server_handshake("caching_sha2_password", kServerWithTls)) == ServerLoginEvent::start_tls);
  sent_ssl_request(login);
  login.tls_started();
  CHECK(sent_packet(login).first == 2);
  REQUIRE(feed(login, server_packets(3, {"\x01\x04"})) == ServerLoginEvent::need_input);
  CHECK(sent_packet(login) == std::pair<std::uint8_t, std::string>{4, kPassword + "\0"s});
  REQUIRE(feed(login, server_packets(5, {kOk})) == ServerLoginEvent::ready);
}

TEST_CASE("mysql logins: Sluice logs in to Sluice over TLS, full authentication included", "[mysql][login][tls]") {
  for (const auto& [client_password, succeeds] : {std::pair{kPassword, true}, std::pair{"wrong"s, false}}) {
    CAPTURE(client_password);
    auto offered = settings();
    offered.capabilities |= CLIENT_SSL;
    offered.auth_plugin = std::string(auth_plugin::caching_sha2_password);
    ClientLogin server(offered);
    auto who = identity_with(BackendTls::required);
    who.password = client_password;
    ServerLogin client(who);
    ServerLoginEvent client_event = ServerLoginEvent::need_input;
    ClientLoginEvent server_event = ClientLoginEvent::need_input;
    // No real TLS here: both machines are told it started and the bytes pass as they are.
    for (int turn = 0; turn < 10 && (client_event == ServerLoginEvent::need_input ||
                                     client_event == ServerLoginEvent::start_tls); ++turn) {
      client_event = feed(client, std::exchange(server.output(), {}));
      server_event = feed(server, std::exchange(client.output(), {}));
      if (server_event == ClientLoginEvent::ssl_request) {
        REQUIRE(client_event == ServerLoginEvent::start_tls);
        server.tls_started();
        client.tls_started();
        server_event = feed(server, std::exchange(client.output(), {}));
      }
      // A stored hash cannot check a scramble: the password must come in clear.
      if (server_event == ClientLoginEvent::handshake_response) {
        server.begin_caching_sha2_full_authentication(kStoredHash);
        server_event = server.next();
      }
    }
    CHECK(client.tls());
    CHECK(client_event == (succeeds ? ServerLoginEvent::ready : ServerLoginEvent::failed));
    CHECK(server_event == (succeeds ? ClientLoginEvent::authenticated : ClientLoginEvent::failed));
  }
}
