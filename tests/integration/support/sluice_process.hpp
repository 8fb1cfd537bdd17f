// The sluice daemon under test, started from a generated YAML config on a free loopback port.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace sluice_it {

using namespace std::chrono_literals;

#ifndef SLUICE_BINARY
#error "SLUICE_BINARY must name the built sluice executable"
#endif
inline constexpr const char* kSluiceBinary = SLUICE_BINARY;

// The daemon to test: $SLUICE_TEST_BINARY when set (CI points it at a ThreadSanitizer build so
// the same tests drive an instrumented daemon), else the one built alongside these tests.
const char* sluice_binary();

struct SluiceUser {
    std::string name;
    std::string password;
    std::string settings;  // extra YAML lines for this user, e.g. "pool_mode: session"
};

// What the generated config contains besides the fixed parts (listen address, admin users...).
struct SluiceOptions {
    std::string auth_type = "scram-sha-256";
    // "key: value" lines merged into `defaults:` (they replace same-named base settings).
    std::string defaults;
    // Extra top-level YAML lines, e.g. "max_client_connections: 2".
    std::string top_level;
    // Databases routed to the shared PostgresServer under their own name.
    std::vector<std::string> databases = {"app", "app2"};
    // Extra entries under `databases:` (unindented YAML; the helper indents it).
    std::string extra_databases;
    std::vector<SluiceUser> users = default_users();

    static std::vector<SluiceUser> default_users();
};

// The YAML for a Sluice listening on 127.0.0.1:listen_port in front of postgres().
std::string sluice_config(int listen_port, const SluiceOptions& options = {});

class SluiceProcess {
public:
    using ConfigFactory = std::function<std::string(int listen_port)>;

    // Starts with sluice_config(port, options) and waits until the port accepts connections.
    explicit SluiceProcess(const SluiceOptions& options = {});
    // Starts with a config of the caller's making, given the chosen listen port.
    explicit SluiceProcess(const ConfigFactory& make_config);
    SluiceProcess(const SluiceProcess&) = delete;
    SluiceProcess& operator=(const SluiceProcess&) = delete;
    // Prints the log if the test failed, then SIGTERM, SIGKILL after 5 s.
    ~SluiceProcess();

    int port() const { return port_; }
    pid_t pid() const { return process_.pid(); }
    bool running() { return process_.running(); }
    const std::string& config_path() const { return config_path_; }
    std::string log() const;

    // libpq conninfo for a client of this Sluice; `extra` is appended verbatim.
    std::string conninfo(const std::string& user, const std::string& password,
                         const std::string& database = "app", const std::string& extra = "") const;

    // Replaces the config file (call reload() to apply it).
    void write_config(const std::string& yaml);
    // SIGHUP: re-read the config file.
    void reload();
    // SIGTERM, SIGKILL after `grace`; returns the exit code.
    int stop(std::chrono::milliseconds grace = 5s);
    // Resident set size from /proc/<pid>/status, in KiB (-1 if unavailable).
    long rss_kib() const;
    // Open file descriptors, counted in /proc/<pid>/fd (-1 if unavailable).
    int open_fds() const;

private:
    void start();
    [[noreturn]] void fail(const std::string& what) const;

    TempDir dir_;
    std::string config_path_;
    std::string log_path_;
    int port_ = 0;
    ChildProcess process_;
};

// Runs `sluice --check-config path`.
CommandResult check_config(const std::string& path);

// Indents every line of `text` by `spaces`.
std::string indent(const std::string& text, int spaces);

}  // namespace sluice_it
