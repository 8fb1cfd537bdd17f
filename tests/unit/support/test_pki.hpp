#pragma once
// Throwaway certificates made at test time with OpenSSL's C API (nothing checked in):
// a CA, a server certificate for localhost/127.0.0.1, a client certificate CN=app, an
// expired one, one signed by another CA, and a key that matches none of them.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <string>

namespace sluice::test {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PkeyPtr make_test_key();

struct CertificateSpec {
  std::string common_name;
  std::string subject_alt_names;  // "DNS:localhost,IP:127.0.0.1", or empty
  bool is_ca = false;
  long not_before_seconds = -3600;  // relative to now
  long not_after_seconds = 86400;
  const EVP_MD* digest = nullptr;   // signature hash; null = SHA-256
};

// Signed by issuer/issuer_key, or self-signed when they are null. Throws on OpenSSL failure.
X509Ptr make_test_certificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key);

// Files in a fresh temporary directory, removed with the object:
// ca.crt, server.crt/.key (localhost, 127.0.0.1), client.crt/.key (CN=app),
// expired.crt/.key, rogue.crt/.key (signed by rogue-ca.crt), stray.key.
class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

void write_pem(const std::string& path, X509* certificate);
void write_pem(const std::string& path, EVP_PKEY* key);

}  // namespace sluice::test
