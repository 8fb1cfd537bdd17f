#include "test_pki.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace sluice::test {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()), X509_EXTENSION_free);
  require(extension && X509_add_ext(certificate, extension.get(), -1) == 1, "extension");
}

BioPtr open_for_writing(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"), BIO_free);
  require(bio != nullptr, "open file");
  return bio;
}

}  // namespace

PkeyPtr make_test_key() {
  PkeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  require(key != nullptr, "key");
  return key;
}

X509Ptr make_test_certificate(const CertificateSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static std::atomic<long> serial{1};
  X509Ptr certificate(X509_new(), X509_free);
  require(certificate && X509_set_version(certificate.get(), 2) == 1, "version");
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), spec.not_after_seconds);
  require(X509_set_pubkey(certificate.get(), key) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1, "subject");
  X509* signer = issuer != nullptr ? issuer : certificate.get();
  require(X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer)) == 1, "issuer");
  add_extension(certificate.get(), signer, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (!spec.subject_alt_names.empty()) {
    add_extension(certificate.get(), signer, NID_subject_alt_name, spec.subject_alt_names);
  }
  const EVP_MD* digest = spec.digest != nullptr ? spec.digest : EVP_sha256();
  require(X509_sign(certificate.get(), issuer_key != nullptr ? issuer_key : key, digest) > 0, "sign");
  return certificate;
}

void write_pem(const std::string& path, X509* certificate) {
  require(PEM_write_bio_X509(open_for_writing(path).get(), certificate) == 1, "write certificate");
}

void write_pem(const std::string& path, EVP_PKEY* key) {
  auto bio = open_for_writing(path);
  require(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
}

TestPki::TestPki() {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("sluice-pki-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir_);
  auto ca_key = make_test_key();
  auto ca = make_test_certificate({"Sluice Test CA", "", true}, ca_key.get(), nullptr, nullptr);
  write_pem(path("ca.crt"), ca.get());
  auto issue = [&](const std::string& name, CertificateSpec spec, X509* issuer, EVP_PKEY* issuer_key) {
    auto key = make_test_key();
    auto certificate = make_test_certificate(spec, key.get(), issuer, issuer_key);
    write_pem(path(name + ".crt"), certificate.get());
    write_pem(path(name + ".key"), key.get());
  };
  issue("server", {"localhost", "DNS:localhost,IP:127.0.0.1"}, ca.get(), ca_key.get());
  issue("client", {"app"}, ca.get(), ca_key.get());
  issue("expired", {"localhost", "DNS:localhost", false, -7200, -3600}, ca.get(), ca_key.get());
  auto rogue_key = make_test_key();
  auto rogue_ca = make_test_certificate({"Rogue CA", "", true}, rogue_key.get(), nullptr, nullptr);
  write_pem(path("rogue-ca.crt"), rogue_ca.get());
  issue("rogue", {"localhost", "DNS:localhost,IP:127.0.0.1"}, rogue_ca.get(), rogue_key.get());
  write_pem(path("stray.key"), make_test_key().get());
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace sluice::test
