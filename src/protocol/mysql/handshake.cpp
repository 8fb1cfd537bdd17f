#include "sluice/protocol/mysql/handshake.hpp"

#include <algorithm>

#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/payload.hpp"

namespace sluice::mysql {

namespace {

using capability::CLIENT_CONNECT_ATTRS;
using capability::CLIENT_CONNECT_WITH_DB;
using capability::CLIENT_PLUGIN_AUTH;
using capability::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
using capability::CLIENT_PROTOCOL_41;
using capability::CLIENT_SECURE_CONNECTION;
using capability::CLIENT_SSL;

constexpr std::size_t kReservedFillerLength = 6;        // HandshakeV10: before MariaDB's capabilities
constexpr std::size_t kResponseFillerLength = 19;       // HandshakeResponse41: before MariaDB's capabilities
constexpr std::size_t kMaxSecureConnectionResponse = 255;  // a 1-byte length
constexpr std::uint32_t kLow16 = 0xFFFF;

Failure malformed(std::string_view packet, std::string_view why) {
  return protocol_violation("malformed " + std::string(packet) + ": " + std::string(why));
}

std::uint32_t low32(std::uint64_t capabilities) { return static_cast<std::uint32_t>(capabilities); }
std::uint32_t high32(std::uint64_t capabilities) { return static_cast<std::uint32_t>(capabilities >> 32); }

// auth-plugin-data-part-2's length on the wire: MAX(13, length of auth-plugin-data - 8), where
// the length counts part 2's terminating NUL.
std::size_t scramble_part2_length(std::size_t data_length) {
  return std::max(kMinScramblePart2Length, data_length > kScramblePart1Length ? data_length - kScramblePart1Length : 0);
}

// --- HandshakeV10 ---

void append_scramble_part1(std::string& out, std::string_view scramble) {
  const std::string_view part1 = scramble.substr(0, kScramblePart1Length);
  out.append(part1);
  out.append(kScramblePart1Length - part1.size(), '\0');
  out.push_back('\0');  // filler
}

// auth_plugin_data_len as sent: the scramble and part 2's NUL, or 0 without CLIENT_PLUGIN_AUTH.
std::uint8_t auth_plugin_data_length(std::string_view scramble, std::uint64_t capabilities) {
  if (!(capabilities & CLIENT_PLUGIN_AUTH)) return 0;
  return static_cast<std::uint8_t>(std::min<std::size_t>(scramble.size() + 1, 255));
}

// Part 2 is as long as auth_plugin_data_len says (the reader's rule), NUL-terminated and padded.
void append_scramble_part2(std::string& out, std::string_view scramble, std::uint8_t data_length) {
  const std::size_t length = scramble_part2_length(data_length);
  const std::string_view rest = scramble.substr(std::min(scramble.size(), kScramblePart1Length));
  const std::string_view kept = rest.substr(0, length - 1);
  out.append(kept);
  out.append(length - kept.size(), '\0');
}

struct HandshakeTail {
  std::uint8_t data_length = 0;  // auth_plugin_data_len
};

Status read_handshake_tail(PayloadReader& reader, HandshakeV10& handshake, HandshakeTail& tail) {
  const auto character_set = reader.read_u8();
  const auto status_flags = reader.read_u16();
  const auto capabilities_high = reader.read_u16();
  const auto data_length = reader.read_u8();
  if (!character_set || !status_flags || !capabilities_high || !data_length || !reader.skip(kReservedFillerLength)) {
    return malformed("HandshakeV10", "truncated after the capability flags");
  }
  const auto mariadb_capabilities = reader.read_u32();
  if (!mariadb_capabilities) return malformed("HandshakeV10", "truncated reserved bytes");
  handshake.character_set = *character_set;
  handshake.status_flags = *status_flags;
  handshake.capabilities |= (std::uint64_t{*capabilities_high} << 16) | (std::uint64_t{*mariadb_capabilities} << 32);
  tail.data_length = *data_length;
  return ok_status();
}

Status read_handshake_auth(PayloadReader& reader, HandshakeV10& handshake, const HandshakeTail& tail) {
  if (handshake.capabilities & CLIENT_SECURE_CONNECTION) {
    const auto part2 = reader.read_string(scramble_part2_length(tail.data_length));
    if (!part2) return malformed("HandshakeV10", "auth-plugin-data-part-2 truncated");
    handshake.auth_plugin_data.append(*part2);
    if (handshake.auth_plugin_data.back() == '\0') handshake.auth_plugin_data.pop_back();
  }
  if (handshake.capabilities & CLIENT_PLUGIN_AUTH) {
    // MySQL 5.5.7-5.5.9 sent the name without its NUL: take the rest then.
    const auto name = reader.read_null_terminated();
    handshake.auth_plugin_name = name ? std::string(*name) : std::string(reader.read_rest());
  }
  return ok_status();
}

// --- the client's fixed part: HandshakeResponse41 and SSLRequest ---

void append_client_fixed_part(std::string& out, std::uint64_t capabilities, std::uint32_t max_packet_size,
                              std::uint8_t character_set) {
  append_le32(out, low32(capabilities));
  append_le32(out, max_packet_size);
  out.push_back(static_cast<char>(character_set));
  out.append(kResponseFillerLength, '\0');
  append_le32(out, high32(capabilities));
}

Status read_client_fixed_part(PayloadReader& reader, SslRequest& fixed, std::string_view packet) {
  const auto capabilities = reader.read_u32();
  if (!capabilities) return malformed(packet, "truncated fixed part");
  // HandshakeResponse320 starts with int<2> capabilities: this bit is in them.
  if (!(*capabilities & CLIENT_PROTOCOL_41)) {
    return protocol_violation("clients without CLIENT_PROTOCOL_41 (HandshakeResponse320) are not supported");
  }
  const auto max_packet_size = reader.read_u32();
  const auto character_set = reader.read_u8();
  if (!max_packet_size || !character_set || !reader.skip(kResponseFillerLength)) {
    return malformed(packet, "truncated fixed part");
  }
  const auto mariadb_capabilities = reader.read_u32();
  if (!mariadb_capabilities) return malformed(packet, "truncated fixed part");
  fixed = SslRequest{*capabilities | (std::uint64_t{*mariadb_capabilities} << 32), *max_packet_size, *character_set};
  return ok_status();
}

// --- HandshakeResponse41's variable part ---

Expected<std::string> read_auth_response(PayloadReader& reader, std::uint64_t capabilities) {
  std::optional<std::string_view> response;
  if (capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    response = reader.read_lenenc_string();
  } else if (capabilities & CLIENT_SECURE_CONNECTION) {
    const auto length = reader.read_u8();
    if (length) response = reader.read_string(*length);
  } else {
    response = reader.read_null_terminated();
  }
  if (!response) return malformed("HandshakeResponse41", "auth response truncated");
  if (response->size() > kMaxAuthResponseLength) return malformed("HandshakeResponse41", "auth response too long");
  return std::string(*response);
}

bool append_auth_response(std::string& out, std::string_view response, std::uint64_t capabilities) {
  if (capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    append_lenenc_string(out, response);
  } else if (capabilities & CLIENT_SECURE_CONNECTION) {
    if (response.size() > kMaxSecureConnectionResponse) return false;
    out.push_back(static_cast<char>(response.size()));
    out.append(response);
  } else {
    if (response.find('\0') != std::string_view::npos) return false;
    append_null_terminated(out, response);
  }
  return true;
}

using Attributes = std::vector<std::pair<std::string, std::string>>;

// Connect attributes: int<lenenc> total length, then key/value string<lenenc> pairs filling it.
Expected<Attributes> read_connect_attributes(PayloadReader& reader) {
  const auto total = reader.read_lenenc_int();
  if (!total || *total > reader.remaining()) return malformed("HandshakeResponse41", "connect attributes truncated");
  if (*total > kMaxConnectAttributesLength) return malformed("HandshakeResponse41", "connect attributes too long");
  PayloadReader block(*reader.read_bytes(static_cast<std::size_t>(*total)));
  Attributes attributes;
  while (!block.at_end()) {
    const auto key = block.read_lenenc_string();
    const auto value = key ? block.read_lenenc_string() : std::nullopt;
    if (!value) return malformed("HandshakeResponse41", "connect attribute truncated");
    attributes.emplace_back(*key, *value);
  }
  return attributes;
}

void append_connect_attributes(std::string& out, const Attributes& attributes) {
  std::string block;
  for (const auto& [key, value] : attributes) {
    append_lenenc_string(block, key);
    append_lenenc_string(block, value);
  }
  append_lenenc_string(out, block);
}

// The optional fields, in wire order; each present only if its flag is set and bytes remain.
Status read_optional_fields(PayloadReader& reader, HandshakeResponse41& response) {
  const std::uint64_t capabilities = response.capabilities;
  if ((capabilities & CLIENT_CONNECT_WITH_DB) && !reader.at_end()) {
    const auto database = reader.read_null_terminated();
    if (!database) return malformed("HandshakeResponse41", "database not NUL-terminated");
    response.database.emplace(*database);
  }
  if ((capabilities & CLIENT_PLUGIN_AUTH) && !reader.at_end()) {
    const auto plugin = reader.read_null_terminated();
    if (!plugin) return malformed("HandshakeResponse41", "auth plugin name not NUL-terminated");
    response.auth_plugin_name.emplace(*plugin);
  }
  if ((capabilities & CLIENT_CONNECT_ATTRS) && !reader.at_end()) {
    auto attributes = read_connect_attributes(reader);
    if (!attributes) return attributes.failure();
    response.connect_attributes.emplace(std::move(*attributes));
  }
  return ok_status();
}

// The inverse of read_optional_fields: stops at the first field that is flagged but absent
// (the packet ended there), so what was read is written back as it came.
void append_optional_fields(std::string& out, const HandshakeResponse41& response) {
  const std::uint64_t capabilities = response.capabilities;
  if (capabilities & CLIENT_CONNECT_WITH_DB) {
    if (!response.database) return;
    append_null_terminated(out, *response.database);
  }
  if (capabilities & CLIENT_PLUGIN_AUTH) {
    if (!response.auth_plugin_name) return;
    append_null_terminated(out, *response.auth_plugin_name);
  }
  if ((capabilities & CLIENT_CONNECT_ATTRS) && response.connect_attributes) {
    append_connect_attributes(out, *response.connect_attributes);
  }
}

}  // namespace

// --- HandshakeV10 ---

void write_handshake_v10(std::string& out, SequenceId& sequence, const HandshakeV10& handshake) {
  const std::size_t start = begin_packet(out);
  const std::uint64_t capabilities = handshake.capabilities;
  out.push_back(static_cast<char>(kProtocolVersion10));
  append_null_terminated(out, handshake.server_version);
  append_le32(out, handshake.connection_id);
  append_scramble_part1(out, handshake.auth_plugin_data);
  append_le16(out, static_cast<std::uint16_t>(capabilities & kLow16));
  out.push_back(static_cast<char>(handshake.character_set));
  append_le16(out, handshake.status_flags);
  append_le16(out, static_cast<std::uint16_t>((capabilities >> 16) & kLow16));
  const std::uint8_t data_length = auth_plugin_data_length(handshake.auth_plugin_data, capabilities);
  out.push_back(static_cast<char>(data_length));
  out.append(kReservedFillerLength, '\0');
  append_le32(out, high32(capabilities));
  if (capabilities & CLIENT_SECURE_CONNECTION) append_scramble_part2(out, handshake.auth_plugin_data, data_length);
  if (capabilities & CLIENT_PLUGIN_AUTH) append_null_terminated(out, handshake.auth_plugin_name);
  finish_packet(out, start, sequence);
}

Expected<HandshakeV10> read_handshake_v10(std::span<const std::uint8_t> payload) {
  PayloadReader reader(payload);
  const auto version = reader.read_u8();
  if (!version) return malformed("HandshakeV10", "empty packet");
  if (*version != kProtocolVersion10) {
    return protocol_violation("server speaks protocol version " + std::to_string(*version) + ", not 10");
  }
  HandshakeV10 handshake;
  const auto server_version = reader.read_null_terminated();
  if (!server_version) return malformed("HandshakeV10", "server version not NUL-terminated");
  handshake.server_version = *server_version;
  const auto connection_id = reader.read_u32();
  const auto part1 = reader.read_string(kScramblePart1Length);
  const auto filler = reader.read_u8();
  const auto capabilities_low = reader.read_u16();
  if (!connection_id || !part1 || !filler || !capabilities_low) return malformed("HandshakeV10", "truncated");
  handshake.connection_id = *connection_id;
  handshake.auth_plugin_data = *part1;
  handshake.capabilities = *capabilities_low;
  if (reader.at_end()) return handshake;  // servers before 4.1 stop here
  HandshakeTail tail;
  if (auto read = read_handshake_tail(reader, handshake, tail); !read) return read.failure();
  if (auto read = read_handshake_auth(reader, handshake, tail); !read) return read.failure();
  return handshake;
}

// --- SSLRequest ---

bool is_ssl_request(std::span<const std::uint8_t> payload) {
  return payload.size() == kSslRequestLength && (load_le32(payload.data()) & CLIENT_SSL);
}

Expected<SslRequest> read_ssl_request(std::span<const std::uint8_t> payload) {
  if (!is_ssl_request(payload)) return malformed("SSLRequest", "not 32 bytes with CLIENT_SSL");
  PayloadReader reader(payload);
  SslRequest request;
  if (auto read = read_client_fixed_part(reader, request, "SSLRequest"); !read) return read.failure();
  return request;
}

void write_ssl_request(std::string& out, SequenceId& sequence, const SslRequest& request) {
  const std::size_t start = begin_packet(out);
  append_client_fixed_part(out, request.capabilities | CLIENT_SSL, request.max_packet_size, request.character_set);
  finish_packet(out, start, sequence);
}

// --- HandshakeResponse41 ---

Expected<HandshakeResponse41> read_handshake_response41(std::span<const std::uint8_t> payload) {
  PayloadReader reader(payload);
  SslRequest fixed;
  if (auto read = read_client_fixed_part(reader, fixed, "HandshakeResponse41"); !read) return read.failure();
  HandshakeResponse41 response;
  response.capabilities = fixed.capabilities;
  response.max_packet_size = fixed.max_packet_size;
  response.character_set = fixed.character_set;
  const auto user = reader.read_null_terminated();
  if (!user) return malformed("HandshakeResponse41", "user name not NUL-terminated");
  response.user = *user;
  auto auth_response = read_auth_response(reader, response.capabilities);
  if (!auth_response) return auth_response.failure();
  response.auth_response = std::move(*auth_response);
  if (auto read = read_optional_fields(reader, response); !read) return read.failure();
  return response;
}

bool write_handshake_response41(std::string& out, SequenceId& sequence, const HandshakeResponse41& response) {
  const std::size_t start = begin_packet(out);
  append_client_fixed_part(out, response.capabilities, response.max_packet_size, response.character_set);
  append_null_terminated(out, response.user);
  if (!append_auth_response(out, response.auth_response, response.capabilities)) {
    out.resize(start);
    return false;
  }
  append_optional_fields(out, response);
  finish_packet(out, start, sequence);
  return true;
}

// --- AuthSwitchRequest and AuthMoreData ---

void write_auth_switch_request(std::string& out, SequenceId& sequence, const AuthSwitchRequest& request) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::AuthSwitchRequest));
  append_null_terminated(out, request.plugin_name);
  out.append(request.plugin_data);
  finish_packet(out, start, sequence);
}

Expected<AuthSwitchRequest> read_auth_switch_request(std::span<const std::uint8_t> payload) {
  PayloadReader reader(payload);
  const auto header = reader.read_u8();
  if (header != packet_header::AuthSwitchRequest) return malformed("AuthSwitchRequest", "header is not 0xFE");
  if (reader.at_end()) {
    return protocol_violation("the old authentication switch (mysql_old_password) is not supported");
  }
  const auto name = reader.read_null_terminated();
  if (!name) return malformed("AuthSwitchRequest", "plugin name not NUL-terminated");
  return AuthSwitchRequest{std::string(*name), std::string(reader.read_rest())};
}

void write_auth_more_data(std::string& out, SequenceId& sequence, std::string_view data) {
  const std::size_t start = begin_packet(out);
  out.push_back(static_cast<char>(packet_header::AuthMoreData));
  out.append(data);
  finish_packet(out, start, sequence);
}

Expected<std::string> read_auth_more_data(std::span<const std::uint8_t> payload) {
  if (payload.empty() || payload[0] != packet_header::AuthMoreData) {
    return malformed("AuthMoreData", "header is not 0x01");
  }
  return std::string(as_text(payload.subspan(1)));
}

std::string_view scramble_of(std::string_view plugin_data) {
  if (!plugin_data.empty() && plugin_data.back() == '\0') plugin_data.remove_suffix(1);
  return plugin_data;
}

std::string_view connect_attribute(const HandshakeResponse41& response, std::string_view name) {
  if (!response.connect_attributes) return {};
  for (const auto& [key, value] : *response.connect_attributes) {
    if (key == name) return value;
  }
  return {};
}

bool rejects_client_error_codes(const HandshakeResponse41& response) {
  return connect_attribute(response, "_client_name") == "libmariadb";
}

}  // namespace sluice::mysql
