#pragma once
// Whether a backend still holds state for the client it serves, read from message types and
// ReadyForQuery's status byte alone. Sans-I/O: the session feeds it every complete message it
// relays, both ways, and asks it whether the backend may go to another client.
//
// A unit of work is open while any of these holds:
//   - a Query, Sync or FunctionCall was sent whose ReadyForQuery has not come back;
//   - extended-protocol messages (Parse, Bind, Describe, Execute, Close, Flush) were sent
//     since the last Sync: the backend keeps the unnamed statement and portal until then;
//   - the last ReadyForQuery said the backend is in a transaction block ('T' or 'E').
#include <cstdint>
#include <span>

#include "sluice/protocol/postgres/constants.hpp"

namespace sluice::pg {

class UnitOfWork {
 public:
  // A complete client message was relayed. True when it starts a round trip while none was
  // in flight: the statement clock (statement_timeout) starts here.
  bool on_client_message(char type);

  // A complete server message was relayed (body: its captured prefix; only ReadyForQuery's
  // is read). True when it completed the last round trip in flight.
  bool on_server_message(char type, std::span<const std::uint8_t> body);

  // A backend freshly attached, or rolled back by Sluice: no transaction, nothing in flight.
  void backend_at_rest() { transaction_status_ = transaction_status::Idle; }

  int round_trips_in_flight() const { return round_trips_; }
  bool statement_running() const { return round_trips_ > 0; }
  bool unsynced() const { return unsynced_; }
  char transaction_status() const { return transaction_status_; }
  bool in_transaction() const { return transaction_status_ != transaction_status::Idle; }
  // Idle, outside a transaction, nothing in flight: another client may have the backend.
  bool at_rest() const { return !in_transaction() && round_trips_ == 0 && !unsynced_; }

 private:
  int round_trips_ = 0;   // Query/Sync/FunctionCall sent whose ReadyForQuery has not come back
  bool unsynced_ = false;  // extended-protocol messages sent since the last Sync
  char transaction_status_ = transaction_status::Idle;  // from the last ReadyForQuery
};

}  // namespace sluice::pg
