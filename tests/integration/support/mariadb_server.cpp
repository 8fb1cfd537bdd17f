#include "mariadb_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net.hpp"

namespace sluice_it {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kInstallTimeout = std::chrono::seconds(120);
constexpr auto kStopGrace = std::chrono::seconds(15);
constexpr const char* kOsUser = "mysql";

const std::vector<std::string> kSetupStatements = {
    "CREATE DATABASE app",
    "CREATE DATABASE app2",
    "CREATE USER app@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('app')",
    "CREATE USER alice@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('alice')",
    "CREATE USER bob@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('bob')",
    "GRANT ALL ON app.* TO app@'%', alice@'%', bob@'%'",
    "GRANT ALL ON app2.* TO app@'%', alice@'%', bob@'%'",
};

[[noreturn]] void fail_with_log(const std::string& what, const std::string& log_path) {
    throw std::runtime_error("MariaDB test server: " + what + "\n--- " + log_path + " ---\n" +
                             tail_of_file(log_path));
}

// Hands `path` (recursively) to the mysql OS user when we are root.
void give_to_os_user(const std::string& path) {
    if (geteuid() != 0) return;
    passwd* user = getpwnam(kOsUser);
    if (user == nullptr) throw std::runtime_error("running as root but there is no `mysql` OS user");
    auto give = [&](const std::filesystem::path& entry) {
        if (chown(entry.c_str(), user->pw_uid, user->pw_gid) != 0) {
            throw std::runtime_error("chown " + entry.string() + " to mysql failed");
        }
    };
    give(path);
    if (!std::filesystem::is_directory(path)) return;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) give(entry.path());
}

// Each server gets a temporary directory of its own: a starting mariadbd deletes the `#sql*`
// files it finds in its tmpdir, which in a shared /tmp are another install's tables in use.
std::string tmp_dir_of(const std::string& dir) { return dir + "/tmp"; }

void install_data_dir(const std::string& dir, const std::string& data_dir) {
    std::vector<std::string> argv = as_os_user_prefix(kOsUser, 0);
    const std::vector<std::string> install = {"/usr/bin/mariadb-install-db", "--no-defaults",
                                              "--datadir=" + data_dir, "--tmpdir=" + tmp_dir_of(dir),
                                              "--auth-root-authentication-method=normal",
                                              "--skip-test-db", "--skip-name-resolve"};
    argv.insert(argv.end(), install.begin(), install.end());
    CommandResult result = run_command(argv, {}, kInstallTimeout);
    if (result.exit_code != 0) {
        throw std::runtime_error("mariadb-install-db failed (exit " + std::to_string(result.exit_code) + "):\n" +
                                 result.output);
    }
}

ChildProcess start_mariadbd(const std::string& dir, const std::string& data_dir, const std::string& socket_path,
                            int port, const std::string& log_path, const std::vector<std::string>& options) {
    std::vector<std::string> argv = as_os_user_prefix(kOsUser, SIGKILL);
    const std::vector<std::string> server = {
        "/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + data_dir, "--tmpdir=" + tmp_dir_of(dir),
        "--socket=" + socket_path,
        "--port=" + std::to_string(port), "--bind-address=127.0.0.1", "--pid-file=" + dir + "/mariadbd.pid",
        "--skip-name-resolve", "--skip-log-bin", "--max-connections=500", "--max-allowed-packet=64M", "--local-infile=1", "--innodb-buffer-pool-size=32M",
        "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0", "--skip-innodb-doublewrite",
        "--log-error=" + log_path};
    argv.insert(argv.end(), server.begin(), server.end());
    argv.insert(argv.end(), options.begin(), options.end());
    return ChildProcess(SpawnOptions{argv, log_path + ".stdout", {}, geteuid() == 0 ? 0 : SIGKILL});
}

void wait_until_ready(ChildProcess& process, const std::string& socket_path, const std::string& log_path) {
    const auto deadline = Clock::now() + kReadyTimeout;
    for (;;) {
        MyLogin login = my_try_connect(MyLoginOptions{.user = "root", .socket = socket_path, .timeout_s = 2});
        if (login) return;
        if (!process.running()) fail_with_log("mariadbd exited during startup", log_path);
        if (Clock::now() >= deadline) fail_with_log("not ready after 60 s: " + login.error, log_path);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::mutex shared_mutex;
std::unique_ptr<MariadbServer> shared_server;

}  // namespace

MariadbServer::MariadbServer() : MariadbServer(MariadbSetup{}) {}

MariadbServer::MariadbServer(const MariadbSetup& setup) : dir_("sluice-it-mariadb"), options_(setup.options) {
    data_dir_ = dir_.file("data");
    socket_path_ = dir_.file("mariadb.sock");
    log_path_ = dir_.file("mariadb.log");
    std::filesystem::create_directory(tmp_dir_of(dir_.path()));
    give_to_os_user(dir_.path());
    install_data_dir(dir_.path(), data_dir_);
    for (const auto& [name, source] : setup.files) {
        const std::string target = data_dir_ + "/" + name;
        std::filesystem::copy_file(source, target, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::permissions(target, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        give_to_os_user(target);
    }
    port_ = pick_free_port();
    process_ = start_mariadbd(dir_.path(), data_dir_, socket_path_, port_, log_path_, options_);
    wait_until_ready(process_, socket_path_, log_path_);
    MyConnection admin = root();
    for (const auto& sql : kSetupStatements) my_exec(admin.get(), sql);
}

MariadbServer::~MariadbServer() {
    // SIGTERM is mariadbd's normal shutdown.
    if (process_.pid() > 0) process_.stop(SIGTERM, kStopGrace);
}

MyConnection MariadbServer::root(const std::string& database) const {
    return my_connect(MyLoginOptions{.user = "root", .database = database, .socket = socket_path_});
}

std::string MariadbServer::query(const std::string& sql) const { return my_value(root().get(), sql); }

void MariadbServer::execute(const std::string& sql) const { my_exec(root().get(), sql); }

int MariadbServer::count_connections(const std::string& user) const {
    return std::stoi(query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'"));
}

std::vector<std::string> MariadbServer::cli_command(const std::string& sql) const {
    return {"/usr/bin/mariadb", "--no-defaults", "-uroot", "--socket=" + socket_path_, "-N", "-B", "-e", sql};
}

void MariadbServer::stop(int signal) {
    if (process_.running()) process_.stop(signal, kStopGrace);
}

void MariadbServer::start() {
    if (process_.running()) return;
    process_ = start_mariadbd(dir_.path(), data_dir_, socket_path_, port_, log_path_, options_);
    wait_until_ready(process_, socket_path_, log_path_);
}

MariadbServer& mariadb() {
    std::lock_guard lock(shared_mutex);
    if (!shared_server) {
        shared_server = std::make_unique<MariadbServer>();
        std::atexit(stop_shared_mariadb);
    }
    return *shared_server;
}

void stop_shared_mariadb() {
    std::lock_guard lock(shared_mutex);
    shared_server.reset();
}

}  // namespace sluice_it
