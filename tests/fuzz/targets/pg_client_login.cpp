// A client's password messages at login, fed to the daemon's own login machine
// (pg::ClientLogin, 8 KiB cap per message) after a fixed StartupMessage: md5 (one
// PasswordMessage) and SCRAM-SHA-256 (SASLInitialResponse, then SASLResponse) both read the
// same input.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_driver.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/credential.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/protocol/postgres/client_login.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace {

using namespace sluice;

constexpr std::string_view kUser = "user";
constexpr std::array<std::uint8_t, 4> kMd5Salt = {0x01, 0x02, 0x03, 0x04};

// A login past its StartupMessage (user "user"), waiting for the method to be chosen.
pg::ClientLogin started_login() {
  std::string startup;
  const std::pair<std::string, std::string> parameters[] = {{"user", std::string(kUser)}, {"database", "db"}};
  pg::write_startup_message(startup, parameters);
  pg::ClientLogin login;
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(startup.data()), startup.size());
  SLUICE_FUZZ_CHECK(fuzz::feed_login(login, bytes) == pg::ClientLoginEvent::startup);
  return login;
}

pg::ClientLoginEvent md5_login(const auth::Credential& credential, std::span<const std::uint8_t> input) {
  auto login = started_login();
  login.begin_md5(&credential, kMd5Salt);
  return fuzz::feed_login(login, input);
}

// A plain and an md5 credential for the same password must accept exactly the same answers,
// and only the one right PasswordMessage.
void authenticate_md5(std::span<const std::uint8_t> input) {
  const std::string hash = auth::pg_md5_password(fuzz::kScramPassword, kUser);
  const auth::Credential md5{auth::PasswordKind::md5, hash, {}};
  const auth::Credential plain{auth::PasswordKind::plain, std::string(fuzz::kScramPassword),
                               fuzz::scram_fixture().secret};
  const auto event = md5_login(md5, input);
  SLUICE_FUZZ_CHECK(event == md5_login(plain, input));
  if (event == pg::ClientLoginEvent::authenticated) {
    std::string right;
    pg::write_password_message(right, auth::pg_md5_salted_response(hash, kMd5Salt));
    SLUICE_FUZZ_CHECK(fuzz::as_text(input).starts_with(right));
  }
}

void authenticate_scram(std::span<const std::uint8_t> input) {
  const auth::Credential credential{auth::PasswordKind::scram, {}, fuzz::scram_fixture().secret};
  auto login = started_login();
  login.begin_scram(&credential, std::string(fuzz::kScramServerNonce));
  if (fuzz::feed_login(login, input) == pg::ClientLoginEvent::authenticated) {
    SLUICE_FUZZ_CHECK(login.scram_client_key() == fuzz::scram_fixture().client_key);
  }
}

}  // namespace

int sluice_fuzz_pg_client_login(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  authenticate_md5(input);
  authenticate_scram(input);
  return 0;
}
