// fake_pg_backend: a minimal PostgreSQL server for measuring a pooler alone.
//
// Standalone benchmark helper (not part of the CMake build):
//   g++ -O2 -std=c++20 bench/fake_pg_backend.cpp -o /tmp/fake_pg_backend
//
// Usage: fake_pg_backend [-a ADDRESS] [-p PORT] [-r ROWS]   (defaults 127.0.0.1, 0 = any free port, 1)
//   Prints "LISTENING port=N" on stdout once it accepts connections. SIGUSR1 prints
//   "COUNTS seq=N transactions=T" (T = SELECTs answered + Executes answered so far; a benchmark
//   reads it at both ends of its measurement window). SIGTERM/SIGINT end it; it then prints
//   "STATS connections=… queries=… selects=… sets=… empty=… other=… extended_executes=…".
//
// It speaks just enough protocol v3 for a pooler and pgbench: any user and database, no password
// (AuthenticationOk), SSLRequest and GSSENCRequest answered 'N', CancelRequest connections closed.
// Every SELECT returns ROWS rows (one by default: -r 1000 measures what a pooler costs per row),
// one int4 column "?column?" = 1. SET statements are answered with
// the ParameterStatus a real server reports, so poolers that sync parameters (application_name,
// client_encoding, ...) see the change and do not repeat the SET. Any other statement gets
// CommandComplete with its first word as the tag; the transaction status is always 'I'.
// One thread, one level-triggered epoll loop; replies to everything one read delivered
// are sent with one send().
#include <algorithm>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

// Caps checked before a length is trusted.
constexpr std::uint32_t kMaxStartupPacket = 10000;   // as PostgreSQL's MAX_STARTUP_PACKET_LENGTH
constexpr std::uint32_t kMaxMessage = 1 << 20;       // frontend message, type byte excluded
constexpr std::size_t kReadChunk = 64 * 1024;

constexpr std::uint32_t kProtocolV3 = 196608;
constexpr std::uint32_t kCancelRequest = 80877102;
constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_dump_counts = 0;
void on_signal(int) { g_stop = 1; }
void on_usr1(int) { g_dump_counts = 1; }

struct Stats {
    unsigned long connections = 0, queries = 0, selects = 0, sets = 0, empty = 0, other = 0, executes = 0;
};
Stats g_stats;

// --- backend message writers (sans-I/O: they append to a string) ---

void put_u32(std::string& out, std::uint32_t v) {
    v = htonl(v);
    out.append(reinterpret_cast<const char*>(&v), 4);
}
void put_u16(std::string& out, std::uint16_t v) {
    v = htons(v);
    out.append(reinterpret_cast<const char*>(&v), 2);
}
void put_cstring(std::string& out, std::string_view s) {
    out.append(s);
    out.push_back('\0');
}

// Starts message TYPE; finish_message fills in the length once the body is written.
std::size_t begin_message(std::string& out, char type) {
    out.push_back(type);
    const std::size_t at = out.size();
    out.append(4, '\0');
    return at;
}
void finish_message(std::string& out, std::size_t at) {
    const std::uint32_t length = htonl(static_cast<std::uint32_t>(out.size() - at));
    std::memcpy(&out[at], &length, 4);
}
void write_empty_message(std::string& out, char type) { finish_message(out, begin_message(out, type)); }

void write_parameter_status(std::string& out, std::string_view name, std::string_view value) {
    const auto at = begin_message(out, 'S');
    put_cstring(out, name);
    put_cstring(out, value);
    finish_message(out, at);
}
void write_command_complete(std::string& out, std::string_view tag) {
    const auto at = begin_message(out, 'C');
    put_cstring(out, tag);
    finish_message(out, at);
}
void write_ready_for_query(std::string& out) {
    const auto at = begin_message(out, 'Z');
    out.push_back('I');
    finish_message(out, at);
}
void write_row_description(std::string& out) {
    const auto at = begin_message(out, 'T');
    put_u16(out, 1);
    put_cstring(out, "?column?");
    put_u32(out, 0);    // table oid
    put_u16(out, 0);    // column number
    put_u32(out, 23);   // int4
    put_u16(out, 4);    // type size
    put_u32(out, 0xffffffff);  // type modifier -1
    put_u16(out, 0);    // text format
    finish_message(out, at);
}
void write_data_row(std::string& out) {
    const auto at = begin_message(out, 'D');
    put_u16(out, 1);
    put_u32(out, 1);
    out.push_back('1');
    finish_message(out, at);
}

// Rows per SELECT (-r).
int g_rows = 1;

// A SELECT's rows and its CommandComplete.
void write_select_rows(std::string& out) {
    for (int i = 0; i < g_rows; ++i) write_data_row(out);
    write_command_complete(out, "SELECT " + std::to_string(g_rows));
}

// Built once, on first use (after -r is read): the whole reply to a simple-protocol "SELECT ...".
const std::string& select_reply() {
    static const std::string reply = [] {
        std::string out;
        write_row_description(out);
        write_select_rows(out);
        write_ready_for_query(out);
        return out;
    }();
    return reply;
}

// --- parameters a real server reports with ParameterStatus ---

struct Reported {
    const char* name;
    const char* initial;
};
constexpr Reported kReported[] = {
    {"server_version", "15.0"},        {"server_encoding", "UTF8"},
    {"client_encoding", "UTF8"},       {"DateStyle", "ISO, MDY"},
    {"TimeZone", "UTC"},               {"integer_datetimes", "on"},
    {"standard_conforming_strings", "on"}, {"IntervalStyle", "postgres"},
    {"is_superuser", "off"},           {"application_name", ""},
};

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
const Reported* find_reported(std::string_view name) {
    for (const auto& r : kReported) {
        if (same_name(r.name, name)) return &r;
    }
    return nullptr;
}

// --- statement text helpers ---

std::string_view trim(std::string_view s) {
    while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == ';')) s.remove_prefix(1);
    while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) s.remove_suffix(1);
    return s;
}

// The next word (letters, digits, '_', '.') of S, consumed.
std::string_view next_word(std::string_view& s) {
    s = trim(s);
    std::size_t n = 0;
    while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) || s[n] == '_' || s[n] == '.')) ++n;
    auto word = s.substr(0, n);
    s.remove_prefix(n);
    return word;
}

bool starts_with_word(std::string_view s, std::string_view word) {
    s = trim(s);
    return s.size() >= word.size() && same_name(s.substr(0, word.size()), word) &&
           (s.size() == word.size() || !std::isalnum(static_cast<unsigned char>(s[word.size()])));
}

// A SET's value: 'x', E'x' (with '' and \ escapes), "x", or a bare word.
std::string read_set_value(std::string_view s) {
    s = trim(s);
    bool escapes = false;
    if (s.size() >= 2 && (s[0] == 'E' || s[0] == 'e') && s[1] == '\'') {
        escapes = true;
        s.remove_prefix(1);
    }
    if (s.empty() || (s[0] != '\'' && s[0] != '"')) return std::string(s);
    const char quote = s[0];
    std::string value;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (escapes && s[i] == '\\' && i + 1 < s.size()) {
            value.push_back(s[++i]);
        } else if (s[i] == quote) {
            if (i + 1 < s.size() && s[i + 1] == quote) value.push_back(s[++i]);
            else break;
        } else {
            value.push_back(s[i]);
        }
    }
    return value;
}

// Splits a simple Query's text at ';' outside quotes and calls EACH per statement.
template <typename Each>
void for_each_statement(std::string_view sql, Each each) {
    char quote = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0;
            else if (c == '\\' && quote == '\'') ++i;  // E'..\'..' (harmless for standard strings here)
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == ';') {
            each(sql.substr(start, i - start));
            start = i + 1;
        }
    }
    each(sql.substr(start));
}

// --- one client connection ---

class Connection {
public:
    explicit Connection(int fd) : fd_(fd) {}
    int fd() const { return fd_; }
    std::string& input() { return in_; }
    std::string& output() { return out_; }
    bool waiting_out = false;  // registered for EPOLLOUT (a send left bytes behind)

    // Consumes every complete message in the input. False: close the connection.
    bool process() {
        std::size_t at = 0;
        bool keep = true;
        while (keep) {
            const std::size_t used = started_ ? next_message(at, keep) : next_startup(at, keep);
            if (used == 0) break;
            at += used;
        }
        in_.erase(0, at);
        return keep;
    }

private:
    static std::uint32_t read_u32(const char* p) {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return ntohl(v);
    }

    // Bytes used by one startup-phase packet at AT (0 = incomplete).
    std::size_t next_startup(std::size_t at, bool& keep) {
        if (in_.size() - at < 8) return 0;
        const std::uint32_t length = read_u32(in_.data() + at);
        if (length < 8 || length > kMaxStartupPacket) return keep = false, 0;
        if (in_.size() - at < length) return 0;
        const std::uint32_t code = read_u32(in_.data() + at + 4);
        if (code == kSslRequest || code == kGssEncRequest) {
            out_.push_back('N');
        } else if (code == kProtocolV3) {
            on_startup(std::string_view(in_).substr(at + 8, length - 8));
        } else if (code == kCancelRequest) {
            keep = false;  // nothing here runs long enough to cancel: just close
        } else {
            keep = false;  // unknown protocol version or request code
        }
        return length;
    }

    void on_startup(std::string_view parameters) {
        std::string application_name;
        while (!parameters.empty() && parameters.front() != '\0') {
            const std::string_view name = parameters.substr(0, parameters.find('\0'));
            parameters.remove_prefix(std::min(parameters.size(), name.size() + 1));
            const std::string_view value = parameters.substr(0, parameters.find('\0'));
            parameters.remove_prefix(std::min(parameters.size(), value.size() + 1));
            if (name == "application_name") application_name = value;
        }
        started_ = true;
        ++g_stats.connections;
        const auto at = begin_message(out_, 'R');
        put_u32(out_, 0);  // AuthenticationOk
        finish_message(out_, at);
        for (const auto& r : kReported) {
            write_parameter_status(out_, r.name, same_name(r.name, "application_name") ? application_name : r.initial);
        }
        const auto key = begin_message(out_, 'K');
        put_u32(out_, static_cast<std::uint32_t>(10000 + fd_));
        put_u32(out_, 0x5eed);
        finish_message(out_, key);
        write_ready_for_query(out_);
    }

    // Bytes used by one regular message at AT (0 = incomplete).
    std::size_t next_message(std::size_t at, bool& keep) {
        if (in_.size() - at < 5) return 0;
        const std::uint32_t length = read_u32(in_.data() + at + 1);
        if (length < 4 || length > kMaxMessage) return keep = false, 0;
        if (in_.size() - at < std::size_t{length} + 1) return 0;
        const std::string_view body = std::string_view(in_).substr(at + 5, length - 4);
        keep = dispatch(in_[at], body);
        return length + 1;
    }

    bool dispatch(char type, std::string_view body) {
        switch (type) {
            case 'Q': on_query(body); return true;
            case 'P': on_parse(body); return true;
            case 'B': on_bind(body); return true;
            case 'D': on_describe(body); return true;
            case 'E': on_execute(body); return true;
            case 'S': write_ready_for_query(out_); return true;
            case 'C': write_empty_message(out_, '3'); return true;   // CloseComplete
            case 'H': return true;                                   // Flush: we send after every read anyway
            case 'X': return false;                                  // Terminate
            default: return true;                                    // copy data, function call...: ignored
        }
    }

    // Simple Query: every statement answered, then one ReadyForQuery.
    void on_query(std::string_view body) {
        ++g_stats.queries;
        const std::string_view sql = body.substr(0, body.find('\0'));
        if (starts_with_word(sql, "select") && trim(sql).find(';') == std::string_view::npos) {
            ++g_stats.selects;
            out_.append(select_reply());
            return;
        }
        bool any = false;
        for_each_statement(sql, [&](std::string_view statement) {
            if (trim(statement).empty()) return;
            any = true;
            answer_statement(statement);
        });
        if (!any) {
            ++g_stats.empty;
            write_empty_message(out_, 'I');  // EmptyQueryResponse
        }
        write_ready_for_query(out_);
    }

    void answer_statement(std::string_view statement) {
        if (starts_with_word(statement, "select")) {
            ++g_stats.selects;
            write_row_description(out_);
            write_select_rows(out_);
        } else if (starts_with_word(statement, "set")) {
            ++g_stats.sets;
            report_set(statement);
            write_command_complete(out_, "SET");
        } else {
            ++g_stats.other;
            write_command_complete(out_, command_tag(statement));
        }
    }

    // "SET [SESSION] name {TO|=} value": the ParameterStatus PostgreSQL would report.
    void report_set(std::string_view statement) {
        std::string_view rest = statement;
        next_word(rest);  // SET
        std::string_view name = next_word(rest);
        if (same_name(name, "session")) name = next_word(rest);
        const Reported* reported = find_reported(name);
        if (!reported) return;
        rest = trim(rest);
        if (!rest.empty() && rest.front() == '=') rest.remove_prefix(1);
        else if (starts_with_word(rest, "to")) next_word(rest);
        std::string value = read_set_value(rest);
        if (same_name(value, "default")) value = reported->initial;
        if (same_name(reported->name, "client_encoding")) {
            for (auto& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        write_parameter_status(out_, reported->name, value);
    }

    static std::string command_tag(std::string_view statement) {
        std::string_view rest = statement;
        std::string tag(next_word(rest));
        for (auto& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (tag == "DISCARD") tag += " ALL";
        return tag.empty() ? "OK" : tag;
    }

    // Extended protocol: statements and portals remember only whether they return a row.
    void on_parse(std::string_view body) {
        const std::string_view name = body.substr(0, body.find('\0'));
        const std::string_view sql = body.substr(std::min(body.size(), name.size() + 1));
        returns_rows_[key('S', name)] = starts_with_word(sql.substr(0, sql.find('\0')), "select");
        write_empty_message(out_, '1');  // ParseComplete
    }

    void on_bind(std::string_view body) {
        const std::string_view portal = body.substr(0, body.find('\0'));
        const std::string_view rest = body.substr(std::min(body.size(), portal.size() + 1));
        const std::string_view statement = rest.substr(0, rest.find('\0'));
        returns_rows_[key('P', portal)] = returns_rows(key('S', statement));
        write_empty_message(out_, '2');  // BindComplete
    }

    void on_describe(std::string_view body) {
        if (body.empty()) return;
        const std::string_view name = body.substr(1, body.find('\0', 1) - 1);
        if (body[0] == 'S') {
            const auto at = begin_message(out_, 't');  // ParameterDescription: no parameters
            put_u16(out_, 0);
            finish_message(out_, at);
        }
        if (returns_rows(key(body[0], name))) write_row_description(out_);
        else write_empty_message(out_, 'n');  // NoData
    }

    void on_execute(std::string_view body) {
        ++g_stats.executes;
        const std::string_view portal = body.substr(0, body.find('\0'));
        if (returns_rows(key('P', portal))) {
            write_select_rows(out_);
        } else {
            write_command_complete(out_, "OK");
        }
    }

    static std::string key(char kind, std::string_view name) {
        std::string k(1, kind);
        k.append(name);
        return k;
    }
    bool returns_rows(const std::string& k) const {
        const auto it = returns_rows_.find(k);
        return it != returns_rows_.end() && it->second;
    }

    int fd_;
    bool started_ = false;
    std::string in_, out_;
    std::unordered_map<std::string, bool> returns_rows_;  // 'S'/'P' + name
};

// --- the event loop ---

class Server {
public:
    Server(int listen_fd, int epoll_fd) : listen_fd_(listen_fd), epoll_fd_(epoll_fd) {}

    void run() {
        epoll_event events[256];
        while (!g_stop) {
            const int n = epoll_wait(epoll_fd_, events, 256, 500);
            if (g_dump_counts) dump_counts();
            for (int i = 0; i < n; ++i) {
                if (events[i].data.fd == listen_fd_) accept_all();
                else on_ready(events[i].data.fd, events[i].events);
            }
        }
    }

private:
    void dump_counts() {
        g_dump_counts = 0;
        std::printf("COUNTS seq=%lu transactions=%lu\n", ++dumps_, g_stats.selects + g_stats.executes);
        std::fflush(stdout);
    }

    void accept_all() {
        for (;;) {
            const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;  // EAGAIN, or EMFILE etc.: try again on the next event
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) { close(fd); continue; }
            connections_[fd] = std::make_unique<Connection>(fd);
        }
    }

    void on_ready(int fd, std::uint32_t events) {
        const auto it = connections_.find(fd);
        if (it == connections_.end()) return;
        Connection& c = *it->second;
        bool keep = true;
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) keep = read_and_process(c);
        if (keep) keep = flush(c);
        if (!keep) drop(fd);
    }

    static bool read_and_process(Connection& c) {
        auto& in = c.input();
        const std::size_t old = in.size();
        in.resize(old + kReadChunk);
        const ssize_t got = recv(c.fd(), in.data() + old, kReadChunk, 0);
        in.resize(old + (got > 0 ? static_cast<std::size_t>(got) : 0));
        if (got == 0) return false;
        if (got < 0) return errno == EAGAIN || errno == EINTR;
        return c.process();
    }

    // Sends what is pending; waits for EPOLLOUT only while something is left.
    bool flush(Connection& c) {
        auto& out = c.output();
        if (!out.empty()) {
            const ssize_t sent = send(c.fd(), out.data(), out.size(), MSG_NOSIGNAL);
            if (sent < 0 && errno != EAGAIN && errno != EINTR) return false;
            if (sent > 0) out.erase(0, static_cast<std::size_t>(sent));
        }
        const bool want_out = !out.empty();
        if (want_out != c.waiting_out) {
            epoll_event ev{};
            ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
            ev.data.fd = c.fd();
            epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &ev);
            c.waiting_out = want_out;
        }
        return true;
    }

    void drop(int fd) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        connections_.erase(fd);
    }

    int listen_fd_, epoll_fd_;
    unsigned long dumps_ = 0;
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

int open_listener(const char* address, int port, int& bound_port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, address, &sa.sin_addr) != 1) return -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 4096) != 0) return -1;
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    bound_port = ntohs(sa.sin_port);
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    const char* address = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-a" && i + 1 < argc) address = argv[++i];
        else if (a == "-p" && i + 1 < argc) port = std::atoi(argv[++i]);
        else if (a == "-r" && i + 1 < argc) g_rows = std::max(0, std::atoi(argv[++i]));
        else {
            std::fprintf(stderr, "usage: %s [-a ADDRESS] [-p PORT] [-r ROWS]\n", argv[0]);
            return 2;
        }
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    int bound_port = 0;
    const int listen_fd = open_listener(address, port, bound_port);
    if (listen_fd < 0) {
        std::fprintf(stderr, "fake_pg_backend: cannot listen on %s:%d: %s\n", address, port, std::strerror(errno));
        return 1;
    }
    const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    std::printf("LISTENING port=%d\n", bound_port);
    std::fflush(stdout);

    Server(listen_fd, epoll_fd).run();

    std::printf("STATS connections=%lu queries=%lu selects=%lu sets=%lu empty=%lu other=%lu extended_executes=%lu\n",
                g_stats.connections, g_stats.queries, g_stats.selects, g_stats.sets, g_stats.empty, g_stats.other,
                g_stats.executes);
    return 0;
}
