#include "sluice/protocol/mysql/found_rows.hpp"

#include <charconv>
#include <string_view>

#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/payload.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace sluice::mysql {

namespace {

// ER_UPDATE_INFO's start. The server writes it in the language of lc_messages; with another
// language the count cannot be found and the client gets changed rows (docs/limits.md).
constexpr std::string_view kRowsMatched = "Rows matched: ";

// Without CLIENT_SESSION_TRACK the protocol's OK packet ends in string<EOF> info, but MariaDB
// and MySQL write it as string<lenenc> there too: both are read.
std::string_view info_text(std::string_view info) {
  if (info.empty() || info.starts_with(kRowsMatched)) return info;
  const auto length = static_cast<std::uint8_t>(info[0]);  // one byte: info texts are short
  if (length < lenenc::kNull && length == info.size() - 1) return info.substr(1);
  return info;
}

std::optional<std::uint64_t> rows_matched(std::string_view info) {
  info = info_text(info);
  if (!info.starts_with(kRowsMatched)) return std::nullopt;
  info.remove_prefix(kRowsMatched.size());
  std::uint64_t matched = 0;
  const auto [end, error] = std::from_chars(info.data(), info.data() + info.size(), matched);
  if (error != std::errc() || end == info.data()) return std::nullopt;
  return matched;
}

}  // namespace

std::optional<std::string> with_found_rows(std::span<const std::uint8_t> payload, std::uint8_t sequence_id) {
  if (payload.empty() || payload[0] != packet_header::OK_Packet) return std::nullopt;
  auto ok = read_ok_packet(payload, 0);
  if (!ok) return std::nullopt;
  const auto matched = rows_matched(ok->info);
  if (!matched || *matched == ok->affected_rows) return std::nullopt;
  ok->affected_rows = *matched;
  std::string packet;
  SequenceId sequence;
  sequence.reset(sequence_id);
  write_ok_packet(packet, sequence, *ok, 0);
  return packet;
}

}  // namespace sluice::mysql
