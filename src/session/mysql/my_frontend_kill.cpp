// MyFrontend, part three: a client's own KILL, answered by Sluice (my_kill_routing.hpp).
#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/kill_statement.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/session/mysql/my_frontend.hpp"

namespace sluice::session {

namespace {
std::string_view arguments_text(const mysql::PacketView& packet) {
  return {reinterpret_cast<const char*>(packet.payload.data()) + 1, packet.payload.size() - 1};
}
}  // namespace

bool MyFrontend::is_kill(const mysql::PacketView& packet) {
  if (packet.payload.empty()) return false;
  if (packet.payload[0] == mysql::command::COM_PROCESS_KILL) return true;
  return (packet.payload[0] == mysql::command::COM_QUERY || packet.payload[0] == mysql::command::COM_STMT_PREPARE) &&
         mysql::contains_kill(arguments_text(packet));
}

// Only a KILL sent on its own between statements is answered (drivers send it on a connection
// of its own); pipelined with other commands, where its answer would have to be slotted between
// the backend's, it ends the session instead — it must not reach a backend as it is.
bool MyFrontend::answer_kill(const mysql::PacketView& packet, bool alone, ClientScan& scan) {
  if (!alone || packet.payload_truncated || packet.end != packet.length + 4u || !tracker_.response_complete()) {
    scan.error = Failure{"session_state", "0A000", "KILL must be sent alone, between statements"};
    return false;
  }
  const auto kill = packet.payload[0] == mysql::command::COM_PROCESS_KILL
                        ? mysql::parse_process_kill(packet.payload.subspan(1))
                        : mysql::parse_kill_statement(arguments_text(packet));
  std::optional<mysql::ErrPacket> refusal;
  if (packet.payload[0] == mysql::command::COM_STMT_PREPARE) {
    // Executed later, on whichever backend the client then holds: its id could not be routed.
    refusal = mysql::ErrPacket{mysql::error_code::ER_NOT_SUPPORTED_YET, "42000",
                               "KILL cannot be prepared through Sluice: send it as a plain query"};
  } else if (!kill) {
    refusal = mysql::ErrPacket{mysql::error_code::ER_NOT_SUPPORTED_YET, "42000", "this form of KILL is not supported through Sluice"};
  } else {
    const KillCaller caller{session_.context().cancels, session_.user(), registration_.key().process_id};
    refusal = route_kill(*kill, caller);
  }
  mysql::SequenceId sequence;
  sequence.reset(static_cast<std::uint8_t>(packet.sequence_id + 1));
  if (refusal) {
    mysql::write_err_packet(scan.local_reply, sequence, *refusal);
  } else {
    mysql::OkPacket ok;
    ok.status_flags = tracker_.status_flags();
    mysql::write_ok_packet(scan.local_reply, sequence, ok, kClientCapabilities);
  }
  return false;
}

}  // namespace sluice::session
