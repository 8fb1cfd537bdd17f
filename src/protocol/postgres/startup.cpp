#include "sluice/protocol/postgres/startup.hpp"

#include <optional>
#include <string>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"

namespace sluice::pg {

const std::string* StartupPacket::find(std::string_view name) const {
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

namespace {

StartupParse malformed(std::string error) {
  StartupParse result;
  result.status = ParseStatus::malformed;
  result.error = std::move(error);
  return result;
}

StartupParse complete(StartupPacket packet, std::size_t length) {
  StartupParse result;
  result.status = ParseStatus::complete;
  result.consumed = length;
  result.packet = std::move(packet);
  return result;
}

std::string version_text(std::uint32_t code) {
  return std::to_string(protocol_major(code)) + "." + std::to_string(protocol_minor(code));
}

// The packet length a request code requires, 0 if variable; nullopt if the code is unsupported.
std::optional<std::size_t> fixed_length_for(std::uint32_t code) {
  switch (code) {
    case kSslRequestCode: return kSslRequestLength;
    case kGssEncRequestCode: return kGssEncRequestLength;
    case kCancelRequestCode: return kCancelRequestLength;
    default: break;
  }
  if (protocol_major(code) == protocol_major(kProtocolVersion3)) return 0;
  return std::nullopt;
}

// Checks the request code against the declared length, before the body arrives.
std::optional<std::string> check_code(std::uint32_t code, std::size_t length) {
  const auto fixed = fixed_length_for(code);
  if (!fixed) {
    if (protocol_major(code) == kSpecialRequestMajor) {
      return "unsupported special request code " + version_text(code);
    }
    return "unsupported frontend protocol " + version_text(code) +
           ": server supports 3.0 to 3." + std::to_string(protocol_minor(kProtocolVersion3));
  }
  if (*fixed != 0 && *fixed != length) {
    return "invalid length of startup packet: " + std::to_string(length) +
           " for request code " + version_text(code);
  }
  return std::nullopt;
}

// StartupMessage body after the version: (name NUL value NUL)* NUL, NUL last.
std::optional<std::string> read_parameters(WireReader& reader, StartupPacket& packet) {
  for (;;) {
    auto name = reader.read_cstring();
    if (!name) return "invalid startup packet layout: expected terminator as last byte";
    if (name->empty()) break;
    auto value = reader.read_cstring();
    if (!value) return "invalid startup packet layout: parameter \"" + std::string(*name) + "\" has no value";
    packet.parameters.emplace_back(std::string(*name), std::string(*value));
  }
  if (!reader.at_end()) return "invalid startup packet layout: expected terminator as last byte";
  if (packet.find("user") == nullptr) return "no PostgreSQL user name specified in startup packet";
  return std::nullopt;
}

}  // namespace

StartupParse parse_startup(std::span<const std::uint8_t> received) {
  // The length first: it bounds everything else.
  if (received.size() < 4) return {};
  const std::size_t length = load_be32(received.data());
  if (length < kMinStartupPacketLength || length > kMaxStartupPacketLength) {
    return malformed("invalid length of startup packet: " + std::to_string(length));
  }
  if (received.size() < kMinStartupPacketLength) return {};
  const std::uint32_t code = load_be32(received.data() + 4);
  if (auto error = check_code(code, length)) return malformed(std::move(*error));
  if (received.size() < length) return {};

  WireReader reader(received.subspan(kMinStartupPacketLength, length - kMinStartupPacketLength));
  StartupPacket packet;
  switch (code) {
    case kSslRequestCode: packet.kind = StartupKind::ssl_request; break;
    case kGssEncRequestCode: packet.kind = StartupKind::gssenc_request; break;
    case kCancelRequestCode:
      packet.kind = StartupKind::cancel_request;
      packet.cancel_process_id = *reader.read_u32();  // length checked in check_code
      packet.cancel_secret_key = *reader.read_u32();
      break;
    default:
      packet.protocol_version = code;
      if (auto error = read_parameters(reader, packet)) return malformed(std::move(*error));
  }
  return complete(std::move(packet), length);
}

}  // namespace sluice::pg
