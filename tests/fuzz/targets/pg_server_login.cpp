// A backend's answers while Sluice logs in to it, fed to the daemon's own machine
// (pg::ServerLogin, 64 KiB cap per message): Authentication requests of every kind
// (cleartext, md5, SASL list, SCRAM continue and final), ParameterStatus, BackendKeyData,
// ErrorResponse, up to ReadyForQuery. Logged in once with the plain password and once with
// its md5 hash: wherever the server asks for md5 or nothing, both must end the same way.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_driver.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/protocol/postgres/server_login.hpp"

namespace {

using namespace sluice;

constexpr std::string_view kUser = "user";

struct Outcome {
  pg::ServerLoginEvent event;
  bool asked_for_plain_password;  // cleartext or SCRAM: an md5 hash cannot answer those
};

Outcome log_in(std::string password, std::span<const std::uint8_t> input) {
  pg::ServerLoginLimits limits;
  // A hostile server picks the iteration count; PBKDF2 past this is too slow for a fuzzer.
  limits.max_scram_iterations = fuzz::kFuzzMaxPasswordIterations;
  pg::ServerLogin login({std::string(kUser), "db", std::move(password), std::string(fuzz::kScramClientNonce)}, limits);
  login.output().clear();  // the StartupMessage
  const auto event = fuzz::feed_login(login, input);
  if (event == pg::ServerLoginEvent::failed) SLUICE_FUZZ_CHECK(login.failure().sqlstate == "08001");
  if (event != pg::ServerLoginEvent::need_input) SLUICE_FUZZ_CHECK(login.input().empty());
  const bool plain_only = login.failure().message.find("cleartext") != std::string::npos ||
                          login.failure().message.find("SCRAM") != std::string::npos;
  return {event, plain_only};
}

}  // namespace

int sluice_fuzz_pg_server_login(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const auto plain = log_in(std::string(fuzz::kScramPassword), input);
  const auto hashed = log_in(auth::pg_md5_password(fuzz::kScramPassword, kUser), input);
  if (!hashed.asked_for_plain_password) {
    SLUICE_FUZZ_CHECK(plain.event == hashed.event);
  }
  return 0;
}
