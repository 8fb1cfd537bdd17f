// idle_clients: open many idle PostgreSQL client connections and hold them.
//
// Standalone benchmark helper (not part of the CMake build):
//   g++ -O2 -std=c++20 bench/idle_clients.cpp -lpq -o /tmp/idle_clients
//   (Debian/Ubuntu keep the header in /usr/include/postgresql; that is found without -I)
//
// Usage: idle_clients [-n N] [-H SECONDS] [-b IN_FLIGHT] [-t CONNECT_TIMEOUT] [-q] CONNINFO
//   -n N          connections to open (default 1000)
//   -H SECONDS    how long to hold them once all are up (default 10); SIGTERM/SIGINT end the hold early
//   -b IN_FLIGHT  maximum connection attempts in progress at once (default 200)
//   -t SECONDS    per-connection connect timeout (default 30)
//   -q            after all are connected, run "SELECT 1" once on every connection
//   CONNINFO      libpq conninfo, e.g. "host=127.0.0.1 port=6432 dbname=bench user=bench sslmode=disable"
//                 (a password may come from PGPASSWORD)
//
// Connections are opened with PQconnectStart/PQconnectPoll driven by one poll()
// loop, so thousands connect in a few seconds. Machine-readable lines on stdout:
//   READY connected=N failed=F seconds=S       once every attempt has finished (then the hold starts)
//   DONE alive=A/N held_seconds=S              after the hold, before closing
// Progress and errors go to stderr. Exit status: 0 if every connection reached
// CONNECTION_OK and was still alive at the end of the hold, 1 otherwise, 2 on usage errors.

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

enum class State { NotStarted, Connecting, Ok, Failed, Lost };

struct Conn {
    PGconn* pg = nullptr;
    State state = State::NotStarted;
    PostgresPollingStatusType want = PGRES_POLLING_WRITING;
    Clock::time_point started;
};

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

void usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [-n N] [-H SECONDS] [-b IN_FLIGHT] [-t CONNECT_TIMEOUT] [-q] CONNINFO\n", argv0);
}

bool parse_long(const char* s, long& out) {
    char* end = nullptr;
    out = std::strtol(s, &end, 10);
    return end != s && *end == '\0' && out >= 0;
}

}  // namespace

int main(int argc, char** argv) {
    long n = 1000, hold = 10, inflight_max = 200, timeout_s = 30;
    bool query = false;
    const char* conninfo = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto need = [&](long& v) {
            if (i + 1 >= argc || !parse_long(argv[++i], v)) { usage(argv[0]); std::exit(2); }
        };
        if (a == "-n") need(n);
        else if (a == "-H") need(hold);
        else if (a == "-b") need(inflight_max);
        else if (a == "-t") need(timeout_s);
        else if (a == "-q") query = true;
        else if (a == "-h" || a == "--help") { usage(argv[0]); return 0; }
        else if (!a.empty() && a[0] == '-') { usage(argv[0]); return 2; }
        else conninfo = argv[i];
    }
    if (!conninfo || n <= 0 || inflight_max <= 0) { usage(argv[0]); return 2; }

    // Each connection is one socket; make sure the soft fd limit allows it.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(n) + 32 > rl.rlim_cur) {
        std::fprintf(stderr, "idle_clients: %ld connections need more than the open-file limit %llu allows\n",
                     n, static_cast<unsigned long long>(rl.rlim_cur));
        return 2;
    }

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::vector<Conn> conns(static_cast<size_t>(n));
    std::vector<size_t> active;  // indices currently connecting
    std::vector<pollfd> pfds;
    size_t next = 0;
    long ok = 0, failed = 0, errors_shown = 0;
    const auto t0 = Clock::now();
    auto last_progress = t0;

    auto fail = [&](Conn& c, const char* why) {
        if (errors_shown++ < 5)
            std::fprintf(stderr, "idle_clients: connection failed: %s", why && *why ? why : "(no message)\n");
        c.state = State::Failed;
        if (c.pg) { PQfinish(c.pg); c.pg = nullptr; }
        ++failed;
    };

    // ---- connect phase ----
    while ((next < conns.size() || !active.empty()) && !g_stop) {
        while (next < conns.size() && active.size() < static_cast<size_t>(inflight_max)) {
            Conn& c = conns[next];
            c.started = Clock::now();
            c.pg = PQconnectStart(conninfo);
            if (!c.pg) { fail(c, "out of memory\n"); ++next; continue; }
            if (PQstatus(c.pg) == CONNECTION_BAD) { fail(c, PQerrorMessage(c.pg)); ++next; continue; }
            c.state = State::Connecting;
            c.want = PGRES_POLLING_WRITING;
            active.push_back(next++);
        }
        pfds.clear();
        for (size_t idx : active) {
            Conn& c = conns[idx];
            short ev = c.want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
            pfds.push_back(pollfd{PQsocket(c.pg), ev, 0});
        }
        int r = poll(pfds.data(), pfds.size(), 100);
        if (r < 0 && errno != EINTR) { std::perror("poll"); break; }
        std::vector<size_t> still;
        still.reserve(active.size());
        for (size_t k = 0; k < active.size(); ++k) {
            Conn& c = conns[active[k]];
            if (r > 0 && pfds[k].revents) {
                c.want = PQconnectPoll(c.pg);
                if (c.want == PGRES_POLLING_OK) {
                    if (PQstatus(c.pg) == CONNECTION_OK) { c.state = State::Ok; ++ok; }
                    else fail(c, PQerrorMessage(c.pg));
                    continue;
                }
                if (c.want == PGRES_POLLING_FAILED) { fail(c, PQerrorMessage(c.pg)); continue; }
            }
            if (seconds_since(c.started) > static_cast<double>(timeout_s)) {
                fail(c, "connect timeout\n");
                continue;
            }
            still.push_back(active[k]);
        }
        active.swap(still);
        if (seconds_since(last_progress) >= 2.0) {
            last_progress = Clock::now();
            std::fprintf(stderr, "idle_clients: %ld ok, %ld failed, %zu connecting, %zu to go\n",
                         ok, failed, active.size(), conns.size() - next);
        }
    }
    if (g_stop) {
        for (auto& c : conns) if (c.pg) PQfinish(c.pg);
        std::fprintf(stderr, "idle_clients: interrupted during connect\n");
        return 1;
    }
    const double connect_s = seconds_since(t0);
    if (errors_shown > 5) std::fprintf(stderr, "idle_clients: (%ld more failures not shown)\n", errors_shown - 5);

    if (query) {
        long qfail = 0;
        for (auto& c : conns) {
            if (c.state != State::Ok) continue;
            PGresult* res = PQexec(c.pg, "SELECT 1");
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                if (qfail++ < 5) std::fprintf(stderr, "idle_clients: SELECT 1 failed: %s", PQerrorMessage(c.pg));
            }
            PQclear(res);
        }
        if (qfail) std::fprintf(stderr, "idle_clients: %ld of %ld SELECT 1 failed\n", qfail, ok);
    }

    std::printf("READY connected=%ld failed=%ld seconds=%.2f\n", ok, failed, connect_s);
    std::fflush(stdout);

    // ---- hold phase: watch the sockets so we notice a proxy dropping idle clients ----
    const auto th = Clock::now();
    long alive = ok;
    std::vector<size_t> idxs;
    while (!g_stop && seconds_since(th) < static_cast<double>(hold) && alive > 0) {
        pfds.clear();
        idxs.clear();
        for (size_t i = 0; i < conns.size(); ++i) {
            if (conns[i].state != State::Ok) continue;
            pfds.push_back(pollfd{PQsocket(conns[i].pg), POLLIN, 0});
            idxs.push_back(i);
        }
        double left = static_cast<double>(hold) - seconds_since(th);
        int ms = left > 1.0 ? 1000 : static_cast<int>(left * 1000) + 1;
        int r = poll(pfds.data(), pfds.size(), ms);
        if (r <= 0) continue;
        for (size_t k = 0; k < pfds.size(); ++k) {
            if (!pfds[k].revents) continue;
            Conn& c = conns[idxs[k]];
            // Unsolicited data (a NOTICE, ParameterStatus, or an error before close).
            if (!PQconsumeInput(c.pg) || PQstatus(c.pg) != CONNECTION_OK) {
                std::fprintf(stderr, "idle_clients: connection %zu lost: %s", idxs[k], PQerrorMessage(c.pg));
                c.state = State::Lost;
                --alive;
                continue;
            }
            while (PGnotify* nt = PQnotifies(c.pg)) PQfreemem(nt);
        }
    }
    const double held = seconds_since(th);
    std::printf("DONE alive=%ld/%ld held_seconds=%.1f\n", alive, n, held);
    std::fflush(stdout);

    for (auto& c : conns) if (c.pg) PQfinish(c.pg);
    return (ok == n && alive == n) ? 0 : 1;
}
