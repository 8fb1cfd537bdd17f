#include "pg.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sluice_it {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Polls the connection's socket for `events` until the deadline; false on timeout.
bool wait_socket(PGconn* conn, short events, SteadyClock::time_point deadline) {
    int fd = PQsocket(conn);
    if (fd < 0) return true;  // let libpq report the broken connection
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        int rc = poll(&p, 1, static_cast<int>(left.count()));
        if (rc > 0) return true;
        if (rc < 0 && errno != EINTR) return true;
    }
}

std::string timeout_message(PGconn* conn, Duration timeout, const char* what) {
    return std::string(what) + " timed out after " + std::to_string(timeout.count()) +
           " ms (connection status " + std::to_string(PQstatus(conn)) + ")";
}

struct ParamArrays {
    std::vector<const char*> values;
    explicit ParamArrays(const std::vector<std::optional<std::string>>& params) {
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    }
};

bool is_copy_status(ExecStatusType status) {
    return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

}  // namespace

std::string Connection::error_message() const {
    return conn_ ? PQerrorMessage(conn_.get()) : "no connection object";
}

void Connection::vanish() {
    if (conn_ && PQsocket(conn_.get()) >= 0) shutdown(PQsocket(conn_.get()), SHUT_RDWR);
    conn_.reset();  // PQfinish's Terminate now fails on the shut-down socket: nothing is sent
}

Connection try_connect(const std::string& conninfo, Duration timeout) {
    Connection connection(PQconnectStart(conninfo.c_str()));
    PGconn* conn = connection.get();
    if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) return connection;
    auto deadline = SteadyClock::now() + timeout;
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
        short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_socket(conn, events, deadline)) {
            throw PgTimeout(timeout_message(conn, timeout, "connect"));
        }
        state = PQconnectPoll(conn);
    }
    return connection;
}

Connection connect(const std::string& conninfo, Duration timeout) {
    Connection connection = try_connect(conninfo, timeout);
    if (!connection.ok()) {
        throw std::runtime_error("connect failed (" + conninfo + "): " + connection.error_message());
    }
    return connection;
}

bool wait_readable(PGconn* conn, SteadyClock::time_point deadline) {
    return wait_socket(conn, POLLIN, deadline);
}

PgResult wait_for_result(PGconn* conn, Duration timeout) {
    auto deadline = SteadyClock::now() + timeout;
    PgResult last;
    for (;;) {
        while (PQisBusy(conn)) {
            if (!wait_socket(conn, POLLIN, deadline)) {
                throw PgTimeout(timeout_message(conn, timeout, "query"));
            }
            if (PQconsumeInput(conn) == 0) break;  // PQgetResult reports the failure
        }
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        // A COPY hands control back to the caller, as PQexec does.
        bool copy = is_copy_status(PQresultStatus(result));
        // After an error keep the first error: it carries the SQLSTATE (a later one is usually
        // libpq's own "server closed the connection" note).
        bool keep_previous_error = last && PQresultStatus(last.get()) == PGRES_FATAL_ERROR &&
                                   PQresultStatus(result) == PGRES_FATAL_ERROR;
        if (keep_previous_error) {
            PQclear(result);
        } else {
            last.reset(result);
        }
        if (copy) return last;
    }
    if (!last) last.reset(PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR));
    return last;
}

PgResult exec(PGconn* conn, const std::string& sql, Duration timeout) {
    return run_async(conn, [&] { return PQsendQuery(conn, sql.c_str()); }, timeout);
}

PgResult exec_params(PGconn* conn, const std::string& sql,
                     const std::vector<std::optional<std::string>>& params, int result_format,
                     Duration timeout) {
    ParamArrays arrays(params);
    return run_async(
        conn,
        [&] {
            return PQsendQueryParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                     arrays.values.data(), nullptr, nullptr, result_format);
        },
        timeout);
}

PgResult prepare(PGconn* conn, const std::string& name, const std::string& sql, int param_count,
                 Duration timeout) {
    return run_async(
        conn, [&] { return PQsendPrepare(conn, name.c_str(), sql.c_str(), param_count, nullptr); },
        timeout);
}

PgResult exec_prepared(PGconn* conn, const std::string& name,
                       const std::vector<std::optional<std::string>>& params, Duration timeout) {
    ParamArrays arrays(params);
    return run_async(
        conn,
        [&] {
            return PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(params.size()),
                                       arrays.values.data(), nullptr, nullptr, 0);
        },
        timeout);
}

std::optional<std::string> query_optional(PGconn* conn, const std::string& sql, Duration timeout) {
    PgResult result = exec(conn, sql, timeout);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        throw PgError(sqlstate(result.get()), "query failed: " + sql + ": " + describe(result.get()));
    }
    if (PQntuples(result.get()) < 1 || PQnfields(result.get()) < 1) {
        throw PgError("", "query returned no value: " + sql);
    }
    if (PQgetisnull(result.get(), 0, 0)) return std::nullopt;
    return std::string(PQgetvalue(result.get(), 0, 0));
}

std::string query_value(PGconn* conn, const std::string& sql, Duration timeout) {
    auto value = query_optional(conn, sql, timeout);
    if (!value) throw PgError("", "query returned NULL: " + sql);
    return *value;
}

void exec_ok(PGconn* conn, const std::string& sql, Duration timeout) {
    PgResult result = exec(conn, sql, timeout);
    if (!succeeded(result.get())) {
        throw PgError(sqlstate(result.get()), "statement failed: " + sql + ": " + describe(result.get()));
    }
}

bool succeeded(const PGresult* result) {
    if (result == nullptr) return false;
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string sqlstate(const PGresult* result) {
    if (result == nullptr) return "";
    const char* field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    return field != nullptr ? field : "";
}

std::string describe(const PGresult* result) {
    if (result == nullptr) return "(no result)";
    std::string text = PQresStatus(PQresultStatus(result));
    std::string state = sqlstate(result);
    if (!state.empty()) text += " [" + state + "]";
    const char* message = PQresultErrorMessage(result);
    if (message != nullptr && *message != '\0') text += std::string(" ") + message;
    return text;
}

std::vector<Notification> wait_for_notifications(PGconn* conn, Duration timeout) {
    auto deadline = SteadyClock::now() + timeout;
    std::vector<Notification> notifications;
    for (;;) {
        PQconsumeInput(conn);
        while (PGnotify* notify = PQnotifies(conn)) {
            notifications.push_back({notify->relname, notify->extra, notify->be_pid});
            PQfreemem(notify);
        }
        if (!notifications.empty() || PQstatus(conn) != CONNECTION_OK) return notifications;
        if (!wait_socket(conn, POLLIN, deadline)) return notifications;
        if (SteadyClock::now() >= deadline) return notifications;
    }
}

std::string sql_literal(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') quoted += '\'';
        quoted += c;
    }
    return quoted + "'";
}

}  // namespace sluice_it
