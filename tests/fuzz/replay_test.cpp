// Replays every fuzz target over its committed inputs in the normal (gcc) build: the seed
// corpus in corpus/<name>/ and every past finding in regressions/<name>/. A finding that
// comes back crashes (abort) here, and Catch2 names the test and the file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "targets/fuzz_targets.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = SLUICE_FUZZ_SOURCE_DIR;

std::vector<std::uint8_t> read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `run` over the regular, non-hidden files of `directory` in name order; returns how many.
std::size_t replay_directory(const fs::path& directory, sluice::fuzz::TargetFunction run) {
  if (!fs::is_directory(directory)) return 0;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with(".")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    INFO("replaying " << file.string());
    const auto bytes = read_bytes(file);
    CHECK(run(bytes.data(), bytes.size()) == 0);
  }
  return files.size();
}

void replay(std::string_view name, sluice::fuzz::TargetFunction run) {
  const std::string directory(name);
  const std::size_t seeds = replay_directory(kFuzzDir / "corpus" / directory, run);
  REQUIRE(seeds > 0);
  replay_directory(kFuzzDir / "regressions" / directory, run);
}

}  // namespace

#define SLUICE_FUZZ_REPLAY_TEST(name) \
  TEST_CASE(#name, "[fuzz]") { replay(#name, &sluice_fuzz_##name); }
SLUICE_FUZZ_TARGETS(SLUICE_FUZZ_REPLAY_TEST)

TEST_CASE("every corpus and regressions directory belongs to a target", "[fuzz]") {
  for (const char* kind : {"corpus", "regressions"}) {
    if (!fs::is_directory(kFuzzDir / kind)) continue;
    for (const auto& entry : fs::directory_iterator(kFuzzDir / kind)) {
      if (!entry.is_directory()) continue;  // a README, say
      const std::string name = entry.path().filename().string();
      INFO(kind << "/" << name);
      CHECK(std::any_of(std::begin(sluice::fuzz::kTargets), std::end(sluice::fuzz::kTargets),
                        [&](const sluice::fuzz::Target& target) { return target.name == name; }));
    }
  }
}
