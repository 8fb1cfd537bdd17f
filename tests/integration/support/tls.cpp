#include "tls.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stdexcept>

#include "process.hpp"

#ifndef SLUICE_SOURCE_DIR
#error "SLUICE_SOURCE_DIR must name the source tree (for make_test_pki.sh)"
#endif

namespace sluice_it {

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(5);

std::string last_openssl_error() {
    std::string message;
    while (unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        message = text;
    }
    return message;
}

// Blocking I/O with a deadline per call, which OpenSSL's blocking SSL_read/SSL_write honour.
void make_blocking_with_timeouts(int fd) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval limit{static_cast<time_t>(kIoTimeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
}

std::uint32_t load_be32(const std::string& bytes) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return value;
}

}  // namespace

TestPki::TestPki() : dir_("sluice-it-pki") {
    const auto made = run_command({"/bin/sh", std::string(SLUICE_SOURCE_DIR) + "/tests/integration/support/make_test_pki.sh",
                                   dir_.path()});
    if (made.exit_code != 0) throw std::runtime_error("make_test_pki.sh failed: " + made.output);
}

void TestPki::install_server_certificate(const std::string& name) const {
    write_file(path("server.crt"), read_file(path(name + ".crt")));
    write_file(path("server.key"), read_file(path(name + ".key")));
}

std::string TestPki::client_tls_yaml(const std::string& mode, bool ca) const {
    std::string yaml = "tls:\n  client:\n    mode: " + mode + "\n    cert: " + path("server.crt") +
                       "\n    key: " + path("server.key") + "\n";
    if (ca) yaml += "    ca: " + path("ca.crt") + "\n";
    return yaml;
}

std::string verify_full_options(const TestPki& pki, const std::string& ca_name) {
    return "sslmode=verify-full sslrootcert=" + pki.path(ca_name);
}

TlsRawClient::TlsRawClient(int port, const TlsClientOptions& options)
    : socket_(std::make_unique<RawSocket>(port, std::chrono::duration_cast<std::chrono::milliseconds>(kIoTimeout))) {
    if (!options.direct) {
        socket_->send_bytes(wire::ssl_request());
        const auto answer = socket_->receive_exact(1);
        if (!answer || *answer != "S") {
            handshake_error_ = "refused: " + answer.value_or("(closed)");
            return;
        }
    }
    context_ = SSL_CTX_new(TLS_client_method());
    if (!options.ca_file.empty()) {
        SSL_CTX_load_verify_locations(context_, options.ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    }
    if (!options.cert_file.empty()) {
        SSL_CTX_use_certificate_file(context_, options.cert_file.c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_use_PrivateKey_file(context_, options.key_file.c_str(), SSL_FILETYPE_PEM);
    }
    if (!options.alpn.empty()) {
        std::string wire_list = std::string(1, static_cast<char>(options.alpn.size())) + options.alpn;
        SSL_CTX_set_alpn_protos(context_, reinterpret_cast<const unsigned char*>(wire_list.data()),
                                static_cast<unsigned int>(wire_list.size()));
    }
    ssl_ = SSL_new(context_);
    make_blocking_with_timeouts(socket_->fd());
    SSL_set_fd(ssl_, socket_->fd());
    SSL_set_tlsext_host_name(ssl_, "localhost");
    ERR_clear_error();
    if (SSL_connect(ssl_) != 1) {
        const long verify = SSL_get_verify_result(ssl_);
        handshake_error_ = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : last_openssl_error();
        if (handshake_error_.empty()) handshake_error_ = "handshake failed";
    }
}

TlsRawClient::~TlsRawClient() {
    if (ssl_) SSL_free(ssl_);
    if (context_) SSL_CTX_free(context_);
}

std::string TlsRawClient::peer_serial_hex() const {
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (!peer) return "";
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(peer), nullptr);
    char* hex = BN_bn2hex(number);
    std::string serial = hex;
    OPENSSL_free(hex);
    BN_free(number);
    X509_free(peer);
    return serial;
}

std::string TlsRawClient::alpn() const {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &data, &length);
    return data ? std::string(reinterpret_cast<const char*>(data), length) : "";
}

void TlsRawClient::send(const std::string& bytes) {
    if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size())) {
        throw std::runtime_error("TLS write failed: " + last_openssl_error());
    }
}

std::optional<std::string> TlsRawClient::receive_exact(std::size_t n) {
    std::string data(n, '\0');
    std::size_t received = 0;
    while (received < n) {
        const int got = SSL_read(ssl_, data.data() + received, static_cast<int>(n - received));
        if (got <= 0) return std::nullopt;
        received += static_cast<std::size_t>(got);
    }
    return data;
}

std::optional<wire::Message> TlsRawClient::read_message() {
    const auto header = receive_exact(5);
    if (!header) return std::nullopt;
    const std::uint32_t length = load_be32(header->substr(1));
    if (length < 4 || length > (1u << 24)) return std::nullopt;
    const auto body = receive_exact(length - 4);
    if (!body) return std::nullopt;
    return wire::Message{(*header)[0], *body};
}

std::map<char, std::string> TlsRawClient::log_in(const std::map<std::string, std::string>& parameters) {
    send(wire::startup_message(parameters));
    for (int i = 0; i < 100; ++i) {
        const auto message = read_message();
        if (!message) return {{'M', "connection closed during login"}};
        if (message->type == 'E') return wire::error_fields(message->body);
        if (message->type == 'Z') return {};
    }
    return {{'M', "no ReadyForQuery"}};
}

std::optional<std::string> TlsRawClient::query_value(const std::string& sql) {
    const std::string body = sql + '\0';
    send(std::string(1, 'Q') + wire::int32(static_cast<std::uint32_t>(body.size() + 4)) + body);
    std::optional<std::string> value;
    for (int i = 0; i < 100; ++i) {
        const auto message = read_message();
        if (!message) return std::nullopt;
        if (message->type == 'D' && !value && message->body.size() >= 6) {
            const std::uint32_t length = load_be32(message->body.substr(2));
            value = message->body.substr(6, length);
        }
        if (message->type == 'Z') return value;
    }
    return std::nullopt;
}

std::string presented_serial(int port) {
    TlsRawClient client(port, TlsClientOptions{});
    return client.ok() ? client.peer_serial_hex() : "(" + client.handshake_error() + ")";
}

}  // namespace sluice_it
