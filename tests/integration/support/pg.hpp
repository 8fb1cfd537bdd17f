// Small libpq helpers for the integration tests. Every call is bounded in time: queries use
// libpq's asynchronous API and give up (throwing PgTimeout) after a deadline, so a proxy that
// hangs fails a test instead of stalling the suite.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice_it {

using namespace std::chrono_literals;
using Duration = std::chrono::milliseconds;

inline constexpr Duration kConnectTimeout = 10s;
inline constexpr Duration kQueryTimeout = 15s;

struct PgResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

struct PgConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};

// An operation exceeded its deadline.
class PgTimeout : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A query that was expected to succeed failed.
class PgError : public std::runtime_error {
public:
    PgError(std::string sqlstate, const std::string& message)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }

private:
    std::string sqlstate_;
};

// An owned PGconn (possibly failed: check ok()). Closing sends Terminate (PQfinish).
class Connection {
public:
    Connection() = default;
    explicit Connection(PGconn* conn) : conn_(conn) {}

    PGconn* get() const { return conn_.get(); }
    operator PGconn*() const { return conn_.get(); }
    bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
    std::string error_message() const;
    // Closes now (PQfinish): for a client that "just goes away".
    void close() { conn_.reset(); }
    // Disappears without a Terminate, like a crashed client: both directions of the socket are
    // shut down (the server sees EOF, or a reset if data was still unread), then libpq lets go.
    void vanish();

private:
    std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// Connects within `timeout`; never throws for a refused login (check ok() / error_message()).
Connection try_connect(const std::string& conninfo, Duration timeout = kConnectTimeout);
// Connects or throws std::runtime_error carrying libpq's message.
Connection connect(const std::string& conninfo, Duration timeout = kConnectTimeout);

// Sends with `send` (a PQsend* call returning 1 on success) and collects results like PQexec
// does: the last one, or the first COPY result. A send that fails (connection gone) yields a
// PGRES_FATAL_ERROR result carrying libpq's message, as PQexec would. Throws PgTimeout after
// `timeout`.
template <typename Send>
PgResult run_async(PGconn* conn, Send send, Duration timeout = kQueryTimeout);
PgResult wait_for_result(PGconn* conn, Duration timeout = kQueryTimeout);

PgResult exec(PGconn* conn, const std::string& sql, Duration timeout = kQueryTimeout);
// Text parameters (std::nullopt = NULL); result_format 0 = text, 1 = binary.
PgResult exec_params(PGconn* conn, const std::string& sql,
                     const std::vector<std::optional<std::string>>& params, int result_format = 0,
                     Duration timeout = kQueryTimeout);
PgResult prepare(PGconn* conn, const std::string& name, const std::string& sql, int param_count,
                 Duration timeout = kQueryTimeout);
PgResult exec_prepared(PGconn* conn, const std::string& name,
                       const std::vector<std::optional<std::string>>& params,
                       Duration timeout = kQueryTimeout);

// The first column of the first row (std::nullopt for SQL NULL); throws PgError on failure.
std::optional<std::string> query_optional(PGconn* conn, const std::string& sql,
                                          Duration timeout = kQueryTimeout);
// Like query_optional but a NULL is an error.
std::string query_value(PGconn* conn, const std::string& sql, Duration timeout = kQueryTimeout);
// Runs a statement that must succeed (COMMAND_OK or TUPLES_OK); throws PgError otherwise.
void exec_ok(PGconn* conn, const std::string& sql, Duration timeout = kQueryTimeout);

bool succeeded(const PGresult* result);
// The SQLSTATE of an error result ("" if none).
std::string sqlstate(const PGresult* result);
// "STATUS [SQLSTATE] message" for assertion output.
std::string describe(const PGresult* result);

// Waits until the connection's socket is readable, consumes input and returns the pending
// notifications (LISTEN/NOTIFY) that arrived, waiting at most `timeout` for the first.
struct Notification {
    std::string channel;
    std::string payload;
    int sender_pid = 0;
};
std::vector<Notification> wait_for_notifications(PGconn* conn, Duration timeout);

// Waits for the connection's socket to become readable (true) or the deadline to pass (false).
bool wait_readable(PGconn* conn, std::chrono::steady_clock::time_point deadline);

// Escapes a string as an SQL literal ('...').
std::string sql_literal(const std::string& text);

template <typename Send>
PgResult run_async(PGconn* conn, Send send, Duration timeout) {
    if (send() != 1) return PgResult(PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR));
    return wait_for_result(conn, timeout);
}

}  // namespace sluice_it
