#pragma once

// A password the client sent in clear (caching_sha2_password's full authentication, which
// Sluice asks for over TLS only), checked against whatever form `users.X.password` holds: the
// plain password, a mysql_native_password hash ("*" + 40 hex digits), PostgreSQL's md5 hash
// ("md5" + md5(password + user)) or a SCRAM-SHA-256 verifier (derived again with its salt and
// iteration count). So a user whose configured password cannot check a scramble still logs in.

#include <string_view>

namespace sluice::auth {

// Constant time in the password's contents once the stored form is known. False for an
// unparsable stored form, an empty stored value with a non-empty password, or an OpenSSL failure.
bool verify_cleartext_password(std::string_view stored, std::string_view user, std::string_view password);

}  // namespace sluice::auth
