#include "sluice/protocol/postgres/unit_of_work.hpp"

#include "sluice/protocol/postgres/readers.hpp"

namespace sluice::pg {

bool UnitOfWork::on_client_message(char type) {
  switch (type) {
    case frontend::Query:
    case frontend::FunctionCall:
    case frontend::Sync:
      if (type == frontend::Sync) unsynced_ = false;
      return round_trips_++ == 0;
    case frontend::Parse:
    case frontend::Bind:
    case frontend::Describe:
    case frontend::Execute:
    case frontend::Close:
    case frontend::Flush:
      unsynced_ = true;  // the backend holds state for this client until the next Sync
      return false;
    default:
      return false;  // CopyData/CopyDone/CopyFail belong to the Query already counted
  }
}

bool UnitOfWork::on_server_message(char type, std::span<const std::uint8_t> body) {
  if (type != backend::ReadyForQuery) return false;
  if (auto status = read_ready_for_query(body)) transaction_status_ = *status;
  return round_trips_ > 0 && --round_trips_ == 0;
}

}  // namespace sluice::pg
