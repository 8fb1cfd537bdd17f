#include <catch2/catch.hpp>

#include "sluice/pool/pause_state.hpp"

using sluice::pool::PauseState;

TEST_CASE("PauseState: nothing is paused at first", "[pool][pause]") {
  PauseState state;
  CHECK_FALSE(state.covers("app"));
}

TEST_CASE("PauseState: one database paused and resumed", "[pool][pause]") {
  PauseState state;
  state.pause("app");
  CHECK(state.covers("app"));
  CHECK_FALSE(state.covers("other"));
  state.resume("app");
  CHECK_FALSE(state.covers("app"));
}

TEST_CASE("PauseState: PAUSE of all covers databases not named yet", "[pool][pause]") {
  PauseState state;
  state.pause(std::nullopt);
  CHECK(state.covers("app"));
  CHECK(state.covers("added-by-a-reload"));
  state.resume(std::nullopt);
  CHECK_FALSE(state.covers("app"));
}

TEST_CASE("PauseState: one database resumed while all are paused, then paused again", "[pool][pause]") {
  PauseState state;
  state.pause(std::nullopt);
  state.resume("app");
  CHECK_FALSE(state.covers("app"));
  CHECK(state.covers("other"));
  state.pause("app");
  CHECK(state.covers("app"));
}

TEST_CASE("PauseState: RESUME of all also ends single-database pauses", "[pool][pause]") {
  PauseState state;
  state.pause("app");
  state.resume(std::nullopt);
  CHECK_FALSE(state.covers("app"));
  state.pause(std::nullopt);  // a later PAUSE of all starts from a clean slate
  state.resume(std::nullopt);
  CHECK_FALSE(state.covers("app"));
}
