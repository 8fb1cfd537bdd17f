#pragma once
// SASLprep (RFC 4013), as PostgreSQL applies it to a password before SCRAM: libpq and the server
// both normalise (NFKC, spaces mapped, soft hyphens and the like dropped), so a password typed as
// "pa\u00ADss" or with decomposed umlauts matches the one stored. Sluice does the same on both
// sides it speaks SCRAM: verifying a client against a plain password, logging in to a server.
#include <string>
#include <string_view>

namespace sluice::auth {

// The SASLprep form of `password`; the bytes unchanged when they are not UTF-8 or SASLprep
// refuses them (prohibited or unassigned characters), which is PostgreSQL's own fallback.
// ASCII passwords, nearly all of them, come back unchanged without touching ICU.
std::string saslprep_or_raw(std::string_view password);

}  // namespace sluice::auth
