// Child processes for the integration harness: spawn with output to a file, stop with a grace
// period, run a command to completion with a deadline. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sluice_it {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;

struct SpawnOptions {
    std::vector<std::string> argv;           // argv[0] is the program path
    std::string output_path;                 // stdout and stderr are appended here ("" = /dev/null)
    std::vector<std::string> extra_env;      // "NAME=value" entries added to (or replacing) ours
    int parent_death_signal = 9;             // sent to the child if this test process dies (0 = none)
};

// A running child. Destruction stops it (SIGTERM, then SIGKILL after 5 s).
class ChildProcess {
public:
    ChildProcess() = default;
    explicit ChildProcess(const SpawnOptions& options);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    bool running();
    // Sends `signal` to the child (no-op once it has exited).
    void send_signal(int signal);
    // Waits up to `timeout` for the child to exit; returns its exit code (128+signal if killed).
    std::optional<int> wait_for(Duration timeout);
    // Sends `signal`, waits `grace`, then SIGKILLs; returns the exit code.
    int stop(int signal, Duration grace);
    // Exit code once the child has been reaped.
    std::optional<int> exit_code() const { return exit_code_; }

private:
    bool reap(bool block);

    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

struct CommandResult {
    int exit_code = -1;       // 128+signal when killed; -1 when it timed out
    bool timed_out = false;
    std::string output;       // stdout and stderr interleaved
};

// Runs a command to completion (killed after `timeout`), capturing its output.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {},
                          Duration timeout = std::chrono::seconds(60));

// The prefix that runs a PostgreSQL server binary as the `postgres` OS user when we are root
// (PostgreSQL refuses to run as root); empty when we are not root.
std::vector<std::string> as_postgres_user_prefix(int parent_death_signal);
// The same for any OS user (MariaDB's server runs as `mysql`).
std::vector<std::string> as_os_user_prefix(const std::string& user, int parent_death_signal);

// Kills every child still registered; async-signal-safe (used by signal handlers and atexit).
void kill_registered_children() noexcept;

std::string read_file(const std::string& path);
// The last `max_bytes` of a file, starting at a line boundary.
std::string tail_of_file(const std::string& path, std::size_t max_bytes = 16 * 1024);
void write_file(const std::string& path, const std::string& text);

}  // namespace sluice_it
