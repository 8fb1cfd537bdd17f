// PgFrontend: whose password a client must prove, and what a SCRAM proof lets Sluice reuse.
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

awaitable<std::optional<auth::Credential>> PgFrontend::find_credential() {
  const auto& runtime = session_.runtime();
  if (auto found = runtime.credentials.find(session_.user()); found != runtime.credentials.end()) {
    co_return found->second;
  }
  // A user listed with a password no PostgreSQL method can check (a mysql_native_password
  // hash) is refused, not looked up.
  if (const auto* listed = runtime.config->find_user(session_.user()); listed && listed->password) {
    co_return std::nullopt;
  }
  // Not listed: auth_query, if configured, in the database the client asked for.
  auto* lookup = session_.context().credential_lookup;
  const auto* database = runtime.config->find_database(session_.database());
  if (lookup == nullptr || database == nullptr) co_return std::nullopt;
  co_return co_await lookup->find(*runtime.config, *database, session_.user());
}

void PgFrontend::credential_refused() {
  auto* lookup = session_.context().credential_lookup;
  if (lookup && !session_.runtime().credentials.contains(session_.user())) lookup->forget(session_.user());
}

// The ClientKey is the same for every client of the user (it comes from the verifier's
// password), so the pool's connector keeps one copy for the backends it opens.
void PgFrontend::share_client_key(const pg::ClientLogin& login) {
  if (!credential_ || credential_->kind != auth::PasswordKind::scram) return;
  const auto client_key = login.scram_client_key();
  if (!client_key || !connector_) return;
  connector_->learn_client_key(credential_->scram, *client_key);
}

}  // namespace sluice::session
