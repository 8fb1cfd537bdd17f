#include "my.hpp"

#include <stdexcept>

namespace sluice_it {

namespace {
void set_tls_options(MYSQL* connection, const MyLoginOptions& options) {
    const my_bool enabled = 1;
    if (options.tls || !options.tls_ca.empty() || !options.tls_cert.empty()) {
        mysql_optionsv(connection, MYSQL_OPT_SSL_ENFORCE, &enabled);
    }
    if (!options.tls_ca.empty()) {
        mysql_optionsv(connection, MYSQL_OPT_SSL_CA, options.tls_ca.c_str());
        mysql_optionsv(connection, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &enabled);
    }
    if (!options.tls_cert.empty()) {
        mysql_optionsv(connection, MYSQL_OPT_SSL_CERT, options.tls_cert.c_str());
        mysql_optionsv(connection, MYSQL_OPT_SSL_KEY, options.tls_key.c_str());
    }
}
}  // namespace

MyLogin my_try_connect(const MyLoginOptions& options) {
    MyLogin login;
    MYSQL* connection = mysql_init(nullptr);
    if (connection == nullptr) throw std::runtime_error("mysql_init failed");
    mysql_optionsv(connection, MYSQL_OPT_CONNECT_TIMEOUT, &options.timeout_s);
    mysql_optionsv(connection, MYSQL_OPT_READ_TIMEOUT, &options.timeout_s);
    mysql_optionsv(connection, MYSQL_OPT_WRITE_TIMEOUT, &options.timeout_s);
    if (!options.charset.empty()) mysql_optionsv(connection, MYSQL_SET_CHARSET_NAME, options.charset.c_str());
    set_tls_options(connection, options);
    if (!options.auth_plugin.empty()) mysql_optionsv(connection, MYSQL_DEFAULT_AUTH, options.auth_plugin.c_str());
    // Connector/C announces CLIENT_LOCAL_FILES unless told not to.
    const unsigned int local_infile = options.local_infile ? 1 : 0;
    mysql_optionsv(connection, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    const char* database = options.database.empty() ? nullptr : options.database.c_str();
    const char* socket = options.socket.empty() ? nullptr : options.socket.c_str();
    const char* host = socket ? "localhost" : options.host.c_str();
    const unsigned long flags = (options.multi_statements ? CLIENT_MULTI_STATEMENTS : 0) |
                                (options.found_rows ? CLIENT_FOUND_ROWS : 0) |
                                (options.ignore_space ? CLIENT_IGNORE_SPACE : 0);
    if (mysql_real_connect(connection, host, options.user.c_str(), options.password.c_str(), database,
                           static_cast<unsigned int>(options.port), socket, flags) == nullptr) {
        login.error_code = mysql_errno(connection);
        login.error = mysql_error(connection);
        mysql_close(connection);
        return login;
    }
    login.connection.reset(connection);
    return login;
}

MyConnection my_connect(const MyLoginOptions& options) {
    MyLogin login = my_try_connect(options);
    if (!login) {
        throw std::runtime_error("MySQL login as " + options.user + " on port " + std::to_string(options.port) +
                                 " failed: " + std::to_string(login.error_code) + " " + login.error);
    }
    return std::move(login.connection);
}

namespace {
std::vector<MyRow> read_rows(MYSQL_RES* result) {
    std::vector<MyRow> rows;
    const unsigned int fields = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
        const unsigned long* lengths = mysql_fetch_lengths(result);
        MyRow values;
        for (unsigned int i = 0; i < fields; ++i) {
            if (row[i] == nullptr) {
                values.emplace_back(std::nullopt);
            } else {
                values.emplace_back(std::string(row[i], lengths[i]));
            }
        }
        rows.push_back(std::move(values));
    }
    return rows;
}
}  // namespace

MyResult my_query(MYSQL* connection, const std::string& sql) {
    MyResult out;
    if (mysql_real_query(connection, sql.data(), sql.size()) != 0) {
        out.error_code = mysql_errno(connection);
        out.error = mysql_error(connection);
        return out;
    }
    for (;;) {
        if (MYSQL_RES* result = mysql_store_result(connection)) {
            out.rows = read_rows(result);
            mysql_free_result(result);
        } else if (mysql_field_count(connection) != 0) {
            out.error_code = mysql_errno(connection);
            out.error = mysql_error(connection);
            return out;
        } else {
            out.affected_rows = mysql_affected_rows(connection);
        }
        const int more = mysql_next_result(connection);
        if (more == -1) break;
        if (more > 0) {
            out.error_code = mysql_errno(connection);
            out.error = mysql_error(connection);
            return out;
        }
    }
    return out;
}

void my_exec(MYSQL* connection, const std::string& sql) {
    MyResult result = my_query(connection, sql);
    if (result.error_code != 0) {
        throw std::runtime_error("MySQL query failed: " + sql + ": " + std::to_string(result.error_code) + " " +
                                 result.error);
    }
}

std::string my_value(MYSQL* connection, const std::string& sql) {
    MyResult result = my_query(connection, sql);
    if (result.error_code != 0) {
        throw std::runtime_error("MySQL query failed: " + sql + ": " + std::to_string(result.error_code) + " " +
                                 result.error);
    }
    if (result.rows.empty() || result.rows[0].empty()) throw std::runtime_error("MySQL query returned no value: " + sql);
    return result.rows[0][0].value_or("NULL");
}

}  // namespace sluice_it
