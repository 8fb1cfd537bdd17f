// Sluice as SCRAM client logging in to a backend: the server-first-message and
// server-final-message, as PgServerConnector::answer_authentication hands them to
// ScramClientExchange. Input: "first NUL final".
//
// Three clients read the same bytes: with the password (as the daemon), with the derived
// keys (pass-through) and with the verifier (pass-through insisting on its salt and count).
// They parse alike, so they must agree wherever their keys are the same.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/scram_client.hpp"

namespace {

using namespace sluice;

struct Outcome {
  std::optional<std::string> client_final;
  bool verified = false;
};

Outcome run(auth::ScramClientExchange& client, std::string_view server_first, std::string_view server_final) {
  const std::string first = client.client_first_message();
  SLUICE_FUZZ_CHECK(first == "n,,n=,r=" + std::string(fuzz::kScramClientNonce));
  Outcome outcome;
  outcome.client_final = client.handle_server_first(server_first);
  SLUICE_FUZZ_CHECK(!client.handle_server_first(server_first));  // one server-first only
  if (!outcome.client_final) {
    SLUICE_FUZZ_CHECK(!client.verify_server_final(server_final));
    return outcome;
  }
  const std::string& final_message = *outcome.client_final;
  SLUICE_FUZZ_CHECK(final_message.starts_with("c=biws,r=" + std::string(fuzz::kScramClientNonce)));
  const std::size_t proof = final_message.rfind(",p=");
  SLUICE_FUZZ_CHECK(proof != std::string::npos && final_message.size() - proof == 3 + 44);
  outcome.verified = client.verify_server_final(server_final);
  if (!outcome.verified) SLUICE_FUZZ_CHECK(!client.error().empty());
  SLUICE_FUZZ_CHECK(!client.verify_server_final(server_final));  // finished either way
  return outcome;
}

}  // namespace

int sluice_fuzz_scram_client(const std::uint8_t* data, std::size_t size) {
  const auto [server_first, server_final] =
      fuzz::split_at_nul(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto& fixture = fuzz::scram_fixture();
  const std::string nonce(fuzz::kScramClientNonce);

  auto by_password = fuzz::make_scram_client(server_first);
  auto by_keys = auth::ScramClientExchange::from_keys(fixture.client_key, fixture.secret.server_key, nonce);
  auto by_secret = auth::ScramClientExchange::from_secret(fixture.secret, fixture.client_key, nonce);
  const Outcome password = run(by_password, server_first, server_final);
  const Outcome keys = run(by_keys, server_first, server_final);
  const Outcome secret = run(by_secret, server_first, server_final);

  SLUICE_FUZZ_CHECK(password.client_final.has_value() == keys.client_final.has_value());
  if (secret.client_final) {
    // The server used the verifier's own salt and count: every client holds the same keys.
    SLUICE_FUZZ_CHECK(password.client_final == secret.client_final && keys.client_final == secret.client_final);
    SLUICE_FUZZ_CHECK(password.verified == secret.verified && keys.verified == secret.verified);
  }
  return 0;
}
