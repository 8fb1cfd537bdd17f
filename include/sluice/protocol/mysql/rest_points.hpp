#pragma once
// Where MySQL's peers wait for Sluice (net::RestPoint). A client: the read is exactly one whole
// command packet (sequence id 0), which the server answers. A server: the read ends its answer to
// every command in flight, which only the session's scanner and tracker can tell (a result set's
// end depends on the command and the capabilities), so that test runs them on copies.
#include <cstdint>
#include <span>

#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"

namespace sluice::mysql {

// Commands the server does not answer (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA) are no
// rest point: no write of Sluice's to that client follows them.
inline bool is_one_whole_command(std::span<const std::uint8_t> bytes) {
  const std::size_t n = bytes.size();
  if (n < 5 || bytes[3] != 0) return false;
  const std::size_t length = std::size_t{bytes[0]} | (std::size_t{bytes[1]} << 8) | (std::size_t{bytes[2]} << 16);
  const std::uint8_t code = bytes[4];
  const bool answered =
      code != command::COM_QUIT && code != command::COM_STMT_CLOSE && code != command::COM_STMT_SEND_LONG_DATA;
  return length + 4 == n && answered;
}

// Whether `chunk`, scanned next by `scanner` into `tracker`, ends on the last packet of the
// answer to every command in flight. A dry run: neither is changed. False with nothing in flight
// (bytes the server sends unasked, such as an error before it closes, are no rest point).
bool ends_every_answer(const PacketScanner& scanner, const ResponseTracker& tracker,
                       std::span<const std::uint8_t> chunk);

}  // namespace sluice::mysql
