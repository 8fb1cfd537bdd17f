// A client's password messages at login, framed and read as PgSession does
// (read_password_message, 8 KiB cap): md5 (one PasswordMessage) and SCRAM-SHA-256
// (SASLInitialResponse, then SASLResponse) both read the same input.
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_framing.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/credential.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_server.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"

namespace {

using namespace sluice;

constexpr std::size_t kMaxPasswordMessage = 8 * 1024;  // PgSession
constexpr std::string_view kUser = "user";
constexpr std::array<std::uint8_t, 4> kMd5Salt = {0x01, 0x02, 0x03, 0x04};

// PgSession::read_password_message: the next message, which must be a 'p'.
std::optional<std::span<const std::uint8_t>> read_password_body(std::span<const std::uint8_t>& input) {
  const auto message = fuzz::next_message(input, kMaxPasswordMessage);
  if (!message || message->type != pg::frontend::PasswordMessage) return std::nullopt;
  return message->body;
}

// A plain and an md5 credential for the same password must accept exactly the same answers.
void authenticate_md5(std::span<const std::uint8_t> input) {
  const auto body = read_password_body(input);
  const auto response = body ? pg::read_password_message(*body) : std::nullopt;
  if (!response) return;
  const std::string hash = auth::pg_md5_password(fuzz::kScramPassword, kUser);
  const auth::Credential md5{auth::PasswordKind::md5, hash, {}};
  const auth::Credential plain{auth::PasswordKind::plain, std::string(fuzz::kScramPassword),
                               fuzz::scram_fixture().secret};
  const bool accepted = auth::verify_md5_response(md5, kUser, kMd5Salt, *response);
  SLUICE_FUZZ_CHECK(accepted == auth::verify_md5_response(plain, kUser, kMd5Salt, *response));
  SLUICE_FUZZ_CHECK(accepted == (*response == auth::pg_md5_salted_response(hash, kMd5Salt)));
}

void authenticate_scram(std::span<const std::uint8_t> input) {
  const auto first = read_password_body(input);
  const auto initial = first ? pg::read_sasl_initial_response(*first) : std::nullopt;
  if (!initial || initial->mechanism != "SCRAM-SHA-256") return;
  auth::ScramServerExchange exchange(fuzz::scram_fixture().secret, std::string(fuzz::kScramServerNonce));
  if (!exchange.handle_client_first(initial->data)) return;
  const auto final_body = read_password_body(input);
  if (!final_body) return;
  if (exchange.handle_client_final(pg::read_sasl_response(*final_body))) {
    SLUICE_FUZZ_CHECK(exchange.client_key() == fuzz::scram_fixture().client_key);
  }
}

}  // namespace

int sluice_fuzz_pg_client_login(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  authenticate_md5(input);
  authenticate_scram(input);
  return 0;
}
