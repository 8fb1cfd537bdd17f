// Catch2's implementation and its plain runner, compiled once for the unit tests and the
// fuzz-corpus replay (tests/integration/main.cpp has a runner of its own).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
