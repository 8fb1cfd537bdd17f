// Sluice as SCRAM server: a client's client-first-message and client-final-message, as
// pg::ClientLogin hands them to ScramServerExchange. Input: "first NUL final".
//
// Invariants: a success can only come from the real ClientKey (H(ClientKey) = StoredKey),
// the server-first-message echoes the client nonce, and a finished exchange takes no more.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "scram_fixture.hpp"
#include "sluice/auth/scram_server.hpp"

namespace {

using namespace sluice;

void check_server_first(std::string_view client_first, const std::string& server_first) {
  // "r=" + client nonce + server nonce + ",s=...": nonces hold no ',', so the first ends it.
  SLUICE_FUZZ_CHECK(server_first.starts_with("r="));
  const std::size_t nonce_end = server_first.find(',');
  SLUICE_FUZZ_CHECK(nonce_end != std::string::npos);
  const std::string_view combined = std::string_view(server_first).substr(2, nonce_end - 2);
  SLUICE_FUZZ_CHECK(combined.ends_with(fuzz::kScramServerNonce));
  const std::string_view client_nonce = combined.substr(0, combined.size() - fuzz::kScramServerNonce.size());
  SLUICE_FUZZ_CHECK(!client_nonce.empty());
  SLUICE_FUZZ_CHECK(client_first.find(",r=" + std::string(client_nonce)) != std::string_view::npos);
  SLUICE_FUZZ_CHECK(server_first.ends_with(",i=" + std::to_string(fuzz::kScramIterations)));
}

void check_success(auth::ScramServerExchange& exchange, const std::string& server_final,
                   std::string_view client_final) {
  SLUICE_FUZZ_CHECK(exchange.succeeded() && server_final.starts_with("v="));
  SLUICE_FUZZ_CHECK(exchange.client_key() == fuzz::scram_fixture().client_key);
  SLUICE_FUZZ_CHECK(!exchange.handle_client_final(client_final));
  SLUICE_FUZZ_CHECK(!exchange.succeeded() && exchange.client_key() == auth::ScramKey{});
}

}  // namespace

int sluice_fuzz_scram_server(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto [client_first, client_final] = fuzz::split_at_nul(input);
  const auto& secret = fuzz::scram_fixture().secret;

  auth::ScramServerExchange exchange(secret, std::string(fuzz::kScramServerNonce));
  SLUICE_FUZZ_CHECK(!exchange.handle_client_final(client_final));  // out of order: refused
  auth::ScramServerExchange fresh(secret, std::string(fuzz::kScramServerNonce));
  const auto server_first = fresh.handle_client_first(client_first);
  if (!server_first) {
    SLUICE_FUZZ_CHECK(!fresh.error().empty() && !fresh.handle_client_final(client_final));
  } else {
    check_server_first(client_first, *server_first);
    const auto server_final = fresh.handle_client_final(client_final);
    if (server_final) {
      check_success(fresh, *server_final, client_final);
    } else {
      SLUICE_FUZZ_CHECK(!fresh.error().empty() && fresh.client_key() == auth::ScramKey{});
    }
  }
  // The whole input as one message: a NUL inside must be refused, not parsed around.
  auth::ScramServerExchange whole(secret, std::string(fuzz::kScramServerNonce));
  if (input.find('\0') != std::string_view::npos) SLUICE_FUZZ_CHECK(!whole.handle_client_first(input));
  return 0;
}
