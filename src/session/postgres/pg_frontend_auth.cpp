// PgFrontend, who may log in and how: the `hba` rules (first match wins; with rules, no match
// is a refusal), auth_type when there are none, and the exchange the chosen method runs —
// trust, md5, SCRAM-SHA-256 (-PLUS over TLS), or cert (the verified certificate's CN must be
// the user name).
#include <spdlog/spdlog.h>

#include "sluice/admin/show_views.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

namespace {

auth::HbaMethod method_of(config::AuthType type) {
  switch (type) {
    case config::AuthType::trust: return auth::HbaMethod::trust;
    case config::AuthType::md5: return auth::HbaMethod::md5;
    case config::AuthType::scram_sha_256: return auth::HbaMethod::scram_sha_256;
  }
  return auth::HbaMethod::reject;
}

// PostgreSQL's wording, so operators recognise it: who, to what, over what.
std::string connection_text(const ClientSession& session, std::string_view database, bool tls) {
  return "host \"" + session.address() + "\", user \"" + session.user() + "\", database \"" + std::string(database) +
         "\", " + (tls ? "SSL encryption" : "no encryption");
}

}  // namespace

Failure PgFrontend::unknown_user_failure() const {
  return Failure{"auth_failed", "28P01", "password authentication failed for user \"" + session_.user() + "\""};
}

Expected<auth::HbaMethod> PgFrontend::choose_method(std::string_view database) const {
  const bool tls = session_.client().is_tls();
  const auto match = session_.match_hba(database);
  if (!match) return method_of(session_.runtime().config->auth_type);
  if (match->method != auth::HbaMethod::reject) return match->method;
  if (!match->rule) return Failure{"hba", "28000", "no hba entry for " + connection_text(session_, database, tls)};
  return Failure{"hba", "28000", "hba rejects connection for " + connection_text(session_, database, tls)};
}

awaitable<Status> PgFrontend::authenticate(pg::ClientLogin& login, auth::HbaMethod method) {
  // `users`, else auth_query (pg_frontend_credentials.cpp); kept for SCRAM pass-through.
  if (auto found = co_await find_credential()) credential_ = std::make_unique<auth::Credential>(std::move(*found));
  const bool known = credential_ != nullptr;
  // As PostgreSQL: md5 with a SCRAM verifier stored runs SCRAM, which the verifier can check.
  if (method == auth::HbaMethod::md5 && known && credential_->kind == auth::PasswordKind::scram) {
    method = auth::HbaMethod::scram_sha_256;
  }
  const bool mock = !known && method == auth::HbaMethod::scram_sha_256;
  if (mock) {
    // An unknown name runs the whole exchange against a mock verifier and fails where a wrong
    // password fails (PostgreSQL's mock authentication): the answer tells no name apart.
    credential_ = std::make_unique<auth::Credential>(auth::Credential{
        auth::PasswordKind::scram, {}, auth::mock_scram_secret(session_.user(), session_.context().mock_auth_key)});
  }
  const auth::Credential* credential = credential_.get();
  switch (method) {
    case auth::HbaMethod::cert:
      if (auto allowed = session_.check_certificate_user(); !allowed) co_return allowed.failure();
      login.begin_trust();
      break;
    case auth::HbaMethod::trust:
      // As PgBouncer: trust skips the password, not the user list (or auth_query): a user listed
      // without a password is in it. The admin console's users need not be listed (its own
      // checks apply).
      if (!known && !session_.runtime().config->find_user(session_.user()) &&
          !admin::is_admin_database(session_.database())) {
        co_return unknown_user_failure();
      }
      login.begin_trust();
      break;
    case auth::HbaMethod::md5: {
      std::array<std::uint8_t, 4> salt{};
      if (!auth::random_fill(salt)) co_return Failure{"internal_error", "58000", "no randomness for the md5 salt"};
      login.begin_md5(credential, salt);
      break;
    }
    case auth::HbaMethod::scram_sha_256:
      login.begin_scram(credential, {}, channel_binding_data());
      break;
    case auth::HbaMethod::reject:  // choose_method turned it into a Failure
      co_return Failure{"hba", "28000", "rejected"};
  }
  auto event = co_await drive_login(login);
  if (!event) co_return event.failure();
  if (*event == pg::ClientLoginEvent::authenticated) co_return mock ? Status(unknown_user_failure()) : ok_status();
  credential_refused();
  if (!login.auth_error().empty()) {
    spdlog::info("SCRAM exchange with user={} failed: {}", session_.user(), login.auth_error());
  }
  co_return login.failure();
}

}  // namespace sluice::session
