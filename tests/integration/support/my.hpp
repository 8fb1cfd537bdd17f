// MariaDB Connector/C helpers for the integration tests: an owning connection, a login that
// reports the server's error number instead of throwing, and queries that return values.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice_it {

struct MyLoginOptions {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string user;
    std::string password;
    std::string database;        // empty: none
    std::string socket;          // a unix socket instead of host:port (non-empty: used)
    unsigned int timeout_s = 10;  // connect, read and write timeouts: every call is bounded
    bool local_infile = false;    // LOAD DATA LOCAL INFILE allowed (CLIENT_LOCAL_FILES)
    bool multi_statements = true;  // CLIENT_MULTI_STATEMENTS: several statements in one query
    bool found_rows = false;       // CLIENT_FOUND_ROWS: an UPDATE's affected rows count matched rows
    bool ignore_space = false;     // CLIENT_IGNORE_SPACE: IGNORE_SPACE in sql_mode (mysql2's default)
    std::string charset;          // the handshake's character set (empty: Connector/C's default)
    // TLS: `tls` asks for it and fails the login without it (MYSQL_OPT_SSL_ENFORCE); `tls_ca`
    // also verifies the server's certificate against that CA and its name (implies `tls`).
    bool tls = false;
    std::string tls_ca;
    std::string tls_cert, tls_key;  // a client certificate (implies `tls`)
    std::string auth_plugin;        // the plugin of the first answer (MYSQL_DEFAULT_AUTH); empty: the server's
};

struct MyCloser {
    void operator()(MYSQL* connection) const { mysql_close(connection); }
};
using MyConnection = std::unique_ptr<MYSQL, MyCloser>;

// The outcome of a login: a connection, or the error number and message.
struct MyLogin {
    MyConnection connection;
    unsigned int error_code = 0;
    std::string error;
    explicit operator bool() const { return static_cast<bool>(connection); }
};

MyLogin my_try_connect(const MyLoginOptions& options);
// Throws with the server's message when the login fails.
MyConnection my_connect(const MyLoginOptions& options);

using MyRow = std::vector<std::optional<std::string>>;
struct MyResult {
    unsigned int error_code = 0;  // 0: success
    std::string error;
    std::vector<MyRow> rows;      // of the last result set, if any
    std::uint64_t affected_rows = 0;
};

// Runs `sql` (multi-statements allowed) and reads every result; never throws.
MyResult my_query(MYSQL* connection, const std::string& sql);
// Runs `sql`; throws unless it succeeded.
void my_exec(MYSQL* connection, const std::string& sql);
// The first value of the last result set; throws on error or when there is none.
std::string my_value(MYSQL* connection, const std::string& sql);

}  // namespace sluice_it
