// Small helpers the fuzz targets share: loud invariant checks and input slicing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::fuzz {

// abort(), not an exception: libFuzzer reports it as a crash with the input, and the
// replay test (Catch2 catches SIGABRT) reports the test and the file it was replaying.
[[noreturn]] inline void invariant_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", condition, file, line);
  std::abort();
}

#define SLUICE_FUZZ_CHECK(condition) \
  ((condition) ? void() : ::sluice::fuzz::invariant_failed(#condition, __FILE__, __LINE__))

inline std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Targets that take two text messages read them as "first NUL second": NUL never occurs
// inside a valid SCRAM message, so the separator costs the fuzzer nothing. No NUL: all
// of it is the first message and the second is empty.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input) {
  const std::size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return {input, {}};
  return {input.substr(0, nul), input.substr(nul + 1)};
}

// A few ascending cut points in [1, size), derived from the bytes themselves (FNV-1a, then
// splitmix64) so a given input always splits the same way and the fuzzer can steer them.
inline std::vector<std::size_t> cut_points(std::span<const std::uint8_t> input, std::size_t count) {
  std::vector<std::size_t> cuts;
  if (input.size() < 2) return cuts;
  std::uint64_t state = 0xcbf29ce484222325u;
  for (const std::uint8_t byte : input) state = (state ^ byte) * 0x100000001b3u;
  std::size_t previous = 0;
  for (std::size_t i = 0; i < count && previous + 1 < input.size(); ++i) {
    state += 0x9e3779b97f4a7c15u;
    std::uint64_t mixed = state;
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9u;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebu;
    mixed ^= mixed >> 31;
    previous += 1 + mixed % (input.size() - previous - 1);
    cuts.push_back(previous);
  }
  return cuts;
}

}  // namespace sluice::fuzz
