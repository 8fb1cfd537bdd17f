#pragma once

// SCRAM channel binding data, type tls-server-end-point (RFC 5929 §4.1): a hash of the TLS
// server's certificate, which both ends of a SCRAM-SHA-256-PLUS exchange mix into the proof,
// so a man in the middle holding another certificate cannot relay the login.

#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sluice::auth {

inline constexpr std::string_view tls_server_end_point = "tls-server-end-point";
inline constexpr std::string_view scram_plus_mechanism = "SCRAM-SHA-256-PLUS";

// The certificate's hash with the hash function of its signature algorithm, except MD5 and
// SHA-1, which are replaced by SHA-256 (RFC 5929 §4.1). nullopt when the signature has no single
// hash function (Ed25519, Ed448) or OpenSSL fails: PLUS must then not be offered, as PostgreSQL
// does. `certificate` is the server's: Sluice's own towards clients, the backend's towards it.
std::optional<std::vector<std::uint8_t>> tls_server_end_point_hash(const X509* certificate);

}  // namespace sluice::auth
