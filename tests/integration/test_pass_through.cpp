// SCRAM pass-through: a user whose configured password is only PostgreSQL's own verifier logs
// in through Sluice to a SCRAM backend. Sluice recovers the ClientKey from the client's proof
// and logs its backends in with it (the backend must hold the very same verifier).
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// Sluice's users with `name`'s password replaced by PostgreSQL's verifier for it.
SluiceOptions verifier_only(const std::string& name, const std::string& verifier) {
    SluiceOptions options;
    for (auto& user : options.users) {
        if (user.name == name) user.password = verifier;
    }
    return options;
}

}  // namespace

TEST_CASE("a verifier-only user logs in end to end and runs a query", "[pass_through]") {
    const std::string verifier = postgres().query("select rolpassword from pg_authid where rolname = 'bob'");
    REQUIRE(verifier.starts_with("SCRAM-SHA-256$4096:"));
    SluiceProcess sluice(verifier_only("bob", verifier));
    REQUIRE(sluice.log().find(verifier) == std::string::npos);

    Connection first = connect(sluice.conninfo("bob", "bob"));
    CHECK(query_value(first, "select current_user") == "bob");
    // Another client of the same user, while the first holds nothing: a pooled or new backend.
    Connection second = connect(sluice.conninfo("bob", "bob"));
    exec_ok(second, "begin");
    CHECK(query_value(second, "select current_user") == "bob");
    CHECK(query_value(first, "select 6 * 7") == "42");  // a second backend, logged in with the key
    CHECK(postgres().count_backends("bob", "app") == 2);
    exec_ok(second, "commit");

    Connection wrong = try_connect(sluice.conninfo("bob", "not-bobs"));
    CHECK_FALSE(wrong.ok());
    CHECK_THAT(wrong.error_message(), Catch::Contains("password authentication failed"));
}

TEST_CASE("pass-through to a backend holding another verifier is refused with the reason", "[pass_through]") {
    // The same password under another salt: Sluice sees the mismatch before sending a proof.
    const std::string verifier = postgres().query("select rolpassword from pg_authid where rolname = 'bob'");
    auto options = verifier_only("alice", "SCRAM-SHA-256$4096:" + verifier.substr(verifier.find(':') + 1));
    options.defaults = "server_login_retry: 100ms";
    SluiceProcess sluice(options);
    // alice's verifier in Sluice is bob's: the client proves "bob", PostgreSQL holds alice's own.
    Connection conn = try_connect(sluice.conninfo("alice", "bob"));
    CHECK_FALSE(conn.ok());
    CHECK_THAT(conn.error_message(), Catch::Contains("server login failed"));
}
