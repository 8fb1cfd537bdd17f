#pragma once

// The password of caching_sha2_password's full authentication, and of sha256_password,
// encrypted with the server's RSA public key: what MySQL's clients send when the connection is
// not TLS. Over OpenSSL EVP.
//
//   answer = RSA-OAEP(public key, (password + '\0') XOR scramble)
//
// The scramble (the server's 20 bytes, without a trailing NUL) repeats as long as the password
// runs; the XOR ties the answer to this login, so a captured one cannot be replayed. OAEP is
// OpenSSL's default for RSA_PKCS1_OAEP_PADDING (SHA-1, MGF1 with SHA-1), as the server
// decrypts it.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

// nullopt if `public_key_pem` is not a PEM RSA public key (SubjectPublicKeyInfo),
// the scramble is empty, or the password is too long for one OAEP block under that key.
std::optional<std::string> rsa_encrypted_password(std::string_view public_key_pem, std::string_view password,
                                                  std::string_view scramble);

// (password + '\0') XOR scramble, repeating the scramble: what the RSA block holds.
std::string scramble_masked_password(std::string_view password, std::string_view scramble);

}  // namespace sluice::auth
