// libFuzzer's entry point for the one target named by the compile definition
// SLUICE_FUZZ_TARGET (e.g. pg_startup): each target is its own fuzz_<name> binary, so
// each keeps its own coverage map and corpus.
#include <cstddef>
#include <cstdint>

#include "targets/fuzz_targets.hpp"

#ifndef SLUICE_FUZZ_TARGET
#error "define SLUICE_FUZZ_TARGET to a name from SLUICE_FUZZ_TARGETS"
#endif

#define SLUICE_FUZZ_CONCAT_(a, b) a##b
#define SLUICE_FUZZ_CONCAT(a, b) SLUICE_FUZZ_CONCAT_(a, b)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return SLUICE_FUZZ_CONCAT(sluice_fuzz_, SLUICE_FUZZ_TARGET)(data, size);
}
