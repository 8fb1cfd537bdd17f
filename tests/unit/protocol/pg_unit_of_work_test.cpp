// UnitOfWork: the release decision's protocol half, fed message types as a session relays them.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/unit_of_work.hpp"

using namespace sluice::pg;

namespace {

std::array<std::uint8_t, 1> status_byte(char status) { return {static_cast<std::uint8_t>(status)}; }

bool ready_for_query(UnitOfWork& unit, char status) {
  const auto body = status_byte(status);
  return unit.on_server_message(backend::ReadyForQuery, body);
}

}  // namespace

TEST_CASE("a simple query opens a unit that its ReadyForQuery closes", "[pg][unit-of-work]") {
  UnitOfWork unit;
  REQUIRE(unit.at_rest());
  CHECK(unit.on_client_message(frontend::Query));  // the statement clock starts
  CHECK_FALSE(unit.at_rest());
  CHECK(unit.statement_running());
  CHECK_FALSE(unit.on_server_message(backend::RowDescription, {}));
  CHECK_FALSE(unit.on_server_message(backend::CommandComplete, {}));
  CHECK(ready_for_query(unit, transaction_status::Idle));
  CHECK(unit.at_rest());
}

TEST_CASE("an open transaction keeps the unit open between statements", "[pg][unit-of-work]") {
  UnitOfWork unit;
  unit.on_client_message(frontend::Query);  // BEGIN
  CHECK(ready_for_query(unit, transaction_status::InTransaction));
  CHECK_FALSE(unit.statement_running());
  CHECK(unit.in_transaction());
  CHECK_FALSE(unit.at_rest());
  unit.on_client_message(frontend::Query);  // a failing statement
  CHECK(ready_for_query(unit, transaction_status::Failed));
  CHECK(unit.transaction_status() == transaction_status::Failed);
  unit.on_client_message(frontend::Query);  // ROLLBACK
  CHECK(ready_for_query(unit, transaction_status::Idle));
  CHECK(unit.at_rest());
}

TEST_CASE("pipelined round trips close only with the last ReadyForQuery", "[pg][unit-of-work]") {
  UnitOfWork unit;
  CHECK(unit.on_client_message(frontend::Query));
  CHECK_FALSE(unit.on_client_message(frontend::Query));  // the clock is already running
  CHECK_FALSE(unit.on_client_message(frontend::FunctionCall));
  CHECK(unit.round_trips_in_flight() == 3);
  CHECK_FALSE(ready_for_query(unit, transaction_status::Idle));
  CHECK_FALSE(ready_for_query(unit, transaction_status::Idle));
  CHECK_FALSE(unit.at_rest());
  CHECK(ready_for_query(unit, transaction_status::Idle));
  CHECK(unit.at_rest());
}

TEST_CASE("extended-protocol messages hold the backend until their Sync is answered", "[pg][unit-of-work]") {
  UnitOfWork unit;
  for (char type : {frontend::Parse, frontend::Bind, frontend::Describe, frontend::Execute}) {
    CHECK_FALSE(unit.on_client_message(type));
  }
  CHECK(unit.unsynced());
  CHECK_FALSE(unit.statement_running());
  CHECK_FALSE(unit.at_rest());  // the unnamed statement and portal live on this backend
  CHECK(unit.on_client_message(frontend::Sync));
  CHECK_FALSE(unit.unsynced());
  CHECK_FALSE(unit.at_rest());
  CHECK(ready_for_query(unit, transaction_status::Idle));
  CHECK(unit.at_rest());

  SECTION("a Flush or Close alone also needs a Sync") {
    unit.on_client_message(frontend::Flush);
    CHECK_FALSE(unit.at_rest());
    unit.on_client_message(frontend::Sync);
    ready_for_query(unit, transaction_status::Idle);
    unit.on_client_message(frontend::Close);
    CHECK(unit.unsynced());
  }
}

TEST_CASE("COPY data belongs to the Query that started it", "[pg][unit-of-work]") {
  UnitOfWork unit;
  unit.on_client_message(frontend::Query);  // COPY ... FROM STDIN
  CHECK_FALSE(unit.on_server_message(backend::CopyInResponse, {}));
  CHECK_FALSE(unit.on_client_message(frontend::CopyData));
  CHECK_FALSE(unit.on_client_message(frontend::CopyDone));
  CHECK(unit.round_trips_in_flight() == 1);
  CHECK(ready_for_query(unit, transaction_status::Idle));
  CHECK(unit.at_rest());
}

TEST_CASE("a ReadyForQuery nobody asked for does not go below zero", "[pg][unit-of-work]") {
  UnitOfWork unit;
  CHECK_FALSE(ready_for_query(unit, transaction_status::InTransaction));
  CHECK(unit.round_trips_in_flight() == 0);
  CHECK(unit.in_transaction());  // the status byte is still believed
  unit.backend_at_rest();        // after Sluice's own ROLLBACK
  CHECK(unit.at_rest());
}

TEST_CASE("a malformed ReadyForQuery keeps the last known status", "[pg][unit-of-work]") {
  UnitOfWork unit;
  unit.on_client_message(frontend::Query);
  ready_for_query(unit, transaction_status::InTransaction);
  unit.on_client_message(frontend::Query);
  CHECK(unit.on_server_message(backend::ReadyForQuery, {}));  // empty body: completes, status unknown
  CHECK(unit.transaction_status() == transaction_status::InTransaction);
}
