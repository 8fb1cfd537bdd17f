// Builds and swaps OpenSSL contexts; every failure is turned into a sentence naming the file.

#include "sluice/net/tls_context.hpp"

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>

namespace sluice::net {
namespace {

namespace ssl = boost::asio::ssl;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// OpenSSL's most recent error in words, draining the thread's queue so the next call starts
// clean. `fallback` covers the calls that fail without queueing anything.
std::string openssl_error(std::string_view fallback) {
  std::string message;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    message = text.data();  // keep the last: it is the closest to the call that failed
  }
  return message.empty() ? std::string(fallback) : message;
}

std::string asn1_time_text(const ASN1_TIME* time) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "an unreadable date";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : "";
}

// A certificate that is not valid now would be refused by every peer; say so at load time.
std::string validity_problem(const X509* certificate) {
  if (X509_cmp_current_time(X509_get0_notAfter(certificate)) <= 0) {
    return "certificate expired on " + asn1_time_text(X509_get0_notAfter(certificate));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(certificate)) >= 0) {
    return "certificate is not valid before " + asn1_time_text(X509_get0_notBefore(certificate));
  }
  return "";
}

// Loads cert (a PEM chain) and key into `context` and checks they belong together.
std::string load_certificate_and_key(SSL_CTX* context, const std::string& side, const std::string& cert,
                                     const std::string& key) {
  if (SSL_CTX_use_certificate_chain_file(context, cert.c_str()) != 1) {
    return side + ".cert '" + cert + "': " + openssl_error("cannot load the certificate");
  }
  if (const std::string problem = validity_problem(SSL_CTX_get0_certificate(context)); !problem.empty()) {
    return side + ".cert '" + cert + "': " + problem;
  }
  const std::string mismatch = side + ".key '" + key + "' does not match the certificate '" + cert + "'";
  if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate as it loads it.
    const bool mismatched = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    const std::string reason = openssl_error("cannot load the private key");  // drains the queue either way
    return mismatched ? mismatch : side + ".key '" + key + "': " + reason;
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return mismatch + ": " + openssl_error("key mismatch");
  }
  return "";
}

// OpenSSL's default for an encrypted key is to ask for its passphrase on the terminal: a daemon
// started from a shell (or `docker run -it`) would stop there, on the thread that reloads. This
// callback answers "no passphrase" and notes it was asked, so the key is refused with a reason.
int refuse_passphrase(char*, int, int, void* asked) {
  if (asked) *static_cast<bool*>(asked) = true;
  return 0;
}

std::string load_identity(SSL_CTX* context, const std::string& side, const std::string& cert, const std::string& key) {
  ERR_clear_error();
  bool passphrase_asked = false;
  SSL_CTX_set_default_passwd_cb(context, refuse_passphrase);
  SSL_CTX_set_default_passwd_cb_userdata(context, &passphrase_asked);
  const std::string error = load_certificate_and_key(context, side, cert, key);
  SSL_CTX_set_default_passwd_cb_userdata(context, nullptr);
  if (passphrase_asked) {
    ERR_clear_error();
    return side + ".key '" + key +
           "' is encrypted with a passphrase, which Sluice cannot enter: store the key unencrypted, "
           "readable by Sluice only (openssl pkey -in <key> -out <plain key>)";
  }
  return error;
}

std::string load_ca(SSL_CTX* context, const std::string& side, const std::string& ca) {
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(context, ca.c_str(), nullptr) != 1) {
    return side + ".ca '" + ca + "': " + openssl_error("cannot load the CA certificates");
  }
  return "";
}

// TLS 1.2 is the floor PostgreSQL 17 sets too; renegotiation is refused (a CPU-cost lever for
// a client, and nothing in PostgreSQL's protocol uses it).
TlsContextPtr new_context(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  return context;
}

// PostgreSQL 17 direct TLS: a client that offers ALPN must get "postgresql" or a fatal
// no_application_protocol alert, as the PostgreSQL server does.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void*) {
  static constexpr unsigned char wanted[] = {10, 'p', 'o', 's', 't', 'g', 'r', 'e', 's', 'q', 'l'};
  unsigned char* selected = nullptr;
  const int result =
      SSL_select_next_proto(&selected, out_length, wanted, sizeof wanted, offered, offered_length);
  if (result != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Asks clients for a certificate signed by `ca` and verifies one if sent.
std::string request_client_certificates(SSL_CTX* context, const std::string& ca) {
  if (std::string error = load_ca(context, "tls.client", ca); !error.empty()) return error;
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
  if (names == nullptr) return "tls.client.ca '" + ca + "': " + openssl_error("no CA certificate in the file");
  SSL_CTX_set_client_CA_list(context, names);  // takes ownership of `names`
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  return "";
}

TlsContextResult failed(std::string error) { return TlsContextResult{nullptr, std::move(error)}; }

}  // namespace

TlsContextResult make_client_tls_context(const config::ClientTlsConfig& settings) {
  if (!settings.cert || !settings.key) return failed("tls.client: cert and key are both needed");
  TlsContextPtr context = new_context(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (std::string error = load_identity(native, "tls.client", *settings.cert, *settings.key); !error.empty()) {
    return failed(std::move(error));
  }
  if (settings.ca) {
    if (std::string error = request_client_certificates(native, *settings.ca); !error.empty()) {
      return failed(std::move(error));
    }
  }
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  return TlsContextResult{std::move(context), ""};
}

TlsContextResult make_server_tls_context(const config::ServerTlsConfig& settings) {
  TlsContextPtr context = new_context(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  const bool verifies =
      settings.mode == config::ServerTlsMode::verify_ca || settings.mode == config::ServerTlsMode::verify_full;
  if (verifies && !settings.ca) return failed("tls.server: verify-ca and verify-full need ca");
  if (settings.ca) {
    if (std::string error = load_ca(native, "tls.server", *settings.ca); !error.empty()) return failed(std::move(error));
  }
  // prefer and require encrypt without checking who answers, exactly as libpq's sslmode does.
  SSL_CTX_set_verify(native, verifies ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (settings.cert.has_value() != settings.key.has_value()) return failed("tls.server: cert and key go together");
  if (settings.cert) {
    if (std::string error = load_identity(native, "tls.server", *settings.cert, *settings.key); !error.empty()) {
      return failed(std::move(error));
    }
  }
  return TlsContextResult{std::move(context), ""};
}

bool prepare_backend_session(SSL* ssl, std::string_view host, config::ServerTlsMode mode, std::string& error) {
  const std::string name(host);
  boost::system::error_code ec;
  boost::asio::ip::make_address(name, ec);
  const bool is_ip = !ec;
  ERR_clear_error();
  // SNI carries DNS names only (RFC 6066 §3); a Unix socket path is not a name either.
  const bool dns_name = !is_ip && !name.empty() && name.find('/') == std::string::npos;
  if (dns_name && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    error = "cannot send '" + name + "' as the TLS server name: " + openssl_error("invalid name");
    return false;
  }
  if (mode != config::ServerTlsMode::verify_full) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) return true;
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!name.empty() && X509_VERIFY_PARAM_set1_host(param, name.data(), name.size()) == 1) return true;
  }
  error = "cannot check the backend certificate against '" + name + "': " + openssl_error("invalid host name");
  return false;
}

std::string verification_failure(const SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  return result == X509_V_OK ? "" : X509_verify_cert_error_string(result);
}

std::optional<std::string> verified_peer_common_name(const SSL* ssl) {
  const X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  const X509_NAME* subject = X509_get_subject_name(peer);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  // Two CNs would make "which user is this" ambiguous: refuse rather than pick one.
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  const auto* bytes = reinterpret_cast<const char*>(ASN1_STRING_get0_data(data));
  const std::string name(bytes, static_cast<std::size_t>(ASN1_STRING_length(data)));
  if (name.empty() || name.find('\0') != std::string::npos) return std::nullopt;
  return name;
}

std::string negotiated_alpn(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &data, &length);
  return data == nullptr ? "" : std::string(reinterpret_cast<const char*>(data), length);
}

TlsContextPtr TlsContextSlot::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::string TlsContextSlot::replace(TlsContextResult fresh) {
  if (!fresh.ok()) return fresh.error.empty() ? "the new TLS context did not build" : fresh.error;
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh.context);
  return "";
}

}  // namespace sluice::net
