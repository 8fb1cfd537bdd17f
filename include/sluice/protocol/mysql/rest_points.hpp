#pragma once
// Where a MySQL client waits for Sluice (net::RestPoint): the read is exactly one whole command
// packet (sequence id 0), which the server answers. The server's side has no such cheap test (a
// result set's end depends on the command and the capabilities): it keeps Asio's rule.
#include <cstdint>
#include <span>

#include "sluice/protocol/mysql/constants.hpp"

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

}  // namespace sluice::mysql
