#include "temp_dir.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <vector>

namespace sluice_it {
namespace {

std::atomic<bool> failed_flag{false};

// Removes directories left by test processes that were killed (SIGKILL skips destructors):
// /tmp/sluice-it-<what>-<pid>-XXXXXX whose pid no longer exists.
void remove_orphaned_dirs() {
    static std::once_flag once;
    std::call_once(once, [] {
        static const std::regex pattern(R"(sluice-it-[a-z]+-([0-9]+)-[A-Za-z0-9]{6})");
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
            std::smatch match;
            std::string name = entry.path().filename().string();
            if (!std::regex_match(name, match, pattern)) continue;
            pid_t owner = static_cast<pid_t>(std::stol(match[1]));
            if (kill(owner, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), error);
        }
    });
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
    remove_orphaned_dirs();
    std::string pattern = "/tmp/" + prefix + "-" + std::to_string(getpid()) + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
        throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
    }
    path_ = buffer.data();
}

TempDir::~TempDir() {
    const char* keep = std::getenv("SLUICE_IT_KEEP_TMP");
    if (keep != nullptr && std::string(keep) == "1") {
        std::cerr << "[harness] keeping " << path_ << "\n";
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

bool current_test_failed() { return failed_flag.load(); }
void set_current_test_failed(bool failed) { failed_flag.store(failed); }

}  // namespace sluice_it
