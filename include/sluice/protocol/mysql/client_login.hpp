#pragma once
// A MySQL/MariaDB client's login as Sluice serves it: Sluice's HandshakeV10, the client's
// [SSLRequest and] HandshakeResponse41, then the password check the session chose
// (mysql_native_password, caching_sha2_password's fast path, or — over TLS only —
// caching_sha2_password's full authentication, where the client sends its password in clear;
// switching the client to that plugin with an AuthSwitchRequest when it answered for another),
// and OK or ERR.
//
// Sans-I/O, like pg::ClientLogin: the session asks next() what to do, reads exactly
// input().size() bytes when told to (never past an SSLRequest: what follows it is TLS), and
// writes output() to the client before it reads again. Every packet is read with a
// PacketReader capped at max_packet_size, and must carry the next sequence id.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace sluice::mysql {

// What Sluice offers clients: protocol 4.1 with plugin authentication, multi-statements and
// results, LOCAL INFILE, session tracking and OK-instead-of-EOF; no compression. CLIENT_SSL is
// added by the session when it has a TLS context for clients.
// CLIENT_MYSQL is clear, so MariaDB clients send their extended capabilities.
inline constexpr std::uint64_t kDefaultServerCapabilities =
    capability::CLIENT_FOUND_ROWS | capability::CLIENT_LONG_FLAG | capability::CLIENT_CONNECT_WITH_DB |
    capability::CLIENT_LOCAL_FILES | capability::CLIENT_IGNORE_SPACE | capability::CLIENT_PROTOCOL_41 |
    capability::CLIENT_INTERACTIVE | capability::CLIENT_IGNORE_SIGPIPE | capability::CLIENT_TRANSACTIONS |
    capability::CLIENT_SECURE_CONNECTION | capability::CLIENT_MULTI_STATEMENTS | capability::CLIENT_MULTI_RESULTS |
    capability::CLIENT_PS_MULTI_RESULTS | capability::CLIENT_PLUGIN_AUTH | capability::CLIENT_CONNECT_ATTRS |
    capability::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | capability::CLIENT_SESSION_TRACK |
    capability::CLIENT_DEPRECATE_EOF;

struct ClientLoginSettings {
  std::uint32_t connection_id = 0;
  std::string server_version = "5.5.5-10.11.6-MariaDB-sluice";
  std::uint64_t capabilities = kDefaultServerCapabilities;
  std::uint8_t character_set = charset::utf8mb4_general_ci;
  std::uint16_t status_flags = server_status::SERVER_STATUS_AUTOCOMMIT;
  std::string scramble;  // empty: 20 random printable bytes (tests and fuzzers pin it)
  std::string auth_plugin = std::string(auth_plugin::mysql_native_password);  // named in the handshake
  std::string client_host;  // for "Access denied for user 'u'@'host'"
  std::size_t max_packet_size = kMaxLoginPacketSize;
};

enum class ClientLoginEvent {
  need_input,          // write output(), then read exactly input().size() bytes and call received()
  ssl_request,         // the client asks for TLS: start it and call tls_started(), or refuse()
  handshake_response,  // response() is known: begin_trust(), begin_*_password() or refuse()
  authenticated,       // write output() (the OK packet): the client is logged in
  failed,              // failure(); write output() (the ERR packet), then close
};

class ClientLogin {
 public:
  explicit ClientLogin(ClientLoginSettings settings = {});

  ClientLoginEvent next();
  std::span<std::uint8_t> input();
  void received(std::size_t count);
  std::string& output() { return output_; }  // to send to the client; the caller clears it

  const HandshakeResponse41& response() const { return response_; }
  // In force from the response on: what the client asked for among what Sluice offered.
  std::uint64_t capabilities() const { return capabilities_; }
  const std::string& scramble() const { return scramble_; }
  const Failure& failure() const { return failure_; }

  // The TLS handshake the ssl_request event asked for succeeded: the response is read next.
  void tls_started();
  void begin_trust();
  // stored: a mysql.user hash ("*" + 40 hex digits) or a plain password.
  void begin_mysql_native_password(std::string stored);
  // password: plain (the fast path needs SHA256(SHA256(password)), which a plain password gives).
  void begin_caching_sha2_password(std::string password);
  // caching_sha2_password's full authentication (AuthMoreData perform_full_authentication, then
  // the password in clear), for a stored form that cannot check a scramble: a "*" hash, an md5
  // hash or a SCRAM verifier (auth::verify_cleartext_password). Over TLS only: without
  // tls_started() the login fails as a wrong password would.
  void begin_caching_sha2_full_authentication(std::string stored);
  // Refuse the login (unknown database, too many connections...): ERR with the mapped code. A
  // client that answered for a plugin Sluice cannot read is first switched to
  // mysql_native_password (need_input), and gets the ERR after its answer.
  void refuse(Failure failure);

 private:
  enum class Phase {
    first_packet, tls_answer, response, chosen, auth_answer, cleartext_password, refusal_answer, authenticated, failed
  };
  enum class Method { none, mysql_native_password, caching_sha2_password, caching_sha2_full_authentication };

  ClientLoginEvent on_packet(std::span<const std::uint8_t> payload);
  ClientLoginEvent on_first_packet(std::span<const std::uint8_t> payload);
  ClientLoginEvent on_response(std::span<const std::uint8_t> payload);
  void begin_method(Method method, std::string secret);
  std::string_view method_plugin() const;
  bool answered_for_method() const;
  bool client_plugin_matches() const;
  bool answer_readable() const;
  bool reading() const;
  void check_answer(std::string_view answer);
  void ask_for_cleartext_password();
  void check_cleartext_password(std::span<const std::uint8_t> payload);
  void accept();
  void expect_packet(Phase phase);
  ClientLoginEvent fail(Failure failure);
  void auth_failed();

  ClientLoginSettings settings_;
  Phase phase_ = Phase::first_packet;
  Method method_ = Method::none;
  std::string secret_;  // the stored hash or password of the chosen method
  std::string scramble_;
  SequenceId sequence_;
  std::optional<PacketReader> reader_;
  HandshakeResponse41 response_;
  std::uint64_t capabilities_ = 0;
  bool tls_ = false;  // tls_started(): the full authentication may have the password in clear
  bool password_given_ = false;  // an answer after the HandshakeResponse carried one ("using password: YES")
  std::string output_;
  Failure failure_;
  Failure pending_refusal_;  // refuse() after the client answers the AuthSwitchRequest it was sent
};

}  // namespace sluice::mysql
