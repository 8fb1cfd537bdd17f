#include "sluice/protocol/mysql/rest_points.hpp"

namespace sluice::mysql {

bool ends_every_answer(const PacketScanner& scanner, const ResponseTracker& tracker,
                       std::span<const std::uint8_t> chunk) {
  if (tracker.response_complete()) return false;
  // Copies of a few hundred bytes, no allocation: cheaper than the recv() this spares.
  PacketScanner dry_scanner = scanner;
  ResponseTracker dry_tracker = tracker;
  ResponseProgress last = ResponseProgress::more;
  const auto scanned = dry_scanner.scan(chunk, [&](const PacketView& packet) { last = dry_tracker.on_server_packet(packet); });
  return scanned.error == PacketScanError::none && last == ResponseProgress::complete && dry_scanner.at_boundary();
}

}  // namespace sluice::mysql
