// MyFrontend: commands answered without a backend, for a client that holds none and awaits
// nothing — COM_PING (an OK with the session's last status) and COM_STMT_CLOSE (no answer).
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

// No backend held, nothing in flight, the client between packets: a command read now is the
// client's only one, and may be answered without taking a backend.
bool MyFrontend::answers_locally() const {
  return !session_.core().has_lease() && tracker_.response_complete() && client_scanner_.at_boundary() &&
         !client_scanner_.in_logical_payload();
}

// COM_PING alone, from a client that holds no backend and awaits nothing: Sluice answers OK
// itself, with the status the client's session last had (no backend is taken for it).
std::optional<std::string> MyFrontend::local_ping_reply(std::span<const std::uint8_t> bytes) const {
  if (bytes.size() != mysql::kPacketHeaderLength + 1 || mysql::load_le24(bytes.data()) != 1 ||
      bytes[mysql::kPacketHeaderLength] != mysql::command::COM_PING) {
    return std::nullopt;
  }
  if (!answers_locally()) return std::nullopt;
  mysql::SequenceId sequence;
  sequence.reset(static_cast<std::uint8_t>(bytes[3] + 1));
  mysql::OkPacket ok;
  ok.status_flags = tracker_.status_flags();
  std::string out;
  mysql::write_ok_packet(out, sequence, ok, kClientCapabilities);
  return out;
}

// COM_STMT_CLOSE alone, from a client that holds no backend and awaits nothing: the statement
// is forgotten here (the backend's copy stays for other clients, as when a lease is held), and
// no backend is taken for a command that gets no answer (Connector/J closes every statement).
bool MyFrontend::closed_locally(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kCloseLength = 5;  // the command byte and a statement id
  if (!track_statements_ || bytes.size() != mysql::kPacketHeaderLength + kCloseLength ||
      mysql::load_le24(bytes.data()) != kCloseLength ||
      bytes[mysql::kPacketHeaderLength] != mysql::command::COM_STMT_CLOSE) {
    return false;
  }
  if (!answers_locally()) return false;
  const auto statement_id = mysql::load_le32(bytes.data() + mysql::kPacketHeaderLength + 1);
  statements_.forget(statement_id);
  cursors_.erase(statement_id);
  long_data_.erase(statement_id);
  return true;
}

}  // namespace sluice::session
