// ClientLimits: the global, per-user and per-database client caps, and the places a ticket gives
// back.
#include <catch2/catch.hpp>

#include "sluice/config/loader.hpp"
#include "sluice/runtime/proxy_context.hpp"
#include "../support/config_loading.hpp"

using namespace sluice;
using sluice::test::load_ok;

namespace {
using Ticket = runtime::ClientLimits::Ticket;

std::optional<std::string> admit(runtime::ClientLimits& limits, const config::ProxyConfig& config,
                                 const std::string& user, const std::string& database, Ticket& ticket) {
  return limits.admit(config, user, database, ticket);
}
}  // namespace

TEST_CASE("client caps: the first cap reached is named, and a refused client holds no place", "[runtime][caps]") {
  auto config = load_ok(R"(max_client_connections: 4
databases:
  app:
    max_client_connections: 2
  other:
users:
  alice:
    max_client_connections: 1
  bob:
)");
  runtime::ClientLimits limits;
  Ticket alice, bob1, bob2, bob3;
  CHECK_FALSE(admit(limits, *config, "alice", "app", alice));
  CHECK(admit(limits, *config, "alice", "other", bob3) == "max_client_connections (user alice)");
  CHECK_FALSE(admit(limits, *config, "bob", "app", bob1));
  CHECK(admit(limits, *config, "bob", "app", bob2) == "max_client_connections (database app)");
  CHECK(limits.total() == 2);  // refused clients were counted out again
  CHECK_FALSE(admit(limits, *config, "bob", "other", bob2));
  CHECK_FALSE(admit(limits, *config, "bob", "other", bob3));
  Ticket fifth;
  CHECK(admit(limits, *config, "bob", "other", fifth) == "max_client_connections");

  SECTION("a ticket released gives back its user's and its database's place") {
    alice.release();
    CHECK(limits.total() == 3);
    CHECK_FALSE(admit(limits, *config, "bob", "app", fifth));  // app's second place, freed by alice
    Ticket again;
    CHECK(admit(limits, *config, "alice", "other", again) == "max_client_connections");
  }
  SECTION("admitting a ticket again (COM_CHANGE_USER) moves its place") {
    CHECK_FALSE(admit(limits, *config, "bob", "other", bob1));  // bob1 leaves app for other
    CHECK(limits.total() == 4);
    Ticket next;
    bob2.release();
    CHECK(admit(limits, *config, "alice", "app", next) == "max_client_connections (user alice)");
    CHECK_FALSE(admit(limits, *config, "bob", "app", next));
  }
}
