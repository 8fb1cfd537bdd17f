// The untyped first packet from a client: StartupMessage, SSLRequest,
// GSSENCRequest or CancelRequest (int32 length + int32 code, no type byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::pg {

enum class StartupKind { startup, ssl_request, gssenc_request, cancel_request };

struct StartupPacket {
  StartupKind kind = StartupKind::startup;
  std::uint32_t protocol_version = 0;  // StartupMessage only: major << 16 | minor (major is 3)
  std::vector<std::pair<std::string, std::string>> parameters;  // in wire order
  std::uint32_t cancel_process_id = 0, cancel_secret_key = 0;    // CancelRequest only

  // The value of parameter `name`, or nullptr if absent. When a name repeats,
  // the last one wins, as in PostgreSQL.
  const std::string* find(std::string_view name) const;
};

enum class ParseStatus { complete, need_more, malformed };

struct StartupParse {
  ParseStatus status = ParseStatus::need_more;
  std::size_t consumed = 0;  // the packet's length when complete, else 0
  StartupPacket packet;      // filled when complete
  std::string error;         // why, when malformed (fit for an 08P01 ErrorResponse)
};

// Looks at the bytes received so far (starting at the packet's first byte).
// need_more until the whole packet is there; malformed, with a clear error, as
// soon as the bytes at hand prove it: length < 8 or > kMaxStartupPacketLength,
// an unknown request code or protocol major version other than 3, a fixed-size
// request with the wrong length, missing terminators, a parameter without a
// value, or no "user". Bytes after the packet are left alone (consumed says
// where they start). Protocol 3.x with x > 0 and "_pq_." options are accepted
// and reported as they are; answering with NegotiateProtocolVersion is the
// session's call. Note for the session: bytes already received after an
// SSLRequest/GSSENCRequest must not be used once encryption starts
// (CVE-2021-23214): check consumed == received.size() before the handshake.
StartupParse parse_startup(std::span<const std::uint8_t> received);

// PostgreSQL 17's direct TLS (sslnegotiation=direct): the client opens with a TLS handshake
// record (content type 22) instead of an SSLRequest. A startup packet's first byte is the top
// byte of its length, 0 for anything under kMaxStartupPacketLength, so one byte decides.
inline constexpr std::uint8_t kTlsHandshakeRecord = 0x16;
inline constexpr bool starts_direct_tls(std::uint8_t first_byte) { return first_byte == kTlsHandshakeRecord; }

}  // namespace sluice::pg
