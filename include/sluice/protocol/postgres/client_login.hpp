#pragma once
// A PostgreSQL client's login as Sluice serves it, from the first byte to "authenticated":
// the untyped startup packets (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage),
// then the password exchange the session chose (trust, md5, SCRAM-SHA-256, and over TLS
// SCRAM-SHA-256-PLUS). TLS itself is the session's: after accept_encryption() the machine
// reads the next startup packet from the decrypted stream.
//
// Sans-I/O: the session asks next() what to do, reads exactly input().size() bytes when
// told to, and writes output() to the client before it reads again. The daemon, the unit
// tests and the fuzzers drive this same code. Every length is checked against a named cap
// before anything is read or allocated for it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/auth/credential.hpp"
#include "sluice/auth/scram_server.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/protocol/postgres/startup.hpp"

namespace sluice::pg {

struct ClientLoginLimits {
  std::size_t max_password_message = 8 * 1024;  // bodies of PasswordMessage/SASL responses
  int max_encryption_requests = 2;              // SSLRequest and GSSENCRequest before the startup
};

enum class ClientLoginEvent {
  need_input,          // write output(), then read exactly input().size() bytes and call received()
  encryption_request,  // encryption_kind() asked for: refuse_encryption() or accept_encryption()
  cancel_request,      // startup() is a CancelRequest; the connection ends after it
  startup,             // startup() is the StartupMessage: pick begin_trust/md5/scram()
  authenticated,       // the client proved who it is (write output() first)
  failed,              // failure() is the client's FATAL error (write output() first)
};

class ClientLogin {
 public:
  explicit ClientLogin(ClientLoginLimits limits = {});

  ClientLoginEvent next();
  std::span<std::uint8_t> input();  // where the next bytes go; empty unless need_input
  void received(std::size_t count);  // that many bytes of input() were filled
  std::string& output() { return output_; }  // to send to the client; the caller clears it

  const StartupPacket& startup() const { return startup_; }
  StartupKind encryption_kind() const { return startup_.kind; }
  const Failure& failure() const { return failure_; }
  // Why a SCRAM exchange failed, for the log only (the client is told "authentication failed").
  const std::string& auth_error() const { return auth_error_; }
  // After a SCRAM login: the ClientKey the client's proof revealed (for pass-through logins).
  std::optional<auth::ScramKey> scram_client_key() const;

  void refuse_encryption();  // 'N': the client goes on in plain text
  // 'S' to an SSLRequest (a GSSENCRequest is refused whatever is asked): the session sends
  // output(), runs the TLS handshake, then feeds the next startup packet as before. Bytes the
  // client sent before the 'S' must not be taken as decrypted input (CVE-2021-23214); reading
  // exactly input().size() bytes ensures that.
  void accept_encryption();
  void begin_trust();
  void begin_md5(const auth::Credential* credential, std::span<const std::uint8_t, 4> salt);
  // server_nonce: empty for a random one (tests and fuzzers pin it). tls_server_end_point:
  // over TLS, the hash of Sluice's certificate (auth/channel_binding.hpp); then
  // SCRAM-SHA-256-PLUS is offered first, and a client that could bind but says it cannot
  // ("y") is refused as a downgrade. Empty: plain SCRAM-SHA-256 only.
  void begin_scram(const auth::Credential* credential, std::string server_nonce = {},
                   std::vector<std::uint8_t> tls_server_end_point = {});
  // After a SCRAM login: the proof covered Sluice's TLS certificate (the client chose PLUS).
  bool channel_bound() const { return scram_ && scram_->channel_bound(); }

 private:
  enum class Phase {
    startup_length, startup_body,       // reading an untyped packet
    encryption_answer, chosen_startup,  // waiting for the session's decision
    message_header, message_body,       // reading a typed message during authentication
    authenticated, failed,
  };
  enum class Method { none, md5, scram_initial, scram_final };

  ClientLoginEvent on_startup_packet();
  void negotiate_protocol_version();
  ClientLoginEvent on_password_message();
  ClientLoginEvent on_md5_response(std::span<const std::uint8_t> body);
  ClientLoginEvent on_scram_initial(std::span<const std::uint8_t> body);
  ClientLoginEvent on_scram_final(std::span<const std::uint8_t> body);
  ClientLoginEvent fail(Failure failure);
  ClientLoginEvent auth_failed();
  void expect(Phase phase, std::size_t bytes);
  void expect_password_message();
  const std::string& user() const;

  ClientLoginLimits limits_;
  Phase phase_ = Phase::startup_length;
  Method method_ = Method::none;
  std::vector<std::uint8_t> buffer_;  // the packet or message being read; freed with the login
  std::size_t filled_ = 0;
  int encryption_requests_ = 0;
  StartupPacket startup_;
  const auth::Credential* credential_ = nullptr;
  std::array<std::uint8_t, 4> md5_salt_{};
  std::optional<auth::ScramServerExchange> scram_;
  std::vector<std::uint8_t> binding_;  // tls-server-end-point hash; empty without TLS
  std::string output_;
  Failure failure_;
  std::string auth_error_;
};

}  // namespace sluice::pg
