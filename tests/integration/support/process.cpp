#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sluice_it {
namespace {

// Children alive right now, so a signal handler can kill them without allocating.
constexpr std::size_t kMaxChildren = 256;
std::array<std::atomic<pid_t>, kMaxChildren> registered_children{};

void register_child(pid_t pid) {
    for (auto& slot : registered_children) {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, pid)) return;
    }
}

void unregister_child(pid_t pid) {
    for (auto& slot : registered_children) {
        pid_t expected = pid;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

int exit_code_from_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// Our environment with `extra` entries added or replacing same-named ones.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> result;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string text = *entry;
        bool replaced = false;
        for (const auto& e : extra) replaced = replaced || env_name(e) == env_name(text);
        if (!replaced) result.push_back(std::move(text));
    }
    result.insert(result.end(), extra.begin(), extra.end());
    return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, const char* output_path,
                             int parent_death_signal) {
    if (parent_death_signal != 0) prctl(PR_SET_PDEATHSIG, parent_death_signal);
    // Own process group: a terminal's Ctrl-C reaches the test binary, which then stops us in order.
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    int out_fd = output_path[0] != '\0'
                     ? open(output_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                     : open("/dev/null", O_WRONLY);
    if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
    }
    execve(argv[0], argv, envp);
    const char message[] = "exec failed\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
}

}  // namespace

ChildProcess::ChildProcess(const SpawnOptions& options) {
    if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    std::vector<std::string> argv_strings = options.argv;
    std::vector<std::string> env_strings = merged_environment(options.extra_env);
    std::vector<char*> argv = c_strings(argv_strings);
    std::vector<char*> envp = c_strings(env_strings);
    const char* output_path = options.output_path.c_str();
    if (access(argv[0], X_OK) != 0) {
        throw std::runtime_error("ChildProcess: cannot execute " + options.argv[0] + ": " +
                                 std::strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) exec_child(argv.data(), envp.data(), output_path, options.parent_death_signal);
    pid_ = pid;
    register_child(pid_);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), exit_code_(other.exit_code_) {
    other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0 && !exit_code_) stop(SIGTERM, std::chrono::seconds(5));
        pid_ = other.pid_;
        exit_code_ = other.exit_code_;
        other.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) stop(SIGTERM, std::chrono::seconds(5));
}

bool ChildProcess::reap(bool block) {
    if (pid_ <= 0 || exit_code_) return true;
    int status = 0;
    pid_t result = waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (result == pid_) {
        exit_code_ = exit_code_from_status(status);
        unregister_child(pid_);
        return true;
    }
    if (result < 0 && errno == ECHILD) {
        exit_code_ = -1;
        unregister_child(pid_);
        return true;
    }
    return false;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(false); }

void ChildProcess::send_signal(int signal) {
    if (running()) kill(pid_, signal);
}

std::optional<int> ChildProcess::wait_for(Duration timeout) {
    auto deadline = Clock::now() + timeout;
    while (!reap(false)) {
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_code_;
}

int ChildProcess::stop(int signal, Duration grace) {
    if (pid_ <= 0) return -1;
    send_signal(signal);
    if (auto code = wait_for(grace)) return *code;
    kill(pid_, SIGKILL);
    reap(true);
    return exit_code_.value_or(-1);
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env, Duration timeout) {
    char output_template[] = "/tmp/sluice-it-cmd-XXXXXX";
    int fd = mkstemp(output_template);
    if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
    close(fd);
    CommandResult result;
    {
        ChildProcess child(SpawnOptions{argv, output_template, extra_env, SIGKILL});
        if (auto code = child.wait_for(timeout)) {
            result.exit_code = *code;
        } else {
            result.timed_out = true;
            child.stop(SIGKILL, std::chrono::seconds(5));
        }
    }
    result.output = read_file(output_template);
    unlink(output_template);
    return result;
}

std::vector<std::string> as_postgres_user_prefix(int parent_death_signal) {
    return as_os_user_prefix("postgres", parent_death_signal);
}

std::vector<std::string> as_os_user_prefix(const std::string& user, int parent_death_signal) {
    if (geteuid() != 0) return {};
    std::vector<std::string> prefix = {"/usr/bin/setpriv", "--reuid=" + user, "--regid=" + user,
                                       "--init-groups"};
    if (parent_death_signal != 0) {
        // setpriv re-applies it after changing credentials (the kernel clears it on that change).
        prefix.push_back("--pdeathsig=" + std::string(sigabbrev_np(parent_death_signal)));
    }
    prefix.push_back("--");
    return prefix;
}

void kill_registered_children() noexcept {
    for (auto& slot : registered_children) {
        pid_t pid = slot.load();
        if (pid > 0) kill(pid, SIGKILL);
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
    std::string text = read_file(path);
    if (text.size() <= max_bytes) return text;
    std::size_t start = text.find('\n', text.size() - max_bytes);
    start = start == std::string::npos ? text.size() - max_bytes : start + 1;
    return "[... " + std::to_string(start) + " bytes cut ...]\n" + text.substr(start);
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace sluice_it
