#pragma once
// Runs a whole SCRAM login between the two exchange classes, as unit tests need it.

#include <string>

#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_server.hpp"

namespace sluice::test {

struct LoginResult {
  bool server_accepted = false;
  bool client_accepted = false;
  std::string server_error;
  std::string client_error;
};

// Drives both sides to completion, stopping at the first refusal.
inline LoginResult run_login(auth::ScramServerExchange& server, auth::ScramClientExchange& client) {
  LoginResult result;
  const auto server_first = server.handle_client_first(client.client_first_message());
  const auto client_final = server_first ? client.handle_server_first(*server_first) : std::nullopt;
  const auto server_final = client_final ? server.handle_client_final(*client_final) : std::nullopt;
  result.server_accepted = server_final.has_value();
  result.client_accepted = server_final && client.verify_server_final(*server_final);
  result.server_error = server.error();
  result.client_error = client.error();
  return result;
}

}  // namespace sluice::test
