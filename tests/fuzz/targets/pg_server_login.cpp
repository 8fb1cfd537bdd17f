// A backend's answers while Sluice logs in to it, read as PgServerConnector::log_in and
// answer_authentication do (64 KiB cap per message): Authentication requests of every
// kind (cleartext, md5, SASL list, SCRAM continue and final), ParameterStatus,
// BackendKeyData, ErrorResponse, up to ReadyForQuery.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_framing.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace {

using namespace sluice;

constexpr std::size_t kMaxLoginMessage = 64 * 1024;  // PgServerConnector
constexpr std::string_view kUser = "user";

class Login {
 public:
  // False: the connector would give up (login_failure).
  bool on_authentication(std::span<const std::uint8_t> body);

 private:
  bool on_sasl_continue(std::string_view data);

  std::optional<auth::ScramClientExchange> scram_;
  std::string reply_;  // what Sluice would send back; built, never sent
};

bool Login::on_authentication(std::span<const std::uint8_t> body) {
  const auto request = pg::read_authentication(body);
  if (!request) return false;
  const std::string_view data = fuzz::as_text(request->data);
  reply_.clear();
  switch (request->code) {
    case pg::auth_code::Ok: return true;
    case pg::auth_code::CleartextPassword: pg::write_password_message(reply_, fuzz::kScramPassword); return true;
    case pg::auth_code::MD5Password: {
      SLUICE_FUZZ_CHECK(request->data.size() == 4);  // read_authentication's promise
      const std::span<const std::uint8_t, 4> salt(request->data.data(), 4);
      const auto stored = auth::pg_md5_password(fuzz::kScramPassword, kUser);
      pg::write_password_message(reply_, auth::pg_md5_salted_response(stored, salt));
      return true;
    }
    case pg::auth_code::SASL: {
      const auto mechanisms = pg::read_sasl_mechanisms(request->data);
      if (std::find(mechanisms.begin(), mechanisms.end(), "SCRAM-SHA-256") == mechanisms.end()) return false;
      scram_.emplace(std::string(fuzz::kScramPassword), std::string(fuzz::kScramClientNonce));
      pg::write_sasl_initial_response(reply_, "SCRAM-SHA-256", scram_->client_first_message());
      return true;
    }
    case pg::auth_code::SASLContinue: return on_sasl_continue(data);
    case pg::auth_code::SASLFinal: return scram_ && scram_->verify_server_final(data);
    default: return false;
  }
}

bool Login::on_sasl_continue(std::string_view data) {
  if (!scram_) return false;
  // Only now is the iteration count known: past the fuzz cap, continue with derived keys.
  const auto iterations = fuzz::peek_iterations(data);
  if (iterations && *iterations > fuzz::kFuzzMaxPasswordIterations) {
    scram_.emplace(fuzz::make_scram_client(data));
    (void)scram_->client_first_message();
  }
  const auto final_message = scram_->handle_server_first(data);
  if (!final_message) return false;
  pg::write_sasl_response(reply_, *final_message);
  return true;
}

}  // namespace

int sluice_fuzz_pg_server_login(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  Login login;
  while (const auto message = fuzz::next_message(input, kMaxLoginMessage)) {
    switch (message->type) {
      case pg::backend::Authentication:
        if (!login.on_authentication(message->body)) return 0;
        break;
      case pg::backend::ParameterStatus: (void)pg::read_parameter_status(message->body); break;
      case pg::backend::BackendKeyData: (void)pg::read_backend_key_data(message->body); break;
      case pg::backend::ErrorResponse: (void)pg::read_error_fields(message->body); return 0;
      case pg::backend::ReadyForQuery: return 0;
      default: break;  // NoticeResponse, NegotiateProtocolVersion: nothing to act on
    }
  }
  return 0;
}
