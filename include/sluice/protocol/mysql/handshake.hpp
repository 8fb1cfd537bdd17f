// The connection phase's packets (MySQL docs: "Connection Phase Packets"; MariaDB KB:
// "Connection"): Protocol::HandshakeV10 from the server, Protocol::SSLRequest and
// Protocol::HandshakeResponse41 from the client, Protocol::AuthSwitchRequest and
// Protocol::AuthMoreData from the server. Sluice writes and reads each side: it is the server
// for its clients and a client of its MySQL/MariaDB backends.
//
// Readers take one whole logical payload (PacketReader::payload()) and never throw; every
// length is checked against the bytes remaining before anything is read. Bytes after the last
// field a packet's flags announce are ignored, as MySQL does. Writers append one complete
// packet (header included) and take its sequence id from `sequence`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace sluice::mysql {

// Protocol::HandshakeV10. Capabilities hold the standard flags in the low 32 bits and MariaDB's
// extended ones (the last 4 reserved bytes, sent when CLIENT_MYSQL is clear) in the high 32.
struct HandshakeV10 {
  std::string server_version;  // MariaDB's start "5.5.5-" for clients that predate it
  std::uint32_t connection_id = 0;
  std::string auth_plugin_data;  // the scramble (20 bytes from Sluice); part 2's final NUL dropped
  std::uint64_t capabilities = 0;
  std::uint8_t character_set = charset::utf8mb4_general_ci;
  std::uint16_t status_flags = 0;
  std::string auth_plugin_name;  // with CLIENT_PLUGIN_AUTH
  bool operator==(const HandshakeV10&) const = default;
};

// Protocol::SSLRequest: the fixed start of a HandshakeResponse41, sent alone before TLS.
struct SslRequest {
  std::uint64_t capabilities = 0;  // includes CLIENT_SSL
  std::uint32_t max_packet_size = 0;
  std::uint8_t character_set = 0;
  bool operator==(const SslRequest&) const = default;
};

// Protocol::HandshakeResponse41. An optional field is absent when its flag is clear, or when
// the packet ended before it (clients that set CLIENT_CONNECT_WITH_DB without a database).
struct HandshakeResponse41 {
  std::uint64_t capabilities = 0;  // includes CLIENT_PROTOCOL_41; MariaDB's extended ones above bit 31
  std::uint32_t max_packet_size = 0;
  std::uint8_t character_set = 0;
  std::string user;
  std::string auth_response;
  std::optional<std::string> database;          // CLIENT_CONNECT_WITH_DB
  std::optional<std::string> auth_plugin_name;  // CLIENT_PLUGIN_AUTH
  std::optional<std::vector<std::pair<std::string, std::string>>> connect_attributes;  // CLIENT_CONNECT_ATTRS
  bool operator==(const HandshakeResponse41&) const = default;
};

// The connect attribute `name` ("_client_name", "program_name"), or "" when not sent.
std::string_view connect_attribute(const HandshakeResponse41& response, std::string_view name);
// MariaDB Connector/C (`_client_name` libmariadb) refuses client error codes from a server
// (see ErrorContext::rejects_client_codes).
bool rejects_client_error_codes(const HandshakeResponse41& response);

// Protocol::AuthSwitchRequest (0xFE): the server asks for another plugin's answer.
struct AuthSwitchRequest {
  std::string plugin_name;
  std::string plugin_data;  // string<EOF>: mysql_native_password's is the scramble and a NUL
  bool operator==(const AuthSwitchRequest&) const = default;
};

// --- Sluice as server ---
// Preconditions (Sluice's own values): auth_plugin_data of at least 8 bytes and at most 254,
// with no NUL at its end.
void write_handshake_v10(std::string& out, SequenceId& sequence, const HandshakeV10& handshake);
Expected<HandshakeResponse41> read_handshake_response41(std::span<const std::uint8_t> payload);
// The client's first packet is an SSLRequest when it is exactly 32 bytes with CLIENT_SSL set
// (a HandshakeResponse41 is at least 33).
bool is_ssl_request(std::span<const std::uint8_t> payload);
Expected<SslRequest> read_ssl_request(std::span<const std::uint8_t> payload);
void write_auth_switch_request(std::string& out, SequenceId& sequence, const AuthSwitchRequest& request);
void write_auth_more_data(std::string& out, SequenceId& sequence, std::string_view data);

// --- Sluice as client of a backend ---
Expected<HandshakeV10> read_handshake_v10(std::span<const std::uint8_t> payload);
void write_ssl_request(std::string& out, SequenceId& sequence, const SslRequest& request);
// False (and nothing written) when the auth response cannot be sent under the capabilities:
// over 255 bytes with only CLIENT_SECURE_CONNECTION, or a NUL inside with neither flag.
[[nodiscard]] bool write_handshake_response41(std::string& out, SequenceId& sequence,
                                              const HandshakeResponse41& response);
Expected<AuthSwitchRequest> read_auth_switch_request(std::span<const std::uint8_t> payload);
// Protocol::AuthMoreData (0x01): the data after the status byte.
Expected<std::string> read_auth_more_data(std::span<const std::uint8_t> payload);

// The scramble in an AuthSwitchRequest's plugin data or a handshake's auth-plugin-data: the
// data without one trailing NUL.
std::string_view scramble_of(std::string_view plugin_data);

}  // namespace sluice::mysql
