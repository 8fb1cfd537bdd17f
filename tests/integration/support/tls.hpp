// TLS for the [tls] and [hba] tests: a throwaway PKI made by make_test_pki.sh (openssl, at
// test time), and a raw OpenSSL client for what libpq 15 cannot do (PostgreSQL 17's direct
// TLS) or show (the serial of the certificate the server presented).
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "net.hpp"
#include "temp_dir.hpp"

namespace sluice_it {

// The files make_test_pki.sh writes (see it for the list), removed with the object.
class TestPki {
public:
    TestPki();
    std::string path(const std::string& name) const { return dir_.file(name); }
    // Copies NAME.crt/.key over server.crt/.key (the files Sluice's config names).
    void install_server_certificate(const std::string& name) const;
    // tls.client: YAML for Sluice with this PKI's server certificate; `ca` adds client verification.
    std::string client_tls_yaml(const std::string& mode, bool ca = false) const;

private:
    TempDir dir_;
};

// libpq conninfo options for verifying Sluice against this PKI's CA.
std::string verify_full_options(const TestPki& pki, const std::string& ca_name = "ca.crt");

struct TlsClientOptions {
    bool direct = false;            // PostgreSQL 17 direct TLS: no SSLRequest, the handshake first
    std::string alpn = "postgresql";  // "" = offer none
    std::string ca_file;            // verify the server against it ("" = no verification)
    std::string cert_file, key_file;  // a client certificate, optional
};

// One raw TLS connection to Sluice. Every read and write gives up after a few seconds.
class TlsRawClient {
public:
    TlsRawClient(int port, const TlsClientOptions& options);
    ~TlsRawClient();
    TlsRawClient(const TlsRawClient&) = delete;
    TlsRawClient& operator=(const TlsRawClient&) = delete;

    // "" once the handshake succeeded, else why it did not (OpenSSL's words, or "refused: N").
    const std::string& handshake_error() const { return handshake_error_; }
    bool ok() const { return handshake_error_.empty(); }
    std::string peer_serial_hex() const;  // upper-case hex, "" without a certificate
    std::string alpn() const;

    void send(const std::string& bytes);
    std::optional<wire::Message> read_message();
    // StartupMessage, then messages until ReadyForQuery (true) or an ErrorResponse (its fields).
    std::map<char, std::string> log_in(const std::map<std::string, std::string>& parameters);
    // A simple Query; the first column of the first DataRow (nullopt on error or no row).
    std::optional<std::string> query_value(const std::string& sql);

private:
    std::optional<std::string> receive_exact(std::size_t n);

    std::unique_ptr<RawSocket> socket_;
    SSL_CTX* context_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string handshake_error_;
};

// The serial of the certificate Sluice presents to a new TLS connection (SSLRequest route).
std::string presented_serial(int port);

}  // namespace sluice_it
