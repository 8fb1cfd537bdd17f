// mysql::ServerLogin's answers that need more than a hash: MariaDB's client_ed25519 (a signature
// of the server's nonce) and the password RSA-encrypted with the server's public key
// (caching_sha2_password's full authentication and sha256_password without TLS). The server is
// played with crafted packets; its RSA key is made here, and its private half reads what
// Sluice sent.
#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/client_ed25519.hpp"
#include "sluice/auth/client_ed25519_signature.hpp"
#include "sluice/auth/openssl_handles.hpp"
#include "sluice/auth/rsa_password.hpp"
#include "sluice/protocol/mysql/server_login.hpp"

#include "feed_login.hpp"
#include "mysql_login_packets.hpp"

using namespace sluice;
using namespace sluice::mysql;
using namespace std::string_literals;
using namespace mysql_login_packets;

namespace {

const std::string kScramble = "0123456789abcdefghij";
const std::string kPassword = "rsa and ed25519 secret";

using Packets = std::vector<std::pair<std::uint8_t, std::string>>;

ServerLoginIdentity identity(BackendTls tls = BackendTls::off) {
  ServerLoginIdentity who;
  who.user = "app";
  who.password = kPassword;
  who.tls = tls;
  return who;
}

// The one packet Sluice wrote, cleared.
std::pair<std::uint8_t, std::string> sent_packet(ServerLogin& login) {
  const auto packets = packets_in(login.output());
  REQUIRE(packets.size() == 1);
  login.output().clear();
  return packets[0];
}

std::string sent_auth_response(ServerLogin& login) {
  const auto [sequence_id, payload] = sent_packet(login);
  CHECK(sequence_id == 1);
  auto response = read_handshake_response41(bytes_of(payload));
  REQUIRE(response);
  return response->auth_response;
}

// The server's RSA key pair, as the server has it.
class ServerRsaKey {
 public:
  explicit ServerRsaKey(unsigned int bits = 2048) : key_(EVP_RSA_gen(bits)) { REQUIRE(key_); }

  // -----BEGIN PUBLIC KEY-----, what the server sends in AuthMoreData.
  std::string public_pem() const {
    const auth::BioHandle bio(BIO_new(BIO_s_mem()));
    REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  }

  // RSA-OAEP decryption, as the server undoes Sluice's answer.
  std::string decrypt(const std::string& encrypted) const {
    const auth::PkeyContextHandle context(EVP_PKEY_CTX_new(key_.get(), nullptr));
    REQUIRE(context);
    REQUIRE(EVP_PKEY_decrypt_init(context.get()) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(context.get(), RSA_PKCS1_OAEP_PADDING) == 1);
    const auto* in = reinterpret_cast<const unsigned char*>(encrypted.data());
    std::size_t length = 0;
    REQUIRE(EVP_PKEY_decrypt(context.get(), nullptr, &length, in, encrypted.size()) == 1);
    std::string plain(length, '\0');
    REQUIRE(EVP_PKEY_decrypt(context.get(), reinterpret_cast<unsigned char*>(plain.data()), &length, in,
                             encrypted.size()) == 1);
    plain.resize(length);
    return plain;
  }

 private:
  auth::PkeyHandle key_;
};

// What the server finds after decrypting: (password + NUL) XOR the scramble, written out here
// independently of rsa_password.cpp.
std::string expected_plaintext(const std::string& password, const std::string& scramble) {
  std::string expected = password + '\0';
  for (std::size_t i = 0; i < expected.size(); ++i) {
    expected[i] = static_cast<char>(expected[i] ^ scramble[i % scramble.size()]);
  }
  return expected;
}

std::string auth_more_data(const std::string& data) { return "\x01"s + data; }

// The server sends its public key with sequence id `key_sequence_id`; Sluice's next packet must
// decrypt to (password + NUL) XOR `scramble`; the server's OK ends the login.
void check_encrypted_password(ServerLogin& login, const ServerRsaKey& server_key, std::uint8_t key_sequence_id,
                              const std::string& scramble, std::size_t step = SIZE_MAX) {
  REQUIRE(feed(login, server_packets(key_sequence_id, {auth_more_data(server_key.public_pem())}), step) ==
          ServerLoginEvent::need_input);
  const auto [sequence_id, encrypted] = sent_packet(login);
  CHECK(sequence_id == key_sequence_id + 1);
  CHECK(encrypted.find(kPassword) == std::string::npos);
  CHECK(server_key.decrypt(encrypted) == expected_plaintext(kPassword, scramble));
  CHECK(feed(login, server_packets(key_sequence_id + 2, {kOk}), step) == ServerLoginEvent::ready);
}

}  // namespace

TEST_CASE("mysql server login: client_ed25519 signs the nonce of an AuthSwitchRequest", "[mysql][login]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  // A nonce ending in NUL: all 32 bytes are signed, none is cut like a scramble's terminator.
  std::string nonce;
  for (int i = 0; i < 31; ++i) nonce.push_back(static_cast<char>(0xa0 + i));
  nonce.push_back('\0');
  ServerLogin login(identity());
  REQUIRE(feed(login, server_handshake("mysql_native_password", kScramble), step) == ServerLoginEvent::need_input);
  login.output().clear();
  REQUIRE(feed(login, server_packets(2, {"\xfe" "client_ed25519\0"s + nonce}), step) == ServerLoginEvent::need_input);
  const auto [sequence_id, signature] = sent_packet(login);
  CHECK(sequence_id == 3);
  CHECK(signature.size() == auth::ed25519_signature_length);
  CHECK(signature == auth::client_ed25519_signature(kPassword, nonce));
  CHECK(auth::verify_client_ed25519_password(kPassword, nonce, signature));
  CHECK(feed(login, server_packets(4, {kOk}), step) == ServerLoginEvent::ready);
}

TEST_CASE("mysql server login: client_ed25519 with a nonce that is not 32 bytes fails", "[mysql][login]") {
  ServerLogin login(identity());
  REQUIRE(feed(login, server_handshake("mysql_native_password", kScramble)) == ServerLoginEvent::need_input);
  login.output().clear();
  REQUIRE(feed(login, server_packets(2, {"\xfe" "client_ed25519\0"s + std::string(20, 'n')})) ==
          ServerLoginEvent::failed);
  CHECK(login.output().empty());
  CHECK(login.failure().message ==
        "server login failed: client_ed25519 wants a 32-byte nonce, the server sent 20 bytes");
}

TEST_CASE("mysql server login: caching_sha2_password full authentication without TLS uses the server's RSA key",
          "[mysql][login]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  const ServerRsaKey server_key;
  ServerLogin login(identity());
  REQUIRE(feed(login, server_handshake("caching_sha2_password", kScramble), step) == ServerLoginEvent::need_input);
  CHECK(sent_auth_response(login) == auth::caching_sha2_scramble(kPassword, kScramble));
  // perform_full_authentication: Sluice asks for the key (0x02), never sends the password in clear.
  REQUIRE(feed(login, server_packets(2, {"\x01\x04"}), step) == ServerLoginEvent::need_input);
  CHECK(sent_packet(login) == std::pair<std::uint8_t, std::string>{3, "\x02"});
  check_encrypted_password(login, server_key, 4, kScramble, step);
}

TEST_CASE("mysql rsa password: the scramble repeats over a longer password", "[mysql][login]") {
  // 40 bytes against the 20-byte scramble: it repeats.
  const std::string password(40, 'p');
  CHECK(auth::scramble_masked_password(password, kScramble) == expected_plaintext(password, kScramble));
  CHECK(auth::scramble_masked_password("", kScramble) == std::string(1, kScramble[0]));
  const ServerRsaKey server_key;
  const auto encrypted = auth::rsa_encrypted_password(server_key.public_pem(), password, kScramble);
  REQUIRE(encrypted);
  CHECK(server_key.decrypt(*encrypted) == expected_plaintext(password, kScramble));
}

TEST_CASE("mysql server login: a public key Sluice cannot use fails the login with the reason", "[mysql][login]") {
  auto who = identity();
  std::string key_pem;
  SECTION("not a PEM key") { key_pem = "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n"; }
  SECTION("a password too long for one block of a 1024-bit key") {
    key_pem = ServerRsaKey(1024).public_pem();
    who.password = std::string(100, 'x');  // OAEP with SHA-1 takes at most 128 - 42 = 86 bytes
  }
  ServerLogin login(who);
  REQUIRE(feed(login, server_handshake("caching_sha2_password", kScramble)) == ServerLoginEvent::need_input);
  login.output().clear();
  REQUIRE(feed(login, server_packets(2, {"\x01\x04"})) == ServerLoginEvent::need_input);
  login.output().clear();
  REQUIRE(feed(login, server_packets(4, {auth_more_data(key_pem)})) == ServerLoginEvent::failed);
  CHECK(login.output().empty());
  CHECK(login.failure().reason == "server_login_failed");
  CHECK_THAT(login.failure().message,
             Catch::Contains("caching_sha2_password: cannot encrypt the password with the server's RSA public key"));
}

TEST_CASE("mysql server login: sha256_password", "[mysql][login]") {
  const ServerRsaKey server_key;
  SECTION("in plain text: the key is requested (0x01) and the password sent encrypted") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("sha256_password", kScramble)) == ServerLoginEvent::need_input);
    CHECK(sent_auth_response(login) == "\x01");
    check_encrypted_password(login, server_key, 2, kScramble);
  }
  SECTION("after an AuthSwitchRequest, with the switch's scramble") {
    const std::string other_scramble = "ABCDEFGHIJKLMNOPQRST";
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("mysql_native_password", kScramble)) == ServerLoginEvent::need_input);
    login.output().clear();
    REQUIRE(feed(login, server_packets(2, {"\xfesha256_password\0"s + other_scramble + "\0"s})) ==
            ServerLoginEvent::need_input);
    CHECK(sent_packet(login) == std::pair<std::uint8_t, std::string>{3, "\x01"});
    check_encrypted_password(login, server_key, 4, other_scramble);
  }
  SECTION("a switch to another plugin forgets the key request") {
    ServerLogin login(identity());
    REQUIRE(feed(login, server_handshake("sha256_password", kScramble)) == ServerLoginEvent::need_input);
    CHECK(sent_auth_response(login) == "\x01");
    REQUIRE(feed(login, server_packets(2, {"\xfemysql_native_password\0"s + kScramble + "\0"s})) ==
            ServerLoginEvent::need_input);
    CHECK(sent_packet(login).first == 3);
    REQUIRE(feed(login, server_packets(4, {auth_more_data(server_key.public_pem())})) == ServerLoginEvent::failed);
    CHECK(login.output().empty());
    CHECK(login.failure().message == "server login failed: unexpected AuthMoreData for mysql_native_password");
  }
  SECTION("over TLS: the password in clear, NUL-terminated") {
    ServerLogin login(identity(BackendTls::required));
    REQUIRE(feed(login, server_handshake("sha256_password", kScramble,
                                         kDefaultServerCapabilities | capability::CLIENT_SSL)) ==
            ServerLoginEvent::start_tls);
    login.output().clear();
    login.tls_started();
    const auto [sequence_id, payload] = sent_packet(login);
    CHECK(sequence_id == 2);
    auto response = read_handshake_response41(bytes_of(payload));
    REQUIRE(response);
    CHECK(response->auth_response == kPassword + "\0"s);
    CHECK(feed(login, server_packets(3, {kOk})) == ServerLoginEvent::ready);
  }
}
